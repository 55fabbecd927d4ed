"""A pack's report.ipynb opened in a real JupyterLab (headless Chromium), not trusted: every chart
is drawn (the report's charts as PNG images, the workbench's by JupyterLab's Vega renderer),
none is left as text."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from test_browser import CHROMIUM
from test_notebook_workbench import pack, sample_db  # noqa: F401  (the module-scoped fixtures)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "vaultlab-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path, pack):  # noqa: F811
    if not CHROMIUM:
        pytest.skip("Debian package chromium is not installed (.ci/run installs it)")
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copyfile(pack / "report.ipynb", folder / "report.ipynb")
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}  # a fresh notary: nothing is trusted
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                               f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                               f"--ServerApp.root_dir={folder}"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start")
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/lab/tree/report.ipynb?token={TOKEN}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_packs_notebook_shows_its_charts_in_jupyterlab_untrusted(lab, tmp_path):
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,3000",
                          "--virtual-time-budget=45000", "--dump-dom", lab], capture_output=True, text=True,
                         timeout=240)
    page = dom.stdout
    assert "Notebook not trusted" in page
    # the report's four charts: PNG images (JupyterLab shows an untrusted notebook's PNG, not its SVG)
    assert page.count("jp-RenderedImage jp-OutputArea-output") >= 4 and "data:image/png;base64," in page
    # the workbench's charts: drawn by vega-embed, interactive
    assert page.count("jp-RenderedVegaLite jp-OutputArea-output") >= 3 and page.count("<canvas") >= 3
    assert "Javascript Error" not in page and "jp-RenderedSVG jp-OutputArea-output" not in page

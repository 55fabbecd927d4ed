"""The report in a real headless Chromium, offline: charts drawn, payloads inert, nothing fetched."""

import shutil
import subprocess

import pytest
from test_report_pack import XSS, pack  # noqa: F401  (the module-scoped pack fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",  # any request would fail
         "--enable-logging=stderr", "--v=0"]


@pytest.fixture
def chromium(tmp_path):
    if not CHROMIUM:
        pytest.skip("Debian package chromium is not installed (.ci/run installs it)")
    return [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]


def test_report_renders_offline_with_inert_payloads(chromium, pack, tmp_path):  # noqa: F811
    folder, _ = pack
    url = (folder / "report.html").as_uri()
    dom = subprocess.run(chromium + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert page.count("<svg") >= 4 and "<path" in page  # the charts, drawn as SVG
    assert "<script" not in page and "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    for payload in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;"):
        assert payload in page  # shown as text
    assert "<title>vaultlab evidence report</title>" in page
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "ERR_" in line]
    assert console == [], console  # no console error, no failed (attempted) request
    shot = tmp_path / "report.png"
    subprocess.run(chromium + ["--window-size=1280,1600", f"--screenshot={shot}", url], capture_output=True,
                   timeout=120)
    assert shot.stat().st_size > 10_000

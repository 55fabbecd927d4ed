"""`report --pdf`: the report printed to PDF by headless Chromium over the DevTools protocol.

Chromium ignores CSS @page margin boxes, so page numbers and the run id come from
Page.printToPDF's footer template; the command line's `--print-to-pdf` cannot set one. The
browser runs offline (every request would fail), with a fresh profile, and is always stopped.
`Browser` is also what the tests and the screenshots use to look at a pack at a given width.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from vaultlab.errors import VaultlabError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing is fetched
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1"]
PAPER = {"a4": (210 / 25.4, 297 / 25.4), "letter": (8.5, 11.0)}  # inches, as printToPDF takes them
# no ligatures: a run id or event id copied from the PDF must be the same characters ("ff", not "ﬀ")
FOOTER = ('<div style="font-family:system-ui,sans-serif;font-size:7.5px;color:#555;width:100%;margin:0 12mm;'
          'font-variant-ligatures:none;display:flex;justify-content:space-between"><span>{label}</span>'
          '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')
START_SECONDS = 30
STEP_SECONDS = 120


def find_chromium() -> str:
    """The browser to print with: $VAULTLAB_CHROMIUM, else chromium, chromium-browser or google-chrome."""
    named = os.environ.get("VAULTLAB_CHROMIUM")
    if named:
        found = shutil.which(named)
        if not found:
            raise VaultlabError(f"VAULTLAB_CHROMIUM={named} is not an executable; point it at Chromium or Chrome")
        return found
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise VaultlabError("--pdf needs headless Chromium and none was found: install chromium (Debian: apt-get "
                        "install chromium) or set VAULTLAB_CHROMIUM to its path")


class Browser:
    """One headless Chromium and one page of it, driven over the DevTools protocol (a websocket)."""

    def __init__(self, chromium: str | None = None, width: int = 1024, height: int = 800):
        import websocket  # websocket-client

        self._profile = tempfile.mkdtemp(prefix="vaultlab-chromium-")
        self._proc = subprocess.Popen([chromium or find_chromium(), *FLAGS, f"--user-data-dir={self._profile}",
                                       f"--window-size={width},{height}", "about:blank"],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        self._id = 0
        try:
            port = self._port()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:  # noqa: S310
                pages = [t for t in json.load(resp) if t.get("type") == "page"]
            self._ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=STEP_SECONDS,
                                                   suppress_origin=True)
            self.call("Page.enable")
            self.resize(width, height)
        except Exception:
            self.close()
            raise

    def _port(self) -> int:
        marker = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise VaultlabError(f"Chromium exited at start (code {self._proc.returncode})")
            if marker.is_file() and (lines := marker.read_text().splitlines()):
                return int(lines[0])
            time.sleep(0.05)
        raise VaultlabError(f"Chromium did not open its DevTools port within {START_SECONDS} s")

    def call(self, method: str, **params) -> dict:
        """Send one command and wait for its answer (events met on the way are dropped)."""
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise VaultlabError(f"Chromium refused {method}: {message['error'].get('message')}")
                return message.get("result", {})

    def resize(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def open(self, path: Path) -> None:
        """Load a local file and wait until its load event has fired."""
        self.call("Page.navigate", url=Path(path).resolve().as_uri())
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise VaultlabError(f"Chromium did not finish loading {path} within {STEP_SECONDS} s")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (DevTools evaluation; the page's CSP allows no script)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise VaultlabError(f"script failed in the page: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, out: Path, selector: str | None = None, height: int = 1400) -> None:
        """A PNG of the viewport, scrolled so that `selector`'s element is at the top."""
        if selector:
            self.evaluate(f"document.querySelector({json.dumps(selector)}).scrollIntoView()")
        clip = {"x": 0, "y": self.evaluate("window.scrollY"), "width": self.evaluate("window.innerWidth"),
                "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
        Path(out).write_bytes(base64.b64decode(data))

    def pdf(self, out: Path, *, paper: str = "a4", footer: str = "") -> None:
        width, height = PAPER[paper]
        result = self.call("Page.printToPDF", paperWidth=width, paperHeight=height, printBackground=True,
                           marginTop=0.6, marginBottom=0.7, marginLeft=0.45, marginRight=0.45,
                           displayHeaderFooter=True, headerTemplate="<span></span>",
                           footerTemplate=FOOTER.format(label=footer), preferCSSPageSize=False)
        Path(out).write_bytes(base64.b64decode(result["data"]))

    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_pdf(page: Path, out: Path, *, paper: str = "a4", footer: str = "", chromium: str | None = None) -> Path:
    """`page` (an HTML file) printed to `out`: A4 or Letter, the footer's text (escaped) and page numbers."""
    import html

    if paper not in PAPER:
        raise VaultlabError(f"unknown paper {paper!r}; choose a4 or letter")
    with Browser(chromium) as browser:
        browser.open(page)
        browser.pdf(out, paper=paper, footer=html.escape(footer))
    return out

"""`leak` never prints server text that could hold the value (issue 11, item 10): an endpoint at
VAULT_ADDR that echoes its input, in an error or in place of the hash."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT

from vaultlab import Warehouse

VALUE = "hvs.CAESIleaked-token-value-3f9a"


def _echo_server(status, shape):
    class Echo(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            given = json.loads(body or "{}").get("input", body)
            payload = {"errors": [f"invalid input {given!r}"]} if shape == "errors" else \
                {"hash": given} if shape == "hash" else {"data": {"hash": "hmac-sha256:" + given}} \
                if shape == "prefixed" else None
            data = json.dumps(payload).encode() if payload is not None else f"<html>{given}</html>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if payload is not None else "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_PUT = do_POST

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status, shape", [(400, "errors"), (500, "errors"), (503, "errors"), (418, "errors"),
                                           (200, "hash"), (200, "prefixed"), (200, "html"), (400, "html"),
                                           (404, "errors"), (403, "errors")])
def test_an_echoing_endpoint_never_gets_the_value_printed(tmp_path, status, shape):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    server = _echo_server(status, shape)
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "VAULT_ADDR": f"http://127.0.0.1:{server.server_port}",
               "VAULT_TOKEN": "hvs.test-token"}
        result = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "leak", "--audit-device", "file/"],
                                input=VALUE + "\n", capture_output=True, text=True, env=env, timeout=120)
    finally:
        server.shutdown()
    assert result.returncode == 2, result.stdout + result.stderr
    assert VALUE not in result.stdout + result.stderr
    assert "leaked-token" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr

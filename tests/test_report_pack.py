"""`vaultlab report`: the notebook executed on a real kernel, exported, sealed, verified."""

import json
import re

import nbformat
import pytest
from conftest import ROOT, load_synth_month, run_cli

from vaultlab import Warehouse

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "javascript:alert(3)"]


@pytest.fixture(scope="module")
def pack(tmp_path_factory, synth_small):
    out, answers = synth_small
    folder = tmp_path_factory.mktemp("report")
    db = folder / "w.duckdb"
    hostile = folder / "hostile.log"  # attacker-controlled fields: a path, a display name, a user agent
    hostile.write_text(json.dumps({
        "time": "2026-10-05T03:00:00Z", "type": "request",
        "auth": {"display_name": "ldap-" + XSS[1], "entity_id": "ent-x", "accessor": "hmac-sha256:" + "e" * 64},
        "request": {"id": "x-1", "operation": "read", "path": "secret/data/" + XSS[0], "mount_type": "kv",
                    "remote_address": "10.9.9.9", "headers": {"user-agent": [XSS[2]]}}}) + "\n")
    with Warehouse(db) as wh:
        load_synth_month(wh, out, hostile)
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(folder / "packs"),
                     "--organisation", "Acme & <Sons>", db=db)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "packs" / "soc2-2026-10", answers


def test_the_pack_holds_what_the_manifest_says_and_verifies(pack):
    folder, _ = pack
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"report.html", "report.ipynb", "controls.json", "run.json", "evidence/rotation_status.csv"} <= set(
        manifest["files"])
    assert manifest["parameters"]["framework"] == "soc2" and manifest["thresholds"]["orphan_days"] == 90
    assert manifest["inputs"] and all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["versions"]["duckdb"] and manifest["run_id"]
    assert (folder.parent / "soc2-2026-10.zip").is_file()
    assert run_cli("verify", str(folder)).returncode == 0


def test_the_executed_notebook_shows_the_findings(pack):
    folder, answers = pack
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    assert nb.cells[1].metadata["tags"] == ["parameters"] or "injected-parameters" in nb.cells[2].metadata.get(
        "tags", [])
    html_out = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                       for o in c.get("outputs", []))
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    for secret in answers["secrets_never_read"]:
        assert secret in html_out
    svg_out = "".join(o.get("data", {}).get("image/svg+xml", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))  # charts: outputs of their own (pack.make_readable)
    assert "secret/prod/payments/db" in html_out and "<svg" in svg_out
    assert "Acme &amp; &lt;Sons&gt;" in html_out


def test_the_html_is_self_contained_and_escapes_log_fields(pack):
    folder, _ = pack
    page = (folder / "report.html").read_text()
    assert "<script" not in page.lower().replace("&lt;script", "")  # no live script element at all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "default-src 'none'" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert page.count("<svg") >= 3
    assert "def " not in page and "build_report" not in page  # no code cells


def test_papermill_cli_runs_the_notebook_directly(pack, tmp_path):
    import subprocess
    import sys

    folder, _ = pack
    db = folder.parent.parent / "w.duckdb"
    out = tmp_path / "out.ipynb"
    result = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "evidence_report.ipynb"),
                             str(out), "-p", "framework", "hipaa", "-p", "period", "2026-10",
                             "-p", "warehouse", str(db)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    assert "164.308(a)(5)(ii)(D)" in text and "Evidence to attach" in text


def test_rendering_again_gives_the_same_evidence_and_a_signed_pack_verifies(pack, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder, _ = pack
    db = folder.parent.parent / "w.duckdb"
    key = Ed25519PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "key.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    again = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path / "again"),
                    "--organisation", "Acme & <Sons>", "--sign-key", str(tmp_path / "key.pem"), db=db)
    assert again.returncode == 0, again.stderr[-2000:]
    second = tmp_path / "again" / "soc2-2026-10"
    same = ["controls.json"] + [p.relative_to(folder).as_posix() for p in (folder / "evidence").iterdir()]
    for name in same:
        assert (folder / name).read_bytes() == (second / name).read_bytes(), name
    first_manifest = json.loads((folder / "manifest.json").read_text())
    second_manifest = json.loads((second / "manifest.json").read_text())
    assert first_manifest["run_id"] != second_manifest["run_id"]
    assert {k: v for k, v in first_manifest["files"].items() if k in same} == \
        {k: v for k, v in second_manifest["files"].items() if k in same}
    signed = run_cli("verify", str(second), "--public-key", str(tmp_path / "key.pub"))
    assert signed.returncode == 0 and "signature valid" in signed.stdout

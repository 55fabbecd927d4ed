"""Leak response: accesses in the window, what to revoke, readers before; also as a notebook."""

import subprocess
import sys

import pytest
from conftest import ROOT

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.queries.incident import investigate


@pytest.fixture(scope="module")
def spike(tmp_path_factory, synth_small):
    out, answers = synth_small
    db = tmp_path_factory.mktemp("incident") / "w.duckdb"
    with Warehouse(db) as wh:
        ingest(wh, [str(out / "vault_audit.log")], progress=False)
    [planted] = [p for p in answers["planted"] if p.get("signal") == "volume_spike"]
    return db, planted


def test_a_leaked_secret(spike):
    db, planted = spike
    with Warehouse(db, read_only=True) as wh:
        incident = investigate(wh, secret=planted["resource"], start=planted["day"], end=planted["day"])
        token = incident.to_revoke.filter(incident.to_revoke["actor"] == planted["actor"])["token_id"][0]
        by_token = investigate(wh, token=token, start=planted["day"], end=planted["day"])
        with pytest.raises(VaultlabError, match="give a secret"):
            investigate(wh, start="2026-10-01", end="2026-10-02")
    assert incident.accesses.height >= planted["events"]
    assert set(incident.accesses["resource"]) == {planted["resource"]}
    top = incident.to_revoke.row(0, named=True)
    assert (top["actor"], top["reads"] >= planted["events"]) == (planted["actor"], True)
    assert planted["actor"] not in set(incident.readers_before["actor"]) or \
        incident.readers_before.filter(incident.readers_before["actor"] == planted["actor"])["reads"][0] < 50
    assert set(by_token.accesses["actor"]) == {planted["actor"]} and by_token.accesses.height >= planted["events"]
    prefix = investigate(Warehouse(db, read_only=True), secret=planted["resource"].rsplit("/", 1)[0],
                         start=planted["day"], end=planted["day"])
    assert prefix.accesses.height >= incident.accesses.height


def test_the_incident_notebook_runs(spike, tmp_path):
    db, planted = spike
    out = tmp_path / "incident.ipynb"
    result = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "incident.ipynb"), str(out),
                             "-p", "warehouse", str(db), "-p", "secret", planted["resource"],
                             "-p", "start", planted["day"], "-p", "end", planted["day"]],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    assert "Identities and tokens to revoke" in text and planted["actor"] in text


def test_the_explore_notebook_runs_sql_magic(spike, tmp_path):
    db, _ = spike
    out = tmp_path / "explore.ipynb"
    result = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "explore.ipynb"), str(out),
                             "-p", "warehouse", str(db), "-p", "period", "2026-10"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    import nbformat

    nb = nbformat.read(out, as_version=4)
    texts = ["".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/html", ""))
                     for o in c.get("outputs", [])) for c in nb.cells if c.cell_type == "code"]
    magic = next(t for c, t in zip([c for c in nb.cells if c.cell_type == "code"], texts)
                 if c.source.startswith("%sql select signal"))
    for signal in ("failed_auth_burst", "denied_requests", "volume_spike", "long_ttl_token"):
        assert signal in magic
    assert any("rotation_status" in t for t in texts)  # the schema listing

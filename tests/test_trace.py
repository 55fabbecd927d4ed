"""`vaultlab trace`: the source records behind an event, from a file whose SHA-256 the ledger vouches for."""

import gzip
import json
import shutil

import pytest
from conftest import run_cli

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.queries.trace import trace
from vaultlab.synth.cloudtrail import synthesize_cloudtrail
from vaultlab.synth.vault import synthesize


def _load(tmp_path, *, cloudtrail: bool = True):
    logs = tmp_path / "logs"
    synthesize(logs, lines=700, seed=5)
    paths = [str(logs / "vault_audit.log")]
    if cloudtrail:
        synthesize_cloudtrail(tmp_path / "ct", records=30, records_per_file=10, seed=5)
        paths.append(str(tmp_path / "ct" / "AWSLogs"))
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        ingest(wh, paths, progress=False)
    return db, logs / "vault_audit.log"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return _load(tmp_path_factory.mktemp("trace"))


def _vault_event(db):
    with Warehouse(db, read_only=True) as wh:
        _, [(event_id, line, response_line)] = wh.query(
            "select event_id, line, response_line from events where source = 'vault' and has_request "
            "and has_response and request_id is not null order by line limit 1 offset 20")
    return event_id, line, response_line


def test_a_vault_event_is_its_request_and_its_response(loaded):
    db, log = loaded
    event_id, line, response_line = _vault_event(db)
    source = log.read_text().splitlines()
    done = run_cli("trace", event_id, db=db)
    assert done.returncode == 0, done.stderr
    [request] = [row for row in done.stdout.splitlines() if row.startswith("request ")]
    assert event_id in request and f" {line} " in request
    assert json.loads(source[line - 1])["request"]["id"] == event_id
    as_json = json.loads(run_cli("trace", event_id, "--format", "json", db=db).stdout)
    assert [(r["record"], r["line"]) for r in as_json] == [("request", line), ("response", response_line)]
    assert all(r["id"] == event_id for r in as_json)
    # redacted as the quarantine's excerpts are: shape and field names, no values
    raw_request = json.loads(source[line - 1])
    assert raw_request["request"]["path"] not in as_json[0]["excerpt"]
    assert '"path":"<cut>"' in as_json[0]["excerpt"].replace(" ", "")


def test_file_line_and_the_nth_record_of_a_gzipped_list_document(loaded):
    db, _ = loaded
    with Warehouse(db, read_only=True) as wh:
        _, [(event_id, file_id, line, path)] = wh.query(
            "select e.event_id, e.file_id, e.line, f.path from events e join ingest_files f using (file_id) "
            "where e.source = 'cloudtrail' and e.line = 4 order by e.file_id limit 1")
        [record] = trace(wh, event_id)
        assert trace(wh, f"{file_id}:{line}")[0].excerpt == record.excerpt
    with gzip.open(path, "rt") as fh:
        expected = json.load(fh)["Records"][line - 1]["eventID"]
    assert (record.record, record.line, record.id) == ("record", 4, expected)
    assert expected in event_id


def test_an_edited_file_is_reported_and_a_moved_one_found_with_search(tmp_path):
    db, log = _load(tmp_path, cloudtrail=False)
    event_id, _, _ = _vault_event(db)
    archive = tmp_path / "archive" / "2026"
    archive.mkdir(parents=True)
    shutil.move(log, archive / log.name)
    gone = run_cli("trace", event_id, db=db)
    assert gone.returncode == 2 and "is gone" in gone.stderr and len(gone.stderr.strip().splitlines()) == 1
    found = run_cli("trace", event_id, "--search", str(tmp_path / "archive"), db=db)
    assert found.returncode == 0, found.stderr
    assert str(archive / log.name) in found.stdout and event_id in found.stdout
    # edited at its new place, and a copy put back where it was loaded from: neither is trusted
    text = (archive / log.name).read_text()
    (archive / log.name).write_text(text.replace('"operation":"read"', '"operation":"list"', 1))
    log.write_text(text + "\n")
    for args in ([], ["--search", str(tmp_path / "archive")]):
        edited = run_cli("trace", event_id, *args, db=db)
        assert edited.returncode == 2 and "has changed since it was loaded" in edited.stderr
        assert len(edited.stderr.strip().splitlines()) == 1 and edited.stdout == ""


def test_an_unknown_event(loaded):
    db, _ = loaded
    with Warehouse(db, read_only=True) as wh, pytest.raises(VaultlabError, match="no event"):
        trace(wh, "not-an-event")
    with Warehouse(db, read_only=True) as wh, pytest.raises(VaultlabError, match="holds no record 999999"):
        trace(wh, "1:999999")

"""Nothing lost, nothing invented: every line is loaded, a known duplicate, or quarantined."""

import gzip
import json
import subprocess
import sys
import time

import pytest
from conftest import ROOT, rows, run_cli

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.ingest.load import ingest_file


def _lines(synth_small, n=None):
    out, _ = synth_small
    lines = (out / "vault_audit.log").read_bytes().splitlines(keepends=True)
    return lines[:n] if n else lines


def _identity_holds(wh):
    for entry in rows(wh, "select * from ingest_files"):
        assert entry["lines_read"] == entry["events_loaded"] + entry["duplicates"] + entry["quarantined"], entry
        q = wh.query("select count(*) from quarantine where file_id = ?", [entry["file_id"]])[1][0][0]
        assert q == entry["quarantined"]


def _event_keys(wh):
    return sorted(wh.query("""select event_id, category, outcome, has_request, has_response, actor, resource
                              from events""")[1])


def test_malformed_lines_are_quarantined_with_line_and_reason(warehouse, synth_small, tmp_path):
    good = _lines(synth_small, 20)
    bad = {
        3: b'{"time":"2026-10-01T00:00:00Z","type":"request","auth":{"dis\n',  # truncated
        5: b"this is not json\n",
        7: b'{"time":"2026-10-01T00:00:00Z","type":"request","path":"caf\xe9"}\n',  # latin-1, not UTF-8
        9: b'[{"type":"request"}]\n',
        11: b'{"time":"2026-10-01T00:00:00Z","request":{"id":"x"}}\n',
        13: b'{"time":"2026-10-01T00:00:00Z","type":"audit-test"}\n',
        15: b'{"type":"request","request":{"id":"y"}}\n',
    }
    lines = list(good)
    for n, content in bad.items():
        lines[n - 1] = content
    lines.insert(17, b"\n")  # a blank line is not a record (line numbers still count it)
    path = tmp_path / "vault_audit.log"
    path.write_bytes(b"".join(lines))
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert result.lines_read == 20 and result.quarantined == 7 and result.duplicates == 0
    assert result.events_loaded == 13
    got = {r["line"]: r["reason"] for r in rows(warehouse, "select * from quarantine")}
    assert got == {
        3: "not valid JSON (truncated or malformed)",
        5: "not valid JSON (truncated or malformed)",
        7: "invalid UTF-8",
        9: "not a JSON object",
        11: 'no "type" field',
        13: 'unknown record type "audit-test"',
        15: 'no valid "time" field',
    }
    excerpt = rows(warehouse, "select excerpt from quarantine where line = 5")[0]["excerpt"]
    assert excerpt == "<cut> <cut> <cut> <cut>"  # text that is no JSON is no field name either
    # the good lines around the bad ones loaded with their own line numbers
    loaded = {r[0] for r in warehouse.query("select line from events union select response_line from events")[1]}
    assert {1, 2, 4, 20, 21} <= loaded and not loaded & set(bad)
    _identity_holds(warehouse)


def test_a_line_of_many_megabytes_is_quarantined(warehouse, synth_small, tmp_path):
    good = _lines(synth_small, 6)
    huge = b'{"time":"2026-10-01T00:00:00Z","type":"request","request":{"path":"' + b"a" * (17 << 20) + b'"}}\n'
    path = tmp_path / "huge.log"
    path.write_bytes(b"".join(good[:3]) + huge + b"".join(good[3:]))
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert (result.lines_read, result.events_loaded, result.quarantined) == (7, 6, 1)
    [q] = rows(warehouse, "select * from quarantine")
    assert q["line"] == 4 and "longer than the limit" in q["reason"] and q["excerpt"].startswith(
        '{"time":"2026-10-01T00:00:00Z","type":"request","request":{"path":"<cut>"')
    # a long line inside one read chunk is caught by the parser's limit instead
    path2 = tmp_path / "long.log"
    path2.write_bytes(b"".join(good[:2]) + huge[: 3000] + b'"}}\n' + b"".join(good[2:]))
    result2 = ingest_file(warehouse, path2, "vault", progress=False, max_line_bytes=2000)
    assert (result2.lines_read, result2.quarantined, result2.duplicates) == (7, 1, 6)
    _identity_holds(warehouse)


def test_reingesting_the_same_file_adds_nothing(warehouse, synth_small):
    out, answers = synth_small
    [first] = ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    before = _event_keys(warehouse)
    [again] = ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    assert again.already_loaded_as == first.file_id
    assert _event_keys(warehouse) == before and len(before) == answers["events"]
    assert warehouse.query("select count(*) from ingest_files")[1] == [(1,)]


def test_overlapping_files_and_pairs_split_across_them(warehouse, db_path, synth_small, tmp_path):
    lines = _lines(synth_small, 1000)
    (tmp_path / "a.log").write_bytes(b"".join(lines[:601]))  # ends on a request; its response is in b
    (tmp_path / "b.log").write_bytes(b"".join(lines[400:]))
    assert json.loads(lines[600])["type"] == "request"
    ra, rb = ingest(warehouse, [str(tmp_path / "a.log"), str(tmp_path / "b.log")], progress=False)
    assert (ra.lines_read, ra.events_loaded, ra.duplicates) == (601, 601, 0)
    assert (rb.lines_read, rb.events_loaded, rb.duplicates) == (600, 399, 201)
    assert rb.events_created == 199  # 399 records: the completing response + 199 new pairs
    (tmp_path / "whole.log").write_bytes(b"".join(lines))
    with Warehouse(tmp_path / "whole.duckdb") as whole:
        ingest(whole, [str(tmp_path / "whole.log")], progress=False)
        assert _event_keys(warehouse) == _event_keys(whole)
    [split] = rows(warehouse, "select * from events where line = 601 and file_id = ?", [ra.file_id])
    assert split["has_response"] and split["response_file_id"] == rb.file_id and split["response_line"] == 202
    _identity_holds(warehouse)


def test_rotated_files_pair_in_either_order(tmp_path, synth_small):
    lines = _lines(synth_small, 40)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "vault_audit.log.1").write_bytes(b"".join(lines[:21]))  # request 21 ...
    (logs / "vault_audit.log").write_bytes(b"".join(lines[21:]))  # ... response 22
    expected = None
    for order in (["vault_audit.log"], ["vault_audit.log.1"]), (["vault_audit.log.1"], ["vault_audit.log"]):
        with Warehouse(tmp_path / f"{order[0][0]}.duckdb") as wh:
            for names in order:
                ingest(wh, [str(logs / n) for n in names], progress=False)
            keys = _event_keys(wh)
            assert len(keys) == 20 and all(k[3] and k[4] for k in keys)  # every event has both halves
            expected = expected or keys
            assert keys == expected
    # a folder is read oldest rotation first
    with Warehouse(tmp_path / "folder.duckdb") as wh:
        results = ingest(wh, [str(logs)], progress=False)
        assert [r.path.rsplit("/", 1)[-1] for r in results] == ["vault_audit.log.1", "vault_audit.log"]


def test_gzip_glob_and_pretty_printed(warehouse, synth_small, tmp_path):
    lines = _lines(synth_small, 10)
    with gzip.open(tmp_path / "vault_audit.log.1.gz", "wb") as fh:
        fh.write(b"".join(lines))
    pretty = "".join(json.dumps(json.loads(line), indent=2) + "\n" for line in _lines(synth_small, 20)[10:])
    pretty = pretty.replace('{\n  "time"', '{\n  "broken": ,\n  "time"', 1)  # object 1 is malformed
    (tmp_path / "jq-output.json").write_text(pretty)
    results = ingest(warehouse, [str(tmp_path / "*.gz"), str(tmp_path / "*.json")], progress=False)
    gz, pp = sorted(results, key=lambda r: not r.path.endswith(".gz"))
    assert (gz.lines_read, gz.events_loaded, gz.events_created) == (10, 10, 5)
    import hashlib

    gz_bytes = (tmp_path / "vault_audit.log.1.gz").read_bytes()
    [ledger] = rows(warehouse, "select sha256, bytes from ingest_files where file_id = ?", [gz.file_id])
    assert ledger == {"sha256": hashlib.sha256(gz_bytes).hexdigest(), "bytes": len(gz_bytes)}  # the file on disk
    assert (pp.lines_read, pp.events_loaded, pp.quarantined) == (10, 9, 1)
    [q] = rows(warehouse, "select * from quarantine")
    assert q["line"] == 1 and q["reason"].startswith("not valid JSON")
    starts = sorted(r[0] for r in warehouse.query(
        "select line from events where file_id = ? union all select response_line from events "
        "where file_id = ? and response_line is not null and response_line <> line", [pp.file_id] * 2)[1])
    text_lines = pretty.splitlines()
    assert all(text_lines[n - 1] == "{" for n in starts)  # each record's line is where its object starts
    _identity_holds(warehouse)


def test_an_interrupted_ingest_leaves_no_half_file(warehouse, synth_small, tmp_path, monkeypatch):
    from vaultlab.ingest import reader

    out, _ = synth_small
    original = reader.iter_line_batches

    def interrupted(stream, oversized, **kw):
        for i, item in enumerate(original(stream, oversized, chunk_bytes=1 << 16)):
            if i == 3:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(reader, "iter_line_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    for table in ("event_store", "ingest_files", "quarantine"):
        assert warehouse.query(f"select count(*) from {table}")[1] == [(0,)]
    monkeypatch.undo()
    [result] = ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    assert result.events_loaded == result.lines_read


def test_a_killed_ingest_is_all_or_nothing(db_path, tmp_path):
    from vaultlab.synth.vault import synthesize

    answers = synthesize(tmp_path / "big", lines=120_000, seed=3)
    proc = subprocess.Popen([sys.executable, "-m", "vaultlab", "--db", str(db_path), "ingest", "--quiet",
                             str(tmp_path / "big" / "vault_audit.log")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    proc.kill()
    proc.wait()
    with Warehouse(db_path) as wh:
        events = wh.query("select count(*) from event_store")[1][0][0]
        files = wh.query("select count(*) from ingest_files")[1][0][0]
    assert (events, files) in {(0, 0), (answers.events, 1)}


def test_a_second_writer_gets_a_clear_error(db_path, synth_small):
    out, _ = synth_small
    Warehouse(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "time.sleep(60)", str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = run_cli("ingest", str(out / "vault_audit.log"), db=db_path)
        assert result.returncode == 2
        [line] = result.stderr.strip().splitlines()
        assert "in use by another" in line and str(holder.pid) in line
        with pytest.raises(VaultlabError, match="in use"):
            Warehouse(db_path)
    finally:
        holder.kill()
        holder.wait()


def test_a_growing_log_loads_only_what_is_new(warehouse, synth_small, tmp_path):
    import hashlib

    lines = _lines(synth_small, 60)
    log = tmp_path / "vault_audit.log"
    log.write_bytes(b"".join(lines[:20]) + lines[20][:50])  # the device is mid-write
    [first] = ingest(warehouse, [str(log)], progress=False)
    assert (first.lines_read, first.events_loaded, first.quarantined) == (21, 20, 1)
    snapshot = log.read_bytes()
    log.write_bytes(b"".join(lines))
    [second] = ingest(warehouse, [str(log)], progress=False)
    assert (second.lines_read, second.events_loaded, second.duplicates, second.quarantined) == (60, 40, 20, 0)
    ledger = rows(warehouse, "select sha256, bytes from ingest_files order by file_id")
    assert ledger[0] == {"sha256": hashlib.sha256(snapshot).hexdigest(), "bytes": len(snapshot)}
    assert ledger[1] == {"sha256": hashlib.sha256(log.read_bytes()).hexdigest(), "bytes": log.stat().st_size}
    assert _event_keys(warehouse) and all(k[3] and k[4] for k in _event_keys(warehouse))


def test_a_damaged_gzip_loads_what_it_can(warehouse, synth_small, tmp_path):
    lines = _lines(synth_small, 400)
    whole = gzip.compress(b"".join(lines))
    (tmp_path / "cut.log.gz").write_bytes(whole[: len(whole) // 2])  # rotation stopped mid-write
    (tmp_path / "vault_audit.log").write_bytes(b"".join(lines[:10]))
    results = ingest(warehouse, [str(tmp_path)], progress=False)
    cut = next(r for r in results if r.path.endswith("cut.log.gz"))
    assert cut.events_loaded > 0 and cut.quarantined >= 1
    reasons = [r[0] for r in warehouse.query("select reason from quarantine where file_id = ?", [cut.file_id])[1]]
    assert any("damaged" in reason for reason in reasons)
    assert next(r for r in results if r.path.endswith("vault_audit.log")).file_id is not None  # the next file loaded
    _identity_holds(warehouse)
    (tmp_path / "garbage.gz").write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    result = run_cli("ingest", str(tmp_path / "garbage.gz"), db=tmp_path / "g.duckdb")
    assert result.returncode == 2 and "not a readable gzip file" in result.stderr


def test_copies_of_a_record_are_duplicates_whatever_their_layout(warehouse, synth_small, tmp_path):
    lines = _lines(synth_small, 10)
    (tmp_path / "a.log").write_bytes(b"".join(lines))
    (tmp_path / "b.log").write_bytes(b"".join(line.rstrip(b"\n") + b"\r\n" for line in lines))  # CRLF
    (tmp_path / "c.json").write_text("".join(json.dumps(json.loads(line), indent=2) + "\n" for line in lines))
    a, b, c = ingest(warehouse, [str(tmp_path / n) for n in ("a.log", "b.log", "c.json")], progress=False)
    assert (a.events_loaded, b.duplicates, c.duplicates) == (10, 10, 10)
    assert warehouse.query("select count(*) from events")[1] == [(5,)]


def test_a_first_record_longer_than_the_sniffed_head_is_recognised(warehouse, synth_small, tmp_path):
    lines = _lines(synth_small, 4)
    record = json.loads(lines[1])
    record["response"]["data"] = {"keys": ["hmac-sha256:" + "ab" * 32] * 20000}  # a LIST of 20,000 keys
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "big.log").write_text(json.dumps(record) + "\n" + lines[2].decode() + lines[3].decode())
    [result] = ingest(warehouse, [str(tmp_path / "logs")], progress=False)  # found in a folder, not named
    assert (result.format, result.lines_read, result.events_loaded) == ("vault", 3, 3)


def test_a_log_raw_device_leaks_no_token(warehouse, tmp_path):
    live = "hvs.CAESIJlivetokenvalue0123456789"
    entry = {"time": "2026-10-02T10:00:00Z", "type": "request",
             "auth": {"client_token": live, "accessor": "plain-accessor-xyz", "display_name": "approle"},
             "request": {"id": "t-1", "operation": "read", "path": "secret/data/x", "client_token": live,
                         "client_token_accessor": "plain-accessor-xyz", "remote_address": "10.0.0.1"}}
    bad = json.dumps(entry)[:-30]
    (tmp_path / "raw.log").write_text(json.dumps(entry) + "\n" + bad + "\n")
    [result] = ingest(warehouse, [str(tmp_path / "raw.log")], progress=False)
    assert (result.raw_values, result.plain_accessors, result.quarantined) == (2, 2, 1)  # tokens; accessors apart
    [ev] = rows(warehouse, "select * from events")
    assert ev["client_token"] is None and ev["token_id"] is None and ev["actor"] == "approle"
    dump = json.dumps(rows(warehouse, "select * from events"), default=str) + json.dumps(
        rows(warehouse, "select * from quarantine"))
    assert live not in dump and "plain-accessor-xyz" not in dump


def test_the_damage_in_a_gzip_is_placed_after_the_last_line_read(warehouse, synth_small, tmp_path):
    lines = _lines(synth_small, 300)
    whole = gzip.compress(b"".join(lines), mtime=0)
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) * 2 // 3])
    [result] = ingest(warehouse, [str(tmp_path / "cut.gz")], progress=False)
    quarantined = dict(warehouse.query("select reason, line from quarantine")[1])
    [damage_line] = [line for reason, line in quarantined.items() if "damaged" in reason]
    assert damage_line == result.lines_read  # the last line counted is the damage itself
    assert result.lines_read == result.events_loaded + result.quarantined

"""The real `vaultlab` command: exit codes, parsed output, one-line errors."""

import csv
import io
import json

from conftest import ROOT, run_cli


def _one_line_error(result, *needles):
    assert result.returncode == 2, result
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("vaultlab: error: ")
    for needle in needles:
        assert needle in line, line
    return line


def test_ingest_then_query_in_three_formats(db_path, synth_small):
    out, answers = synth_small
    result = run_cli("ingest", str(out / "vault_audit.log"), db=db_path)
    assert result.returncode == 0, result.stderr
    header, _, row = result.stdout.splitlines()[:3]
    assert header.split()[:7] == ["file", "source", "lines", "loaded", "duplicates", "quarantined", "events"]
    records, events = str(answers["records"]), str(answers["events"])
    assert row.split()[1:7] == ["vault", records, records, "0", "0", events]

    query = "select category, count(*) as n from events group by 1 order by 1"
    as_json = run_cli("sql", query, "--format", "json", db=db_path)
    assert as_json.returncode == 0
    assert {r["category"]: r["n"] for r in json.loads(as_json.stdout)} == answers["by_category"]
    as_csv = run_cli("sql", query, "--format", "csv", db=db_path)
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["category"]: int(r["n"]) for r in parsed} == answers["by_category"]
    as_table = run_cli("--db", str(db_path), "sql", query)  # --db before or after the command
    assert as_table.returncode == 0 and "secret.read" in as_table.stdout

    again = run_cli("ingest", str(out / "vault_audit.log"), db=db_path)
    assert again.returncode == 0 and "already loaded (file 1)" in again.stdout


def test_info_reports_sources_categories_files_quarantine(db_path, synth_small, tmp_path):
    out, answers = synth_small
    bad = tmp_path / "bad.log"
    bad.write_bytes((out / "vault_audit.log").read_bytes()[:5000] + b"\nnot json\n")
    assert run_cli("ingest", str(bad), db=db_path).returncode == 0
    info = json.loads(run_cli("info", "--format", "json", db=db_path).stdout)
    assert [s["source"] for s in info["sources"]] == ["vault"]
    [f] = info["files"]
    assert f["lines_read"] == f["events_loaded"] + f["duplicates"] + f["quarantined"]
    assert sum(q["lines"] for q in info["quarantine"]) == f["quarantined"] >= 2  # the cut line and 'not json'
    assert sum(c["events"] for c in info["categories"]) == info["sources"][0]["events"]
    text = run_cli("info", db=db_path)
    assert text.returncode == 0 and "quarantine" in text.stdout and "not valid JSON" in text.stdout


def test_impossible_requests_get_one_line_and_exit_2(db_path, tmp_path):
    _one_line_error(run_cli("ingest", str(tmp_path / "nope.log"), db=db_path), "does not exist")
    unknown = tmp_path / "app.log"
    unknown.write_text('{"level":"info","msg":"started"}\n')
    _one_line_error(run_cli("ingest", str(unknown), db=db_path), "cannot tell the source", "--source")
    _one_line_error(run_cli("sql", "select 1", db=tmp_path / "missing.duckdb"), "no warehouse at")
    forced = run_cli("ingest", str(unknown), "--source", "vault", db=db_path)
    assert forced.returncode == 0, forced.stderr
    _one_line_error(run_cli("sql", "select * from no_such_view", db=db_path), "query failed")
    _one_line_error(run_cli("sql", "delete from event_store", db=db_path), "query failed", "read-only")
    usage = run_cli("ingest", str(unknown), "--format", "syslog", db=db_path)
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_synth_and_demo(tmp_path):
    result = run_cli("synth", str(tmp_path / "s"), "--lines", "1001", "--seed", "2")
    assert result.returncode == 0 and "wrote 1000 audit records" in result.stdout
    answers = json.loads((tmp_path / "s" / "answers.json").read_text())
    assert answers["records"] == 1000 and answers["planted"]
    _one_line_error(run_cli("synth", str(tmp_path / "t"), "--lines", "300"), "at least 668")

    demo = run_cli("demo", "--out", str(tmp_path / "demo"))
    assert demo.returncode == 0, demo.stderr
    committed = json.loads((ROOT / "data" / "samples" / "answers.json").read_text())
    assert f"vault   {committed['events']}" in demo.stdout
    assert (tmp_path / "demo" / "vaultlab.duckdb").exists()
    assert oct((tmp_path / "demo" / "vaultlab.duckdb").stat().st_mode & 0o777) == "0o600"


def test_a_folder_skips_what_is_not_an_audit_log(db_path, synth_small, tmp_path):
    out, answers = synth_small
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "vault_audit.log").write_bytes((out / "vault_audit.log").read_bytes())
    (folder / "inventory.json").write_text('[{"name": "secret/prod/db"}]\n')
    (folder / "empty.log").write_text("")
    result = run_cli("ingest", str(folder), db=db_path)
    assert result.returncode == 1, result.stderr  # a file was left out; the rest loaded
    lines = {line.split()[0].rsplit("/", 1)[-1]: line for line in result.stdout.splitlines()[2:]}
    assert "skipped: not a known audit log format" in lines["inventory.json"]
    assert "skipped: empty file" in lines["empty.log"]
    assert lines["vault_audit.log"].split()[2] == str(answers["records"])
    named = run_cli("ingest", str(folder / "inventory.json"), db=db_path)
    assert named.returncode == 2 and "cannot tell the source" in named.stderr


def test_ingest_format_is_the_old_spelling_of_source(db_path, tmp_path):
    log = tmp_path / "audit.log"
    log.write_text('{"time":"2026-10-01T00:00:00Z","type":"request","request":{"id":"r1","path":"sys/health"}}\n')
    old = run_cli("ingest", str(log), "--format", "vault", db=db_path)
    assert old.returncode == 0, old.stderr
    assert "`ingest --format` is now `--source`" in old.stderr
    assert "vault" in old.stdout.splitlines()[2]

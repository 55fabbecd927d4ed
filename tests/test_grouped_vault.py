"""Issue 15 item 4: small Vault files load in groups, and a group gives exactly what loading the
files one by one gives: a ledger row per file with its own counts, pairs across files, duplicates
across files, quarantine per file."""

import json

import pytest
from conftest import rows
from test_duplicates_layout import reshipped, vault

from vaultlab import Warehouse, ingest
from vaultlab.ingest import grouped


def _write(folder, name: str, lines: list[str]) -> None:
    (folder / name).write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines))


@pytest.fixture
def shipped(tmp_path):
    """A log cut into three files by a shipper: halves of a pair in different files, a record
    repeated in another file (in another layout), a broken line."""
    folder = tmp_path / "logs"
    folder.mkdir()
    r1, r2 = vault("request", "r-1", "2026-10-05T10:00:00Z"), vault("request", "r-2", "2026-10-05T10:00:01Z")
    _write(folder, "a.log", [json.dumps(r1), json.dumps(r2), '{"time": "2026-10-05T10:00:02Z", "type": "requ'])
    _write(folder, "b.log", [json.dumps(vault("response", "r-1", "2026-10-05T10:00:03Z")), reshipped(r2)])
    _write(folder, "c.log", [json.dumps(vault("response", "r-2", "2026-10-05T10:00:04Z"))])
    return folder


LEDGER = """select regexp_extract(path, '[abc][.]log$') as file, lines_read, events_loaded, duplicates,
                  quarantined, events_created from ingest_files order by file_id"""
EVENTS = "select event_id, has_request, has_response, file_id, response_file_id from events order by event_id"
EXPECTED = [
    {"file": "a.log", "lines_read": 3, "events_loaded": 2, "duplicates": 0, "quarantined": 1, "events_created": 2},
    {"file": "b.log", "lines_read": 2, "events_loaded": 1, "duplicates": 1, "quarantined": 0, "events_created": 0},
    {"file": "c.log", "lines_read": 1, "events_loaded": 1, "duplicates": 0, "quarantined": 0, "events_created": 0},
]


def test_a_group_of_small_vault_files_accounts_per_file_and_pairs_across_them(tmp_path, shipped):
    assert "vault" in grouped.GROUPED_SOURCES
    with Warehouse(tmp_path / "group.duckdb") as wh:
        results = ingest(wh, [str(shipped)], progress=False)
        assert [r.lines_read == r.events_loaded + r.duplicates + r.quarantined for r in results] == [True] * 3
        assert rows(wh, LEDGER) == EXPECTED
        events = rows(wh, EVENTS)
        quarantined = rows(wh, "select line, reason from quarantine")
    assert [(e["event_id"], e["has_request"], e["has_response"]) for e in events] == [("r-1", True, True),
                                                                                        ("r-2", True, True)]
    assert [(e["file_id"], e["response_file_id"]) for e in events] == [(1, 2), (1, 3)]
    assert quarantined == [{"line": 3, "reason": "not valid JSON (truncated or malformed)"}]


def test_a_group_gives_what_loading_the_files_one_by_one_gives(tmp_path, shipped, monkeypatch):
    with monkeypatch.context() as patch, Warehouse(tmp_path / "one-by-one.duckdb") as wh:
        patch.setattr(grouped, "GROUP_FILE_LIMIT", 0)  # every file on its own, as a large file loads
        for name in ("a.log", "b.log", "c.log"):
            ingest(wh, [str(shipped / name)], progress=False)
        one_by_one = rows(wh, LEDGER), rows(wh, EVENTS)
    with Warehouse(tmp_path / "group.duckdb") as wh:
        ingest(wh, [str(shipped)], progress=False)
        together = rows(wh, LEDGER), rows(wh, EVENTS)
    assert together == one_by_one
    assert together[0] == EXPECTED


def test_a_group_completes_a_lone_half_loaded_before_without_counting_it_again(tmp_path, shipped):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(wh, [str(shipped / "a.log")], progress=False)
        (shipped / "a.log").unlink()
        ingest(wh, [str(shipped)], progress=False)
        ledger = rows(wh, LEDGER)
        events = rows(wh, EVENTS)
    assert ledger == EXPECTED
    assert [(e["has_request"], e["has_response"]) for e in events] == [(True, True), (True, True)]


def test_a_file_already_loaded_in_a_group_is_skipped_and_the_others_count_as_one_by_one(tmp_path, shipped,
                                                                                       monkeypatch):
    """b.log loaded on its own first, then the folder: a.log and c.log load as they would one by
    one after it. A group's file ids are taken together (2-4 for its three files), so the skipped
    b.log leaves a gap: the next file loaded gets 5."""
    with monkeypatch.context() as patch, Warehouse(tmp_path / "one-by-one.duckdb") as wh:
        patch.setattr(grouped, "GROUP_FILE_LIMIT", 0)
        for name in ("b.log", "a.log", "c.log"):
            ingest(wh, [str(shipped / name)], progress=False)
        one_by_one = rows(wh, LEDGER)
    with Warehouse(tmp_path / "group.duckdb") as wh:
        ingest(wh, [str(shipped / "b.log")], progress=False)
        results = ingest(wh, [str(shipped)], progress=False)
        together = rows(wh, LEDGER)
        _write(tmp_path, "d.log", [json.dumps(vault("request", "r-3", "2026-10-05T10:00:05Z"))])
        [later] = ingest(wh, [str(tmp_path / "d.log")], progress=False)
    assert [(r.file_id, r.already_loaded_as) for r in results] == [(2, None), (None, 1), (3, None)]
    assert later.file_id == 5
    assert [r.lines_read == r.events_loaded + r.duplicates + r.quarantined for r in results] == [True] * 3
    assert together == one_by_one
    assert [(row["file"], row["lines_read"], row["duplicates"]) for row in together] == [
        ("b.log", 2, 0), ("a.log", 3, 1), ("c.log", 1, 0)]


@pytest.mark.parametrize("chunk_files", [1, 2, 64])
def test_files_split_together_keep_their_own_line_numbers(tmp_path, shipped, monkeypatch, chunk_files):
    """Small plain files are split in one pass over their joined bytes, a chunk of files at a time:
    each file's lines still count from 1, a file without a final newline or with blank lines and
    a pretty-printed one (split alone) included, in chunks of 1, 2 and all files."""
    monkeypatch.setattr(grouped, "CHUNK_FILES", chunk_files)
    r4 = vault("request", "r-4", "2026-10-05T10:00:06Z")
    (shipped / "d.log").write_text("\n\n" + json.dumps(r4) + "\n\n{broken\n" + json.dumps(
        vault("response", "r-4", "2026-10-05T10:00:07Z")))  # no final newline
    (shipped / "e.log").write_text(json.dumps(vault("request", "r-5", "2026-10-05T10:00:08Z"), indent=2) + "\n")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        results = ingest(wh, [str(shipped)], progress=False)
        ledger = rows(wh, "select regexp_extract(path, '[a-e][.]log$') as file, lines_read, events_loaded, "
                          "duplicates, quarantined from ingest_files order by file_id")
        quarantined = rows(wh, "select regexp_extract(f.path, '[a-e][.]log$') as file, q.line from quarantine q "
                               "join ingest_files f using (file_id) order by all")
        events = rows(wh, "select event_id, line, response_line from events order by event_id")
    assert [r.file_id for r in results] == [1, 2, 3, 4, 5]
    assert [(r["file"], r["lines_read"], r["events_loaded"], r["duplicates"], r["quarantined"])
            for r in ledger] == [("a.log", 3, 2, 0, 1), ("b.log", 2, 1, 1, 0), ("c.log", 1, 1, 0, 0),
                                 ("d.log", 3, 2, 0, 1), ("e.log", 1, 1, 0, 0)]
    assert quarantined == [{"file": "a.log", "line": 3}, {"file": "d.log", "line": 5}]
    assert events == [{"event_id": "r-1", "line": 1, "response_line": 1},
                      {"event_id": "r-2", "line": 2, "response_line": 1},
                      {"event_id": "r-4", "line": 3, "response_line": 6},
                      {"event_id": "r-5", "line": 1, "response_line": None}]

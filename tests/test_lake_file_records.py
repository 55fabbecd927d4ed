"""A Spark task's side of `lake ingest`, without Spark: splits cut at line starts give exactly the
records a whole read gives, normalised by the ingest's own SQL; a file that cannot be read is
one 'failed' row."""

from __future__ import annotations

import gzip

import pyarrow as pa

from vaultlab.lake import file_records


def _records(tasks) -> pa.Table:
    batches = [b for task in tasks for b in file_records.normalise(task)]
    table = pa.Table.from_batches(batches, schema=file_records.STAGED_ARROW)
    return table.filter(pa.compute.equal(table["row_type"], "record"))


def test_splits_give_the_records_of_a_whole_read(synth_small, monkeypatch, tmp_path):
    log = synth_small[0] / "vault_audit.log"
    whole = file_records.survey(str(log), None, True)
    assert whole["format"] == "vault" and whole["splits"] == [{"offset": 0, "line": 1}]
    monkeypatch.setattr(file_records, "SPLIT_BYTES", 100_000)
    split = file_records.survey(str(log), None, True)
    assert split["sha256"] == whole["sha256"] and len(split["splits"]) > 30
    data = log.read_bytes()
    for cut in split["splits"]:  # each split starts a line, and knows its number
        assert cut["offset"] == 0 or data[cut["offset"] - 1:cut["offset"]] == b"\n"
        assert data[:cut["offset"]].count(b"\n") + 1 == cut["line"]
    columns = ["line", "rec_hash", "kind", "event_id", "ts", "resource", "reason"]
    by_splits = _records(file_records.split_tasks(split, 7)).select(columns).sort_by("line")
    at_once = _records(file_records.split_tasks(whole, 7)).select(columns).sort_by("line")
    assert by_splits.num_rows == at_once.num_rows == 6000
    assert by_splits.equals(at_once)
    gz = tmp_path / "audit.log.gz"
    gz.write_bytes(gzip.compress(data))
    assert file_records.survey(str(gz), None, True)["splits"] == [{"offset": 0, "line": 1}]  # gzip: one task


def test_an_unreadable_file_is_one_failed_row(tmp_path):
    task = {"uri": str(tmp_path / "gone.log"), "format": "vault", "file_id": 3, "offset": 0, "line": 1, "stop": None}
    [batch] = list(file_records.normalise(task))
    assert batch.to_pylist()[0]["row_type"] == "failed" and "cannot read" in batch.to_pylist()[0]["reason"]

"""A large file loads in segments inside one transaction; the staged records of a segment must not
outlive it in memory or in DuckDB's spill files (a temp table kept every replaced segment's stage
until the commit: ~270 MB of spill a segment, 1.1 GB for a 2M-line file)."""

from vaultlab import Warehouse
from vaultlab.ingest import load
from vaultlab.synth.vault import synthesize


def test_segments_leave_no_spill_behind_and_no_stage_table(tmp_path, monkeypatch):
    synthesize(tmp_path / "log", lines=400_000, seed=5)
    # segments of a little more than one of DuckDB's row groups (122,880 rows), ~115 MB staged each
    monkeypatch.setattr(load, "_segment_lines", lambda cur: 130_000)
    spilled: list[int] = []
    load_segment = load._load_segment

    def watched(cur, file_id, result):
        load_segment(cur, file_id, result)
        [(temporary,)] = cur.execute("select sum(temporary_storage_bytes) from duckdb_memory()").fetchall()
        spilled.append(temporary)

    monkeypatch.setattr(load, "_load_segment", watched)
    with Warehouse(tmp_path / "wh.duckdb", memory_limit="400MB") as wh:  # room for one stage, not three
        [result] = load.ingest(wh, [str(tmp_path / "log" / "vault_audit.log")], progress=False)
        _, tables = wh.query("select database_name, schema_name from duckdb_tables() where table_name = 'vl_stage'")
    assert result.lines_read == 400_000 == result.events_loaded + result.duplicates + result.quarantined
    assert result.quarantined == 0 and result.events_created == 200_000
    assert len(spilled) >= 3
    # a segment stages ~160 MB here; with the stage in a temp table DuckDB had spilled 168 MB after
    # the second segment and 183 MB after the third, with the stage in the warehouse file 42 and 52
    assert max(spilled) < 100 * 10 ** 6, spilled
    assert tables == []


def test_the_text_size_that_picks_the_stage_reads_a_gzip_trailer(tmp_path):
    import gzip

    plain = tmp_path / "a.log"
    plain.write_bytes(b'{"type":"request"}\n' * 50_000)
    packed = tmp_path / "a.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load._text_bytes(plain, plain.stat().st_size) == 950_000
    # the trailer's inflated size, not the few KB on disk: such a file may hold many segments
    assert load._text_bytes(packed, packed.stat().st_size) == 950_000

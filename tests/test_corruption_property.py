"""Property: however lines of a real-looking log are corrupted, the accounting is exact."""

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vaultlab import Warehouse, ingest
from vaultlab.synth.vault import synthesize

_BASE: list[bytes] = []


def base_lines() -> list[bytes]:
    if not _BASE:
        out = Path(tempfile.mkdtemp())
        synthesize(out, lines=700, seed=5)
        _BASE.extend((out / "vault_audit.log").read_bytes().splitlines(keepends=True)[:120])
    return _BASE


def corrupt(line: bytes, how: str, pos: float) -> bytes:
    body = line.rstrip(b"\n")
    cut = max(1, int(len(body) * pos))
    if how == "truncate":
        return body[:min(cut, len(body) - 1)] + b"\n"
    if how == "garbage":
        return b"Jan 01 00:00:00 vault[1]: panic " + body[:cut].replace(b"{", b"(") + b"\n"
    if how == "bad_utf8":
        return body[:cut] + b"\xff\xfe" + body[cut:] + b"\n"
    if how == "array":
        return b"[" + body + b"]\n"
    if how == "no_type":
        record = json.loads(body)
        record.pop("type")
        return json.dumps(record).encode() + b"\n"
    raise AssertionError(how)


damage = st.lists(
    st.tuples(st.integers(0, 119), st.sampled_from(["truncate", "garbage", "bad_utf8", "array", "no_type", "repeat"]),
              st.floats(0.05, 0.95)),
    max_size=15,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=damage)
# found by hypothesis: a truncated first line once made the file look pretty-printed
@example(damage=[(0, "truncate", 0.5), (1, "garbage", 0.5)])
# found by hypothesis: a first line damaged into an array made the file read as a list document
@example(damage=[(0, "array", 0.5)])
def test_accounting_identity_survives_any_corruption(damage):
    lines = list(base_lines())
    corrupted, repeats = {}, []
    for index, how, pos in damage:
        if how == "repeat":
            repeats.append(index)
        elif index not in corrupted:
            corrupted[index] = how
            lines[index] = corrupt(lines[index], how, pos)
    # repeated lines are appended at the end: exact copies of a line already read
    repeat_lines = [lines[i] for i in repeats]
    expected_dupes = sum(1 for i in repeats if i not in corrupted)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vault_audit.log"
        path.write_bytes(b"".join(lines + repeat_lines))
        with Warehouse(Path(tmp) / "w.duckdb") as wh:
            [r] = ingest(wh, [str(path)], progress=False)
            assert r.lines_read == len(lines) + len(repeat_lines)
            assert r.lines_read == r.events_loaded + r.duplicates + r.quarantined
            assert r.quarantined == len(corrupted) + (len(repeats) - expected_dupes)
            assert r.duplicates == expected_dupes
            quarantined_lines = {row[0] for row in wh.query("select line from quarantine")[1]}
            expected_lines = {i + 1 for i in corrupted} | {
                len(lines) + k + 1 for k, i in enumerate(repeats) if i in corrupted}
            assert quarantined_lines == expected_lines
            # every loaded record is in exactly one event, as the request or the response half
            halves = wh.query("select count(*) filter (where has_request) + count(*) filter (where has_response) "
                              "from event_store")[1][0][0]
            assert halves == r.events_loaded

"""Fuzzing every source: records of each source with random JSON types in random fields (nested
ones too) load or are quarantined, never abort the file, and the accounting holds exactly."""

import json

from conftest import rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_event_names import azure, cloudtrail, gcp

from vaultlab import Warehouse, ingest


def vault(_service: str, _name: str, n: int) -> dict:
    return {"time": f"2026-10-05T10:00:{n % 60:02d}.000001Z", "type": "request",
            "auth": {"accessor": "hmac-sha256:aa", "client_token": "hmac-sha256:bb", "display_name": "approle",
                     "entity_id": "e-1", "policies": ["default", "app"], "token_ttl": 3600, "token_type": "service"},
            "request": {"id": f"r-{n}", "operation": "read", "path": "secret/data/prod/db", "mount_type": "kv",
                        "remote_address": "10.0.0.5", "headers": {"user-agent": ["curl/8"]}}}


BUILD = {"vault": vault, "cloudtrail": lambda s, m, n: cloudtrail("secretsmanager.amazonaws.com", "GetSecretValue", n),
         "gcp": lambda s, m, n: gcp("secretmanager.googleapis.com", "AccessSecretVersion", n),
         "azure": lambda s, m, n: azure("", "SecretGet", n)}

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


def _paths(record, prefix=()):
    for key, value in record.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from _paths(value, prefix + (key,))


def _replace(record: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(record))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


@st.composite
def mutated_logs(draw):
    source = draw(st.sampled_from(sorted(BUILD)))
    lines = []
    for n in range(draw(st.integers(1, 6))):
        record = BUILD[source]("", "", n)
        for _ in range(draw(st.integers(0, 3))):
            paths = list(_paths(record))
            record = _replace(record, draw(st.sampled_from(paths)), draw(JSON_VALUES))
        lines.append(json.dumps(record))
    return source, lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_logs())
def test_random_types_in_every_field_are_accounted_for(tmp_path_factory, log):
    source, lines = log
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"{source}.log"
    path.write_text("\n".join(lines) + "\n")
    with Warehouse(folder / "w.duckdb") as wh:
        [result] = ingest(wh, [str(path)], source=source, progress=False)
        [ledger] = rows(wh, "select lines_read, events_loaded, duplicates, quarantined from ingest_files")
        quarantined = rows(wh, "select line, reason from quarantine")
    assert result.lines_read == len(lines) == ledger["lines_read"]
    assert ledger["lines_read"] == ledger["events_loaded"] + ledger["duplicates"] + ledger["quarantined"]
    assert len(quarantined) == ledger["quarantined"] and all(q["reason"] for q in quarantined)
    assert {q["line"] for q in quarantined} <= set(range(1, len(lines) + 1))

"""Issue 11 item 7: no token-like or value-like text survives in a quarantine excerpt, whatever
state its line is in; a canary per quarantine reason and source, grepped in the .duckdb and its WAL."""

import json
from pathlib import Path

import pytest
from conftest import rows

from vaultlab import Warehouse, ingest
from vaultlab.ingest.excerpts import redact_excerpt
from vaultlab.ingest.load import ingest_file

CANARY = "Zq7CANARYw3x"
TOKEN = "hvs." + CANARY
# where a secret can sit in a line: a token field, data, an audited header, a JSON-escaped key
SECRETS = ('"auth":{"client_token":"%s","accessor":"%s"},"request":{"headers":{"authorization":["Bearer %s"]},'
           '"\\u0063lient_token":"%s","data":{"password":"%s"}}' % (TOKEN, CANARY, CANARY, CANARY, CANARY))

VAULT_LINES = {  # reason -> a line that gets it
    "invalid UTF-8": b'{"time":"2026-10-05T10:00:00Z","type":"request",' + SECRETS.encode() + b',"x":"\xff"}',
    "not valid JSON": b'{"time":"2026-10-05T10:00:00Z","type":"request",' + SECRETS.encode() + b',"y":"' + CANARY.encode(),
    "not a JSON object": ('["%s", {"token": "%s"}]' % (TOKEN, CANARY)).encode(),
    'no "type" field': b'{"time":"2026-10-05T10:00:00Z",' + SECRETS.encode() + b'}',
    "unknown record type": b'{"time":"2026-10-05T10:00:00Z","type":"audit",' + SECRETS.encode() + b'}',
    'no valid "time" field': b'{"time":"yesterday","type":"request",' + SECRETS.encode() + b'}',
    "impossible UTC offset": b'{"time":"2026-10-05T10:00:00+99:99","type":"request",' + SECRETS.encode() + b'}',
    "before 1990": b'{"time":"1970-01-01T00:00:00Z","type":"request",' + SECRETS.encode() + b'}',
    "plain text": ("Authorization: Bearer %s token=%s" % (CANARY, TOKEN)).encode(),
}
CLOUD_LINES = {  # (format, reason) -> line
    ("cloudtrail", 'no "eventTime" field'): ('{"eventVersion":"1.09","eventSource":"secretsmanager.amazonaws.com",'
                                            '"requestParameters":{"secretString":"%s"},%s}' % (CANARY, SECRETS)),
    ("cloudtrail", "not valid JSON"): '{"eventTime":"2026-10-05T10:00:00Z","eventSource":"x","secretString":"' + CANARY,
    ("gcp", "not a Cloud Audit Log entry"): ('{"insertId":"a","timestamp":"2026-10-05T10:00:00Z","protoPayload":'
                                            '{"@type":"x","request":{"payload":{"data":"%s"}}},%s}' % (CANARY, SECRETS)),
    ("azure", 'no "time" field'): '{"operationName":"SecretGet","properties":{"value":"%s"},%s}' % (CANARY, SECRETS),
}


def _grep(db: Path) -> list[str]:
    """The files of the warehouse (the database, its WAL) that hold the canary."""
    return [p.name for p in db.parent.glob(db.name + "*") if p.is_file() and CANARY.encode() in p.read_bytes()]


def test_every_quarantine_reason_keeps_no_secret(tmp_path):
    db = tmp_path / "w.duckdb"
    vault = tmp_path / "vault.log"
    good = json.dumps({"time": "2026-10-05T10:00:00Z", "type": "request", "request": {"id": "r", "path": "x"}})
    vault.write_bytes(b"\n".join([good.encode(), *VAULT_LINES.values()]) + b"\n")
    long_line = tmp_path / "long.log"
    long_line.write_bytes(good.encode() + b"\n" + VAULT_LINES["no \"type\" field"][:-1] + b',"pad":"'
                          + b"x" * 5000 + b'"}\n')
    cloud = {}
    for (fmt, _), line in CLOUD_LINES.items():
        cloud.setdefault(fmt, []).append(line)
    with Warehouse(db) as wh:
        [result] = ingest(wh, [str(vault)], progress=False, fmt="vault")
        assert result.quarantined == len(VAULT_LINES)
        ingest_file(wh, long_line, "vault", max_line_bytes=2048)
        for fmt, lines in cloud.items():
            path = tmp_path / f"{fmt}.json"
            path.write_text("\n".join(lines) + "\n")
            ingest(wh, [str(path)], progress=False, fmt=fmt)
        got = rows(wh, "select reason, excerpt from quarantine")
        assert len(got) == len(VAULT_LINES) + 1 + len(CLOUD_LINES)
        for why in [*VAULT_LINES, *(r for _, r in CLOUD_LINES), "longer than the limit"]:
            if why != "plain text":
                assert any(why in r["reason"] for r in got), why
        leaked = [r for r in got if CANARY in (r["excerpt"] or "")]
        assert not leaked, leaked
        assert _grep(db) == []  # the file and its WAL while the warehouse is open
        assert any('"client_token":"<cut>"' in (r["excerpt"] or "") for r in got)  # the shape is kept
    assert _grep(db) == []


@pytest.mark.parametrize("line", [
    b'{"type":"request","auth":{"client_token":"hvs.SECRET',  # cut inside a token
    b'{"type":"request","x":"\xc3\x28","client_token":"hvs.SECRET"}',  # invalid UTF-8 before it
    b'{"type":"request","\\u0063lient_token":"hvs.SECRET"}',  # an escaped key
    b'{"request":{"headers":{"authorization":["Bearer SECRET"]}}}',  # an audited header, no data
    b'{"data":{"k":12345,"SECRET":true}}'[:-3],  # a value-like key and a number
])
def test_redacted_excerpts(line):
    excerpt = redact_excerpt(line)
    assert "hvs." not in excerpt and "Bearer" not in excerpt and "12345" not in excerpt
    assert excerpt.startswith("{")

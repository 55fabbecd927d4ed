"""Issue 12 item 7 and issue 11 item 2: times read the same on every machine; impossible offsets and
implausible times are quarantined with a clear reason, and no stored value makes a check fail."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ROOT, rows
from test_event_names import azure, cloudtrail, gcp

from vaultlab import ingest
from vaultlab.controls.run import run_checks
from vaultlab.period import parse_period

SCRIPT = """
import json, sys
from vaultlab import Warehouse, ingest
with Warehouse(sys.argv[1]) as wh:
    ingest(wh, [sys.argv[2]], progress=False)
    print(json.dumps(wh.query("select line, epoch(ts)::bigint from events order by line")[1]))
"""


def vault(ts: str, rid: str) -> str:
    return json.dumps({"time": ts, "type": "request", "auth": {"client_token": "hmac-sha256:aa", "display_name": "token"},
                       "request": {"id": rid, "operation": "read", "path": "secret/x"}}) + "\n"


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_a_time_without_offset_is_utc_in_every_time_zone(tmp_path, zone):
    log = tmp_path / "v.log"
    log.write_text(vault("2026-10-05T10:00:00", "a") + vault("2026-10-05 10:00:00.250", "b")
                   + vault("2026-10-05T10:00:00+05:30", "c") + vault("2026-10-05T10:00:00-0400", "d"))
    env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "w.duckdb"), str(log)], env=env,
                         capture_output=True, text=True, check=True, timeout=120)
    ten = int(datetime(2026, 10, 5, 10, tzinfo=timezone.utc).timestamp())
    assert json.loads(out.stdout) == [[1, ten], [2, ten], [3, ten - 19800], [4, ten + 14400]]


FUTURE = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
BAD = {  # time -> what the reason says
    "2026-10-05T10:00:00+99:99": "impossible UTC offset",
    "2026-10-05T10:00:00+24:00": "impossible UTC offset",
    "294247-01-10T04:00:54.775806Z": "before 1990 or more than a day after the ingest",
    "10000-01-01T00:00:00Z": "before 1990 or more than a day after the ingest",
    "infinity": "before 1990 or more than a day after the ingest",
    "-infinity": "before 1990 or more than a day after the ingest",
    "1970-01-01T00:00:00Z": "before 1990 or more than a day after the ingest",
    FUTURE: "before 1990 or more than a day after the ingest",
}


def records(source: str) -> list[str]:
    good = "2026-10-05T10:00:00Z"
    times = [good, *BAD]
    if source == "vault":
        return [vault(t, f"r{n}") for n, t in enumerate(times)]
    build = {"cloudtrail": cloudtrail, "gcp": gcp, "azure": azure}[source]
    out = []
    for n, t in enumerate(times):
        rec = build("secretsmanager.amazonaws.com" if source == "cloudtrail" else "secretmanager.googleapis.com",
                    "GetSecretValue" if source == "cloudtrail" else "SecretGet", n)
        rec[{"cloudtrail": "eventTime", "gcp": "timestamp", "azure": "time"}[source]] = t
        out.append(json.dumps(rec) + "\n")
    return out


@pytest.mark.parametrize("source", ["vault", "cloudtrail", "gcp", "azure"])
def test_impossible_and_implausible_times_are_quarantined(warehouse, tmp_path, source):
    log = tmp_path / f"{source}.log"
    log.write_text("".join(records(source)))
    [result] = ingest(warehouse, [str(log)], progress=False, fmt=source)
    assert (result.events_loaded, result.quarantined) == (1, len(BAD))
    got = {r["line"]: r["reason"] for r in rows(warehouse, "select line, reason from quarantine")}
    for line, (_, expected) in enumerate(BAD.items(), start=2):
        assert expected in got[line], (line, got[line])
    # nothing stored can make a check fail
    run = run_checks(warehouse, "soc2", parse_period("2026-10"), record=False)
    assert not [r for r in run.results if r["status"] == "error"]
    assert rows(warehouse, "select max(ts) as last from events")[0]["last"].year == 2026

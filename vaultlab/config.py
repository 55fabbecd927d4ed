"""Every threshold in one place: defaults here, overrides from `vaultlab.toml`.

The file is looked for at --config, else $VAULTLAB_CONFIG, else ./vaultlab.toml; without one
the defaults apply. Each run writes the values it used to the warehouse table
`vl_config`, which the views read, so a DuckDB client opening the file later sees the
same thresholds (a `SET VARIABLE name = value` in that client overrides one).
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vaultlab.errors import VaultlabError

# name -> (default, meaning); names are flat so that SQL reads them as variables
DEFAULTS: dict[str, tuple[object, str]] = {
    "orphan_days": (90, "a secret with no successful read for more than this many days is orphaned"),
    "due_soon_days": (14, "a rotation due within this many days is due_soon"),
    "rotation_days_database": (30, "rotation interval for kind database"),
    "rotation_days_password": (30, "rotation interval for kind password"),
    "rotation_days_api_key": (90, "rotation interval for kind api-key"),
    "rotation_days_ssh_key": (90, "rotation interval for kind ssh-key"),
    "rotation_days_encryption_key": (90, "rotation interval for kind encryption-key"),
    "rotation_days_oauth_secret": (90, "rotation interval for kind oauth-secret"),
    "rotation_days_service_token": (1, "rotation interval for kind service-token"),
    "rotation_days_other": (90, "rotation interval for any other kind"),
    "tls_renew_before_days": (60, "a tls-certificate is due this many days before it expires"),
    "baseline_days": (14, "anomaly baseline: the days before an event that define normal"),
    "new_ip_prefix": (24, "IPv4 prefix length within which a source address is not new"),
    "volume_spike_factor": (3.0, "a day's reads above this multiple of the baseline daily median spike"),
    "volume_min_reads": (50, "a day needs at least this many reads to be a spike"),
    "business_hours_start": (8, "business hours start (hour, local time)"),
    "business_hours_end": (18, "business hours end (hour, local time, exclusive)"),
    "business_days": ("1,2,3,4,5", "business days, ISO weekday numbers (1 = Monday)"),
    "business_timezone": ("UTC", "time zone of business hours (IANA name)"),
    "denied_min": (3, "denied requests by one actor on one secret in a day that make a signal"),
    "failed_auth_count": (5, "failed logins from one source or for one name that make a burst"),
    "failed_auth_window_minutes": (10, "the window of a failed-login burst"),
    "token_max_ttl_hours": (768, "a token issued with a longer TTL is long_ttl_token (Vault's default max)"),
    "broad_access_secrets": (20, "an actor reading at least this many distinct secrets has broad_access"),
    "multi_ip_actor_ips": (4, "an actor seen from at least this many source addresses is multi_ip_actor"),
    "audit_gap_factor": (20.0, "a silence this many times a source's median gap between events is a gap"),
    "audit_gap_min_hours": (1.0, "and at least this many hours"),
    "snapshot_grace_days": (7, "a snapshot taken more than this many days after the period end leaves the checks "
                               "relying on it incomplete"),
}

KINDS = ["database", "password", "api-key", "ssh-key", "encryption-key", "oauth-secret", "service-token",
         "tls-certificate", "other"]


def config_path(given: str | os.PathLike | None = None) -> Path | None:
    if given:
        path = Path(given)
        if not path.is_file():
            raise VaultlabError(f"config file {path} does not exist")
        return path
    env = os.environ.get("VAULTLAB_CONFIG")
    if env:
        return config_path(env)
    local = Path("vaultlab.toml")
    return local if local.is_file() else None


def load_config(given: str | os.PathLike | None = None) -> dict[str, object]:
    """The thresholds: defaults, overridden by the file's [thresholds] table."""
    values = {name: default for name, (default, _) in DEFAULTS.items()}
    path = config_path(given)
    if path is None:
        return values
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise VaultlabError(f"{path} is not valid TOML: {err}") from None
    overrides = data.get("thresholds", {})
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise VaultlabError(f"{path}: unknown threshold(s) {', '.join(unknown)}; known: see `vaultlab config`")
    for name, value in overrides.items():
        problem = threshold_problem(name, value)
        if problem:
            raise VaultlabError(f"{path}: threshold {name} = {value!r}: {problem}")
        values[name] = value
    return values


# bounds of the thresholds that are not plain counts of days or events (min, max, inclusive)
_RANGES = {"new_ip_prefix": (0, 32), "business_hours_start": (0, 23), "business_hours_end": (1, 24)}


def threshold_problem(name: str, value: object) -> str | None:
    """What is wrong with a threshold's value (None when it is fine), said as what is expected."""
    default = DEFAULTS[name][0]
    if name == "business_days":
        days = str(value).split(",")
        if not all(d.strip() in {"1", "2", "3", "4", "5", "6", "7"} for d in days):
            return "expected ISO weekday numbers separated by commas, e.g. \"1,2,3,4,5\""
        return None
    if name == "business_timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            return "expected an IANA time zone name such as \"Europe/Berlin\""
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "expected a finite number"
    if isinstance(default, int) and not isinstance(default, bool) and value != int(value):
        return "expected a whole number"
    low, high = _RANGES.get(name, (0, None))
    if value < low or (high is not None and value > high):
        return f"expected a number from {low} to {high}" if high is not None else "expected a number >= 0"
    if isinstance(default, float) and value <= 0:
        return "expected a number above 0"
    return None

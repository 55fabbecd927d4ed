"""The catalog: frameworks (one YAML file each) and checks (one SQL file each, with its header).

A check is described once, in the header of `checks/<name>.sql`:

    -- title: Secrets are rotated within their interval
    -- thresholds: rotation_days_database, rotation_days_password, ...
    -- evidence: rotation_status
    -- about: what it asserts, and what each status means

`thresholds` names keys of the configuration (`vaultlab config`), `evidence` names evidence
tables (`queries/evidence/<name>.sql`). Frameworks are the YAML files beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from vaultlab.config import DEFAULTS
from vaultlab.errors import VaultlabError
from vaultlab.safe_yaml import load_yaml_text
from vaultlab.sqlfiles import header_list, sql_header, sql_names, sql_text

EVIDENCE_PACKAGE = "vaultlab.queries"


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    about: str
    thresholds: tuple[str, ...]
    evidence: tuple[str, ...]
    sql: str


@dataclass
class Requirement:
    id: str
    title: str
    text: str
    checks: list[str] = field(default_factory=list)
    manual: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)  # limits the requirement states

    @property
    def applied_thresholds(self) -> list[str]:
        """The configuration keys its checks read, so that a report can state them."""
        return sorted({t for c in self.checks for t in load_check(c).thresholds})

    @property
    def evidence(self) -> list[str]:
        """The evidence tables its checks draw on."""
        return sorted({t for c in self.checks for t in load_check(c).evidence})


@dataclass
class Framework:
    id: str
    name: str
    requirements: list[Requirement]


def check_names() -> list[str]:
    return sql_names("vaultlab.controls", "checks")


def evidence_names() -> list[str]:
    return sql_names(EVIDENCE_PACKAGE, "evidence")


@cache
def load_check(name: str) -> Check:
    if name not in check_names():
        raise VaultlabError(f"unknown check {name!r}; the checks are controls/checks/*.sql")
    check = parse_check(name, sql_text("vaultlab.controls", f"checks/{name}"))
    problems = check_problems(check)
    if problems:
        raise VaultlabError(f"checks/{name}.sql: {'; '.join(problems)}")
    return check


def parse_check(name: str, text: str) -> Check:
    """A check from its SQL file's text (the header describes it)."""
    header = sql_header(text)
    return Check(name, header.get("title", ""), header.get("about", ""),
                 tuple(header_list(header, "thresholds")), tuple(header_list(header, "evidence")), text)


def check_problems(check: Check) -> list[str]:
    """What is wrong with a check's header: no title, unknown thresholds or evidence tables."""
    problems = [] if check.title else ["its header has no `-- title:`"]
    unknown = [t for t in check.thresholds if t not in DEFAULTS]
    if unknown:
        problems.append(f"reads unknown threshold(s) {', '.join(unknown)}")
    missing = [t for t in check.evidence if t not in evidence_names()]
    if missing:
        problems.append(f"names unknown evidence table(s) {', '.join(missing)}")
    return problems


def framework_names() -> list[str]:
    """Every framework, discovered from the YAML files of this package."""
    return sorted(p.name[:-5] for p in files("vaultlab.controls").iterdir() if p.name.endswith(".yaml"))


@cache
def load_framework(framework: str) -> Framework:
    if framework not in framework_names():
        raise VaultlabError(f"unknown framework {framework!r}; choose one of {', '.join(framework_names())}")
    return parse_framework(framework, (files("vaultlab.controls") / f"{framework}.yaml").read_text(encoding="utf-8"))


def parse_framework(framework: str, text: str) -> Framework:
    """A framework from its YAML text; every check it names must exist and be well described."""
    data = load_yaml_text(text, f"{framework}.yaml")
    reqs = [Requirement(id=str(r["id"]), title=r["title"], text=r["text"], checks=r.get("checks", []),
                        manual=r.get("manual"), thresholds=r.get("thresholds", {}))
            for r in data["requirements"]]
    for req in reqs:
        for check in req.checks:
            if check not in check_names():
                raise VaultlabError(f"{framework}.yaml: requirement {req.id} names unknown check {check}")
            load_check(check)
    return Framework(data["framework"], data["name"], reqs)


def rotation_kind_thresholds() -> list[str]:
    """The per-kind rotation intervals (what a requirement's `rotation_days_max` limits)."""
    return [t for t in load_check("rotation_overdue").thresholds if t.startswith("rotation_days_")]

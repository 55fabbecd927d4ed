"""The house stays tidy without anyone watching: no import cycles, no private names across
modules, modules of readable size, data reached through the package, checks and frameworks
that describe themselves, and a README whose Layout lists every module and folder."""

import ast
import re

import grimp
import pytest
from conftest import ROOT

from vaultlab.config import DEFAULTS
from vaultlab.controls import catalog
from vaultlab.errors import VaultlabError
from vaultlab.sqlfiles import sql_header

PACKAGE = ROOT / "vaultlab"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
MAX_LINES = 500


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles():
    graph = grimp.build_graph("vaultlab", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def _private_imports(path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} from {node.module}"
            for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "vaultlab") for alias in node.names if alias.name.startswith("_") and alias.name != "__version__"]


def test_no_private_name_is_imported_across_modules():
    assert [problem for path in MODULES for problem in _private_imports(path)] == []


def test_modules_stay_readable():
    long = {str(p.relative_to(ROOT)): n for p in MODULES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_data_is_reached_through_the_package_not_the_checkout():
    offenders = [str(p.relative_to(ROOT)) for p in MODULES if "parent.parent" in p.read_text()]
    assert offenders == []


def test_every_stage_says_what_it_is():
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc, f"{init.relative_to(ROOT)} has no docstring"


def test_every_check_describes_itself_and_every_framework_names_real_checks():
    names = catalog.check_names()
    assert len(names) >= 14
    for name in names:
        check = catalog.load_check(name)
        assert check.title and check.about, name
        assert set(check.thresholds) <= set(DEFAULTS) and set(check.evidence) <= set(catalog.evidence_names())
    for framework in catalog.framework_names():
        fw = catalog.load_framework(framework)
        assert fw.requirements and all(set(r.checks) <= set(names) for r in fw.requirements)
    assert catalog.framework_names() == ["hipaa", "iso27001", "soc2"]


def test_a_check_naming_what_does_not_exist_is_refused():
    text = ("-- title: A check\n-- thresholds: orphan_days, no_such_threshold\n"
            "-- evidence: rotation_status, no_such_table\nselect 1\n")
    problems = catalog.check_problems(catalog.parse_check("made_up", text))
    assert problems == ["reads unknown threshold(s) no_such_threshold", "names unknown evidence table(s) no_such_table"]
    assert catalog.check_problems(catalog.parse_check("untitled", "select 1\n")) == ["its header has no `-- title:`"]


def test_a_framework_naming_an_unknown_check_is_refused():
    text = ("framework: x\nname: X\nrequirements:\n- id: R1\n  title: t\n  text: t\n"
            "  checks: [rotation_overdue, no_such_check]\n")
    with pytest.raises(VaultlabError, match="R1 names unknown check no_such_check"):
        catalog.parse_framework("x", text)


def test_sql_headers_continue_on_indented_lines():
    header = sql_header("-- title: T\n-- about: one\n--   two\n-- evidence: a, b\nselect 1\n-- title: not header\n")
    assert header == {"title": "T", "about": "one two", "evidence": "a, b"}


def test_readme_layout_lists_every_module_and_folder():
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([\w./-]+)`", layout))
    expected = {str(p.relative_to(ROOT)) for p in MODULES if p.name != "__init__.py"}
    expected |= {str(p.relative_to(ROOT)) + "/" for p in PACKAGE.rglob("*") if p.is_dir()
                 and ((p / "__init__.py").exists() or any(p.glob("*.sql")))}
    expected.add("vaultlab/")
    missing = sorted(expected - listed)
    stale = sorted(name for name in listed if name.startswith("vaultlab") and name not in expected)
    assert (missing, stale) == ([], [])

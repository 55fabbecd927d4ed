"""The report as an audit document, in a real headless Chromium: the demo's three packs at 1024 px
and in print (A4, Letter) show every column, the summary comes first, each finding links to the
evidence rows behind it with the command that traces them, and `report --pdf` prints pages whose
footer holds the run id."""

import csv
import json
import re
import shutil

import pytest
from conftest import run_cli

from vaultlab.errors import VaultlabError
from vaultlab.evidence.pdf import PAPER, Browser, find_chromium, write_pdf

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FRAMEWORKS = ["hipaa", "iso27001", "soc2"]
# for every table: wider than the box it sits in? and is the page wider than the window?
OVERFLOW = """JSON.stringify({
  page: [document.documentElement.scrollWidth, window.innerWidth],
  tables: [...document.querySelectorAll("table")]
    .filter(t => t.scrollWidth > t.parentElement.clientWidth)
    .map(t => [t.closest("[id]") ? t.closest("[id]").id : "?", t.scrollWidth, t.parentElement.clientWidth]),
  cells: [...document.querySelectorAll("td, th")].filter(c => c.scrollWidth > c.clientWidth + 1).length})"""
MARGINS = 0.9  # inches left and right that report.pdf leaves (pdf.py: 0.45 each side)


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM:
        pytest.skip("Debian package chromium is not installed (.ci/run installs it)")
    return CHROMIUM


@pytest.fixture(scope="module")
def demo(tmp_path_factory, chromium):
    """`vaultlab demo`'s folder: the warehouse and its three packs (soc2 printed with --pdf too)."""
    out = tmp_path_factory.mktemp("demo")
    result = run_cli("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    printed = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(out), "--pdf",
                      "--organisation", "Example Corp (sample data)", db=out / "vaultlab.duckdb")
    assert printed.returncode == 0, printed.stderr[-3000:]
    assert "with report.pdf" in printed.stdout
    return out


def _overflow(browser: Browser) -> dict:
    return json.loads(browser.evaluate(OVERFLOW))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_column_fits_at_1024_px_and_on_a4_and_letter_paper(demo, chromium, framework):
    page = demo / f"{framework}-2026-10" / "report.html"
    with Browser(chromium, width=1024) as browser:
        browser.open(page)
        seen = _overflow(browser)
        assert seen["tables"] == [] and seen["page"][0] <= seen["page"][1], seen
        assert browser.evaluate("document.querySelectorAll('table').length") > 20
        browser.call("Emulation.setEmulatedMedia", media="print")
        for paper, (width, _) in PAPER.items():
            browser.resize(int((width - MARGINS) * 96), 1000)  # the printable width, in CSS px
            seen = _overflow(browser)
            assert seen["tables"] == [] and seen["page"][0] <= seen["page"][1], (paper, seen)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_document_runs_cover_scope_summary_requirements_appendices_sign_off(demo, framework):
    page = (demo / f"{framework}-2026-10" / "report.html").read_text()
    controls = json.loads((demo / f"{framework}-2026-10" / "controls.json").read_text())
    order = ['id="cover"', 'id="scope"', 'id="summary"', 'class="req"', 'id="methodology"', 'id="evidence"',
             'id="signoff"']
    positions = [page.find(marker) for marker in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions))
    summary = page[page.find('id="summary"'):page.find('class="req"')]
    for req in controls["requirements"]:  # every requirement in the summary, linked to its section
        target = re.search(r'<a href="#(req-[^"]+)">' + re.escape(req["id"]) + "</a>", summary)
        assert target and f'id="{target[1]}"' in page, req["id"]
    for sha in {row["sha256"] for row in csv.DictReader(open(demo / f"{framework}-2026-10" / "evidence" /
                                                              "input_files.csv"))}:
        assert sha in page[:page.find('id="summary"')]  # the input files with their SHA-256, in the scope
    assert page.count('class="evidence"') == len({t for r in controls["requirements"] for t in r["evidence"]})


def test_each_finding_links_its_evidence_rows_and_gives_the_trace_command(demo):
    folder = demo / "soc2-2026-10"
    page = (folder / "report.html").read_text()
    findings = re.findall(r'<li class="finding">(.*?)</li>(?=<li class="finding">|</ul>)', page, re.S)
    assert len(findings) >= 40
    traced = 0
    for finding in findings:
        for table, row in re.findall(r'href="#ev-(\w+?)-(\d+)"', finding):
            assert f'id="ev-{table}-{row}"' in page  # the row is shown in the appendix
            with open(folder / "evidence" / f"{table}.csv") as fh:
                record = list(csv.DictReader(fh))[int(row) - 1]
            events = {v for k, v in record.items() if k.endswith("event_id") and v}
            for event in events:
                assert f"vaultlab trace {event}" in finding, (table, row)
                traced += 1
            snapshots = {f"{k} {v}" for k, v in record.items() if k.endswith(("snapshot_id", "run_id")) and v}
            assert all(s in finding for s in snapshots)
    assert traced >= 10
    # the case: CC4.1 says secret/prod/payments/db is overdue; its row is shown and linked
    overdue = [f for f in findings if "secret/prod/payments/db was last rotated" in f]
    assert len(overdue) == 4  # under CC4.1, CC6.1, CC6.2 and CC6.7, each linked to the one row
    [(table, row)] = {link for f in overdue for link in re.findall(r'href="#ev-(\w+?)-(\d+)"', f)}
    shown = re.search(f'<tr ([^>]*id="ev-{table}-{row}"[^>]*)>(.*?)</tr>', page, re.S)  # the export orders attributes
    assert table == "rotation_status" and shown and 'class="behind"' in shown[1]
    assert "secret/prod/payments/db" in shown[2] and "overdue" in shown[2]
    # and a trace command from the report runs: the root token's request, at its file and line
    [event] = {e for f in findings if "A root token made" in f for e in re.findall(r"vaultlab trace ([0-9a-f-]{36})", f)}
    traced = run_cli("trace", event, db=demo / "vaultlab.duckdb")
    assert traced.returncode == 0 and f"id {event}" in traced.stdout and "line 261" in traced.stdout, traced.stderr


def test_every_evidence_row_says_where_it_came_from(demo):
    provenance = ("event_id", "snapshot_id", "run_id", "file_id")
    for table in sorted((demo / "soc2-2026-10" / "evidence").glob("*.csv")):
        with open(table) as fh:
            columns = next(csv.reader(fh))
        assert any(c.endswith(provenance) for c in columns), table.name


def test_the_pdf_has_pages_with_the_run_id_and_page_numbers_in_the_footer(demo, chromium, tmp_path):
    import pypdf

    folder = demo / "soc2-2026-10"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "report.pdf" in manifest["files"]
    assert run_cli("verify", str(folder)).returncode == 0
    pdf = pypdf.PdfReader(folder / "report.pdf")
    pages = len(pdf.pages)
    assert pages > 10 and _size(pdf) == pytest.approx((595.3, 841.9), abs=1.5)  # A4, in points
    for n in (0, pages // 2, pages - 1):
        text = pdf.pages[n].extract_text()
        assert f"run {manifest['run_id']}" in text and f"page {n + 1} of {pages}" in text, text[-300:]
    body = pdf.pages[0].extract_text()  # ids copied from the PDF are the same characters: no ligature
    assert not any(ch in body for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04"), body
    letter = write_pdf(folder / "report.html", tmp_path / "letter.pdf", paper="letter", footer="run x", chromium=chromium)
    assert _size(pypdf.PdfReader(letter)) == pytest.approx((612, 792), abs=1.5)


def _size(pdf) -> tuple[float, float]:
    box = pdf.pages[0].mediabox
    return float(box.width), float(box.height)


def test_no_chromium_is_one_clear_line_and_touches_nothing(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("VAULTLAB_CHROMIUM", str(tmp_path / "no-such-browser"))  # run_cli passes os.environ on
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path / "out"), "--pdf",
                     db=demo / "vaultlab.duckdb")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "VAULTLAB_CHROMIUM" in result.stderr and not (tmp_path / "out").exists()
    monkeypatch.delenv("VAULTLAB_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VaultlabError, match="needs headless Chromium and none was found"):
        find_chromium()


def test_a_row_is_behind_a_finding_only_when_its_key_is_a_whole_word_of_it():
    from vaultlab.evidence.tables import rows_behind

    table = (["secret_id", "status"], [("secret/prod/db",), ("secret/prod/db2",), ("prod/db",)])
    finding = {"check": "rotation_overdue", "resource": "secret/prod/db2", "reason": "secret/prod/db2 was last rotated"}
    assert rows_behind(finding, "rotation_status", *table) == [1]
    assert rows_behind({**finding, "check": "policy_drift"}, "rotation_status", *table) == []  # not its table
    assert rows_behind({**finding, "check": "manual"}, "rotation_status", *table) == []


def test_the_methodology_holds_each_checks_sql_and_the_accepted_risks(synth_small, db_path, tmp_path):
    from conftest import load_synth_month

    from vaultlab import Warehouse
    from vaultlab.controls.catalog import load_check
    from vaultlab.evidence.methodology import methodology_html
    from vaultlab.evidence.report import build_report

    out, _ = synth_small
    with Warehouse(db_path) as wh:
        load_synth_month(wh, out)
    risks = tmp_path / "risks.yaml"
    risks.write_text("- {check: rotation_overdue, resource: 'secret/prod/payments/*', reason: vendor <freeze>, "
                     "approver: Dana CISO, ticket: SEC-12, expires: 2026-12-31}\n"
                     "- {check: orphaned_secrets, resource: '*', reason: old, approver: Eve, ticket: SEC-1, "
                     "expires: 2026-09-30}\n")
    report = build_report(str(db_path), "soc2", "2026-10", exceptions=str(risks))
    page = methodology_html(report)
    for check in ("rotation_overdue", "orphaned_secrets", "audit_log_continuity"):
        assert f'id="check-{check}"' in page
        assert load_check(check).sql.splitlines()[-1].replace("'", "&#x27;").replace(">", "&gt;") in page
    assert "Dana CISO" in page and "2026-12-31" in page and "vendor &lt;freeze&gt;" in page
    assert "in force" in page and "expired, not applied" in page  # Eve's expired before the period end
    assert "orphan_days" in page and "<pre>" in page

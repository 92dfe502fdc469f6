"""`cxaudit report`, `compare` and `graph`: documents people read, checked by real parsers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from cxaudit.engine import audit
from cxaudit.engine.portfolio import Exchange
from cxaudit.engine.report import Report
from cxaudit.journey.load import load_journey, loads_journey
from cxaudit.reporters.document import DocumentReporter, HtmlReporter
from tests.conftest import JOURNEYS, ROOT
from tests.reference import reference_metrics

GOLDEN = ROOT / "tests" / "golden"
MERMAID_DIR = ROOT / "tests" / "mermaid"
REDESIGN = ROOT / "docs" / "examples" / "web-checkout-redesign.yaml"
UPDATE = os.environ.get("CXAUDIT_UPDATE_GOLDEN") == "1"


def document_of(*paths: Path, exchange: Exchange | None = None) -> str:
    return DocumentReporter().render(
        Report(tuple(audit(load_journey(p, name=p.relative_to(ROOT).as_posix())) for p in paths), exchange=exchange)
    )


def table_shapes(markdown: str) -> list[list[int]]:
    """For each table, the number of cells in each row."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, rows, cells = [], [], 0
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            rows.append(cells)
        elif token.type == "table_close":
            tables.append(rows)
    return tables


def pictures(report: Report) -> int:
    """The Mermaid blocks a report of these audits has: a map and a chart of outcomes each, and fixes with money."""
    from cxaudit.reporters import charts

    return sum(2 + bool(charts.fixes(each)) for each in report.audits)


def maps(markdown: str) -> list[str]:
    """The journey maps among the Mermaid blocks (the others are charts)."""
    return [block for block in mermaid_blocks(markdown) if block.startswith("flowchart")]


def mermaid_blocks(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [t.content for t in tokens if t.type == "fence" and t.info.strip() == "mermaid"]


CASES = [(p.stem, (p,)) for p in JOURNEYS] + [("portfolio", tuple(JOURNEYS))]


@pytest.mark.parametrize(("name", "paths"), CASES, ids=[c[0] for c in CASES])
def test_report_matches_golden_file(name, paths):
    text = document_of(*paths)
    golden = GOLDEN / f"report-{name}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "paths"), CASES, ids=[c[0] for c in CASES])
def test_report_tables_keep_their_columns_and_the_map_is_there(name, paths):
    text = document_of(*paths)
    shapes = table_shapes(text)
    assert len(shapes) >= 3 * len(paths)
    for rows in shapes:
        assert len(set(rows)) == 1, rows
    assert len(maps(text)) == len(paths)
    for heading in (
        "Executive summary",
        "Top remediation actions",
        "Contacts we caused, by team",
        "The most probable path to success",
        "Journey map",
        "All findings",
        "Appendix: method",
    ):
        assert heading in text


def test_portfolio_ranks_journeys_by_value_at_risk_a_year_in_one_currency():
    text = document_of(*JOURNEYS, exchange=Exchange("EUR", {"GBP": 1.15, "USD": 0.92}))
    order = re.findall(r"^\| (\d) \| ([^|]+) \|", text, re.MULTILINE)[:3]
    # as written, GBP 7.6M a quarter ranked first; a year in EUR it is last
    assert [name.strip() for _, name in order] == ["Web shop checkout", "Mobile plan change", "Current account opening"]
    assert (
        "| | **all 3** | | **1,822,710** | **1,009,968** | **EUR\u00a06,642,751** | **EUR\u00a0164,621,259** | |"
        in text
    )


def test_portfolio_without_rates_gives_each_currency_its_own_ranking():
    text = document_of(*JOURNEYS)
    assert re.findall(r"^## In (\w+)$", text, re.MULTILINE) == ["EUR", "GBP", "USD"]
    assert re.findall(r"^\| (\d) \|", text, re.MULTILINE)[:3] == ["1", "1", "1"]
    assert "**all" not in text
    assert "rates = { GBP = <rate>, USD = <rate> }   # 1 GBP = <rate> EUR" in text


def test_executive_summary_speaks_in_units():
    text = document_of(JOURNEYS[0])
    assert "| Contacts | 9,400 a quarter, GBP\u00a0137,060 |" in text
    assert "| Value at risk | GBP\u00a07,562,603 a quarter |" in text
    assert "| Completion | 49.2% of customers complete the journey |" in text


HOSTILE = r"""cxaudit: 1
journey:
  id: hostile
  name: "Evil | journey ``` <script>alert(1)</script> [x](javascript:alert(1)) %%{init: {}}%%"
  volume: 100
  value: 10
entry: a
owners:
  t: {name: "Team | <img src=x onerror=alert(1)> ``` "}
steps:
  a:
    name: "Pay | now `code` ``` \"quoted\" [link](http://evil.example) <b>bold</b>"
    owner: t
    effort: 5
    next: {b: 0.5, c: 0.3, lost: 0.2}
  b:
    name: "line one\nclick b call alert(1)\n%% comment\n# heading\n---"
    owner: t
    next: {done: 0.7, c: 0.2, lost: 0.1}
  c:
    type: contact
    name: "1. ]) --> evil[\"x\"] %%{init: {\"theme\": \"dark\"}}%% {{hex}}"
    next: {done: 0.5, c: 0.3, lost: 0.2}
  done: {type: success, name: "Done ![img](x.png) *emph* ~strike~"}
  lost: {type: abandon, name: "<!-- comment --> & &amp; \\ backslash"}
"""


def hostile_report() -> tuple[str, Report]:
    result = Report((audit(loads_journey(HOSTILE, name="hostile | `x`.yaml")),))
    return DocumentReporter().render(result), result


def test_hostile_names_cannot_break_the_markdown():
    text, result = hostile_report()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    kinds = {t.type for t in tokens}
    assert "html_block" not in kinds
    for token in tokens:
        for child in token.children or []:
            assert child.type not in ("html_inline", "image", "link_open"), child
    assert all(len(set(rows)) == 1 for rows in table_shapes(text))
    assert len(mermaid_blocks(text)) == pictures(result)  # no fence opened or closed by a name
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    assert "<script" not in html and "<img" not in html and "<a " not in html and "href=" not in html


def test_hostile_names_cannot_inject_into_the_diagram():
    _, result = hostile_report()
    from cxaudit.diagram import dot, mermaid

    source = mermaid(result.audits[0])
    for line in source.splitlines()[1:]:
        assert not line.lstrip().startswith(("click", "%%{", "---", "#")), line
        assert "<script" not in line and "<img" not in line and "<b>" not in line
    assert source.count("%%") == 0
    graph = dot(result.audits[0])
    quoted = r'"(?:[^"\\]|\\.)*"'
    for line in graph.splitlines()[4:-1]:
        assert re.fullmatch(rf"  n\d+ (-> n\d+ )?\[label={quoted}(, [a-z]+=({quoted}|[a-z0-9]+))*\];", line), line
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tcanon"], input=graph, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count(" -> ") == graph.count(" -> ")


def test_html_is_self_contained_and_escaped(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no Graphviz: cxaudit draws the map itself
    _, result = hostile_report()
    html = HtmlReporter().render(result)
    assert html.startswith("<!doctype html>")
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert '<div class="diagram"><svg' in html and 'class="mermaid"' not in html


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
def test_html_draws_the_map_as_inline_svg_with_graphviz():
    html = HtmlReporter().render(Report((audit(load_journey(JOURNEYS[2])),)))
    assert '<div class="diagram"><svg' in html
    assert "<script" not in html


def node_mermaid() -> Path | None:
    """The real Mermaid parser under Node, installed from tests/mermaid's lock file when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not (MERMAID_DIR / "node_modules" / "mermaid").is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=MERMAID_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            return None
    return MERMAID_DIR / "check.mjs"


def test_every_diagram_parses_with_the_real_mermaid_parser(tmp_path):
    checker = node_mermaid()
    if checker is None:
        pytest.skip("node and npm are needed for the Mermaid parser")
    from cxaudit.diagram import mermaid

    files = []
    audits = [audit(load_journey(p)) for p in [*JOURNEYS, REDESIGN]]
    audits.append(hostile_report()[1].audits[0])
    from cxaudit.reporters import charts

    blocks = []
    for i, result in enumerate(audits):
        blocks.append(mermaid(result))
        for chart in (charts.fixes_mermaid(result, i), charts.outcomes_mermaid(result, i)):
            if chart:
                blocks.append("\n".join(chart[1:-1]) + "\n")  # without the fence
    from cxaudit.engine.portfolio import Exchange, portfolio

    whole = portfolio(audits[:3], Exchange("EUR", {"GBP": 1.15, "USD": 0.92}))
    blocks.append("\n".join(charts.portfolio_mermaid(whole.groups[0], 0)[1:-1]) + "\n")
    for i, block in enumerate(blocks):
        path = tmp_path / f"d{i}.mmd"
        path.write_text(block)
        files.append(str(path))
    bad = tmp_path / "bad.mmd"
    bad.write_text('flowchart LR\n  a["x"] --> b["y"\n')
    done = subprocess.run(["node", str(checker), *files], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" flowchart") == len(audits)
    assert done.stdout.count(" pie") == len(audits)
    assert done.stdout.count(" xychart") == len(files) - 2 * len(audits) > 1  # the fixes' and the portfolio's
    failing = subprocess.run(["node", str(checker), str(bad)], capture_output=True, text=True, timeout=300, check=False)
    assert failing.returncode == 1 and "error" in failing.stdout  # the oracle can fail


def test_large_journeys_show_the_part_that_matters():
    sides = ", ".join(f"x{i}: 0.00625" for i in range(80))
    steps = [
        "cxaudit: 1",
        "journey: {id: big, name: Big, volume: 1000}",
        "entry: s0",
        "steps:",
        f"  s0: {{name: Start, owner: o, next: {{main: 0.5, {sides}}}}}",
        "  main: {name: Main, owner: o, next: {done: 0.9, lost: 0.1}}",
    ]
    steps += [f"  x{i}: {{name: Side {i}, owner: o, next: {{done: 1}}}}" for i in range(80)]
    steps += ["  done: {name: Done, type: success}", "  lost: {name: Lost, type: abandon}"]
    result = audit(loads_journey("\n".join(steps) + "\n"))
    from cxaudit.diagram import mermaid, view

    shown = view(result)
    assert shown.partial and shown.total == 84
    assert {"s0", "main", "done", "lost"} <= set(shown.steps) and len(shown.steps) < 20
    assert "of 84 steps" in mermaid(result)
    text = DocumentReporter().render(Report((result,)))
    assert "The journey has 84 steps; the map shows" in text


def test_report_command_writes_markdown_and_html(run_cli, tmp_path):
    target = tmp_path / "r.md"
    code, out, err = run_cli("report", str(JOURNEYS[2]), "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"Wrote {target} (1 journey).\n"
    assert target.read_text().startswith("# Customer journey audit: Web shop checkout\n")
    code, out, _ = run_cli("report", str(JOURNEYS[2]), "-o", "-")
    assert out == target.read_text()
    page = tmp_path / "r.html"
    assert run_cli("report", str(JOURNEYS[2]), "-o", str(page))[0] == 0
    assert page.read_text().startswith("<!doctype html>")
    assert "Generated by cxaudit" in out and " on 20" not in out
    _, stamped, _ = run_cli("report", str(JOURNEYS[2]), "--timestamp")
    assert re.search(r"Generated by cxaudit [\d.]+ on \d{4}-\d\d-\d\d \d\d:\d\d UTC", stamped)


def test_report_never_overwrites_an_input(run_cli, tmp_path):
    journey = tmp_path / "j.yaml"
    shutil.copy(JOURNEYS[2], journey)
    code, _, err = run_cli("report", str(journey), "-o", str(journey))
    assert code == 2 and "it is an input file" in err
    assert journey.read_text() == JOURNEYS[2].read_text()


def test_compare_deltas_equal_independent_metrics(run_cli):
    code, out, _ = run_cli("compare", str(JOURNEYS[2]), str(REDESIGN), "--format", "json")
    assert code == 0
    data = json.loads(out)
    before = reference_metrics(load_journey(JOURNEYS[2]))
    after = reference_metrics(load_journey(REDESIGN))
    for key in (
        "completion_rate",
        "contacts_per_period",
        "contact_cost_per_period",
        "value_at_risk",
        "expected_effort",
        "first_contact_resolution",
        "expected_handoffs",
    ):
        assert data["delta"][key] == pytest.approx(after[key] - before[key], abs=1e-9, rel=1e-9)
        assert data["before"][key] == pytest.approx(before[key], rel=1e-9)
    assert data["summary"]["contacts_avoided"] == pytest.approx(
        before["contacts_per_period"] - after["contacts_per_period"], rel=1e-9
    )
    assert data["summary"]["statements"][0] == "The change avoids 17,152 contacts a month (EUR 112,188)."
    assert [f["code"] for f in data["findings"]["fixed"]] == ["FR04", "CT01", "CT01", "CT03"]
    assert data["findings"]["introduced"] == []
    steps = {s["id"]: s for s in data["steps"]}
    volume = 250000
    assert steps["delivery"]["contacts_caused_before"] == pytest.approx(before["visits"]["delivery"] * 0.04 * volume)
    assert steps["delivery"]["contacts_caused_after"] == pytest.approx(after["visits"]["delivery"] * 0.01 * volume)


def test_compare_markdown_and_text(run_cli):
    _, md, _ = run_cli("compare", str(JOURNEYS[2]), str(REDESIGN), "--format", "markdown")
    assert "- The change avoids 17,152 contacts a month \\(EUR 112,188\\)." in md
    assert all(len(set(rows)) == 1 for rows in table_shapes(md))
    _, text, _ = run_cli("compare", str(JOURNEYS[2]), str(REDESIGN))
    assert "The change avoids 17,152 contacts a month (EUR 112,188)." in text
    assert "Fixed: CT01 high-contact-step at order_email" in text


def test_compare_git_revisions(run_cli, tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    journey = repo / "checkout.yaml"
    shutil.copy(JOURNEYS[2], journey)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "v1"], cwd=repo, check=True)
    shutil.copy(REDESIGN, journey)
    subprocess.run(["git", "commit", "-qam", "v2"], cwd=repo, check=True)
    code, out, _ = run_cli("compare", str(journey), "--rev", "HEAD~1..HEAD", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["statements"][0] == "The change avoids 17,152 contacts a month (EUR 112,188)."
    assert data["before"]["file"] == f"{journey}@HEAD~1"
    code, _, err = run_cli("compare", str(journey), "--rev", "nope..HEAD")
    assert code == 2 and err.startswith(f"cxaudit: git cannot show {journey} at nope: ")
    code, _, err = run_cli("compare", str(journey), "--rev", "HEAD")
    assert (code, err) == (2, "cxaudit: --rev takes a range A..B (or A.. for A and the working tree), not 'HEAD'\n")


def test_compare_usage_errors(run_cli):
    assert run_cli("compare", str(JOURNEYS[2]))[2] == (
        "cxaudit: compare needs two files (BEFORE AFTER), or --rev A..B with one file, or with journey files and "
        "directories\n"
    )


def test_graph_command(run_cli):
    code, out, _ = run_cli("graph", str(JOURNEYS[2]))
    assert code == 0 and out.startswith("flowchart TD\n")
    code, out, _ = run_cli("graph", str(JOURNEYS[2]), "--format", "dot")
    assert out.startswith('digraph "web-checkout" {')
    code, _, err = run_cli("graph", str(JOURNEYS[2]), "--format", "png")
    assert code == 2 and "'png' is not one of mermaid, dot" in err

"""Pictures: every journey map and chart of the HTML report is an SVG, with no Graphviz and no network.

The HTML is opened in a real headless Chromium (Debian's package, installed
with apt-get when missing and the suite runs as root; else the test is
skipped, saying why); the Markdown's charts are checked by the real Mermaid parser
in tests/test_report.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

from cxaudit.engine import audit
from cxaudit.engine.portfolio import Exchange
from cxaudit.engine.report import Report
from cxaudit.journey.load import load_journey
from cxaudit.reporters import charts, document
from cxaudit.reporters.document import DocumentReporter, HtmlReporter
from tests.conftest import ROOT

JOURNEYS = sorted((ROOT / "journeys").glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def _report(exchange: Exchange | None = None) -> Report:
    audits = tuple(audit(load_journey(path, name=path.relative_to(ROOT).as_posix())) for path in JOURNEYS)
    return Report(audits, exchange=exchange)


@pytest.fixture
def no_graphviz(monkeypatch):
    monkeypatch.setattr(document, "render_svg", lambda _: None)


def _expected_pictures(report: Report) -> int:
    """A map and a chart of outcomes per journey, and a chart of fixes where one has a worth in money."""
    return sum(2 + bool(charts.fixes(each)) for each in report.audits)


def test_every_picture_is_an_svg_drawn_here(no_graphviz):
    report = _report()
    page = HtmlReporter().render(report)
    svgs = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
    assert len(svgs) == _expected_pictures(report) == 9
    assert "mermaid" not in page  # no diagram is left as its source
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    for svg in svgs:
        root = ElementTree.fromstring(svg)  # well-formed, in the SVG namespace
        assert root.tag == SVG + "svg"
        assert root.find(SVG + "title").text
    maps = [svg for svg in svgs if 'class="journey-map"' in svg]
    assert len(maps) == 3
    web = ElementTree.fromstring(next(svg for svg in maps if "Web shop checkout" in svg))
    steps = web.findall(f"{SVG}g[@class='step']")
    assert len(steps) == len(report.audits[2].journey.steps)
    assert steps[0].find(SVG + "title").text.startswith("Land on a promotion page")


def test_a_portfolio_in_one_currency_shows_where_the_money_is(no_graphviz):
    report = _report(Exchange("EUR", {"GBP": 1.15, "USD": 0.92}))
    markdown = DocumentReporter().render(report)
    assert "%% cxaudit portfolio 0\nxychart-beta horizontal\n" in markdown
    assert '  x-axis ["Web shop checkout", "Mobile plan change", "Current account opening"]' in markdown
    page = HtmlReporter().render(report)
    svgs = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
    assert len(svgs) == _expected_pictures(report) + 1
    chart = ElementTree.fromstring(svgs[0])
    assert chart.find(SVG + "title").text == "Value at risk a year, by journey"
    labels = [text.text for text in chart.iter(SVG + "text")]
    assert labels[1:3] == ["Web shop checkout", "EUR 77,654,872"]


def test_the_charts_say_what_the_fixes_are_worth_a_year_and_where_customers_end():
    web = _report().audits[2]
    fixes = charts.fixes(web)
    assert fixes[0][0] == "#1 FR02 Review the basket"
    assert fixes[0][1] == pytest.approx(web.active[0].impact.money * 12)
    ends = charts.outcomes(web)
    assert [(name, kind) for name, kind, _ in ends] == [
        ("Order placed", "success"),
        ("Left without ordering", "abandon"),
    ]
    assert sum(share for _, _, share in ends) == pytest.approx(1.0)
    markdown = DocumentReporter().render(Report((web,)))
    assert "%% cxaudit fixes 0\nxychart-beta horizontal\n" in markdown
    assert '  title "What the top fixes are worth a year (EUR)"' in markdown
    assert '%% cxaudit outcomes 0\npie showData\n  title Where customers end (%)\n  "Order placed" : 58.3' in markdown


def test_names_cannot_break_a_picture(no_graphviz):
    hostile = (
        (ROOT / "journeys" / "web-checkout.yaml")
        .read_text()
        .replace(
            "    name: Review the basket\n", '    name: "Review </text><script>alert(1)</script> & \\" the basket"\n'
        )
    )
    assert "<script>" in hostile
    from cxaudit.journey.load import loads_journey

    page = HtmlReporter().render(Report((audit(loads_journey(hostile, name="web.yaml")),)))
    assert "<script>" not in page
    for svg in re.findall(r"<svg .*?</svg>", page, re.DOTALL):
        ElementTree.fromstring(svg)


def _chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def _install_chromium() -> str:
    """Debian's Chromium, installed with apt-get when it is missing and this is root (as tests/mermaid's
    Mermaid is installed with npm); otherwise the reason there is none."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "no Chromium here, and apt-get cannot install it (not root, or not Debian): apt-get install chromium"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    for command in (install, ["apt-get", "update", "-q"], install):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment, check=False)
        except subprocess.TimeoutExpired:
            return f"no Chromium here, and '{' '.join(command)}' did not finish in 300 s"
        if done.returncode == 0 and _chromium() is not None:
            return ""
    said = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return f"no Chromium here, and apt-get could not install it: {said[-1] if said else done.returncode}"


@pytest.fixture(scope="module")
def chromium() -> str:
    if _chromium() is None:
        reason = _install_chromium()
        if reason:
            pytest.skip(reason)
    return _chromium()  # type: ignore[return-value]


def test_a_real_browser_shows_every_picture_as_an_svg(no_graphviz, chromium, tmp_path):
    report = _report()
    page = tmp_path / "report.html"
    page.write_text(HtmlReporter().render(report), encoding="utf-8")
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # the browser parsed each picture as an SVG element of the page (an <svg> in the DOM it serialises)
    assert len(re.findall(r"<svg\b", dom)) == _expected_pictures(report)
    assert len(re.findall(r'<div class="(?:diagram|chart)"><svg\b', dom)) == _expected_pictures(report)
    assert '<pre class="mermaid"' not in dom and "language-mermaid" not in dom

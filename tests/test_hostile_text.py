"""Names, periods and log activities written to harm: shown, never obeyed, in every format.

The journey in fixtures/hostile/escapes.yaml carries terminal escapes (ESC[2J,
OSC titles and hyperlinks), NUL and other C0 controls, a bidirectional
override, rich markup, HTML and Markdown headings in its names and period.
"""

from __future__ import annotations

import json
import re
from xml.dom import minidom

import pytest
from markdown_it import MarkdownIt

from tests.conftest import FIXTURES

HOSTILE = str(FIXTURES / "hostile" / "escapes.yaml")
# What a terminal, a CI log or an XML parser would act on: C0 and C1 controls
# but line feed and tab, DEL, and bidirectional overrides.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

COMMANDS = {
    "audit": ["audit", HOSTILE],
    "audit-portfolio": ["audit", HOSTILE, HOSTILE],
    "check": ["check", HOSTILE, "--fail-on", "never"],
    "check-github": ["check", HOSTILE, "--fail-on", "never", "--format", "github"],
    "check-junit": ["check", HOSTILE, "--fail-on", "never", "--format", "junit"],
    "check-markdown": ["check", HOSTILE, "--fail-on", "never", "--format", "markdown"],
    "report-markdown": ["report", HOSTILE, "-o", "-"],
    "report-html": ["report", HOSTILE, "-o", "-", "--format", "html"],
    "graph-mermaid": ["graph", HOSTILE],
    "graph-dot": ["graph", HOSTILE, "--format", "dot"],
    "compare": ["compare", HOSTILE, HOSTILE],
    "compare-markdown": ["compare", HOSTILE, HOSTILE, "--format", "markdown"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_control_characters_are_shown_never_sent(run_cli, name):
    code, out, err = run_cli(*COMMANDS[name])
    assert code == 0, err
    assert not CONTROL.findall(out + err)
    assert "\\x1b[2J" in out or "\\\\x1b\\[2J" in out or "#92;x1b" in out  # shown as text, not dropped


@pytest.mark.parametrize("name", ["check-markdown", "report-markdown", "compare-markdown"])
def test_markdown_has_no_live_html_or_injected_headings(run_cli, name):
    _, out, _ = run_cli(*COMMANDS[name])
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    kinds = {token.type for token in tokens} | {child.type for token in tokens for child in token.children or []}
    assert "html_block" not in kinds and "html_inline" not in kinds
    headings = [tokens[i + 1].content for i, token in enumerate(tokens) if token.type == "heading_open"]
    assert not any("Injected" in heading for heading in headings)


def test_junit_is_well_formed_and_keeps_the_text(run_cli):
    _, out, _ = run_cli(*COMMANDS["check-junit"])
    document = minidom.parseString(out.encode("utf-8"))
    messages = [node.getAttribute("message") for node in document.getElementsByTagName("failure")]
    assert any("\\x00" in message and "\\x01" in message for message in messages)


def test_rich_markup_in_the_period_is_text(run_cli):
    code, out, _ = run_cli("audit", HOSTILE)
    assert code == 0
    assert "per [/]mo\\x1b[2J # Injected <script>x</script>" in out


def test_json_keeps_the_text_as_written(run_cli):
    _, out, _ = run_cli("audit", HOSTILE, "--format", "json")
    journey = json.loads(out)["journeys"][0]
    assert journey["period"] == "[/]mo\x1b[2J\n# Injected\n<script>x</script>"


@pytest.mark.parametrize("output_format", ["text", "junit", "github", "markdown"])
def test_log_activities_are_shown_never_sent(run_cli, tmp_path, output_format):
    import csv

    pytest.importorskip("duckdb")
    journey = tmp_path / "j.yaml"
    journey.write_text(
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: a\nsteps:\n"
        "  a: {name: A, next: {ok: 1}}\n  ok: {name: OK, type: success}\n"
    )
    log = tmp_path / "l.csv"
    with open(log, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["case", "activity", "timestamp"])
        for case in range(3):
            writer.writerows([[case, "A", "2026-01-01 10:00"], [case, "Pay\x01\x1b]0;owned\x07", "2026-01-01 10:01"]])
            writer.writerow([case, "OK", "2026-01-01 10:02"])
    code, out, _ = run_cli("drift", str(journey), str(log), "--format", output_format, "--fail-on", "never")
    assert code == 0
    assert not CONTROL.findall(out)
    assert "x01" in out and "x1b" in out and "owned" in out  # shown, escaped for the format
    if output_format == "junit":
        minidom.parseString(out.encode("utf-8"))

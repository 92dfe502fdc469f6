"""A compact Markdown summary for pull-request comments and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING, Any

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine.report import Report

MAX_ROWS = 50
MARK = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def cell(text: str) -> str:
    """User text made safe inside a Markdown table cell.

    Pipes cannot split the cell, line breaks cannot end the row, and HTML,
    links, images and emphasis are shown as written, not rendered; control
    characters are shown as ``\\xNN``, never sent to a terminal.

    >>> cell("a | b\\n<script>")
    'a \\\\| b &lt;script&gt;'
    """
    text = clean(re.sub(r"[\r\n]+", " ", text))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", text)


def code_span(text: str) -> str:
    """A file name or id as inline code that no character in it can end.

    >>> code_span("a`b")
    '`` a`b ``'
    """
    text = clean(re.sub(r"[\r\n]+", " ", text))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}" if longest else f"{fence}{text}{fence}"


def code_cell(text: str) -> str:
    """A file name or id as inline code inside a table cell (pipes escaped too)."""
    return code_span(text).replace("|", "\\|")


class MarkdownReporter:
    """Headline, a table of findings (most valuable first), and each journey's numbers."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, report: Report) -> str:
        findings = report.findings
        counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
        journeys = len(report.audits)
        lines = ["## cxaudit", ""]
        summary = f"**{len(findings)} finding{'s' if len(findings) != 1 else ''}**"
        parts = [
            f"{counts[s]} {MARK[s]}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in sorted(Severity, reverse=True)
            if counts[s]
        ]
        if parts:
            summary += f" ({', '.join(parts)})"
        summary += f" in {journeys} journey{'s' if journeys != 1 else ''}"
        if report.suppressed:
            summary += f", {report.suppressed} suppressed"
        if report.baselined:
            summary += f", {report.baselined} in the baseline"
        lines += [summary + ".", ""]
        if report.problems:
            lines += ["**Files that could not be read**", ""]
            lines += [f"- {code_cell(str(p.file))} line {p.line}: {cell(p.message)}" for p in report.problems]
            lines.append("")
        if findings:
            ordered = sorted(findings, key=lambda f: (-int(f.severity), f.rank or 0, f.file, f.line))
            lines += ["| severity | rule | where | finding | worth |", "|---|---|---|---|---|"]
            for finding in ordered[:MAX_ROWS]:
                audit = next(a for a in report.audits if a.journey.file == finding.file)
                money = finding.impact.money
                bounds = audit.fix_intervals.get(finding.fingerprint, {}).get("money")
                worth = (
                    f"{fmt.within(partial(fmt.money, currency=audit.journey.currency), money, bounds)} "
                    f"{fmt.per(audit.journey.period)}"
                    if money is not None and money > 0.5
                    else ""
                )
                tie = audit.ties.get(finding.fingerprint)
                if tie is not None:
                    worth += f" (cannot be told apart from #{tie})"
                lines.append(
                    f"| {MARK[finding.severity]} | {finding.code} {finding.name} | "
                    f"{code_cell(f'{finding.file}:{finding.line}')} | {cell(finding.message)} | {cell(worth)} |"
                )
            if len(ordered) > MAX_ROWS:
                lines += ["", f"... and {len(ordered) - MAX_ROWS} more."]
            lines.append("")
        if report.audits:
            lines += [
                "| journey | completion | contacts | contact cost | value at risk |",
                "|---|---|---|---|---|",
            ]
            for audit in report.audits:
                m = audit.metrics
                journey = audit.journey
                per = fmt.per(journey.period)
                cash = partial(fmt.money, currency=journey.currency)
                var = "" if m.value_at_risk is None else f"{fmt.figure(audit, 'value_at_risk', cash)} {per}"
                contacts = f"{fmt.figure(audit, 'contacts_per_period', fmt.count)} {per}"
                lines.append(
                    f"| {cell(journey.name)} | {fmt.figure(audit, 'completion_rate')} | {cell(contacts)} "
                    f"| {fmt.figure(audit, 'contact_cost_per_period', cash)} | {cell(var)} |"
                )
            if any(audit.intervals is not None for audit in report.audits):
                lines += ["", "Ranges are 95% intervals from the evidence of the log a journey was learned from."]
            lines.append("")
        return "\n".join(lines)

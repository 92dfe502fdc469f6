"""``cxaudit check``'s text: one line per finding, like a compiler or ruff."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cxaudit.model import Severity
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.model import Finding
    from cxaudit.report import Report

Line = list[tuple[str, str]]
"""A line of output: pieces of text, each with its rich style ("" for none)."""
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def finding_line(finding: Finding) -> str:
    """``file:line:col: CODE [severity] message``."""
    return (
        f"{finding.file}:{finding.line}:{finding.column}: {finding.code} [{finding.severity.label}] {finding.message}"
    )


class LintReporter:
    """A line per finding, then a summary; colour on a terminal, plain otherwise."""

    findings_only = True
    """Lines show the findings and nothing else of the audit (no impact, rank, metric, owner or path)."""

    def __init__(
        self,
        *,
        color: bool = False,
        width: int = 100,
        quiet: bool = False,
        statistics: bool = False,
        show_source: bool = False,
        **_: Any,
    ) -> None:
        self.color = color
        self.width = width
        self.quiet = quiet
        self.statistics = statistics
        self.show_source = show_source

    def render(self, report: Report) -> str:
        lines = list(self._lines(report))
        if not self.color:  # tens of thousands of findings in CI: no rich, nothing to style
            return "".join("".join(text for text, _ in line) + "\n" for line in lines)
        from rich.console import Console
        from rich.text import Text

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=max(self.width, 40),
            force_terminal=True,
            color_system="standard",
            highlight=False,
            emoji=False,
            soft_wrap=True,
        )
        for line in lines:
            console.print(Text.assemble(*line))
        return buffer.getvalue()

    def _lines(self, report: Report) -> Iterator[Line]:
        """Each line of the output as (text, style) pieces; the text already made safe."""
        for problem in report.problems:
            line: Line = [(clean(problem.where), "bold"), (": ", ""), ("input error", "bold red")]
            line.append((f": {clean(problem.message)}", ""))
            if problem.path:
                line.append((f" ({clean(problem.path)})", "dim"))
            yield line
        findings = report.findings
        if self.statistics:
            counts: dict[tuple[str, str], int] = {}
            for finding in findings:
                counts[(finding.code, finding.name)] = counts.get((finding.code, finding.name), 0) + 1
            for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
                yield [(f"{count:>5}  {code}  {name}", "")]
        else:
            ordered = sorted(findings, key=lambda f: (f.file, f.line, f.column, f.code, f.target or ""))
            if self.color or self.show_source:
                for finding in ordered:
                    yield from self._finding(finding, report)
            else:  # the same text in one piece (cleaning is per character): tens of thousands of lines in CI
                for finding in ordered:
                    yield [(clean(finding_line(finding)), "")]
        if not self.quiet:
            yield [(self._summary(report), "bold")]

    def _finding(self, finding: Finding, report: Report) -> Iterator[Line]:
        yield [
            (clean(f"{finding.file}:{finding.line}:{finding.column}"), "bold"),
            (": ", ""),
            (finding.code, SEVERITY_STYLE[finding.severity]),
            (f" [{finding.severity.label}] ", ""),
            (clean(finding.message), ""),
        ]
        if self.show_source:
            source = report.sources.get(finding.file)
            if source and 0 < finding.line <= len(source):
                number = str(finding.line)
                yield [(f" {number} | {clean(source[finding.line - 1])}", "dim")]
                yield [(f" {' ' * len(number)} | {' ' * (finding.column - 1)}^", "bold red")]

    @staticmethod
    def _summary(report: Report) -> str:
        findings = report.findings
        journeys = len(report.audits)
        counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
        noun = "journey" if journeys == 1 else "journeys"
        extra = []
        if report.suppressed:
            extra.append(f"{report.suppressed} suppressed")
        if report.baselined:
            extra.append(f"{report.baselined} in the baseline")
        if report.problems:
            unreadable = len({p.file for p in report.problems})
            extra.append(f"{unreadable} file{'s' if unreadable != 1 else ''} could not be read")
        tail = f"; {', '.join(extra)}" if extra else ""
        if not findings:
            return f"No findings in {journeys} {noun}{tail}."
        parts = [
            f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in sorted(Severity, reverse=True)
            if counts[s]
        ]
        total = len(findings)
        return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {journeys} {noun}{tail}."

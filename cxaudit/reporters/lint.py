"""``cxaudit check``'s text: one line per finding, like a compiler or ruff."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from cxaudit.model import Severity
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from rich.console import Console

    from cxaudit.model import Finding
    from cxaudit.report import Report


def finding_line(finding: Finding) -> str:
    """``file:line:col: CODE [severity] message``."""
    return (
        f"{finding.file}:{finding.line}:{finding.column}: {finding.code} [{finding.severity.label}] {finding.message}"
    )


class LintReporter:
    """A line per finding, then a summary; colour on a terminal, plain otherwise."""

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
        if not self.color and not self.statistics:
            return self._plain(report)  # without rich: nothing to style, and nothing to import
        from rich.console import Console
        from rich.text import Text

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=max(self.width, 40),
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            highlight=False,
            emoji=False,
            soft_wrap=True,
        )
        for problem in report.problems:
            line = Text()
            line.append(clean(problem.where), style="bold")
            line.append(": ")
            line.append("input error", style="bold red")
            line.append(f": {clean(problem.message)}")
            if problem.path:
                line.append(f" ({clean(problem.path)})", style="dim")
            console.print(line)
        findings = report.findings
        if self.statistics:
            self._statistics(console, findings)
        else:
            for finding in sorted(findings, key=lambda f: (f.file, f.line, f.column, f.code, f.target or "")):
                self._finding(console, finding, report)
        if not self.quiet:
            console.print(self._summary(report), style="bold")
        return buffer.getvalue()

    def _plain(self, report: Report) -> str:
        """The same lines without colour, written directly (tens of thousands of findings in CI)."""
        lines = []
        for problem in report.problems:
            path = f" ({clean(problem.path)})" if problem.path else ""
            lines.append(f"{clean(problem.where)}: input error: {clean(problem.message)}{path}")
        for finding in sorted(report.findings, key=lambda f: (f.file, f.line, f.column, f.code, f.target or "")):
            lines.append(
                clean(f"{finding.file}:{finding.line}:{finding.column}")
                + f": {finding.code} [{finding.severity.label}] {clean(finding.message)}"
            )
            if self.show_source:
                source = report.sources.get(finding.file)
                if source and 0 < finding.line <= len(source):
                    number = str(finding.line)
                    lines.append(f" {number} | {clean(source[finding.line - 1])}")
                    lines.append(f" {' ' * len(number)} | {' ' * (finding.column - 1)}^")
        if not self.quiet:
            lines.append(self._summary(report))
        return "".join(line + "\n" for line in lines)

    def _finding(self, console: Console, finding: Finding, report: Report) -> None:
        from rich.text import Text

        from cxaudit.reporters.text import SEVERITY_STYLE

        line = Text()
        line.append(clean(f"{finding.file}:{finding.line}:{finding.column}"), style="bold")
        line.append(": ")
        line.append(finding.code, style=SEVERITY_STYLE[finding.severity])
        line.append(f" [{finding.severity.label}] ")
        line.append(clean(finding.message))
        console.print(line)
        if self.show_source:
            source = report.sources.get(finding.file)
            if source and 0 < finding.line <= len(source):
                number = str(finding.line)
                gutter = " " * len(number)
                console.print(Text(f" {number} | {clean(source[finding.line - 1])}", style="dim"))
                console.print(Text(f" {gutter} | {' ' * (finding.column - 1)}^", style="bold red"))

    @staticmethod
    def _statistics(console: Console, findings: list[Finding]) -> None:
        counts: dict[tuple[str, str], int] = {}
        for finding in findings:
            counts[(finding.code, finding.name)] = counts.get((finding.code, finding.name), 0) + 1
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            console.print(f"{count:>5}  {code}  {name}")

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

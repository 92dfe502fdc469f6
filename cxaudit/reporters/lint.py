"""``cxaudit check``'s text: one line per finding, like a compiler or ruff."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cxaudit.model import Severity
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.report import Report
    from cxaudit.model import Finding

Line = list[tuple[str, str]]
"""A line of output: pieces of text, each with its rich style ("" for none)."""
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def finding_line(finding: Finding) -> str:
    """``file:line:col: CODE [severity] message``."""
    return (
        f"{finding.file}:{finding.line}:{finding.column}: {finding.code} [{finding.severity.label}] {finding.message}"
    )


@dataclass(frozen=True, slots=True)
class FilePart:
    """One journey's part of a findings-only output (:meth:`LintReporter.file_part`)."""

    file: str
    body: Any
    """What the output shows of the journey, in the reporter's own form."""
    counts: tuple[int, int, int]
    """Active findings by severity: info, warning, error."""
    suppressed: int


def tally(findings: Sequence[Finding]) -> tuple[int, int, int]:
    """Findings by severity: info, warning, error."""
    counts = [0, 0, 0]
    for finding in findings:
        counts[finding.severity - 1] += 1
    return counts[0], counts[1], counts[2]


def parts_of(report: Report, make: Callable[[JourneyAudit, list[str] | None], FilePart]) -> list[FilePart]:
    """The report's parts, made now where the run did not make them, in the order of their files."""
    if report.parts is not None:
        parts = list(report.parts)
    else:
        parts = [make(audit, report.sources.get(audit.journey.file)) for audit in report.audits]
    return sorted(parts, key=lambda part: part.file)


def summary(report: Report, parts: Sequence[FilePart]) -> str:
    """The last line: findings by severity, journeys, and what was left out or could not be read."""
    totals = [0, 0, 0]
    for part in parts:
        for number, count in enumerate(part.counts):
            totals[number] += count
    counts = dict(zip((Severity.INFO, Severity.WARNING, Severity.ERROR), totals, strict=True))
    journeys = len(report.audits)
    noun = "journey" if journeys == 1 else "journeys"
    extra = []
    suppressed = sum(part.suppressed for part in parts)
    if suppressed:
        extra.append(f"{suppressed} suppressed")
    if report.baselined:
        extra.append(f"{report.baselined} in the baseline")
    if report.problems:
        unreadable = len({p.file for p in report.problems})
        extra.append(f"{unreadable} file{'s' if unreadable != 1 else ''} could not be read")
    tail = f"; {', '.join(extra)}" if extra else ""
    total = sum(counts.values())
    if not total:
        return f"No findings in {journeys} {noun}{tail}."
    shown = [
        f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
        for s in sorted(Severity, reverse=True)
        if counts[s]
    ]
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(shown)}) in {journeys} {noun}{tail}."


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

    def file_part(self, audit: JourneyAudit, source: list[str] | None = None) -> FilePart:
        """One journey's lines (its findings by position), or its counts per rule with ``statistics``.

        Plain lines are one piece of text; with colour or the source they
        are (text, style) pieces, for rich to print.
        """
        active = audit.active
        body: Any
        if self.statistics:
            body = {}
            for finding in active:
                body[(finding.code, finding.name)] = body.get((finding.code, finding.name), 0) + 1
        else:
            ordered = sorted(active, key=lambda f: (f.line, f.column, f.code, f.target or ""))
            if self.color or self.show_source:
                body = [line for finding in ordered for line in self._finding(finding, source)]
            else:  # the same text in one piece (cleaning is per character): tens of thousands of lines in CI
                body = "".join(clean(finding_line(finding)) + "\n" for finding in ordered)
        return FilePart(audit.journey.file, body, tally(active), len(audit.suppressed))

    def render(self, report: Report) -> str:
        parts = parts_of(report, self.file_part)
        head = list(self._problems(report))
        if self.statistics:
            counts: dict[tuple[str, str], int] = {}
            for part in parts:
                for key, count in part.body.items():
                    counts[key] = counts.get(key, 0) + count
            ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            body: list[Line] | None = [[(f"{count:>5}  {code}  {name}", "")] for (code, name), count in ordered]
        elif self.color or self.show_source:
            body = [line for part in parts for line in part.body]
        else:  # each part is its lines' text already
            body = None
        tail: list[Line] = [] if self.quiet else [[(summary(report, parts), "bold")]]
        if not self.color:  # tens of thousands of findings in CI: no rich, nothing to style
            lines = "".join(part.body for part in parts) if body is None else "".join(map(_plain, body))
            return "".join(map(_plain, head)) + lines + "".join(map(_plain, tail))
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
        for line in head + (body or []) + tail:
            console.print(Text.assemble(*line))
        return buffer.getvalue()

    @staticmethod
    def _problems(report: Report) -> Iterator[Line]:
        """A line per problem of a file that could not be read, the text already made safe."""
        for problem in report.problems:
            line: Line = [(clean(problem.where), "bold"), (": ", ""), ("input error", "bold red")]
            line.append((f": {clean(problem.message)}", ""))
            if problem.path:
                line.append((f" ({clean(problem.path)})", "dim"))
            yield line

    def _finding(self, finding: Finding, source: list[str] | None) -> Iterator[Line]:
        yield [
            (clean(f"{finding.file}:{finding.line}:{finding.column}"), "bold"),
            (": ", ""),
            (finding.code, SEVERITY_STYLE[finding.severity]),
            (f" [{finding.severity.label}] ", ""),
            (clean(finding.message), ""),
        ]
        if self.show_source and source and 0 < finding.line <= len(source):
            number = str(finding.line)
            yield [(f" {number} | {clean(source[finding.line - 1])}", "dim")]
            yield [(f" {' ' * len(number)} | {' ' * (finding.column - 1)}^", "bold red")]


def _plain(line: Line) -> str:
    return "".join(text for text, _ in line) + "\n"

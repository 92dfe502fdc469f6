"""GitHub Actions workflow commands: an annotation on the right line per finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxaudit.model import Severity
from cxaudit.reporters.lint import FilePart, parts_of, summary, tally
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.report import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: no line break can start a new command.

    Control characters are shown as ``\\xNN``, never sent to the log.

    >>> escape_data("50% fail\\n::error::fake\\x1b[2J")
    '50%25 fail%0A::error::fake\\\\x1b[2J'
    """
    return clean(text, keep_newlines=True).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title).

    >>> escape_property("a,b:c")
    'a%2Cb%3Ac'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, file: str, line: int, column: int, title: str, message: str) -> str:
    props = [f"file={escape_property(file)}"]
    if line > 0:
        props += [f"line={line}", f"col={max(column, 1)}"]
    props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


class GithubReporter:
    """``::error file=F,line=L,col=C,title=CODE::message`` lines, then a plain summary."""

    findings_only = True
    """Annotations show the findings and nothing else of the audit (no impact, rank, metric, owner or path)."""

    def __init__(self, **_: Any) -> None:
        pass

    def file_part(self, audit: JourneyAudit, source: list[str] | None = None) -> FilePart:
        """One journey's annotations, by position."""
        active = audit.active
        lines = [
            _command(
                COMMANDS[finding.severity],
                finding.file,
                finding.line,
                finding.column,
                f"{finding.code} {finding.name}",
                f"{finding.message}. Fix: {finding.remediation}",
            )
            + "\n"
            for finding in sorted(active, key=lambda f: (f.line, f.column, f.code))
        ]
        return FilePart(audit.journey.file, "".join(lines), tally(active), len(audit.suppressed))

    def render(self, report: Report) -> str:
        parts = parts_of(report, self.file_part)
        problems = [
            _command("error", p.file, p.line, p.column, "cxaudit input error", p.message) + "\n"
            for p in report.problems
        ]
        return "".join(problems) + "".join(part.body for part in parts) + summary(report, parts) + "\n"

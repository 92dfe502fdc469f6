"""What reporters render: the audits of one run, and what could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.portfolio import Exchange
    from cxaudit.errors import Problem
    from cxaudit.model import Finding


@dataclass(frozen=True)
class Report:
    """One run of cxaudit over some files."""

    audits: tuple[JourneyAudit, ...]
    problems: tuple[Problem, ...] = ()
    """Problems of files (or configuration) that could not be read."""
    baselined: int = 0
    """Findings left out because the baseline has them."""
    files: int = 0
    """Files the run was asked to read."""
    sources: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """File text by name, for reporters that quote the source."""
    exchange: Exchange | None = None
    """The portfolio's currency and rates (``[tool.cxaudit.portfolio]``), for reports of several journeys."""
    parts: tuple[Any, ...] | None = field(default=None, repr=False)
    """Each audit's part of a findings-only output, made where its file was
    checked (see :func:`cxaudit.engine.run.run`); the audits then hold no findings.
    None when the findings are in the audits."""

    @property
    def findings(self) -> list[Finding]:
        """Active findings of every journey, in file order then rank (none when ``parts`` holds them)."""
        return [f for audit in self.audits for f in audit.active]

    @property
    def suppressed(self) -> int:
        return sum(len(audit.suppressed) for audit in self.audits)

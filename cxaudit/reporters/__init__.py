"""Reporters: one module per output format, one table from name to class.

A reporter turns a :class:`~cxaudit.report.Report` into text with
``render(report) -> str``; the CLI only picks one from a table below and
writes what it returns. ``audit`` and ``check`` each have their table: their
``text`` formats differ (a report for people, a line per finding).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxaudit.report import Report

__all__ = ["AUDIT_REPORTERS", "CHECK_REPORTERS", "REPORT_REPORTERS", "Reporter", "get_reporter"]


class Reporter(Protocol):
    """What every reporter offers.

    A reporter class may also say ``findings_only = True`` when its output
    shows the findings and nothing else of an audit (no impact, rank, metric,
    owner or path); ``check`` then audits for that (see
    :func:`cxaudit.engine.audit`). Such a reporter may also offer
    ``file_part(audit, source_lines)``, one journey's part of its output
    (picklable, with its file name, counts by severity and suppressed
    findings, see :class:`cxaudit.reporters.lint.FilePart`): ``check`` has
    it made where each file is checked, and ``render`` takes the parts from
    :attr:`cxaudit.report.Report.parts`, or makes them from the audits.
    """

    def render(self, report: Report) -> str: ...


AUDIT_REPORTERS: dict[str, str] = {
    "text": "cxaudit.reporters.text:TextReporter",
    "json": "cxaudit.reporters.json:JsonReporter",
}
"""Formats of ``cxaudit audit``: name -> reporter class, imported when chosen."""

CHECK_REPORTERS: dict[str, str] = {
    "text": "cxaudit.reporters.lint:LintReporter",
    "json": "cxaudit.reporters.json:JsonReporter",
    "sarif": "cxaudit.reporters.sarif:SarifReporter",
    "github": "cxaudit.reporters.github:GithubReporter",
    "junit": "cxaudit.reporters.junit:JunitReporter",
    "markdown": "cxaudit.reporters.markdown:MarkdownReporter",
}
"""Formats of ``cxaudit check``."""

REPORT_REPORTERS: dict[str, str] = {
    "markdown": "cxaudit.reporters.document:DocumentReporter",
    "html": "cxaudit.reporters.document:HtmlReporter",
}
"""Formats of ``cxaudit report``."""


def get_reporter(name: str, table: dict[str, str] = AUDIT_REPORTERS) -> type:
    """The reporter class for a format name (KeyError for an unknown one)."""
    module, _, attribute = table[name].partition(":")
    return getattr(importlib.import_module(module), attribute)

"""Reporters: one module per output format, one table from name to class.

A reporter turns a :class:`~cxaudit.engine.report.Report` into text with
``render(report) -> str``; the CLI only picks one from the table below and
writes what it returns. Each command has its formats: ``audit`` and
``check`` both have ``text``, a report for people and a line per finding.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxaudit.engine.report import Report

__all__ = ["REPORTERS", "Reporter", "formats", "get_reporter"]


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
    :attr:`cxaudit.engine.report.Report.parts`, or makes them from the audits.
    """

    def render(self, report: Report) -> str: ...


REPORTERS: dict[str, dict[str, str]] = {
    "audit": {
        "text": "cxaudit.reporters.text:TextReporter",
        "json": "cxaudit.reporters.json:JsonReporter",
    },
    "check": {
        "text": "cxaudit.reporters.lint:LintReporter",
        "json": "cxaudit.reporters.json:JsonReporter",
        "sarif": "cxaudit.reporters.sarif:SarifReporter",
        "github": "cxaudit.reporters.github:GithubReporter",
        "junit": "cxaudit.reporters.junit:JunitReporter",
        "markdown": "cxaudit.reporters.markdown:MarkdownReporter",
    },
    "report": {
        "markdown": "cxaudit.reporters.document:DocumentReporter",
        "html": "cxaudit.reporters.document:HtmlReporter",
    },
    "compare": {
        "text": "cxaudit.reporters.comparison:CompareTextReporter",
        "json": "cxaudit.reporters.comparison:CompareJsonReporter",
        "markdown": "cxaudit.reporters.comparison:CompareMarkdownReporter",
    },
    "backtest": {
        "text": "cxaudit.reporters.backtest:BacktestTextReporter",
        "json": "cxaudit.reporters.backtest:BacktestJsonReporter",
        "markdown": "cxaudit.reporters.backtest:BacktestMarkdownReporter",
        "sarif": "cxaudit.reporters.backtest:BacktestSarifReporter",
    },
}
"""Every command's output formats: command -> format name -> reporter class, imported when chosen.
``drift`` reports its findings as ``check`` does."""


def formats(command: str) -> tuple[str, ...]:
    """The format names of a command, in the order its help lists them."""
    return tuple(REPORTERS[command])


def get_reporter(command: str, name: str) -> type:
    """The reporter class for a command's format name (KeyError for an unknown one)."""
    module, _, attribute = REPORTERS[command][name].partition(":")
    return getattr(importlib.import_module(module), attribute)

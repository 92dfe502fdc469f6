"""Reporters: one module per output format, one table from name to class.

A reporter turns audits into text with ``render(audits) -> str``; the CLI
only picks one from :data:`REPORTERS` and writes what it returns.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cxaudit.engine import JourneyAudit

__all__ = ["REPORTERS", "Reporter", "get_reporter"]


class Reporter(Protocol):
    """What every reporter offers."""

    def render(self, audits: Sequence[JourneyAudit]) -> str: ...


REPORTERS: dict[str, str] = {
    "text": "cxaudit.reporters.text:TextReporter",
    "json": "cxaudit.reporters.json:JsonReporter",
}
"""Format name -> reporter class, imported when chosen."""


def get_reporter(name: str) -> type:
    """The reporter class for a format name (KeyError for an unknown one)."""
    module, _, attribute = REPORTERS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)

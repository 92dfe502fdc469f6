"""A progress bar for long work, on a terminal only (never when piped or in CI)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

MIN_ITEMS = 20
"""Fewer items than this finish before a bar would help."""


def wanted(count: int) -> bool:
    """True when a bar should be shown for ``count`` items."""
    if count < MIN_ITEMS or os.environ.get("CI") or os.environ.get("CXAUDIT_NO_PROGRESS"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress(items: Sequence[T], description: str) -> Iterator[T]:
    """Iterate ``items``, with a rich progress bar on stderr when wanted."""
    if not wanted(len(items)):
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=len(items))
        for item in items:
            yield item
            bar.advance(task)

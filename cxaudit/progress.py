"""A progress bar for long work, on a terminal only (never when piped or in CI)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
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


class Watch:
    """A bar on stderr, while work elsewhere runs, of what ``poll`` says is done: (done, total) or None.

    For an engine that reports its own progress (Spark's tasks); ``shown``
    False (piped, in CI) shows nothing. Use it as a context manager.
    """

    def __init__(self, description: str, poll: Callable[[], tuple[int, int] | None], shown: bool) -> None:
        self._description = description
        self._poll = poll
        self._shown = shown
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Watch:
        if self._shown:
            self._thread = threading.Thread(target=self._show, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task(self._description, total=None)
            while not self._stop.wait(0.2):
                try:
                    found = self._poll()
                except Exception:  # noqa: BLE001 - a bar never stops the work it shows
                    found = None
                if found is not None:
                    bar.update(task, completed=found[0], total=max(found[1], 1))

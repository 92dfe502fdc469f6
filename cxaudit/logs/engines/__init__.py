"""Engines that aggregate an event log where it lives: embedded DuckDB by default, or Apache Spark.

The aggregation is described once, in SQL (:mod:`cxaudit.logs.engines.aggregate`);
an engine opens the log as a table and runs that SQL. Only counts and a few
figures per activity come back to Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from cxaudit.errors import UsageError

ENGINES = ("duckdb", "spark")
"""The engines' names, as ``--engine`` takes them."""

A = TypeVar("A")
B = TypeVar("B")


class Engine(Protocol):
    """What the aggregation needs of an engine."""

    name: str
    file_order: bool
    """The log's rows keep the file's order (then one pass in that order can replace a sort)."""
    source_position: str | None
    """A column of the opened log giving each row's place in it, or None when the engine numbers rows itself."""
    events_position: str
    """SQL for a row's place in the table ``events``."""
    errors: tuple[type[BaseException], ...]
    """What the engine raises for a log it cannot read."""

    def open(self, path: str, *, as_text: bool = False, encoding: str = "utf-8") -> tuple[str, dict[str, str]]:
        """The log at ``path`` as SQL to select from, and its columns' types (upper case); ``as_text``: a
        text file's columns as written, none read as a time or a number; ``encoding``: a text file's, one of
        :data:`ENCODINGS`."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of a query."""

    def row(self, sql: str) -> tuple[Any, ...]:
        """The one row of a query."""

    def run(self, sql: str) -> None:
        """Run a statement: CREATE [TEMP] TABLE or VIEW ... AS, or DROP TABLE or VIEW."""

    def has_table(self, name: str) -> bool:
        """Whether a table or view of that name was made."""

    def put_rows(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> None:
        """Make (or replace) the table ``name`` of text columns from rows given here."""

    def beside(self, first: Callable[[Engine], A], second: Callable[[Engine], B]) -> tuple[A, B]:
        """Both functions' results; an engine with a core to spare runs them at once."""

    def close(self) -> None:
        """Let go of what the engine holds (a session it did not make is left running)."""


ENCODINGS = ("utf-8", "latin-1", "utf-16")
"""The encodings a text log may be in (DuckDB's names; Excel's "CSV" in Western Europe is Latin-1)."""


def open_engine(name: str, *, progress: bool = False, settings: Mapping[str, Any] | None = None) -> Engine:
    """The engine called ``name`` (one of :data:`ENGINES`), ready to open a log.

    ``settings`` is the configuration's ``[tool.cxaudit.engine]`` table (Spark's
    master and options); ``progress`` shows the engine's progress on a terminal.

    Raises
    ------
    UsageError
        An unknown engine, or one whose library (or Java, for Spark) is missing.
    """
    if name == "duckdb":
        from cxaudit.logs.engines.duckdb import DuckDBEngine

        return DuckDBEngine(progress=progress)
    if name == "spark":
        from cxaudit.logs.engines.spark import SparkEngine

        return SparkEngine(progress=progress, settings=settings or {})
    raise UsageError(f"unknown engine '{name}': use one of {', '.join(ENGINES)}")

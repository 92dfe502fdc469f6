"""The default engine: embedded DuckDB, reading the log out of core in this process."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cxaudit.errors import UsageError
from cxaudit.logs.engines.aggregate import literal

A = TypeVar("A")
B = TypeVar("B")

LOG_KINDS = ".csv, .csv.gz, .parquet (a file, a folder or a glob of them), .xes or .xes.gz"
"""The logs a path may name, as messages say it."""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError(
            "reading event logs needs DuckDB, which is not installed: pip install 'cxaudit[logs]'"
        ) from None
    return duckdb


def parquet_files(path: str) -> list[str] | None:
    """The Parquet files a folder or a glob names, sorted; None when ``path`` is neither."""
    if os.path.isdir(path):
        found = glob.glob(os.path.join(glob.escape(path), "**", "*.parquet"), recursive=True)
    elif glob.has_magic(path):
        found = glob.glob(path, recursive=True)
    else:
        return None
    found = sorted(name for name in found if os.path.isfile(name))
    if not found:
        raise UsageError(f"{path}: no Parquet files there; name a .parquet file, a folder or a glob of them")
    return found


class DuckDBEngine:
    """An in-memory DuckDB database; the log is read from its file, in the file's order."""

    name = "duckdb"
    file_order = True
    source_position = None
    events_position = "rowid"

    def __init__(self, *, progress: bool = False) -> None:
        duckdb = _duckdb()
        self.errors = (duckdb.Error,)
        self._folder: Any = None
        self._connection = duckdb.connect(":memory:")
        self._connection.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        # A time without an offset is read as UTC, not in this machine's zone: the
        # same log gives the same gaps everywhere (a time with an offset keeps it).
        self._connection.execute("SET TimeZone = 'UTC'")

    def open(self, path: str, *, as_text: bool = False, encoding: str = "utf-8") -> tuple[str, dict[str, str]]:
        if path.startswith("table:"):
            raise UsageError(f"{path}: tables are read by a Spark session: add --engine spark")
        lowered = path.lower()
        files = parquet_files(path)
        if files is None and not os.path.isfile(path):
            raise UsageError(f"no such event log: {path}")
        if files is not None:
            source = f"read_parquet([{', '.join(literal(name) for name in files)}])"
        elif lowered.endswith((".xes", ".xes.gz")):
            source = self._xes(path)
        elif lowered.endswith(".parquet"):
            source = f"read_parquet({literal(path)})"
        elif lowered.endswith((".csv", ".csv.gz", ".tsv", ".txt", ".gz")):
            # as_text: every column as written, for times to be read by a format the user gives
            options = (", all_varchar = true" if as_text else "") + (
                f", encoding = {literal(encoding)}" if encoding != "utf-8" else ""
            )
            source = f"read_csv({literal(path)}, auto_detect = true{options})"
        else:
            raise UsageError(f"{path}: event logs are read from {LOG_KINDS}")
        types = dict(self.rows(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"))
        return source, types

    def _xes(self, path: str) -> str:
        from cxaudit.logs.xes import load_fast, xes_to_csv

        source = load_fast(self._connection, path)
        if source is None:  # too large to read whole: streamed to a flat file first
            import tempfile

            self._folder = tempfile.TemporaryDirectory()
            flat = os.path.join(self._folder.name, "events.csv")
            xes_to_csv(path, flat)
            source = f"read_csv({literal(flat)}, auto_detect = true, all_varchar = true)"
        return source

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql).fetchall()

    def row(self, sql: str) -> tuple[Any, ...]:
        return self._connection.execute(sql).fetchone()

    def run(self, sql: str) -> None:
        self._connection.execute(sql)

    def has_table(self, name: str) -> bool:
        found = self._connection.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name])
        return bool(found.fetchone()[0])

    def put_rows(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> None:
        declared = ", ".join(f'"{column}" VARCHAR' for column in columns)
        self._connection.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" ({declared})')
        marks = ", ".join("?" for _ in columns)
        self._connection.executemany(f'INSERT INTO "{name}" VALUES ({marks})', [list(row) for row in rows])

    def beside(self, first: Callable[[Any], A], second: Callable[[Any], B]) -> tuple[A, B]:
        # The second runs on its own cursor, in a thread: a DuckDB query in file order keeps one core busy.
        cursor = self._connection.cursor()
        try:
            cursor.execute("SET enable_progress_bar = false")  # one bar, the first's
            other = _Cursor(cursor)
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(second, other)
                done = first(self)
                return done, pending.result()
        finally:
            cursor.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


class _Cursor(DuckDBEngine):
    """The engine on a second cursor of the same database (for :meth:`DuckDBEngine.beside`)."""

    def __init__(self, cursor: Any) -> None:
        self.errors = ()
        self._folder = None
        self._connection = cursor

"""Open an event log, find its columns, and summarise it by one definition of a case.

A log is rows of (case, activity, time), with optional columns for the
resource, a lifecycle transition (``lifecycle:transition``: ``start``,
``complete``...) or a start time (``start_timestamp``). A *visit* is one
completed activity instance: a row without a lifecycle, or a ``complete`` row
(its ``start`` row, when there is one, gives the time it began). A row with
a ``start_timestamp`` is a visit that began then. A case is its visits in
the order they began, up to and including its first outcome activity;
nothing after that enters a journey, and what is left out is counted.

A log without a timestamp column is read in file order: transitions and
case ends are counted, durations are left out.

:class:`EventLog` opens a log once (DuckDB reads it out of core) and gives
its :class:`LogSummary` for any set of outcome activities; discover,
calibrate and drift all read logs through it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cxaudit.errors import UsageError
from cxaudit.logs.summary import LogSummary

if TYPE_CHECKING:
    from cxaudit.logs.engines import Engine

DEFAULT_COLUMNS = {
    "case": ("case:concept:name", "case_id", "case", "case_key"),
    "activity": ("concept:name", "activity", "activity_name", "event", "activity_en"),
    "timestamp": (
        "time:timestamp",
        "timestamp",
        "time",
        "end_timestamp",
        "complete_timestamp",
        "end_time",
        "event_time",
    ),
    "resource": ("org:resource", "org:group", "resource", "owner"),
    "start": ("start_timestamp", "start_time", "time:start", "start"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition"),
}
"""Each role's usual column names, first found first; a name matches whatever its case, spaces, '_' and '-'
(``Case ID`` and ``Complete Timestamp`` of Disco's exports, ``CASE_KEY`` and ``EVENTTIME`` of Celonis's)."""
REQUIRED = ("case", "activity")
UNFINISHED_ID = "ended_without_outcome"
"""The step of a discovered journey for cases that end without an outcome."""


def _plain(name: str) -> str:
    """A column name as the usual names are matched: without case, spaces, '_' or '-' ("Case ID" is case_id).

    >>> _plain("Complete Timestamp"), _plain("case:concept:name")
    ('completetimestamp', 'case:concept:name')
    """
    return "".join(character for character in name.lower() if character not in " _-")


def _pick(available: list[str], wanted: str | None, role: str) -> str | None:
    if wanted is not None:
        if wanted not in available:
            from cxaudit.spec import did_you_mean

            raise UsageError(f"the log has no column '{wanted}' for the {role}{did_you_mean(wanted, available)}")
        return wanted
    known: dict[str, str] = {}
    for name in available:  # the first of two that differ only in case, spaces, '_' or '-'
        known.setdefault(_plain(name), name)
    for candidate in DEFAULT_COLUMNS[role]:
        if _plain(candidate) in known:
            return known[_plain(candidate)]
    if role in REQUIRED:
        raise UsageError(f"cannot tell which column holds the {role}: give --{role} (columns: {', '.join(available)})")
    return None


class EventLog:
    """An event log, opened once by an engine and summarised on demand.

    Parameters name the columns; those not given are found by their usual
    names (:data:`DEFAULT_COLUMNS`). ``engine`` is ``duckdb`` (embedded, the
    default) or ``spark`` (a Spark session; ``engine_settings`` as
    ``[tool.cxaudit.engine]`` gives them). ``time_format`` (strptime codes,
    ``%d.%m.%Y %H:%M``) reads times written other than as ISO 8601; without
    it, a text column of such times is read by the usual format that reads
    it (:mod:`cxaudit.logs.times`). ``encoding`` is a text log's (UTF-8 unless
    given). Use it as a context manager, or call :meth:`close`.

    Raises
    ------
    UsageError
        The file is missing, unreadable or has no usable events; the engine
        or its library (or Java, for Spark) is missing; a named column is not
        in the log.
    """

    def __init__(
        self,
        path: str,
        *,
        case: str | None = None,
        activity: str | None = None,
        timestamp: str | None = None,
        resource: str | None = None,
        start: str | None = None,
        lifecycle: str | None = None,
        progress: bool = False,
        name: str | None = None,
        engine: str = "duckdb",
        engine_settings: Mapping[str, Any] | None = None,
        time_format: str | None = None,
        encoding: str = "utf-8",
    ) -> None:
        from cxaudit.logs.engines import ENCODINGS, aggregate, open_engine
        from cxaudit.logs.times import check_format, find_format, is_time_type

        if encoding not in ENCODINGS:
            raise UsageError(f"--encoding '{encoding}' is not one of {', '.join(ENCODINGS)}")

        self.file = name or path
        self._summaries: dict[frozenset[str], LogSummary] = {}
        self._split = False
        self._engine: Engine | None = open_engine(engine, progress=progress, settings=engine_settings)
        self.engine = engine
        xes = path.lower().endswith((".xes", ".xes.gz"))
        wanted = {
            "case": case,
            "activity": activity,
            "timestamp": timestamp,
            "resource": resource,
            "start": start,
            "lifecycle": lifecycle,
        }
        try:
            if time_format is not None:
                check_format(self._engine, time_format)
            source, types = self._engine.open(path, as_text=time_format is not None, encoding=encoding)
            available = list(types)
            self.columns = {role: _pick(available, given, role) for role, given in wanted.items()}
            if self.columns["timestamp"] is None and self.columns["start"] is not None and start is None:
                # one time a row (named start_time, say): when the activity happened
                self.columns["timestamp"], self.columns["start"] = self.columns["start"], None
            if xes:  # an XES log's table has every column, empty where the log had none
                self.columns = {
                    role: column
                    if column is None or role in REQUIRED or aggregate.has_values(self._engine, source, column)
                    else None
                    for role, column in self.columns.items()
                }
            self.time_formats: dict[str, str] = {}
            for role in ("timestamp", "start"):
                column = self.columns[role]
                if column is not None and not is_time_type(types.get(column, "")):
                    # A start time that cannot be read is no row left out (the visit began when it was
                    # done): its format is looked for at once. The timestamp's only when some are unread.
                    found = time_format or (find_format(self._engine, source, column) if role == "start" else None)
                    if found is not None:
                        self.time_formats[role] = found
            loaded = aggregate.load(self._engine, source, self.columns, types, self.time_formats)
            if loaded[0]["unreadable timestamp"] and "timestamp" not in self.time_formats:
                found = find_format(self._engine, source, self.columns["timestamp"])
                if found is not None:  # read again, by the format that reads more of them
                    self.time_formats["timestamp"] = found
                    aggregate.unload(self._engine)
                    loaded = aggregate.load(self._engine, source, self.columns, types, self.time_formats)
            self.bad_rows, self.span_s, self.cases, self.lifecycle_left_out = loaded
        except self._engine.errors as exc:
            self.close()
            raise UsageError(_cannot_read(self.file, str(exc), encoding)) from None
        except BaseException:
            self.close()
            raise
        self.timed = self.columns["timestamp"] is not None
        if not self.cases:
            self.close()
            _no_usable_events(self.file, self.bad_rows)

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the engine (summaries already made stay)."""
        engine = getattr(self, "_engine", None)
        if engine is not None:
            self._engine = None
            engine.close()

    def activity_names(self) -> dict[str, int]:
        """Every activity with its number of visits, before any outcome is known."""
        from cxaudit.logs.engines import aggregate as engine

        return engine.activity_names(self._open())

    def summary(self, outcomes: Iterable[str] | Callable[[dict[str, int]], Iterable[str]] = ()) -> LogSummary:
        """The log summarised with cases ending at their first visit to one of ``outcomes``.

        ``outcomes`` may be a function of the log's activities and their
        visits (a journey maps them to its steps).
        """
        if callable(outcomes):
            outcomes = outcomes(self.activity_names())
        key = frozenset(outcomes)
        if key not in self._summaries:
            from cxaudit.logs.engines import aggregate as engine

            self._summaries[key] = engine.summarise(self._open(), self, key)
        return self._summaries[key]

    def triples(self, outcomes: Iterable[str]) -> dict[tuple[str | None, str, str | None], int]:
        """(previous, activity, next) -> visits, cut at ``outcomes``: where customers go after an activity,
        by where they came from (None at a case's start or end)."""
        from cxaudit.logs.engines import aggregate as engine

        return engine.triples(self._open(), frozenset(outcomes))

    def ngrams(self, outcomes: Iterable[str], depth: int) -> dict[tuple[str | None, ...], int]:
        """(the ``depth`` previous activities, oldest first, activity, next) -> visits, cut at ``outcomes``
        (None before a case's start and at its end)."""
        from cxaudit.logs.engines import aggregate as engine

        return engine.ngrams(self._open(), frozenset(outcomes), depth)

    def split(self, depth: int, label: Callable[[tuple[str | None, ...]], str | None]) -> None:
        """See the visits through steps that depend on history, from now on: a visit whose (previous
        ``depth`` activities, activity) ``label`` names is a visit of that name (see
        :mod:`cxaudit.logs.history`)."""
        from cxaudit.logs.engines import aggregate as engine
        from cxaudit.logs.history import LABEL

        connection = self._open()
        engine.unlabel(connection)
        odd = sorted(name for name in engine.activity_names(connection) if name.startswith(LABEL))
        if odd:
            raise UsageError(f"{self.file}: activity {odd[0]!r} starts with a NUL character; rename it")
        keys = engine.histories(connection, depth)
        engine.relabel(connection, depth, {key: name for key in keys if (name := label(key)) is not None})
        self._summaries.clear()
        self._split = True

    def unsplit(self) -> None:
        """See the visits as read again, after :meth:`split`."""
        from cxaudit.logs.engines import aggregate as engine

        if self._split:
            engine.unlabel(self._open())
            self._summaries.clear()
            self._split = False

    def per_case(self, outcomes: Iterable[str]) -> tuple[list[int], list[float], dict[str, int]]:
        """Each case's visits and time, and how many cases repeat each activity, cut at ``outcomes`` as
        :meth:`summary` cuts them (for the backtest)."""
        from cxaudit.logs.engines import aggregate as engine

        return engine.per_case(self._open(), self, frozenset(outcomes))

    def variants(
        self, outcomes: Iterable[str], top: int = 5, in_order: bool = False
    ) -> list[tuple[tuple[str, ...], int]]:
        """The ``top`` most common variants of the log's cases (their activities, or labels when
        :meth:`split`, up to their first of ``outcomes``) and how many cases follow each, most common first.

        ``in_order`` (a summary's :attr:`LogSummary.in_order`) lets them be found without sorting.
        """
        from cxaudit.logs.engines.variants import variants

        return variants(self._open(), frozenset(outcomes), top, in_order)

    def _open(self) -> Engine:
        """The engine; an error once the log is closed."""
        if self._engine is None:
            raise UsageError(f"the event log {self.file} is closed")
        return self._engine


def _cannot_read(path: str, said: str, encoding: str) -> str:
    """What to tell a user whose log the engine cannot read, from what the engine said."""
    lines = said.strip().splitlines() or ["unknown error"]
    if "not utf-8 encoded" in said.lower() or "invalid unicode" in said.lower():
        import re

        line = re.search(r"CSV Error on Line: (\d+)", said)
        at = f" (line {line.group(1)})" if line else ""
        return (
            f"cannot read the event log {path}: it is not {encoding.upper()}{at}; save it as UTF-8, or give its "
            "encoding with --encoding latin-1 (Excel's CSV in Western Europe) or --encoding utf-16"
        )
    return f"cannot read the event log {path}: {lines[0]}"


def _no_usable_events(path: str, bad_rows: dict[str, int]) -> None:
    """Refuse a log none of whose rows is an event: every figure from it would be made up."""
    words = {
        "missing case": "without a case id",
        "missing activity": "without an activity",
        "unreadable timestamp": "with an unreadable timestamp",
    }
    left_out = ", ".join(f"{int(n):,} {words[reason]}" for reason, n in bad_rows.items() if n)
    found = f"all its rows were left out ({left_out})" if left_out else "it has no rows"
    raise UsageError(
        f"{path}: no usable events: {found}; name the columns with --case, --activity and --timestamp, "
        "and write times as ISO 8601 (2026-01-31T09:30:00Z) or say how they are written with --time-format "
        "(such as '%d.%m.%Y %H:%M')"
    )


def read_log(
    path: str,
    *,
    case: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    resource: str | None = None,
    start: str | None = None,
    lifecycle: str | None = None,
    progress: bool = False,
    name: str | None = None,
    outcomes: Collection[str] | Callable[[dict[str, int]], Iterable[str]] = (),
    engine: str = "duckdb",
    engine_settings: Mapping[str, Any] | None = None,
    time_format: str | None = None,
    encoding: str = "utf-8",
) -> LogSummary:
    """Summarise an event log (CSV, CSV.gz, Parquet or XES) in one call; see :class:`EventLog`.

    ``engine`` is ``duckdb`` or ``spark`` (``engine_settings``: a Spark session's
    ``master``, ``app_name`` and ``config``, as ``[tool.cxaudit.engine]`` gives them).

    Raises
    ------
    UsageError
        The file is missing or unreadable, the engine or its library is
        missing, or a column cannot be found.
    """
    with EventLog(
        path,
        case=case,
        activity=activity,
        timestamp=timestamp,
        resource=resource,
        start=start,
        lifecycle=lifecycle,
        progress=progress,
        name=name,
        engine=engine,
        engine_settings=engine_settings,
        time_format=time_format,
        encoding=encoding,
    ) as log:
        return replace(log.summary(outcomes))

"""Times a log writes other than as ISO 8601: the format a user gives, or the one found among the usual ones.

Formats are strptime codes (``%d.%m.%Y %H:%M``), as DuckDB's ``strptime``
reads them: ``%d``, ``%m``, ``%H``, ``%M`` and ``%S`` take one digit or two,
``%f`` up to six. A text column of times that do not read as ISO 8601 is
tried against :data:`FORMATS` in one pass; the format that reads the most
of its values is used. Where two formats read them all differently (day
first or month first: ``01/02/2026``), the log cannot tell, and the user is
asked to say which.

Clickstreams and message queues write a time as a number: seconds,
milliseconds or microseconds since 1970-01-01 UTC, the formats ``epoch``,
``epoch-ms`` and ``epoch-us``. A column of such numbers is found by their
size (a time between 1973 and 2286 in one of the units).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxaudit.errors import UsageError

if TYPE_CHECKING:
    from cxaudit.logs.engines import Engine

__all__ = ["FORMATS", "check_format", "find_format", "is_time_type", "text_of", "time_of"]

FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%m-%d-%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S.%f",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
)
"""The formats a text column of times is tried against, besides ISO 8601 (exports of spreadsheets, CRMs and
process-mining tools in Europe and the US)."""


EPOCHS = {
    "epoch": ("MAKE_TIMESTAMP(TRY_CAST(TRY_CAST({v} AS DOUBLE) * 1000000 AS BIGINT))", 1e8),
    "epoch-ms": ("EPOCH_MS(TRY_CAST({v} AS BIGINT))", 1e11),
    "epoch-us": ("MAKE_TIMESTAMP(TRY_CAST({v} AS BIGINT))", 1e14),
}
"""Times written as numbers since 1970-01-01 UTC: SQL reading one, and the least a time after 1973 is."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_time_type(kind: str) -> bool:
    """Whether a column of this type (as the engine names it) already holds times."""
    return kind.upper().startswith(("TIMESTAMP", "DATE"))


def text_of(column_sql: str) -> str:
    """SQL for a column's value as text, None where it is empty."""
    return f"NULLIF(TRIM(CAST({column_sql} AS VARCHAR)), '')"


def time_of(column_sql: str, time_format: str | None) -> str:
    """SQL for a text column read as a time (NULL where it cannot be): ISO 8601, or ``time_format``."""
    if time_format is None:
        return f"TRY_CAST({text_of(column_sql)} AS TIMESTAMPTZ)"
    if time_format in EPOCHS:
        return EPOCHS[time_format][0].format(v=text_of(column_sql)) + "::TIMESTAMPTZ"
    return f"TRY_STRPTIME({text_of(column_sql)}, {_literal(time_format)})::TIMESTAMPTZ"


def check_format(engine: Engine, time_format: str) -> None:
    """Refuse a format the engine cannot read times with.

    Raises
    ------
    UsageError
        An unknown code (``%Q``), or a format with nothing to read.
    """
    if time_format in EPOCHS:
        return
    if "%" not in time_format:
        raise UsageError(
            f"--time-format '{time_format}' has no strptime codes; write one such as '%d.%m.%Y %H:%M', "
            "or epoch, epoch-ms or epoch-us for numbers since 1970"
        )
    try:
        engine.row(f"SELECT {time_of(_literal('2026-01-31'), time_format)}")
    except engine.errors as exc:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--time-format '{time_format}' cannot be read: {said}") from None


def find_format(engine: Engine, source: str, column: str) -> str | None:
    """The format of a text column of times: None when ISO 8601 reads as many of its values as any.

    Raises
    ------
    UsageError
        Two formats read every value, differently (day first or month first).
    """
    quoted = '"' + column.replace('"', '""') + '"'
    counts = ", ".join(f"count(TRY_STRPTIME(v, {_literal(candidate)}))" for candidate in FORMATS)
    # a number is a time in one unit only: the least time after 1973 in the next is a thousand times it
    counts += "".join(
        f", count(*) FILTER (WHERE TRY_CAST(v AS DOUBLE) >= {low:g} AND TRY_CAST(v AS DOUBLE) < {low * 100:g})"
        for _, low in EPOCHS.values()
    )
    values = f"SELECT {text_of(quoted)} AS v FROM {source}"
    row = engine.row(f"SELECT count(v), count(TRY_CAST(v AS TIMESTAMPTZ)), {counts} FROM ({values})")
    written, iso, read = int(row[0]), int(row[1]), [int(n) for n in row[2:]]
    best = max(read, default=0)
    if not written or best <= iso:
        return None
    found = [candidate for candidate, n in zip((*FORMATS, *EPOCHS), read, strict=True) if n == best]
    if len(found) > 1:
        either = " or ".join(f"'{candidate}'" for candidate in found)
        raise UsageError(
            f"the times in column '{column}' read as {either} alike ({best:,} of {written:,} values): "
            "say which with --time-format"
        )
    return found[0]

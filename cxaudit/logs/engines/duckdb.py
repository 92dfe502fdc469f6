"""The log's aggregation on embedded DuckDB: a few small tables of counts come back to Python.

:func:`load` reads the file into the table ``visits`` (one row per completed
activity instance: case, activity, resource, when it began, when it was
done, its file position), counting the rows it leaves out. :func:`summarise`
orders each case's visits by when they began (then when they were done,
then the file), cuts the case after its first outcome, and counts
directly-follows pairs, case starts and ends, the time from each visit's
beginning to the next's (mean, median and 90th percentile, exact), the usual
resource of each activity, and the cases' total times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxaudit.logs.read import EventLog, LogSummary

_TIMESTAMP = "TIMESTAMP"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _time(column: str | None, types: dict[str, str]) -> str:
    """SQL for a column read as a time (NULL where it cannot be read)."""
    if column is None:
        return "NULL::TIMESTAMPTZ"
    quoted = _quote(column)
    if types.get(column, "").startswith(_TIMESTAMP):
        return f"{quoted}::TIMESTAMPTZ"  # already read as a time by DuckDB (only its epoch is used)
    return f"TRY_CAST(NULLIF(TRIM(CAST({quoted} AS VARCHAR)), '') AS TIMESTAMPTZ)"


def has_values(connection: Any, source: str, column: str) -> bool:
    """Whether any row has a value in ``column`` (XES logs' flat files have every column)."""
    quoted = _quote(column)
    found = connection.execute(f"SELECT count(*) FROM {source} WHERE NULLIF({quoted}, '') IS NOT NULL").fetchone()
    return bool(found[0])


def load(connection: Any, source: str, columns: dict[str, str | None], types: dict[str, str]) -> tuple[Any, ...]:
    """Read the log into ``visits``.

    Returns the rows left out by reason, the seconds from the first to the
    last event, the number of cases, and the lifecycle rows that are not
    visits of their own.
    """
    timed = columns["timestamp"] is not None
    resource = f"NULLIF(CAST({_quote(columns['resource'])} AS VARCHAR), '')" if columns["resource"] else "NULL"
    lifecycle = (
        f"lower(TRIM(CAST({_quote(columns['lifecycle'])} AS VARCHAR)))" if columns["lifecycle"] else "NULL::VARCHAR"
    )
    # Values are taken as written (DuckDB keeps surrounding spaces); an empty
    # case or activity is a missing one. rowid is the file position.
    connection.execute(
        f"""
        CREATE TABLE events AS
        SELECT NULLIF(CAST({_quote(columns["case"])} AS VARCHAR), '') AS case_id,
               NULLIF(CAST({_quote(columns["activity"])} AS VARCHAR), '') AS activity,
               {_time(columns["timestamp"], types)} AS time,
               {_time(columns["start"], types)} AS start_time,
               {lifecycle} AS lifecycle,
               {resource} AS resource
        FROM {source}"""
    )
    valid = "case_id IS NOT NULL AND activity IS NOT NULL" + (" AND time IS NOT NULL" if timed else "")
    counts = connection.execute(
        f"""
        SELECT count(*) FILTER (WHERE case_id IS NULL),
               count(*) FILTER (WHERE case_id IS NOT NULL AND activity IS NULL),
               count(*) FILTER (WHERE case_id IS NOT NULL AND activity IS NOT NULL AND time IS NULL),
               epoch_us(min(time) FILTER (WHERE {valid})), epoch_us(max(time) FILTER (WHERE {valid})),
               count(*) FILTER (WHERE {valid} AND lifecycle IS NOT NULL AND lifecycle <> 'complete')
        FROM events"""
    ).fetchone()
    bad_case, bad_activity, bad_time, first, last, not_completions = counts
    bad_rows = {
        "missing case": int(bad_case),
        "missing activity": int(bad_activity),
        "unreadable timestamp": int(bad_time) if timed else 0,
    }
    # A visit is a row without a lifecycle or a completion; it began at its
    # own start time, else at the start row of the same activity just before
    # it in its case, else when it was done.
    connection.execute(
        f"""
        CREATE TABLE visits AS
        SELECT case_id, activity, resource, time AS done,
               coalesce(start_time,
                        CASE WHEN previous_lifecycle = 'start' THEN previous_time END,
                        time) AS began,
               position
        FROM (
            SELECT *, rowid AS position,
                   lag(lifecycle) OVER w AS previous_lifecycle, lag(time) OVER w AS previous_time
            FROM events
            WHERE {valid} AND (lifecycle IS NULL OR lifecycle IN ('start', 'complete'))
            WINDOW w AS (PARTITION BY case_id, activity ORDER BY time, rowid)
        )
        WHERE lifecycle IS NULL OR lifecycle = 'complete'"""
    )
    connection.execute("DROP TABLE events")
    cases = connection.execute("SELECT count(DISTINCT case_id) FROM visits").fetchone()[0]
    span = (last - first) / 1e6 if timed and first is not None else 0.0
    return bad_rows, span, int(cases), int(not_completions)


def activity_names(connection: Any) -> dict[str, int]:
    """Every activity and its visits, in the whole log."""
    found = connection.execute("SELECT activity, count(*) FROM visits GROUP BY activity ORDER BY activity")
    return dict(found.fetchall())


# Each case's visits in order, cut after the first outcome, each with the
# next visit of its case (NULL at the case's end) and the microseconds from
# its beginning to the next one's.
_STEPS = """
    CREATE OR REPLACE TEMP TABLE steps AS
    WITH ordered AS (
        SELECT case_id, activity, resource, began,
               row_number() OVER (PARTITION BY case_id ORDER BY began, done, position) AS pos,
               activity IN (SELECT activity FROM outcomes) AS is_outcome
        FROM visits
    ),
    bounded AS (
        SELECT *, min(CASE WHEN is_outcome THEN pos END) OVER (PARTITION BY case_id) AS first_outcome
        FROM ordered
    )
    SELECT case_id, activity, resource, began, pos,
           first_outcome IS NOT NULL AND pos > first_outcome AS after_outcome,
           lead(activity) OVER k AS following,
           epoch_us(lead(began) OVER k) - epoch_us(began) AS gap
    FROM bounded
    WINDOW k AS (PARTITION BY case_id, first_outcome IS NOT NULL AND pos > first_outcome ORDER BY pos)"""
_FOLLOWS = """
    SELECT activity, following, count(*) FROM steps WHERE NOT after_outcome GROUP BY ALL"""
_ACTIVITIES = """
    SELECT activity, count(*), count(*) FILTER (WHERE pos = 1), count(*) FILTER (WHERE following IS NULL),
           avg(gap) / 1e6, quantile_cont(gap, 0.5) / 1e6, quantile_cont(gap, 0.9) / 1e6
    FROM steps WHERE NOT after_outcome GROUP BY activity"""
_RESOURCES = """
    SELECT activity, resource, count(*) FROM steps WHERE NOT after_outcome AND resource IS NOT NULL GROUP BY ALL"""
_CASES = """
    SELECT avg(took) / 1e6, quantile_cont(took, 0.5) / 1e6, quantile_cont(took, 0.9) / 1e6
    FROM (SELECT epoch_us(max(began)) - epoch_us(min(began)) AS took
          FROM steps WHERE NOT after_outcome GROUP BY case_id)"""


def summarise(connection: Any, log: EventLog, outcomes: frozenset[str]) -> LogSummary:
    """The log's summary with each case cut after its first visit to one of ``outcomes``."""
    from cxaudit.logs.read import Activity, CaseTimes, LogSummary

    connection.execute("CREATE OR REPLACE TEMP TABLE outcomes (activity VARCHAR)")
    if outcomes:
        connection.executemany("INSERT INTO outcomes VALUES (?)", [[name] for name in sorted(outcomes)])
    connection.execute(_STEPS)
    follows = {(a, b): int(n) for a, b, n in connection.execute(_FOLLOWS).fetchall() if b is not None}
    after_outcome = connection.execute("SELECT count(*) FROM steps WHERE after_outcome").fetchone()[0]
    performers: dict[str, list[tuple[int, str]]] = {}
    for name, resource, n in connection.execute(_RESOURCES).fetchall():
        performers.setdefault(name, []).append((-int(n), resource))
    activities = {}
    for name, events, starts, ends, mean, median, p90 in sorted(connection.execute(_ACTIVITIES).fetchall()):
        timed = log.timed and mean is not None
        activities[name] = Activity(
            name,
            int(events),
            int(starts),
            int(ends),
            float(median) if timed else None,
            min(performers[name])[1] if name in performers else None,  # the most frequent, then by name
            float(mean) if timed else None,
            float(p90) if timed else None,
        )
    case_times = None
    if log.timed:
        mean, p50, p90 = connection.execute(_CASES).fetchone()
        case_times = CaseTimes(float(mean), float(p50), float(p90))
    connection.execute("DROP TABLE steps")
    return LogSummary(
        file=log.file,
        cases=log.cases,
        events=sum(info.events for info in activities.values()),
        bad_rows=dict(log.bad_rows),
        activities=activities,
        follows=follows,
        span_s=log.span_s,
        columns=dict(log.columns),
        outcomes=outcomes,
        after_outcome=int(after_outcome),
        lifecycle_left_out=log.lifecycle_left_out,
        timed=log.timed,
        case_times=case_times,
    )

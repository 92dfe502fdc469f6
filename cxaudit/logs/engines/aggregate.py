"""The log's aggregation, described once in SQL: a few small tables of counts come back to Python.

The queries are written in DuckDB's dialect and run by an engine
(:mod:`cxaudit.logs.engines.duckdb`, the default, or
:mod:`cxaudit.logs.engines.spark`, which translates them with sqlglot).

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
    from cxaudit.logs.engines import Engine
    from cxaudit.logs.read import EventLog
    from cxaudit.logs.summary import LogSummary

_TIMESTAMP = "TIMESTAMP"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal (a file name or a case id is data, never SQL)."""
    return "'" + text.replace("'", "''") + "'"


def _time(column: str | None, types: dict[str, str], zoned: bool, time_format: str | None = None) -> str:
    """SQL for a column read as a time (NULL where it cannot be read).

    A column DuckDB already read as a time is taken as it is (its epoch is all
    that is used; a naive time means UTC), cast to a zoned time only to be
    compared with another column (``zoned``). Text is read as ISO 8601, or
    by ``time_format`` (:mod:`cxaudit.logs.times`).
    """
    from cxaudit.logs.times import time_of

    if column is None:
        return "NULL::TIMESTAMPTZ"
    quoted = _quote(column)
    if types.get(column, "").startswith(_TIMESTAMP):
        return f"{quoted}::TIMESTAMPTZ" if zoned else quoted
    return time_of(quoted, time_format)


def has_values(engine: Engine, source: str, column: str) -> bool:
    """Whether any row has a value in ``column`` (XES logs' flat files have every column)."""
    quoted = _quote(column)
    found = engine.row(f"SELECT count(*) FROM {source} WHERE NULLIF({quoted}, '') IS NOT NULL")
    return bool(found[0])


def load(
    engine: Engine,
    source: str,
    columns: dict[str, str | None],
    types: dict[str, str],
    formats: dict[str, str | None] | None = None,
) -> tuple[Any, ...]:
    """Read the log into ``visits``; ``formats`` gives the format of a text column of times by its role.

    Returns the rows left out by reason, the seconds from the first to the
    last event, the number of cases, and the lifecycle rows that are not
    visits of their own.
    """
    timed = columns["timestamp"] is not None
    zoned = columns["start"] is not None
    # Values are taken as written (DuckDB keeps surrounding spaces); an empty
    # case or activity is a missing one. the position is the place in the file. Columns
    # the log does not have are not made.
    selected = [
        f"NULLIF(CAST({_quote(columns['case'])} AS VARCHAR), '') AS case_id",
        f"NULLIF(CAST({_quote(columns['activity'])} AS VARCHAR), '') AS activity",
        f"{_time(columns['timestamp'], types, zoned, (formats or {}).get('timestamp'))} AS time",
    ]
    if columns["start"] is not None:
        selected.append(f"{_time(columns['start'], types, zoned, (formats or {}).get('start'))} AS start_time")
    if columns["lifecycle"] is not None:
        selected.append(f"lower(TRIM(CAST({_quote(columns['lifecycle'])} AS VARCHAR))) AS lifecycle")
    resource = "NULL"
    if columns["resource"] is not None:
        # DuckDB's CSV reader reads an empty value as NULL already; other sources say ''.
        resource = f"CAST({_quote(columns['resource'])} AS VARCHAR)"
        if not source.startswith("read_csv(") or "all_varchar" in source:
            resource = f"NULLIF({resource}, '')"
    selected.append(f"{resource} AS resource")
    if engine.source_position is not None:
        selected.append(f"{engine.source_position} AS position")
    engine.run(f"CREATE TABLE events AS SELECT {', '.join(selected)} FROM {source}")
    valid = "case_id IS NOT NULL AND activity IS NOT NULL" + (" AND time IS NOT NULL" if timed else "")
    not_completions = (
        f"count(*) FILTER (WHERE {valid} AND lifecycle IS NOT NULL AND lifecycle <> 'complete')"
        if columns["lifecycle"] is not None
        else "0"
    )
    counts = engine.row(
        f"""
        SELECT count(*) FILTER (WHERE case_id IS NULL),
               count(*) FILTER (WHERE case_id IS NOT NULL AND activity IS NULL),
               count(*) FILTER (WHERE case_id IS NOT NULL AND activity IS NOT NULL AND time IS NULL),
               epoch_us(min(time) FILTER (WHERE {valid})), epoch_us(max(time) FILTER (WHERE {valid})),
               {not_completions},
               count(DISTINCT case_id) FILTER (WHERE {valid})
        FROM events"""
    )
    bad_case, bad_activity, bad_time, first, last, not_completions, cases = counts
    bad_rows = {
        "missing case": int(bad_case),
        "missing activity": int(bad_activity),
        "unreadable timestamp": int(bad_time) if timed else 0,
    }
    began = "coalesce(start_time, time)" if columns["start"] is not None else "time"
    if columns["lifecycle"] is None:
        # Every row is a visit: a view, not a copy.
        engine.run(
            f"""
            CREATE VIEW visits AS
            SELECT case_id, activity, resource, time AS done, {began} AS began, {engine.events_position} AS position
            FROM events WHERE {valid}"""
        )
    else:
        # A visit is a row without a lifecycle or a completion; it began at its
        # own start time, else at the start row of the same activity just
        # before it in its case, else when it was done.
        starts = columns["start"] is not None
        engine.run(
            f"""
            CREATE TABLE lifecycle_visits AS
            SELECT case_id, activity, resource, time AS done,
                   coalesce({"start_time, " if starts else ""}
                            CASE WHEN previous_lifecycle = 'start' THEN previous_time END,
                            time) AS began,
                   position
            FROM (
                SELECT case_id, activity, resource, time, lifecycle,{" start_time," if starts else ""}
                       {engine.events_position} AS position,
                       lag(lifecycle) OVER w AS previous_lifecycle, lag(time) OVER w AS previous_time
                FROM events
                WHERE {valid} AND (lifecycle IS NULL OR lifecycle IN ('start', 'complete'))
                WINDOW w AS (PARTITION BY case_id, activity ORDER BY time, {engine.events_position})
            )
            WHERE lifecycle IS NULL OR lifecycle = 'complete'"""
        )
        engine.run("CREATE VIEW visits AS SELECT * FROM lifecycle_visits")
    if columns["lifecycle"] is not None:  # a case of lifecycle rows that are not completions has no visit
        cases = engine.row("SELECT count(DISTINCT case_id) FROM visits")[0]
    span = (last - first) / 1e6 if timed and first is not None else 0.0
    return bad_rows, span, int(cases), int(not_completions)


def unload(engine: Engine) -> None:
    """Drop what :func:`load` made, to load the log again."""
    engine.run("DROP VIEW IF EXISTS visits")
    engine.run("DROP TABLE IF EXISTS lifecycle_visits")
    engine.run("DROP TABLE IF EXISTS events")


def activity_names(engine: Engine) -> dict[str, int]:
    """Every activity and its visits, in the whole log."""
    return dict(engine.rows("SELECT activity, count(*) FROM visits GROUP BY activity ORDER BY activity"))


# Each case's visits in order, grouped by what a journey needs of them: the
# activity, its resource, the next visit of its case (none at the case's
# end, and none after an outcome: the case ends there), the microseconds from
# its beginning to the next one's, whether it is its case's first visit, and
# whether an outcome came before it in its case (then it is left out).
#
# Most exported logs list each case's visits together and in order: then the
# next visit of a case is the next row, and one pass in file order finds it
# (no sort), while checking that assumption (no row before the one it
# follows, no time going back within a case, one run of rows per case). The
# same pass tells whether any case goes on after an outcome; only then are
# the visits after one marked, by each case's first outcome. A log that
# breaks the order is sorted by case and time instead: the same counts.
_MARKED = "SELECT *, list_contains({outcomes}, activity) AS is_outcome FROM visits"


# How many outcomes came before a visit in its case, in the order visits began.
_OUTCOMES_BEFORE = """coalesce(sum(is_outcome::INT) OVER (
        PARTITION BY case_id ORDER BY began, done, position ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ), 0)"""


def _marked(outcomes: frozenset[str]) -> str:
    """SQL for the visits, each marked whether its activity is one of ``outcomes`` (names are data, quoted)."""
    names = ", ".join(literal(name) for name in sorted(outcomes))
    return _MARKED.format(outcomes=f"[{names}]::VARCHAR[]")


_IN_FILE_ORDER = """
    CREATE OR REPLACE TEMP TABLE grouped AS
    WITH marked AS ({marked}),
    paired AS (
        SELECT *, lag(case_id) OVER () AS previous_case, lead(case_id) OVER () AS next_case,
               lead(activity) OVER () AS next_activity, lead(began) OVER () AS next_began,
               lead(done) OVER () AS next_done, lead(position) OVER () AS next_position
        FROM marked
    ){firsts}
    SELECT activity, resource,
           CASE WHEN NOT is_outcome AND next_case = case_id THEN next_activity END AS following,
           CASE WHEN NOT is_outcome AND next_case = case_id THEN epoch_us(next_began) - epoch_us(began) END AS gap,
           previous_case IS DISTINCT FROM case_id AS first_visit,
           {after} AS after_outcome,
           count(*) AS n,
           count(*) FILTER (WHERE next_position <= position
                            OR next_case = case_id AND (next_began < began OR next_began = began AND next_done < done))
               AS disorder,
           count(*) FILTER (WHERE is_outcome AND next_case = case_id) AS followed
    FROM paired{join}
    GROUP BY ALL"""
_FIRST_OUTCOMES = """,
    firsts AS (SELECT case_id, min(position) FILTER (WHERE is_outcome) AS first_outcome FROM marked GROUP BY case_id)"""
_SORTED = """
    CREATE OR REPLACE TEMP TABLE grouped AS
    SELECT activity, resource, following, gap, first_visit, after_outcome, count(*) AS n, 0 AS disorder, 0 AS followed
    FROM (
        SELECT activity, resource,
               row_number() OVER w = 1 AS first_visit,
               {outcomes_before} > 0 AS after_outcome,
               CASE WHEN NOT is_outcome THEN lead(activity) OVER w END AS following,
               CASE WHEN NOT is_outcome THEN epoch_us(lead(began) OVER w) - epoch_us(began) END AS gap
        FROM ({marked})
        WINDOW w AS (PARTITION BY case_id ORDER BY began, done, position)
    )
    GROUP BY ALL"""
_FOLLOWS = """
    SELECT activity, following, sum(n) FROM grouped WHERE NOT after_outcome AND following IS NOT NULL GROUP BY ALL"""
_RESOURCES = """
    SELECT activity, resource, sum(n) FROM grouped WHERE NOT after_outcome AND resource IS NOT NULL GROUP BY ALL"""
# Counts, starts, ends and the mean time to the next visit per activity, and
# the exact median and 90th percentile of that time (linear between the two
# nearest ranks, as quantile_cont), read from the counted gaps.
_ACTIVITIES = """
    WITH kept AS (SELECT * FROM grouped WHERE NOT after_outcome),
    gaps AS (SELECT activity, gap, sum(n) AS n FROM kept WHERE gap IS NOT NULL GROUP BY ALL),
    ranked AS (
        SELECT activity, gap, sum(n) OVER (PARTITION BY activity ORDER BY gap) AS upto,
               sum(n) OVER (PARTITION BY activity) AS total
        FROM gaps
    ),
    spread AS (
        SELECT activity,
               {quantiles}
        FROM ranked GROUP BY activity
    ),
    counts AS (
        SELECT activity, sum(n) AS events, sum(n) FILTER (WHERE first_visit) AS starts,
               sum(n) FILTER (WHERE following IS NULL) AS ends,
               sum(gap::HUGEINT * n) FILTER (WHERE gap IS NOT NULL)::DOUBLE
                   / sum(n) FILTER (WHERE gap IS NOT NULL)::DOUBLE / 1e6 AS mean,
               sum(n) FILTER (WHERE gap IS NOT NULL) AS timed,
               sum(gap::HUGEINT * gap * n) FILTER (WHERE gap IS NOT NULL)::DOUBLE / 1e12 AS squares
        FROM kept GROUP BY activity
    )
    SELECT activity, events, coalesce(starts, 0), coalesce(ends, 0), mean, p50 / 1e6, p90 / 1e6,
           CASE WHEN timed > 1 THEN sqrt(greatest(squares - timed * mean * mean, 0) / (timed - 1)) END
    FROM counts LEFT JOIN spread USING (activity)"""


def _quantile(q: float, name: str) -> str:
    """SQL for the ``q`` quantile of the counted gaps of one activity (``ranked``), as ``name``."""
    low = f"floor((total - 1) * {q})"
    at_low = f"min(gap) FILTER (WHERE upto > {low})"
    at_high = f"min(gap) FILTER (WHERE upto > {low} + 1)"
    fraction = f"((any_value(total) - 1) * {q} - floor((any_value(total) - 1) * {q}))"
    return f"{at_low} + {fraction} * (coalesce({at_high}, {at_low}) - {at_low}) AS {name}"


_CASES = """
    SELECT sum(took::HUGEINT)::DOUBLE / count(took)::DOUBLE / 1e6,
           quantile_cont(took, 0.5) / 1e6, quantile_cont(took, 0.9) / 1e6
    FROM (
        SELECT epoch_us(coalesce(min(began) FILTER (WHERE is_outcome), max(began))) - epoch_us(min(began)) AS took
        FROM ({marked}) GROUP BY case_id
    )"""


def summarise(engine: Engine, log: EventLog, outcomes: frozenset[str]) -> LogSummary:
    """The log's summary with each case cut after its first visit to one of ``outcomes``."""
    from cxaudit.logs.summary import Activity, CaseTimes, LogSummary

    marked = _marked(outcomes)

    def case_times(beside: Engine) -> Any:
        return beside.row(_CASES.format(marked=marked)) if log.timed else None

    if engine.file_order:
        # The pass in file order keeps one core busy: the cases' times are computed beside it.
        def in_file_order(_: Engine) -> None:
            engine.run(_IN_FILE_ORDER.format(marked=marked, firsts="", after="false", join=""))

        _, times = engine.beside(in_file_order, case_times)
        disorder, runs, followed = engine.row(
            "SELECT sum(disorder), sum(n) FILTER (WHERE first_visit), sum(followed) FROM grouped"
        )
        in_order = not disorder and runs == log.cases
    else:  # an engine whose rows have no order of their own sorts each case
        times = case_times(engine)
        in_order = followed = False
    if not in_order:
        engine.run(_SORTED.format(marked=marked, outcomes_before=_OUTCOMES_BEFORE))
    elif followed:  # in order, but some case goes on after an outcome: mark what follows it
        after = "first_outcome IS NOT NULL AND position > first_outcome"
        join = " JOIN firsts USING (case_id)"
        engine.run(_IN_FILE_ORDER.format(marked=marked, firsts=_FIRST_OUTCOMES, after=after, join=join))
    follows = {(a, b): int(n) for a, b, n in engine.rows(_FOLLOWS) if b is not None}
    after_outcome = engine.row("SELECT coalesce(sum(n), 0) FROM grouped WHERE after_outcome")[0]
    performers: dict[str, list[tuple[int, str]]] = {}
    for name, resource, n in engine.rows(_RESOURCES):
        performers.setdefault(name, []).append((-int(n), resource))
    activities = {}
    quantiles = ", ".join((_quantile(0.5, "p50"), _quantile(0.9, "p90")))
    rows = engine.rows(_ACTIVITIES.format(quantiles=quantiles))
    for name, events, starts, ends, mean, median, p90, sd in sorted(rows):
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
            float(sd) if timed and sd is not None else None,
        )
    case_times = None if times is None else CaseTimes(*(float(value) for value in times))
    engine.run("DROP TABLE grouped")
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
        in_order=in_order,
        time_formats=dict(log.time_formats),
    )


# Per case, over the visits before or at its first outcome: how many visits,
# how long it took, and which activities it visits twice or more.
_PER_CASE = """
    WITH ordered AS (
        SELECT case_id, activity, began,
               {outcomes_before} = 0 AS kept
        FROM ({marked})
    ),
    kept AS (SELECT * FROM ordered WHERE kept)
    SELECT 'case', NULL, count(*), epoch_us(max(began)) - epoch_us(min(began)) FROM kept GROUP BY case_id
    UNION ALL
    SELECT 'repeat', activity, count(*), NULL FROM (
        SELECT case_id, activity FROM kept GROUP BY case_id, activity HAVING count(*) >= 2
    ) GROUP BY activity"""


def per_case(engine: Engine, log: EventLog, outcomes: frozenset[str]) -> tuple[list[int], list[float], dict[str, int]]:
    """Each case's visits and time (seconds; none for a log without times), and the cases that repeat each activity.

    The lists are in no particular order (they are samples); the backtest reads their means and spreads.
    """
    visits: list[int] = []
    times: list[float] = []
    repeats: dict[str, int] = {}
    query = _PER_CASE.format(marked=_marked(outcomes), outcomes_before=_OUTCOMES_BEFORE)
    for kind, activity, n, took in engine.rows(query):
        if kind == "case":
            visits.append(int(n))
            if log.timed and took is not None:
                times.append(took / 1e6)
        else:
            repeats[activity] = int(n)
    return visits, times, repeats


# Each kept visit with the ``depth`` visits before it and the one after it in
# its case (NULL before the case's start and at its end; nothing after an
# outcome), counted.
_NGRAMS = """
    WITH ordered AS (
        SELECT case_id, activity, is_outcome,
               {outcomes_before} = 0 AS kept,
               {lags}lead(activity) OVER w AS following
        FROM ({marked})
        WINDOW w AS (PARTITION BY case_id ORDER BY began, done, position)
    )
    SELECT {history}activity, CASE WHEN NOT is_outcome THEN following END, count(*)
    FROM ordered WHERE kept GROUP BY ALL"""


def _lags(depth: int) -> str:
    """SQL for the ``depth`` previous activities of a visit in its case (window ``w``), oldest first, as
    ``h{depth}`` ... ``h1``, each followed by a comma."""
    return "".join(f"lag(activity, {k}) OVER w AS h{k}, " for k in range(depth, 0, -1))


def ngrams(engine: Engine, outcomes: frozenset[str], depth: int) -> dict[tuple[str | None, ...], int]:
    """(the ``depth`` previous activities, oldest first, activity, next activity) -> visits, over the visits
    before or at each case's first outcome; None before a case's start and at its end."""
    lags = _lags(depth)
    history = "".join(f"h{k}, " for k in range(depth, 0, -1))
    query = _NGRAMS.format(marked=_marked(outcomes), outcomes_before=_OUTCOMES_BEFORE, lags=lags, history=history)
    return {tuple(row[:-1]): int(row[-1]) for row in engine.rows(query)}


def triples(engine: Engine, outcomes: frozenset[str]) -> dict[tuple[str | None, str, str | None], int]:
    """(previous activity, activity, next activity) -> visits, over the visits before or at each case's first
    outcome; None where a case starts or ends."""
    return ngrams(engine, outcomes, 1)  # type: ignore[return-value]


def _base(engine: Engine) -> str:
    """The visits as read, before any relabelling."""
    return "base_visits" if engine.has_table("base_visits") else "visits"


def histories(engine: Engine, depth: int) -> list[tuple[str | None, ...]]:
    """Every (the ``depth`` previous activities, oldest first, activity) of the log's visits as read."""
    rows = engine.rows(
        f"""
        SELECT DISTINCT {_lags(depth)}activity FROM {_base(engine)}
        WINDOW w AS (PARTITION BY case_id ORDER BY began, done, position)"""
    )
    return [tuple(row) for row in rows]


def relabel(engine: Engine, depth: int, labels: dict[tuple[str | None, ...], str]) -> None:
    """Give each visit whose (previous ``depth`` activities, activity) is in ``labels`` that label as its
    activity, from now on (the log seen through a journey whose steps depend on history); the visits as
    read are kept, and a later call relabels those."""
    if _base(engine) == "visits":
        engine.run("CREATE TABLE base_visits AS SELECT * FROM visits")
    names = [f"h{k}" for k in range(depth, 0, -1)]
    engine.put_rows("history_labels", [*names, "activity", "label"], [(*key, label) for key, label in labels.items()])
    lags = _lags(depth)
    matched = " AND ".join(f"v.{name} IS NOT DISTINCT FROM l.{name}" for name in names)
    engine.run(
        f"""
        CREATE OR REPLACE TABLE relabelled_visits AS
        SELECT case_id, coalesce(l.label, v.activity) AS activity, resource, done, began, position
        FROM (
            SELECT *, {lags}NULL AS _ FROM base_visits
            WINDOW w AS (PARTITION BY case_id ORDER BY began, done, position)
        ) v LEFT JOIN history_labels l ON v.activity = l.activity AND {matched}
        ORDER BY position"""
    )
    engine.run("DROP TABLE history_labels")
    engine.run("CREATE OR REPLACE VIEW visits AS SELECT * FROM relabelled_visits")


def unlabel(engine: Engine) -> None:
    """The visits as read again, after :func:`relabel`."""
    if _base(engine) == "base_visits":
        engine.run("CREATE OR REPLACE VIEW visits AS SELECT * FROM base_visits")
        engine.run("DROP TABLE IF EXISTS relabelled_visits")

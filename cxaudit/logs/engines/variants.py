"""A log's most common variants (each case's activities up to its first outcome), on any engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxaudit.logs.engines.aggregate import _OUTCOMES_BEFORE, _marked, literal

if TYPE_CHECKING:
    from cxaudit.logs.engines import Engine

__all__ = ["variants"]


# The activities of each case up to its first outcome, in order, and how many cases share them.
_VARIANTS = """
    WITH ordered AS (
        SELECT case_id, activity, began, done, position,
               {outcomes_before} = 0 AS kept
        FROM ({marked})
    ),
    traces AS (
        SELECT list(activity ORDER BY began, done, position) AS trace FROM ordered WHERE kept GROUP BY case_id
    )
    SELECT trace, count(*) AS n FROM traces GROUP BY trace ORDER BY n DESC, trace LIMIT {top}"""


# The same for a log whose cases' visits are together and in time order, without a sort: a case's
# trace is known by its length and a sum of hashes of (place in the case, activity), each distinct
# trace's cases are counted, and the traces of the most common are read from one case each. A
# visit's place is its row less its case's first row, which holds only while no row left out (an
# unreadable time, a lifecycle row that is not a visit) lies inside a case: the last column says
# whether one does, and then the sorted query above is used.
_VARIANTS_IN_ORDER = """
    WITH marked AS ({marked}),
    cases AS (
        SELECT case_id, min(position) AS first, min(position) FILTER (WHERE is_outcome) AS stop
        FROM marked GROUP BY case_id
    ),
    traces AS (
        SELECT case_id, count(*) AS visits, max(position) - first + 1 AS span,
               sum(hash(position - first, activity)::HUGEINT) AS key
        FROM marked JOIN cases USING (case_id) WHERE stop IS NULL OR position <= stop GROUP BY case_id, first
    ),
    kinds AS (SELECT min(case_id) AS case_id, count(*) AS n FROM traces GROUP BY visits, key)
    SELECT case_id, n, (SELECT bool_or(span <> visits) FROM traces) FROM kinds
    WHERE n >= coalesce((SELECT n FROM kinds ORDER BY n DESC LIMIT 1 OFFSET {top} - 1), 0)"""
_TRACE = """
    SELECT activity FROM ({marked}) WHERE case_id = {case} ORDER BY position"""


def variants(
    engine: Engine, outcomes: frozenset[str], top: int, in_order: bool = False
) -> list[tuple[tuple[str, ...], int]]:
    """The ``top`` most common variants (a case's activities up to its first outcome) and their cases,
    most common first, then in the order of their activities. ``in_order``: the log's cases are each
    together and in time order in the file (:attr:`LogSummary.in_order`), and no sort is needed."""
    marked = _marked(outcomes)
    kinds = None
    if in_order and engine.file_order:
        kinds = engine.rows(_VARIANTS_IN_ORDER.format(marked=marked, top=int(top)))
        if kinds and kinds[0][2]:  # a row left out lies inside a case: the places are not the rows
            kinds = None
    if kinds is None:
        query = _VARIANTS.format(marked=marked, outcomes_before=_OUTCOMES_BEFORE, top=int(top))
        return [(tuple(trace), int(n)) for trace, n in engine.rows(query)]
    found = []
    for case_id, n, _ in kinds:
        trace = []
        for (activity,) in engine.rows(_TRACE.format(marked=marked, case=literal(case_id))):
            trace.append(activity)
            if activity in outcomes:
                break
        found.append((tuple(trace), int(n)))
    return sorted(found, key=lambda item: (-item[1], item[0]))[:top]

"""Journeys whose steps are split by history: an activity's steps taken together, exactly from the chain.

``discover --history N`` splits an activity into steps by the activities
before it (``after``); each keeps the activity as its name. Figures about
the activity (does a customer do it again?) are then about the group of
its steps, not any one of them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxaudit.analysis.structure import Structure
    from cxaudit.model import Journey

__all__ = ["activity_groups", "group_visits", "groups_visits", "repeat_probability"]


def activity_groups(journey: Journey) -> dict[str, tuple[str, ...]]:
    """The steps of each activity that history splits into two or more steps, by the activity's name
    (as its first step writes it; names that differ only in case are one activity).

    Empty for a journey with no step split by history (``after``).
    """
    if not any(step.after for step in journey.steps.values()):
        return {}
    groups: dict[str, list[str]] = {}
    for step_id, step in journey.steps.items():
        if not step.is_outcome:
            groups.setdefault(step.name.casefold(), []).append(step_id)
    return {journey.steps[ids[0]].name: tuple(ids) for ids in groups.values() if len(ids) > 1}


def group_visits(journey: Journey, group: set[str]) -> tuple[float, float]:
    """The probabilities that a case visits the steps ``group`` at all, and twice or more.

    See :func:`groups_visits`, which does this for many groups at once.
    """
    return groups_visits(journey, [group])[0]


# Groups are solved together, a chunk at a time: the right-hand sides of one chunk are at most this many.
_COLUMNS = 256


def groups_visits(
    journey: Journey, groups: Sequence[Collection[str]], *, structure: Structure | None = None, system: Any = None
) -> list[tuple[float, float]]:
    """For each group of steps: the probabilities that a case visits it at all, and twice or more.

    Where the first visit to a group lands (the chain walked outside the group
    until it enters), then the chance of coming back from there. Steps where
    customers are stuck end the walk: entering one of the group counts, and a
    trap's step comes back for sure (a dead end never). Walking outside a
    group G is solving with ``A_OO``, the block of ``A = I - Q`` outside G;
    with ``N = A^-1`` factorised once for the whole chain,
    ``A_OO^-1 = N_OO - N_OG N_GG^-1 N_GO``, so each group costs a solve per
    step of it (columns of ``N``), not a factorisation of its own, and the
    groups of a chunk share one solve.

    ``structure`` and ``system`` are the journey's, when the caller has them
    (an audit: its :class:`~cxaudit.analysis.structure.Structure` and its
    chain's :class:`~cxaudit.analysis.linear.LinearSystem`, factorised over
    the same steps); else they are made here.
    """
    if not groups:
        return []
    import numpy as np

    from cxaudit.analysis.linear import LinearSystem
    from cxaudit.analysis.structure import analyse_structure

    if structure is None:
        structure = analyse_structure(journey)
    trapped = {step for trap in structure.traps for step in trap}
    transient = [s for s, step in journey.steps.items() if not step.is_outcome and s not in structure.stuck]
    index = {s: i for i, s in enumerate(transient)}
    n = len(transient)
    rows, cols, vals = [], [], []
    into_stuck: dict[str, list[tuple[int, float]]] = {}  # stuck step -> (transient step, probability)
    for s in transient:
        for t in journey.steps[s].next:
            if t.target in index:
                rows.append(index[s])
                cols.append(index[t.target])
                vals.append(t.probability)
            elif t.target in structure.stuck:
                into_stuck.setdefault(t.target, []).append((index[s], t.probability))
    if system is None:
        system = LinearSystem(n, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals))
    q = _sparse_rows(n, rows, cols, vals)
    start = np.zeros(n)
    start_stuck: dict[str, float] = {}
    for entry in journey.entry:
        if entry.step in index:
            start[index[entry.step]] += entry.share
        elif entry.step in structure.stuck:
            start_stuck[entry.step] = start_stuck.get(entry.step, 0.0) + entry.share

    results: list[tuple[float, float]] = []
    chunk: list[Collection[str]] = []
    width = 0
    for group in [*groups, None]:
        size = 0 if group is None else 1 + sum(1 for s in group if s in index)
        if chunk and (group is None or width + size > _COLUMNS):
            results.extend(_chunk(chunk, system, q, start, index, into_stuck, start_stuck, trapped))
            chunk, width = [], 0
        if group is not None:
            chunk.append(group)
            width += size
    return results


def _sparse_rows(n: int, rows: list[int], cols: list[int], vals: list[float]) -> Any:
    """``Q`` as a matrix that multiplies quickly (SciPy's CSR for a large chain, a dense array otherwise)."""
    import numpy as np

    from cxaudit.analysis.linear import DENSE_LIMIT

    if n <= DENSE_LIMIT:
        dense = np.zeros((n, n))
        np.add.at(dense, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)), vals)
        return dense
    from scipy.sparse import csr_matrix

    return csr_matrix((vals, (rows, cols)), shape=(n, n))


def _chunk(
    groups: list[Collection[str]],
    system: Any,
    q: Any,
    start: Any,
    index: dict[str, int],
    into_stuck: dict[str, list[tuple[int, float]]],
    start_stuck: dict[str, float],
    trapped: set[str],
) -> list[tuple[float, float]]:
    """:func:`groups_visits` for one chunk of groups: two solves with ``A`` and two with its transpose."""
    import numpy as np

    n = len(start)
    members = [np.array(sorted(index[s] for s in group if s in index), dtype=np.int64) for group in groups]
    stuck = [[s for s in group if s in into_stuck or s in start_stuck] for group in groups]
    # Per group: the chance of entering it in one move from each step (into a member, or a stuck member).
    enter = np.zeros((n, len(groups)))
    inside = np.zeros((n, len(groups)), dtype=bool)
    for k in range(len(groups)):
        inside[members[k], k] = True
        for s in stuck[k]:
            for i, p in into_stuck.get(s, ()):
                enter[i, k] += p
    enter += q @ inside.astype(float)
    outside_enter = np.where(inside, 0.0, enter)
    units = np.zeros((n, sum(len(m) for m in members)))
    offsets = np.cumsum([0, *(len(m) for m in members)])
    for k, m in enumerate(members):
        units[m, np.arange(offsets[k], offsets[k + 1])] = 1.0
    forward = system.solve(np.hstack([units, outside_enter]))
    starts = np.where(inside, 0.0, start[:, None])
    backward = system.solve(np.hstack([units, starts]), transpose=True)
    found = []
    for k, m in enumerate(members):
        columns = slice(offsets[k], offsets[k + 1])
        hit = _outside_solve(forward[:, columns], forward[:, units.shape[1] + k], m)
        before = _outside_solve(backward[:, columns], backward[:, units.shape[1] + k], m)
        hit[m] = 1.0
        first = np.zeros(n)
        if len(m):
            first[m] = start[m] + q[:, m].T @ before
        again = np.asarray(q[m] @ hit).ravel()
        places = {int(i): place for place, i in enumerate(m)}
        for s in stuck[k]:  # from a member straight into a stuck member: a second visit
            for i, p in into_stuck.get(s, ()):
                if i in places:
                    again[places[i]] += p
        reach = float(first[m].sum())
        repeat = float(first[m] @ again) if len(m) else 0.0
        for s in stuck[k]:  # a stuck member entered from outside: a visit, and a trap's a second one for sure
            entered = start_stuck.get(s, 0.0) + sum(before[i] * p for i, p in into_stuck.get(s, ()) if before[i])
            reach += entered
            repeat += entered if s in trapped else 0.0
        found.append((float(min(max(reach, 0.0), 1.0)), float(min(max(repeat, 0.0), 1.0))))
    return found


def _outside_solve(columns: Any, full: Any, members: Any) -> Any:
    """``A_OO^-1 b`` on the steps outside ``members`` (0 on them), from ``N b`` (``full``) and ``N``'s
    columns of the members (``columns``), by the Schur complement: ``x_O - N_OG N_GG^-1 x_G``."""
    import numpy as np

    if not len(members):
        return full.copy()
    correction = columns @ np.linalg.solve(columns[members], full[members])
    solved = full - correction
    solved[members] = 0.0
    return solved


def repeat_probability(journey: Journey, group: set[str]) -> float:
    """The probability that a case visits the steps ``group`` twice or more, exactly from the chain."""
    return group_visits(journey, group)[1]

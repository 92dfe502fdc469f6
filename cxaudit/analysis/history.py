"""Journeys whose steps are split by history: an activity's steps taken together, exactly from the chain.

``discover --history N`` splits an activity into steps by the activities
before it (``after``); each keeps the activity as its name. Figures about
the activity (does a customer do it again?) are then about the group of
its steps, not any one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.model import Journey

__all__ = ["activity_groups", "group_visits", "repeat_probability"]


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

    Where the first visit to the group lands (the chain walked outside the
    group until it enters), then the chance of coming back to the group
    from there.
    """
    import numpy as np

    transient = [s for s, step in journey.steps.items() if not step.is_outcome]
    index = {s: i for i, s in enumerate(transient)}
    q = np.zeros((len(transient), len(transient)))
    for s in transient:
        for t in journey.steps[s].next:
            if t.target in index:
                q[index[s], index[t.target]] += t.probability
    start = np.zeros(len(transient))
    for entry in journey.entry:
        if entry.step in index:
            start[index[entry.step]] += entry.share
    inside = np.array([s in group for s in transient])
    outside = ~inside
    a = np.eye(int(outside.sum())) - q[np.ix_(outside, outside)]
    # the chance of reaching the group from each step outside it, and the expected visits outside before
    hit = np.ones(len(transient))
    hit[outside] = np.linalg.lstsq(a, q[np.ix_(outside, inside)].sum(axis=1), rcond=None)[0]
    before = np.linalg.lstsq(a.T, start[outside], rcond=None)[0]
    first = start[inside] + before @ q[np.ix_(outside, inside)]
    again = q[inside] @ hit

    def share(value: float) -> float:
        return float(min(max(value, 0.0), 1.0))

    return share(first.sum()), share(first @ again)


def repeat_probability(journey: Journey, group: set[str]) -> float:
    """The probability that a case visits the steps ``group`` twice or more, exactly from the chain."""
    return group_visits(journey, group)[1]

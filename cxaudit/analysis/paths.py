"""The most probable path to success."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.model import Journey

__all__ = ["SuccessPath", "most_probable_path"]


@dataclass(frozen=True, slots=True)
class SuccessPath:
    """One path from the entry to a success outcome, and what it asks of a customer."""

    steps: tuple[str, ...]
    probability: float
    """Share of entering customers who take exactly this path."""
    effort: int
    duration_s: float
    owners: tuple[str, ...]
    """Owners along the path, in order of first appearance."""
    handoffs: int
    """Changes of owner between consecutive steps (steps without owner not counted)."""
    channel_switches: int
    """Changes of channel between consecutive steps (steps without channel not counted)."""


def _changes(values: list[str | None]) -> int:
    known = [v for v in values if v is not None]
    return sum(1 for a, b in pairwise(known) if a != b)


def most_probable_path(journey: Journey, graph: nx.DiGraph) -> SuccessPath | None:
    """The single most likely path from an entry step to a success outcome.

    A shortest path on ``-log p``: the product of probabilities along a path
    is largest where the sum of their negative logarithms is smallest. The
    entry share counts as the first factor. Dijkstra keeps one predecessor per
    step, so the work is linear in transitions (no all-pairs paths). Ties are
    broken by file order. None when no success outcome is reachable.

    Examples
    --------
    >>> from cxaudit.loader import loads_journey
    >>> from cxaudit.graph import build_graph
    >>> j = loads_journey('''cxaudit: 1
    ... journey: {id: j, name: J}
    ... entry: a
    ... steps:
    ...   a: {name: A, next: {b: 0.3, c: 0.7}}
    ...   b: {name: B, next: {ok: 1}}
    ...   c: {name: C, next: {ok: 0.2, ko: 0.8}}
    ...   ok: {name: OK, type: success}
    ...   ko: {name: KO, type: abandon}
    ... ''')
    >>> path = most_probable_path(j, build_graph(j))
    >>> path.steps, round(path.probability, 6)
    (('a', 'b', 'ok'), 0.3)
    """
    import networkx as nx

    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]
    if not successes:
        return None
    order = {sid: i for i, sid in enumerate(journey.steps)}

    def weight(_u: str, _v: str, data: dict) -> float | None:
        p = data["probability"]
        return -math.log(p) if p > 0 else None

    best: tuple[float, int, int, list[str]] | None = None
    for entry in journey.entry:
        if entry.share <= 0:
            continue
        predecessors, distances = nx.dijkstra_predecessor_and_distance(graph, entry.step, weight=weight)
        for target in successes:
            if target not in distances:
                continue
            cost = distances[target] - math.log(entry.share)
            key = (cost, order[entry.step], order[target])
            if best is None or key < best[:3]:
                path = [target]
                while path[-1] != entry.step:
                    choices = predecessors[path[-1]]
                    path.append(min(choices, key=order.__getitem__))
                best = (*key, path[::-1])
    if best is None:
        return None
    path = best[3]
    steps = [journey.steps[sid] for sid in path]
    owners: list[str] = []
    for step in steps:
        if step.owner is not None and step.owner not in owners:
            owners.append(step.owner)
    return SuccessPath(
        steps=tuple(path),
        probability=math.exp(-best[0]),
        effort=sum(step.effort or 0 for step in steps),
        duration_s=sum(step.duration_s or 0.0 for step in steps),
        owners=tuple(owners),
        handoffs=_changes([s.owner for s in steps if not s.is_outcome]),
        channel_switches=_changes([s.channel for s in steps if not s.is_outcome]),
    )

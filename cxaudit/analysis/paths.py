"""The most probable path to success."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.analysis.structure import Transitions
    from cxaudit.model import Journey

__all__ = ["SuccessPath", "VariantShare", "most_probable_path", "variant_shares"]


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


@dataclass(frozen=True, slots=True)
class VariantShare:
    """A path the log's cases took (a variant), the share of cases that took it, and the journey's share."""

    steps: tuple[str, ...]
    cases: int
    share: float
    """Share of the log's cases that took exactly this path."""
    predicted: float
    """Share of entering customers the journey sends along exactly this path."""


def variant_shares(journey: Journey) -> tuple[VariantShare, ...]:
    """The journey's ``variants`` (the log's most common paths) beside the share the chain gives each.

    A path's share in the chain is its entry share times the probability of
    each of its transitions: what a customer entering takes exactly this way.

    >>> from cxaudit import loads_journey
    >>> journey = loads_journey(
    ...     "cxaudit: 1\\njourney: {id: j, name: J, cases: 10, variants: [{cases: 6, steps: [a, ok]}]}\\n"
    ...     "entry: a\\nsteps:\\n  a: {name: A, next: {ok: 0.7, ko: 0.3}}\\n"
    ...     "  ok: {name: OK, type: success}\\n  ko: {name: KO, type: abandon}\\n"
    ... )
    >>> variant_shares(journey)[0]
    VariantShare(steps=('a', 'ok'), cases=6, share=0.6, predicted=0.7)
    """
    entry: dict[str, float] = {}
    for item in journey.entry:
        entry[item.step] = entry.get(item.step, 0.0) + item.share
    total = journey.cases or sum(variant.cases for variant in journey.variants)
    out = []
    for variant in journey.variants:
        probability = entry.get(variant.steps[0], 0.0)
        for source, target in pairwise(variant.steps):
            probability *= sum(t.probability for t in journey.steps[source].next if t.target == target)
        out.append(VariantShare(variant.steps, variant.cases, variant.cases / total if total else 0.0, probability))
    return tuple(out)


def _changes(values: list[str | None]) -> int:
    known = [v for v in values if v is not None]
    return sum(1 for a, b in pairwise(known) if a != b)


def most_probable_path(journey: Journey, edges: Transitions | None = None) -> SuccessPath | None:
    """The single most likely path from an entry step to a success outcome.

    A shortest path on ``-log p``: the product of probabilities along a path
    is largest where the sum of their negative logarithms is smallest. The
    entry share counts as the first factor. Dijkstra keeps one predecessor per
    step, so the work is linear in transitions (no all-pairs paths). Ties are
    broken by file order. None when no success outcome is reachable.

    Dijkstra with a heap over the transitions customers take, in plain
    Python for journeys of every size; the steps tied on a shortest path are
    found from the distances (each the same sum ``distance[u] + weight(u, v)``),
    so the path is the one networkx's Dijkstra gives on the journey's graph
    (a property test compares them).

    Examples
    --------
    >>> from cxaudit.journey.load import loads_journey
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
    >>> path = most_probable_path(j)
    >>> path.steps, round(path.probability, 6)
    (('a', 'b', 'ok'), 0.3)
    """
    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]
    if not successes:
        return None
    search = _plain_search(journey, edges)
    order = {sid: i for i, sid in enumerate(journey.steps)}

    best: tuple[float, int, int, list[str]] | None = None
    for entry in journey.entry:
        if entry.share <= 0:
            continue
        predecessors, distances = search(entry.step)
        for target in successes:
            if target not in distances:
                continue
            cost = distances[target] - math.log(entry.share)
            key = (cost, order[entry.step], order[target])
            if best is None or key < best[:3]:
                path = [target]
                while path[-1] != entry.step:
                    choices = predecessors(path[-1])
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


Search = Callable[[str], tuple[Callable[[str], list[str]], dict[str, float]]]
"""From an entry step: (the steps before a step on its shortest paths, the distances)."""


def _plain_search(journey: Journey, edges: Transitions | None) -> Search:
    """Dijkstra with a heap, on the transitions customers take (``edges``, when the caller has them)."""
    import heapq

    from cxaudit.analysis.structure import transitions

    log = math.log
    outgoing = {
        sid: [(target, -log(p)) for target, p in pairs] for sid, pairs in (edges or transitions(journey)).items()
    }
    incoming: dict[str, list[tuple[str, float]]] = {sid: [] for sid in outgoing}
    for sid, pairs in outgoing.items():
        for target, w in pairs:
            incoming[target].append((sid, w))

    def search(start: str) -> tuple[Callable[[str], list[str]], dict[str, float]]:
        distance = {start: 0.0}
        done: set[str] = set()
        heap = [(0.0, start)]
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            for v, w in outgoing[u]:
                if v not in distance or d + w < distance[v]:
                    distance[v] = d + w
                    heapq.heappush(heap, (d + w, v))

        def predecessors(step: str) -> list[str]:
            # Every u with distance[u] + weight(u, step) == distance[step]: what networkx keeps.
            target = distance[step]
            return [u for u, w in incoming[step] if u in distance and distance[u] + w == target]

        return predecessors, distance

    return search

"""The most probable path to success."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.analysis.structure import CompiledGraph
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


def most_probable_path(
    journey: Journey, graph: nx.DiGraph | None, compiled: CompiledGraph | None = None
) -> SuccessPath | None:
    """The single most likely path from an entry step to a success outcome.

    A shortest path on ``-log p``: the product of probabilities along a path
    is largest where the sum of their negative logarithms is smallest. The
    entry share counts as the first factor. Dijkstra keeps one predecessor per
    step, so the work is linear in transitions (no all-pairs paths). Ties are
    broken by file order. None when no success outcome is reachable.

    Large journeys (``compiled``, or made here) are searched with SciPy's
    compiled Dijkstra, and small ones without a ``graph`` by a plain-Python
    one over their transitions; the steps tied on a shortest path are then
    found from the distances, which are the same numbers (each is the same
    sum ``distance[u] + weight(u, v)``), so the path is the same as
    networkx's on ``graph``.

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
    from cxaudit.analysis.structure import LARGE_GRAPH, compile_graph

    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]
    if not successes:
        return None
    if compiled is None and graph is None and len(journey.steps) <= LARGE_GRAPH:
        search = _plain_search(journey)
    else:
        if compiled is None and (graph is None or graph.number_of_nodes() > LARGE_GRAPH):
            compiled = compile_graph(journey)
        search = _networkx_search(graph) if compiled is None else _compiled_search(compiled)
    order = {sid: i for i, sid in enumerate(journey.steps)} if compiled is None else compiled.index

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


def _weight(p: float) -> float:
    return -math.log(p)


def _networkx_search(graph: nx.DiGraph) -> Search:
    import networkx as nx

    def weight(_u: str, _v: str, data: dict) -> float | None:
        p = data["probability"]
        return _weight(p) if p > 0 else None

    def search(start: str) -> tuple[Callable[[str], list[str]], dict[str, float]]:
        predecessors, distances = nx.dijkstra_predecessor_and_distance(graph, start, weight=weight)
        return predecessors.__getitem__, distances

    return search


def _plain_search(journey: Journey) -> Search:
    """Dijkstra with a heap, on the transitions customers take (small journeys)."""
    import heapq

    outgoing = {
        sid: [(t.target, _weight(t.probability)) for t in step.next if t.probability > 0]
        for sid, step in journey.steps.items()
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


def _compiled_search(graph: CompiledGraph) -> Search:
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    nodes, index, sources, targets = graph.nodes, graph.index, graph.sources, graph.targets
    n = len(nodes)
    weights = [_weight(p) for p in graph.probabilities.tolist()]  # math.log, as for networkx
    # Explicit zeros (probability 1) stay edges in SciPy's graph routines.
    matrix = csr_matrix((np.array(weights), (sources, targets)), shape=(n, n))
    incoming = matrix.tocsc()  # column v: the steps leading to v, and their weights
    starts, froms, weight_of = incoming.indptr.tolist(), incoming.indices, incoming.data

    def search(start: str) -> tuple[Callable[[str], list[str]], dict[str, float]]:
        found = dijkstra(matrix, directed=True, indices=index[start])
        distance = found.tolist()
        distances = {nodes[i]: distance[i] for i in np.flatnonzero(np.isfinite(found)).tolist()}

        def predecessors(step: str) -> list[str]:
            # Every u with distance[u] + weight(u, step) == distance[step]: what networkx keeps.
            v = index[step]
            lo, hi = starts[v], starts[v + 1]
            pairs = zip(froms[lo:hi].tolist(), weight_of[lo:hi].tolist(), strict=True)
            return [nodes[u] for u, w in pairs if distance[u] + w == distance[v]]

        return predecessors, distances

    return search

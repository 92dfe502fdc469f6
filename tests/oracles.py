"""Test oracles: the searches of cxaudit.analysis done by networkx's public algorithms.

cxaudit runs one implementation of each search, in plain Python on a
journey's transitions; these answer the same questions on the networkx graph
of :func:`cxaudit.graph.build_graph`, and the property tests compare them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx


def reachable_from(graph: nx.DiGraph, sources: Iterable[str]) -> set[str]:
    """Steps reachable from any of ``sources``, the sources included.

    >>> import networkx as nx
    >>> sorted(reachable_from(nx.DiGraph([("a", "b"), ("c", "d")]), ["a"]))
    ['a', 'b']
    """
    reached: set[str] = set()
    for source in sources:
        if source not in reached:
            reached.add(source)
            reached |= nx.descendants(graph, source)
    return reached


def can_reach(graph: nx.DiGraph, targets: Iterable[str]) -> set[str]:
    """Steps from which any of ``targets`` is reachable, the targets included.

    >>> import networkx as nx
    >>> sorted(can_reach(nx.DiGraph([("a", "b"), ("c", "d")]), ["b"]))
    ['a', 'b']
    """
    return reachable_from(nx.reverse_view(graph), targets)


def trap_loops(graph: nx.DiGraph, outcomes: set[str]) -> list[list[str]]:
    """Closed groups of steps customers can enter but never leave.

    A trap is an attracting component (a strongly connected component with no
    edge out of it) that holds no outcome and is not a lone dead end: either
    several steps, or one step that only leads back to itself. Each trap is
    listed with its steps in graph order; traps in the order of their first
    step.

    >>> import networkx as nx
    >>> g = nx.DiGraph([("s", "a"), ("a", "b"), ("b", "a"), ("s", "x"), ("d", "d")])
    >>> g.add_node("dead")
    >>> trap_loops(g, {"x"})
    [['a', 'b'], ['d']]
    """
    order = {node: i for i, node in enumerate(graph)}
    traps = []
    for component in nx.attracting_components(graph):
        if component & outcomes:
            continue
        if len(component) == 1:
            (node,) = component
            if not graph.has_edge(node, node):
                continue  # a dead end, not a loop
        traps.append(sorted(component, key=order.__getitem__))
    return sorted(traps, key=lambda trap: order[trap[0]])


def most_probable_path(journey, graph: nx.DiGraph) -> tuple[tuple[str, ...], float] | None:
    """The most likely path from an entry to a success (steps, probability), by networkx's Dijkstra on ``-log p``.

    Ties are broken by file order, among every predecessor networkx keeps.
    """
    order = {sid: i for i, sid in enumerate(journey.steps)}
    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]

    def weight(_u: str, _v: str, data: dict) -> float | None:
        p = data["probability"]
        return -math.log(p) if p > 0 else None

    best = None
    for entry in journey.entry:
        if entry.share <= 0:
            continue
        predecessors, distances = nx.dijkstra_predecessor_and_distance(graph, entry.step, weight=weight)
        for target in successes:
            if target not in distances:
                continue
            key = (distances[target] - math.log(entry.share), order[entry.step], order[target])
            if best is None or key < best[:3]:
                path = [target]
                while path[-1] != entry.step:
                    path.append(min(predecessors[path[-1]], key=order.__getitem__))
                best = (*key, tuple(path[::-1]))
    return None if best is None else (best[3], math.exp(-best[0]))


def strong_components(graph: nx.DiGraph) -> list[set[str]]:
    """The strongly connected components, by networkx."""
    return [set(component) for component in nx.strongly_connected_components(graph)]


def group_visits(journey, group: set[str]) -> tuple[float, float]:
    """The chances of visiting the steps ``group`` at all and twice or more, by dense linear algebra on the
    chain of every step that is not an outcome (for journeys where no customer is stuck): the walk outside
    the group solved directly, then the chance of coming back from where it enters."""
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
        start[index[entry.step]] += entry.share
    inside = np.array([s in group for s in transient])
    outside = ~inside
    a = np.eye(int(outside.sum())) - q[np.ix_(outside, outside)]
    hit = np.ones(len(transient))
    hit[outside] = np.linalg.solve(a, q[np.ix_(outside, inside)].sum(axis=1))
    before = np.linalg.solve(a.T, start[outside])
    first = start[inside] + before @ q[np.ix_(outside, inside)]
    return float(first.sum()), float(first @ (q[inside] @ hit))

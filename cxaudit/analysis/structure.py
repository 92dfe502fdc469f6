"""The shape of a journey: reachability, dead ends, traps, ways to success.

Plain functions over the graph from :func:`cxaudit.graph.build_graph`, built
on networkx's public algorithms; the audit itself searches a journey's
transitions directly (:func:`strong_components` and a walk, in plain
Python, for journeys up to :data:`LARGE_GRAPH` steps; SciPy's compiled
routines above), which gives the same answers without making a graph.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx
    import numpy as np

    from cxaudit.model import Journey

__all__ = [
    "CompiledGraph",
    "Structure",
    "Transitions",
    "analyse_structure",
    "compile_graph",
    "reachable_from",
    "strong_components",
    "transitions",
    "trap_loops",
]

N = TypeVar("N", bound=Hashable)


def reachable_from(graph: nx.DiGraph, sources: Iterable[str]) -> set[str]:
    """Steps reachable from any of ``sources``, the sources included.

    >>> import networkx as nx
    >>> sorted(reachable_from(nx.DiGraph([("a", "b"), ("c", "d")]), ["a"]))
    ['a', 'b']
    """
    import networkx as nx

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
    import networkx as nx

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
    import networkx as nx

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


Transitions = dict[str, tuple[tuple[str, float], ...]]
"""Each step's (target, probability) pairs."""


def transitions(journey: Journey) -> Transitions:
    """Each step's (target, probability), the ones customers take (p > 0), in file order."""
    return {
        sid: tuple([(t.target, t.probability) for t in step.next if t.probability > 0])
        for sid, step in journey.steps.items()
    }


@dataclass(frozen=True, slots=True)
class Structure:
    """What the shape of a journey says, before any number."""

    reachable: frozenset[str]
    """Steps some customer can reach from the entry."""
    unreachable: tuple[str, ...]
    """Steps no entry path reaches, in file order."""
    dead_ends: tuple[str, ...]
    """Non-outcome steps with nowhere to go, in file order."""
    traps: tuple[tuple[str, ...], ...]
    """Closed loops of steps with no way out."""
    can_succeed: frozenset[str]
    """Steps from which a success outcome is reachable."""
    success_reachable: bool
    """True when some entry path reaches a success outcome."""
    stuck: frozenset[str] = frozenset()
    """Steps where customers are held for good: dead ends and trap steps."""
    compiled: Any = field(default=None, repr=False, compare=False)
    """The :class:`CompiledGraph` of a large journey (None for small ones), for other compiled searches."""


@dataclass(frozen=True, slots=True)
class CompiledGraph:
    """The graph :func:`cxaudit.graph.build_graph` makes, as arrays for SciPy's graph routines."""

    nodes: list[str]
    """Steps in file order; a step's number is its position."""
    index: dict[str, int]
    sources: np.ndarray
    targets: np.ndarray
    """Transitions customers take (probability above 0), steps by number, in file order."""
    probabilities: np.ndarray


def compile_graph(journey: Journey, edges: Transitions | None = None) -> CompiledGraph:
    """The journey's steps and taken transitions as arrays.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    """
    import numpy as np

    nodes = list(journey.steps)
    index = {node: i for i, node in enumerate(nodes)}
    if edges is None:
        taken = [[(t.target, t.probability) for t in step.next if t.probability > 0] for step in journey.steps.values()]
    else:
        taken = list(edges.values())  # (steps in file order, like the journey's)
    sources = np.repeat(np.arange(len(nodes), dtype=np.int64), [len(row) for row in taken])
    pairs = [pair for row in taken for pair in row]
    targets = np.array([index[target] for target, _ in pairs], dtype=np.int64)
    probabilities = np.array([p for _, p in pairs], dtype=float)
    return CompiledGraph(nodes, index, sources, targets, probabilities)


LARGE_GRAPH = 400
"""Graphs with more steps than this are searched with SciPy's compiled graph
algorithms (the same answers; networkx's pure-Python ones dominate the run
on journeys of tens of thousands of steps), and their audit makes no
networkx graph unless a rule asks for one."""


def strong_components(successors: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """The strongly connected components of a directed graph given as successor lists.

    Tarjan's algorithm, without recursion: each component once, its steps
    in the order they leave the algorithm's stack. Every successor must be a
    key of ``successors``.

    >>> strong_components({"a": ["b"], "b": ["a", "c"], "c": []})
    [['c'], ['b', 'a']]
    """
    number: dict[N, int] = {}
    low: dict[N, int] = {}
    stack: list[N] = []
    on_stack: set[N] = set()
    found: list[list[N]] = []
    for root in successors:
        if root in number:
            continue
        number[root] = low[root] = len(number)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors[root]))]
        while work:
            node, todo = work[-1]
            for child in todo:
                if child not in number:
                    number[child] = low[child] = len(number)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors[child])))
                    break
                if child in on_stack and number[child] < low[node]:
                    low[node] = number[child]
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]
                if low[node] == number[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
    return found


def _walk(successors: Mapping[str, Sequence[str]], starts: Iterable[str]) -> set[str]:
    """Steps reachable from ``starts``, the starts included."""
    reached = set(starts)
    todo = list(reached)
    while todo:
        for child in successors[todo.pop()]:
            if child not in reached:
                reached.add(child)
                todo.append(child)
    return reached


def _searched(
    journey: Journey, edges: Transitions, entries: list[str], successes: list[str], outcomes: set[str]
) -> tuple[set[str], set[str], list[list[str]]]:
    """:func:`reachable_from`, :func:`can_reach` and :func:`trap_loops`, on the transitions themselves."""
    successors = {sid: [target for target, _ in pairs] for sid, pairs in edges.items()}
    predecessors: dict[str, list[str]] = {sid: [] for sid in successors}
    for sid, targets in successors.items():
        for target in targets:
            predecessors[target].append(sid)
    order = {sid: i for i, sid in enumerate(journey.steps)}
    traps = []
    for component in strong_components(successors):
        members = set(component)
        if members & outcomes:
            continue
        if any(target not in members for sid in component for target in successors[sid]):
            continue  # a way out: not a trap
        if len(component) == 1 and component[0] not in successors[component[0]]:
            continue  # a dead end, not a loop
        traps.append(sorted(component, key=order.__getitem__))
    traps.sort(key=lambda trap: order[trap[0]])
    return _walk(successors, entries), _walk(predecessors, successes), traps


def analyse_structure(journey: Journey, graph: nx.DiGraph | None = None, edges: Transitions | None = None) -> Structure:
    """Reachability, dead ends, traps and ways to success of a journey.

    Large journeys are searched on their :class:`CompiledGraph` (kept in the
    result); small ones on ``graph`` with networkx when it is given, and
    otherwise on their transitions (``edges``, ``transitions(journey)``,
    made here when not given), with the same answers.
    """
    steps = journey.steps
    outcomes = {step_id for step_id, step in steps.items() if step.is_outcome}
    successes = [step_id for step_id, step in steps.items() if step.type == "success"]
    entries = [entry.step for entry in journey.entry if entry.share > 0]
    compiled = None
    if len(steps) > LARGE_GRAPH:
        compiled = compile_graph(journey, edges)
        reachable, can_succeed, trap_list = _compiled(compiled, entries, successes, outcomes)
    elif graph is not None:
        reachable = reachable_from(graph, entries)
        can_succeed = can_reach(graph, successes)
        trap_list = trap_loops(graph, outcomes)
    else:
        if edges is None:
            edges = transitions(journey)
        reachable, can_succeed, trap_list = _searched(journey, edges, entries, successes, outcomes)
    # Nowhere to go: no transition any customer takes (none in the graph).
    dead_ends = tuple(
        step_id
        for step_id, step in steps.items()
        if not step.is_outcome and not any(t.probability > 0 for t in step.next)
    )
    traps = tuple(tuple(trap) for trap in trap_list)
    return Structure(
        reachable=frozenset(reachable),
        unreachable=tuple(step_id for step_id in steps if step_id not in reachable),
        dead_ends=dead_ends,
        traps=traps,
        can_succeed=frozenset(can_succeed),
        success_reachable=bool(reachable & set(successes)),
        stuck=frozenset(dead_ends) | frozenset(step for trap in traps for step in trap),
        compiled=compiled,
    )


def _compiled(
    graph: CompiledGraph, entries: list[str], successes: list[str], outcomes: set[str]
) -> tuple[set[str], set[str], list[list[str]]]:
    """:func:`reachable_from`, :func:`can_reach` and :func:`trap_loops` by SciPy."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    nodes, index, sources, targets = graph.nodes, graph.index, graph.sources, graph.targets
    n = len(nodes)
    loops = {nodes[i] for i in sources[sources == targets].tolist()}

    def search(rows: np.ndarray, cols: np.ndarray, starts: list[str]) -> set[str]:
        # One breadth-first search from an extra node n that leads to every start.
        starts_at = np.fromiter((index[s] for s in starts), dtype=np.int64)
        rows = np.concatenate([rows, np.full(len(starts_at), n)])
        cols = np.concatenate([cols, starts_at])
        matrix = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n + 1, n + 1))
        found = breadth_first_order(matrix, n, directed=True, return_predecessors=False)
        return {nodes[i] for i in found.tolist() if i != n}

    reachable = search(sources, targets, entries)
    can_succeed = search(targets, sources, successes)

    adjacency = csr_matrix((np.ones(len(sources), dtype=np.int8), (sources, targets)), shape=(n, n))
    labels = connected_components(adjacency, directed=True, connection="strong")[1]
    leaves = np.ones(labels.max() + 1 if n else 0, dtype=bool)
    leaves[labels[sources[labels[sources] != labels[targets]]]] = False  # an edge leads out
    members = np.argsort(labels, kind="stable")  # each component's steps in graph order
    bounds = np.cumsum(np.bincount(labels))
    traps = []
    for component in np.flatnonzero(leaves).tolist():
        start = bounds[component - 1] if component else 0
        component_nodes = [nodes[i] for i in members[start : bounds[component]].tolist()]
        if outcomes.intersection(component_nodes):
            continue
        if len(component_nodes) == 1 and component_nodes[0] not in loops:
            continue  # a dead end, not a loop
        traps.append(component_nodes)
    return reachable, can_succeed, sorted(traps, key=lambda trap: index[trap[0]])

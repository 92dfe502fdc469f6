"""The shape of a journey: reachability, dead ends, traps, ways to success.

One implementation of each search, in plain Python on the transitions
customers take (:func:`strong_components`, a walk), for journeys of every
size; no graph is made. networkx's algorithms on
:func:`cxaudit.graph.build_graph` are the test oracle (tests/oracles.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from cxaudit.model import Journey

__all__ = [
    "CompiledGraph",
    "Structure",
    "Transitions",
    "analyse_structure",
    "compile_graph",
    "strong_components",
    "transitions",
]

N = TypeVar("N", bound=Hashable)


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
    components: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)
    """The strongly connected components of the transitions customers take (the chain reuses them)."""


@dataclass(frozen=True, slots=True)
class CompiledGraph:
    """The steps and the transitions customers take, as arrays, for the chain's matrices."""

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
    taken = list((edges if edges is not None else transitions(journey)).values())  # steps in file order
    sources = np.repeat(np.arange(len(nodes), dtype=np.int64), [len(row) for row in taken])
    pairs = [pair for row in taken for pair in row]
    targets = np.array([index[target] for target, _ in pairs], dtype=np.int64)
    probabilities = np.array([p for _, p in pairs], dtype=float)
    return CompiledGraph(nodes, index, sources, targets, probabilities)


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
) -> tuple[set[str], set[str], list[list[str]], list[list[str]]]:
    """Steps reachable from the entries, steps that can reach a success, the trap loops, the components."""
    successors = {sid: [target for target, _ in pairs] for sid, pairs in edges.items()}
    predecessors: dict[str, list[str]] = {sid: [] for sid in successors}
    for sid, targets in successors.items():
        for target in targets:
            predecessors[target].append(sid)
    order = {sid: i for i, sid in enumerate(journey.steps)}
    traps = []
    components = strong_components(successors)
    for component in components:
        if len(component) == 1:  # most steps: a trap only if it leads nowhere but back to itself
            (sid,) = component
            targets = successors[sid]
            if sid not in outcomes and targets and all(target == sid for target in targets):
                traps.append(component)
            continue
        members = set(component)
        if members & outcomes:
            continue
        if any(target not in members for sid in component for target in successors[sid]):
            continue  # a way out: not a trap
        traps.append(sorted(component, key=order.__getitem__))
    traps.sort(key=lambda trap: order[trap[0]])
    return _walk(successors, entries), _walk(predecessors, successes), traps, components


def analyse_structure(journey: Journey, edges: Transitions | None = None) -> Structure:
    """Reachability, dead ends, traps and ways to success of a journey.

    Searched on its transitions (``edges``, ``transitions(journey)``, made
    here when not given) in plain Python, without making a graph: the
    answers networkx gives on :func:`cxaudit.graph.build_graph` (a property
    test compares them).
    """
    steps = journey.steps
    outcomes = {step_id for step_id, step in steps.items() if step.is_outcome}
    successes = [step_id for step_id, step in steps.items() if step.type == "success"]
    entries = [entry.step for entry in journey.entry if entry.share > 0]
    if edges is None:
        edges = transitions(journey)
    reachable, can_succeed, trap_list, components = _searched(journey, edges, entries, successes, outcomes)
    # Nowhere to go: no transition any customer takes (none in the graph).
    dead_ends = tuple(step_id for step_id in steps if not edges[step_id] and step_id not in outcomes)
    traps = tuple(tuple(trap) for trap in trap_list)
    return Structure(
        reachable=frozenset(reachable),
        unreachable=tuple(step_id for step_id in steps if step_id not in reachable),
        dead_ends=dead_ends,
        traps=traps,
        can_succeed=frozenset(can_succeed),
        success_reachable=bool(reachable & set(successes)),
        stuck=frozenset(dead_ends) | frozenset(step for trap in traps for step in trap),
        components=tuple(map(tuple, components)),
    )

"""The shape of a journey: reachability, dead ends, traps, ways to success.

Plain functions over the graph from :func:`cxaudit.graph.build_graph`, built
on networkx's public algorithms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxaudit.model import compact_pickle

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.model import Journey

__all__ = ["Structure", "analyse_structure", "reachable_from", "trap_loops"]


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


@compact_pickle
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


def analyse_structure(journey: Journey, graph: nx.DiGraph) -> Structure:
    """Reachability, dead ends, traps and ways to success of a journey."""
    steps = journey.steps
    outcomes = {step_id for step_id, step in steps.items() if step.is_outcome}
    successes = [step_id for step_id, step in steps.items() if step.type == "success"]
    reachable = reachable_from(graph, [entry.step for entry in journey.entry if entry.share > 0])
    can_succeed = can_reach(graph, successes)
    dead_ends = tuple(step_id for step_id in steps if not steps[step_id].is_outcome and graph.out_degree(step_id) == 0)
    traps = tuple(tuple(trap) for trap in trap_loops(graph, outcomes))
    return Structure(
        reachable=frozenset(reachable),
        unreachable=tuple(step_id for step_id in steps if step_id not in reachable),
        dead_ends=dead_ends,
        traps=traps,
        can_succeed=frozenset(can_succeed),
        success_reachable=bool(reachable & set(successes)),
        stuck=frozenset(dead_ends) | frozenset(step for trap in traps for step in trap),
    )

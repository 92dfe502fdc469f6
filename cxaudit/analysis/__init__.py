"""Pure functions on a journey: structure, the exact chain, paths, what fixes are worth, intervals, history."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.analysis.markov import MarkovResult, Transitions
    from cxaudit.analysis.structure import Structure
    from cxaudit.model import Journey

__all__ = ["solve"]


def solve(journey: Journey, edges: Transitions | None = None) -> tuple[Structure, MarkovResult]:
    """The structure and exact chain metrics of ``journey``, without a networkx graph: the searches walk
    the transitions in plain Python, with the answers networkx gives on a graph.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    """
    from cxaudit.analysis.markov import solve_chain, transitions
    from cxaudit.analysis.structure import analyse_structure

    if edges is None:
        edges = transitions(journey)
    structure = analyse_structure(journey, edges)
    return structure, solve_chain(journey, structure, edges)

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
    the transitions (plain Python for small journeys, SciPy for large ones), with the answers a graph gives.

    ``edges`` is ``transitions(journey)`` when the caller has it already.
    """
    from cxaudit.analysis.markov import solve_chain, transitions
    from cxaudit.analysis.structure import analyse_structure

    if edges is None:
        edges = transitions(journey)
    structure = analyse_structure(journey, None, edges)
    return structure, solve_chain(journey, None, structure, edges)

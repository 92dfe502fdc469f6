"""A journey as a networkx directed graph, built once per journey."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

    from cxaudit.model import Journey


def build_graph(journey: Journey) -> nx.DiGraph:
    """The journey's steps as nodes and its transitions as edges.

    Nodes carry ``step`` (the :class:`~cxaudit.model.Step`); edges carry
    the probability as ``p`` (and as ``probability``) and the ``transition``. Transitions with probability 0 are
    left out: no customer takes them. Nodes are added in file order, so every
    traversal of the graph is deterministic.

    Examples
    --------
    >>> from cxaudit.journey.load import loads_journey
    >>> j = loads_journey('''cxaudit: 1
    ... journey: {id: j, name: J}
    ... entry: a
    ... steps:
    ...   a: {name: A, next: {a: 0.5, b: 0.5, c: 0}}
    ...   b: {name: B, type: success}
    ...   c: {name: C, type: abandon}
    ... ''')
    >>> g = build_graph(j)
    >>> sorted(g.edges(data="probability"))
    [('a', 'a', 0.5), ('a', 'b', 0.5)]
    """
    import networkx as nx

    graph = nx.DiGraph(journey=journey.id)
    graph.add_nodes_from((step_id, {"step": step}) for step_id, step in journey.steps.items())
    graph.add_edges_from(
        (t.source, t.target, {"p": t.probability, "probability": t.probability, "transition": t})
        for step in journey.steps.values()
        for t in step.next
        if t.probability > 0
    )
    return graph

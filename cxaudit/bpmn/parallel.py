"""Parallel gateways flattened: a customer takes a parallel block's branches one after another."""

from __future__ import annotations

from collections import deque

from cxaudit.bpmn.model import Model, Node
from cxaudit.errors import Problem

__all__ = ["flatten_parallel"]


def flatten_parallel(
    nodes: dict[str, Node], outgoing: dict[str, list[str]], incoming: dict[str, list[str]], model: Model
) -> dict[str, str]:
    """Rewrite each parallel split into a sequence of its branches, in place.

    A customer is one person: the branches of a parallel gateway are taken one
    after another, in the model's order. Branch k's flows into the matching
    join go on to branch k+1's first element; the last branch's flows reach the
    join, which continues as before. A split without a well-formed join (the
    branches meet nowhere, or the join is entered from elsewhere) keeps the even
    split and is reported. Returns the nodes now leading into a following
    branch, with their gateway's id, for the step's notes.
    """
    flattened: dict[str, str] = {}
    for gateway in [n for n, node in nodes.items() if node.kind == "parallelGateway"]:
        branches = list(dict.fromkeys(outgoing.get(gateway, [])))
        if len(branches) < 2:
            continue
        join, members = _matching_join(gateway, branches, nodes, outgoing, incoming)
        node = nodes[gateway]
        if join is None:
            model.problems.append(
                Problem(
                    model.name,
                    node.line,
                    node.column,
                    f"parallel gateway '{gateway}' has no matching join: its branches are shared evenly (assumed)",
                    "",
                )
            )
            continue
        real = [b for b in branches if b != join]  # a flow straight to the join is an empty branch
        if not real:  # every branch empty: the split and join are one way on
            outgoing[gateway] = [join]
            incoming[join] = [*dict.fromkeys(incoming[join])]
            continue
        outgoing[gateway] = [real[0]]
        for branch in branches:
            incoming[branch] = [s for s in incoming.get(branch, []) if s != gateway]
        incoming.setdefault(real[0], []).append(gateway)
        for k, branch in enumerate(real[:-1]):
            following = real[k + 1]
            for before in members[branch]:
                outgoing[before] = [following if t == join else t for t in outgoing[before]]
                incoming[join] = [s for s in incoming[join] if s != before]
                incoming.setdefault(following, []).append(before)
                flattened[before] = gateway
        incoming[join] = [s for s in incoming[join] if s != gateway]
    return flattened


def _matching_join(
    gateway: str,
    branches: list[str],
    nodes: dict[str, Node],
    outgoing: dict[str, list[str]],
    incoming: dict[str, list[str]],
) -> tuple[str | None, dict[str, list[str]]]:
    """The parallel join where a split's branches meet, and each branch's flows into it."""
    reached = {branch: _walk(branch, outgoing, {gateway}) for branch in branches}
    common = set.intersection(*(set(order) for order in reached.values()))
    joins = [
        n
        for n in reached[branches[0]]
        if n in common and nodes[n].kind == "parallelGateway" and len(incoming.get(n, [])) >= 2
    ]
    if not joins:
        return None, {}
    join = joins[0]
    # each branch: what it reaches before the join; the branches must not share anything before it
    before = {branch: set(_walk(branch, outgoing, {gateway, join})) if branch != join else set() for branch in branches}
    owned = [n for nodes_of in before.values() for n in nodes_of]
    if len(owned) != len(set(owned)):
        return None, {}
    members = {branch: [n for n in incoming.get(join, []) if n in before[branch]] for branch in branches}
    into_join = set(incoming.get(join, []))
    if into_join - {gateway} - set(owned) or any(not members[b] for b in branches if b != join):
        return None, {}
    return join, members


def _walk(start: str, outgoing: dict[str, list[str]], stop: set[str]) -> list[str]:
    """The nodes reachable from ``start`` without passing through ``stop``, breadth first."""
    order, seen, queue = [], {start}, deque([start])
    while queue:
        current = queue.popleft()
        order.append(current)
        for target in outgoing.get(current, []):
            if target not in seen and target not in stop:
                seen.add(target)
                queue.append(target)
    return order

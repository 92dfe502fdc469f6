"""An example cxaudit plugin: one rule, registered under the entry-point group ``cxaudit.rules``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit.plugins import Hit, Option, Rule, RuleContext, Severity


class NoChannel(Rule):
    """Steps customers reach that name no channel: nobody knows where the customer is there.

    What it finds
    -------------
    Steps (not outcomes) that at least ``min_reach`` of customers reach and
    that have no ``channel``.

    Why it hurts customers
    ----------------------
    A step without a channel has nobody watching how it goes for the
    customer: no web analytics, no call reasons, no one to improve it.

    How to fix it
    -------------
    Say where the step happens: ``channel: web``, ``phone``, ``branch``...

    Failing example
    ---------------
    ::

        a: {name: Fill the form, next: {done: 1}}

    Passing example
    ---------------
    ::

        a: {name: Fill the form, channel: web, next: {done: 1}}
    """

    code = "AC01"
    name = "no-channel"
    severity = Severity.INFO
    options: ClassVar[Mapping[str, Option]] = {
        "min_reach": Option(0.0, "share of entering customers who must reach the step", 0, 1, "share")
    }

    def check(self, context: RuleContext) -> Iterator[Hit]:
        graph = context.graph  # networkx: nodes carry the step, edges the probability as "p"
        for step_id, step in graph.nodes(data="step"):
            if step.is_outcome or step.channel is not None or graph.out_degree(step_id) == 0:
                continue
            reach = context.metrics(step_id).reach_probability
            if reach < context.options["min_reach"]:
                continue
            leaving = sum(p for _, _, p in graph.out_edges(step_id, data="p"))
            yield Hit(
                step=step_id,
                message=f"'{step.name}' names no channel, and {reach:.0%} of customers reach it "
                f"(its transitions add up to {leaving:g})",
                remediation=f"Say where '{step.name}' happens: give it a channel.",
                customers_affected=reach * context.volume,
            )

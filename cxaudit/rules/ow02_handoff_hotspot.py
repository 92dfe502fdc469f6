from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class HandoffHotspot(Rule):
    """A busy handoff between teams, or customers bounced back and forth.

    What it finds
    -------------
    Transitions between steps of different owners that at least ``min_flow``
    of entering customers take, and *ping-pong*: two steps of different
    owners that send customers to each other (A -> B -> A), taken by at least
    ``min_pingpong_flow`` of customers each way.

    Why it hurts customers
    ----------------------
    Every handoff is a seam where information is lost, queues restart and
    customers repeat themselves. Ping-pong between teams is the worst: the
    customer becomes the messenger between two departments.

    How to fix it
    -------------
    Give one team end-to-end ownership of the moment, or make the handoff
    invisible to the customer (shared case, warm transfer, no repeated
    questions). For ping-pong, decide which team resolves and stop the
    return leg.

    Failing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about activation, owner: care, next: {activate: 0.8, done: 0.2}}
          activate: {name: Wait for activation, owner: network, next: {call: 0.3, done: 0.7}}

    Passing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about activation, owner: network, next: {activate: 0.8, done: 0.2}}
          activate: {name: Wait for activation, owner: network, next: {call: 0.3, done: 0.7}}
    """

    code = "OW02"
    name = "handoff-hotspot"
    group = "ownership"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_flow": Option(0.50, "share of entering customers taking a handoff", 0, 1, "share"),
        "min_pingpong_flow": Option(0.002, "share of entering customers bounced each way", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        steps = audit.journey.steps
        flows, volume = audit.markov.flows, audit.volume  # audit.flow's numbers, read for every handoff
        least = min(options["min_pingpong_flow"], options["min_flow"]) * volume  # below it, neither finding
        for step_id, step in steps.items():
            if step.is_outcome or step.owner is None:
                continue
            for target, _ in audit.successors(step_id):
                other = steps[target]
                if other.owner is None or other.owner == step.owner or target == step_id:
                    continue
                flow = flows.get((step_id, target), 0.0) * volume
                if flow < least:
                    continue
                back = flows.get((target, step_id), 0.0) * volume
                pingpong = min(flow, back)
                if pingpong > 0 and pingpong >= options["min_pingpong_flow"] * audit.volume:
                    if step_id < target:  # once per pair, whatever the order of the file
                        yield Hit(
                            step=step_id,
                            target=target,
                            message=f"customers bounce between {audit.owner(step_id)} ('{step.name}') and "
                            f"{audit.owner(target)} ('{other.name}'): {fmt.count(pingpong)} round trips "
                            f"{audit.per}",
                            remediation=f"Decide whether {audit.owner(step_id)} or {audit.owner(target)} resolves "
                            "this, and stop the return leg: the customer must not carry messages between teams.",
                            customers_affected=pingpong,
                            contacts=pingpong if (step.is_contact or other.is_contact) else 0.0,
                        )
                    continue
                if flow >= options["min_flow"] * audit.volume and flow > 0:
                    yield Hit(
                        step=step_id,
                        target=target,
                        message=f"{fmt.count(flow)} customers {audit.per} ({fmt.pct(flow / audit.volume)}) are "
                        f"handed from {audit.owner(step_id)} to {audit.owner(target)} between '{step.name}' "
                        f"and '{other.name}'",
                        remediation=f"Make the handoff from {audit.owner(step_id)} to {audit.owner(target)} "
                        "invisible to the customer (shared case, no repeated questions), or give one team "
                        "the whole moment.",
                        customers_affected=flow,
                    )

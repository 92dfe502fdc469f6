from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule

ADVICE = {
    "self-service": "exit survey, session replays, contact reasons",
    "assisted": "call recordings, the notes of the people serving them, contact reasons",
    "back office": "how long they wait for it, what they are told meanwhile, contact reasons",
}
"""Where to look for the cause, by who does the work at the step."""


class DropOffHotspot(Rule):
    """A step that loses a large share of its customers.

    What it finds
    -------------
    Steps where at least ``min_share`` of the customers there go to an
    abandon outcome or get stuck, and that lose at least
    ``min_lost_share`` of all entering customers. Losses right after a
    contact are CT02's.

    Why it hurts customers
    ----------------------
    Each of these customers wanted something from us and left without it:
    lost revenue, and a customer who now tells others the journey is hard.

    How to fix it
    -------------
    Find out why customers leave at the step (exit surveys, session replays,
    contact reasons) and remove the cause. The value shown assumes the
    customers kept would do what the step's other customers do.

    Failing example
    ---------------
    ::

        steps:
          delivery: {name: Choose delivery, next: {pay: 0.7, lost: 0.3}}

    Passing example
    ---------------
    ::

        steps:
          delivery: {name: Choose delivery, next: {pay: 0.95, lost: 0.05}}
    """

    code = "FR02"
    name = "drop-off-hotspot"
    group = "friction"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_share": Option(0.10, "share of the step's customers lost there", 0, 1, "share"),
        "min_lost_share": Option(0.01, "share of all entering customers lost there", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        least_lost = options["min_lost_share"] * audit.volume
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step.is_contact or step_id in audit.structure.stuck:
                continue
            lost = audit.metrics(step_id).customers_lost
            if lost < least_lost:  # the cheap test first: most steps lose too few
                continue
            losses = [(target, p) for target, p in audit.successors(step_id) if audit.is_loss(target)]
            share = sum(p for _, p in losses)
            if not losses or share < options["min_share"]:
                continue
            yield Hit(
                step=step_id,
                message=f"{fmt.pct(share)} of customers at '{step.name}' give up there: "
                f"{fmt.count(lost)} customers lost {audit.per}",
                remediation=f"Find out why customers leave at '{step.name}' ({ADVICE[audit.kind(step_id)]}) and "
                f"remove the cause. Owner: {audit.owner(step_id)}.",
                fix=tuple((step_id, target) for target, _ in losses),
                customers_affected=lost,
            )

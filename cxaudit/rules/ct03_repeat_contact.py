from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class RepeatContact(Rule):
    """A contact step after which customers contact us again.

    What it finds
    -------------
    Contact steps after which the chance that the customer contacts us again
    (the same step or another contact step, before the journey ends) is above
    ``1 - min_resolution``: first-contact resolution for that contact below
    ``min_resolution`` (85% by default), among contact steps at least
    ``min_reach`` of customers reach.

    Why it hurts customers
    ----------------------
    A second contact means the first one failed: the customer explains again,
    waits again, and is transferred. Repeat contacts are the most expensive
    and the most damaging to trust.

    How to fix it
    -------------
    Resolve on first contact: give the first person the tools to finish,
    avoid transfers between queues, and call back proactively instead of
    waiting for the customer to chase. The value shown assumes the customers
    who now contact again or give up would go where the resolved ones go.

    Failing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about my bill, next: {call: 0.3, done: 0.7}}

    Passing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about my bill, next: {call: 0.05, done: 0.95}}
    """

    code = "CT03"
    name = "repeat-contact"
    group = "contact"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_resolution": Option(0.85, "first-contact resolution below which contacts repeat too often", 0, 1, "share"),
        "min_reach": Option(0.001, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if not step.is_contact:
                continue
            metrics = audit.metrics(step_id)
            repeat = metrics.repeat_contact_probability
            if repeat is None or metrics.reach_probability < options["min_reach"]:
                continue
            if 1.0 - repeat >= options["min_resolution"]:
                continue
            # Resolved on first contact: neither another contact nor a loss;
            # those customers go where the resolved ones go.
            repeats = tuple(
                (step_id, t) for t, _ in audit.successors(step_id) if audit.is_contact(t) or audit.is_loss(t)
            )
            again = metrics.expected_visits * repeat * audit.volume
            yield Hit(
                step=step_id,
                message=f"{fmt.pct(repeat)} of customers who reach '{step.name}' contact us again afterwards "
                f"(resolution {fmt.pct(1 - repeat)}): {fmt.count(again)} repeat contacts {audit.per}",
                remediation=f"Resolve '{step.name}' on first contact: give {audit.team(step_id)} the tools to "
                "finish, avoid transfers, call back proactively.",
                fix=repeats,
                customers_affected=metrics.reach_probability * audit.volume,
                contacts=again,
            )

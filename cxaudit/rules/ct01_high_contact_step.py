from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class HighContactStep(Rule):
    """A step that sends a large share of its customers to contact us.

    What it finds
    -------------
    Steps (not contact steps themselves) from which at least ``min_share`` of
    customers go to a contact step, among steps at least ``min_reach`` of
    customers reach. The contacts are counted against this step's owner: the
    team whose step caused them, not the team that answers them.

    Why it hurts customers
    ----------------------
    Every contact is a failure we caused: a customer who calls was let down
    by this step. They spend time and patience, and we spend money answering
    a question the step should have answered.

    How to fix it
    -------------
    Read the contact reasons for the step and remove the cause in the step
    itself: clearer wording, the missing option, an error that says what to
    do. Measure the contacts avoided with ``cxaudit compare``.

    Failing example
    ---------------
    ::

        steps:
          pay: {name: Enter card details, owner: payments, next: {done: 0.85, call: 0.15}}
          call: {type: contact, name: Call about the payment, owner: care, next: {done: 1}}

    Passing example
    ---------------
    ::

        steps:
          pay: {name: Enter card details, owner: payments, next: {done: 0.99, call: 0.01}}
          call: {type: contact, name: Call about the payment, owner: care, next: {done: 1}}
    """

    code = "CT01"
    name = "high-contact-step"
    group = "contact"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_share": Option(0.05, "share of the step's customers who go to a contact step", 0, 1, "share"),
        "min_reach": Option(0.01, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step.is_contact or step_id in audit.structure.stuck:
                continue
            if audit.metrics(step_id).reach_probability < options["min_reach"]:
                continue
            contacts = [(t, p) for t, p in audit.successors(step_id) if audit.is_contact(t)]
            if not contacts:
                continue
            share = sum([p for _, p in contacts])
            if share < options["min_share"]:
                continue
            flows = [audit.flow(step_id, t) for t, _ in contacts]
            volume = sum(flows)
            cost = sum([flow * audit.unit_cost(t) for flow, (t, _) in zip(flows, contacts, strict=True)])
            cost_text = f", {audit.money(cost)}" if cost else ""
            where = ", ".join(f"'{audit.step(t).name}'" for t, _ in contacts)
            answerers = sorted({audit.team(t) for t, _ in contacts})
            yield Hit(
                step=step_id,
                message=f"{fmt.pct(share)} of customers at '{step.name}' contact us: "
                f"{fmt.count(volume)} contacts {audit.per}{cost_text}, caused by {audit.owner(step_id)}",
                remediation=f"Remove the reason customers contact us from '{step.name}' ({where}): "
                f"fix it in the step, not in the contact centre. Owner: {audit.owner(step_id)}; "
                f"the contacts land with {', '.join(answerers)}.",
                fix=tuple((step_id, t) for t, _ in contacts),
                customers_affected=volume,
                contacts=volume,
            )

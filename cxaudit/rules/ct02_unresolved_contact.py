from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class UnresolvedContact(Rule):
    """A contact step after which few customers succeed.

    What it finds
    -------------
    Contact steps from which the chance of reaching a success outcome is
    below ``min_success``, among contact steps at least ``min_reach`` of
    customers reach.

    Why it hurts customers
    ----------------------
    Customers who had to reach out are the elite: they cared enough to call.
    If the contact does not resolve their problem, we lose the customers
    most worth keeping, after making them wait.

    How to fix it
    -------------
    Give the people who take the contact the means to resolve it there and
    then (permissions, tools, a direct line to the owning team), and close
    the loop with the team whose step caused the contact.

    Failing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about a refund, next: {done: 0.4, lost: 0.6}}

    Passing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call about a refund, next: {done: 0.9, lost: 0.1}}
    """

    code = "CT02"
    name = "unresolved-contact"
    group = "contact"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_success": Option(0.6, "chance of success after the contact below which it is unresolved", 0, 1, "share"),
        "min_reach": Option(0.001, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step, metrics in audit.reached_contacts(options["min_reach"]):
            success = metrics.success_probability
            if success >= options["min_success"]:
                continue
            lost = metrics.customers_lost
            losses = tuple((step_id, t) for t, _ in audit.successors(step_id) if audit.is_loss(t))
            yield Hit(
                step=step_id,
                message=f"only {fmt.pct(success)} of customers who reach '{step.name}' go on to succeed; "
                f"{fmt.count(lost)} customers {audit.per} give up right after contacting us",
                remediation=f"Let {audit.team(step_id)} resolve '{step.name}' in the contact (permissions, "
                "tools, a direct line to the team whose step caused it).",
                fix=losses,
                customers_affected=metrics.reach_probability * audit.volume,
                contacts=metrics.expected_visits * audit.volume,
            )

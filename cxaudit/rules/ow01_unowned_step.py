from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class UnownedStep(Rule):
    """A step that no team owns.

    What it finds
    -------------
    Steps (not outcomes) without an ``owner``.

    Why it hurts customers
    ----------------------
    The customer is everyone's job, which means someone must be accountable
    for each step. An unowned step is where problems are noticed by
    everyone and fixed by no one, and where contacts caused there are
    attributed to nobody.

    How to fix it
    -------------
    Name the team accountable for the step in ``owner`` (and in the
    ``owners`` catalog).

    Failing example
    ---------------
    ::

        steps:
          refund: {name: Wait for my refund, next: {done: 1}}

    Passing example
    ---------------
    ::

        steps:
          refund: {name: Wait for my refund, owner: payments, next: {done: 1}}
    """

    code = "OW01"
    name = "unowned-step"
    group = "ownership"
    severity = Severity.WARNING

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step.owner is not None:
                continue
            metrics = audit.metrics(step_id)
            reach = metrics.reach_probability
            contacts = metrics.contacts_caused + (metrics.expected_visits * audit.volume if step.is_contact else 0)
            contact_text = f"; {fmt.count(contacts)} contacts {audit.per} start or land there" if contacts else ""
            yield Hit(
                step=step_id,
                message=f"no team owns '{step.name}', which {fmt.pct(reach)} of customers reach "
                f"({fmt.count(reach * audit.volume)} {audit.per}){contact_text}",
                remediation=f"Name the team accountable for '{step.name}' in `owner`.",
                customers_affected=reach * audit.volume,
                contacts=contacts,
            )

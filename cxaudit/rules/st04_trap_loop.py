from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class TrapLoop(Rule):
    """A loop of steps that customers can enter but never leave.

    What it finds
    -------------
    A closed group of steps (an attracting component of the journey graph)
    with no transition out of it and no outcome inside: customers go round
    forever. One finding per loop, at the step whose id sorts first.

    Why it hurts customers
    ----------------------
    This is the "computer says no" loop: the password reset that sends you
    back to sign-in that sends you back to the reset. Customers in it are
    stuck; in reality they call, complain or leave.

    How to fix it
    -------------
    Give the loop a way out: a transition from one of its steps to the next
    step of the journey, to a contact that can resolve the problem, or to an
    outcome.

    Failing example
    ---------------
    ::

        steps:
          sign_in: {name: Sign in, next: {reset: 0.3, home: 0.7}}
          reset: {name: Reset password, next: {sign_in_again: 1}}
          sign_in_again: {name: Sign in again, next: {reset: 1}}
          home: {type: success, name: Signed in}

    Passing example
    ---------------
    ::

        steps:
          sign_in: {name: Sign in, next: {reset: 0.3, home: 0.7}}
          reset: {name: Reset password, next: {sign_in_again: 1}}
          sign_in_again: {name: Sign in again, next: {reset: 0.2, home: 0.8}}
          home: {type: success, name: Signed in}
    """

    code = "ST04"
    name = "trap-loop"
    group = "structure"
    severity = Severity.ERROR

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for trap in audit.structure.traps:
            members = set(trap)
            stuck = sum(audit.metrics(step_id).expected_visits for step_id in trap)
            incoming = tuple(
                (source, target) for target in trap for source in audit.incoming(target) if source not in members
            )
            names = ", ".join(f"'{audit.step(step_id).name}'" for step_id in trap)
            anchor = min(trap)  # stable whatever the order of the file
            yield Hit(
                step=anchor,
                message=f"customers who enter {names} can never leave: {fmt.count(stuck * audit.volume)} "
                f"customers {audit.per} ({fmt.pct(stuck)} of all) are stuck in this loop",
                remediation=f"Give the loop a way out: a transition from {', '.join(trap)} to the next step, "
                f"to a contact that resolves it, or to an outcome. Owner: {audit.owner(anchor)}.",
                fix=incoming,
                customers_affected=stuck * audit.volume,
            )

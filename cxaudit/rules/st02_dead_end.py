from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class DeadEnd(Rule):
    """A step that is not an outcome but has nowhere to go.

    What it finds
    -------------
    A ``step`` or ``contact`` without ``next`` (or with an empty one). The
    customers who arrive there are counted as *stuck*.

    Why it hurts customers
    ----------------------
    Customers who reach a dead end have no way forward: no next screen, no
    answer, no outcome. In reality they wait, retry, call, or leave; none of
    that is designed. It is often a step someone forgot to finish.

    How to fix it
    -------------
    Add a ``next`` that leads customers on, or make the step an outcome
    (``type: success`` or ``type: abandon``) if the journey really ends there.
    The value shown assumes the customers who now arrive there would instead
    do what the other customers of the step before do.

    Failing example
    ---------------
    ::

        steps:
          apply: {name: Apply, next: {wait: 0.9, lost: 0.1}}
          wait: {name: Wait for a decision}        # no next
          lost: {type: abandon, name: Gave up}

    Passing example
    ---------------
    ::

        steps:
          apply: {name: Apply, next: {wait: 0.9, lost: 0.1}}
          wait: {name: Wait for a decision, next: {approved: 0.8, lost: 0.2}}
          approved: {type: success, name: Approved}
          lost: {type: abandon, name: Gave up}
    """

    code = "ST02"
    name = "dead-end"
    group = "structure"
    severity = Severity.ERROR

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id in audit.structure.dead_ends:
            step = audit.step(step_id)
            stuck = audit.metrics(step_id).expected_visits
            incoming = tuple((source, step_id) for source in audit.incoming(step_id) if source != step_id)
            if stuck > 0:
                message = (
                    f"'{step.name}' has no next step: {fmt.count(stuck * audit.volume)} customers "
                    f"{audit.per} ({fmt.pct(stuck)} of all) are stuck there"
                )
            else:
                message = f"'{step.name}' has no next step (no customer reaches it now)"
            yield Hit(
                step=step_id,
                message=message,
                remediation=f"Add a `next` to '{step_id}' that leads customers on, or make it an outcome "
                f"if the journey really ends there. Owner: {audit.owner(step_id)}.",
                fix=incoming,
                customers_affected=stuck * audit.volume,
                contacts=stuck * audit.volume if step.is_contact else 0.0,
            )

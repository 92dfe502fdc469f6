from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class UnobservedTransition(Rule):
    """A declared transition that no case in the event log takes, where the log is large enough to tell.

    What it finds
    -------------
    Runs only against an event log. Transitions of the journey that no case
    takes although enough cases leave the step that, with the declared
    probability, seeing none has a chance below ``alpha`` (exact binomial:
    ``(1 - p)^n``).

    Why it hurts customers
    ----------------------
    The journey counts customers on a path nobody takes: its contacts, costs
    and losses are wrong, and so is the ranking of what to fix.

    How to fix it
    -------------
    Remove the transition, or find out why the log does not show it (an
    activity named differently, events not logged).

    Failing example
    ---------------
    ::

        # 1,000 cases leave pay in the log, none goes to call_us
        steps:
          pay: {name: Pay, next: {done: 0.9, call_us: 0.1}}

    Passing example
    ---------------
    ::

        steps:
          pay: {name: Pay, next: {done: 1}}
    """

    code = "DR02"
    name = "unobserved-transition"
    group = "drift"
    needs_log = True
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "alpha": Option(0.001, "significance level of the test", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        conformance = audit.conformance
        if conformance is None:
            return
        for step_id, step in audit.journey.steps.items():
            n = conformance.outgoing.get(step_id, 0)
            row = conformance.observed.get(step_id, {})
            for transition in step.next:
                p = transition.probability
                if n == 0 or p <= 0 or row.get(transition.target, 0) > 0:
                    continue
                chance = (1 - p) ** n
                if chance >= options["alpha"]:
                    continue
                yield Hit(
                    step=step_id,
                    target=transition.target,
                    message=f"the journey sends {fmt.pct(p)} of customers from '{step.name}' to "
                    f"'{audit.step(transition.target).name}', but "
                    f"{'the 1 case in the log does not' if n == 1 else f'none of the {fmt.cases(n)} in the log does'} "
                    f"(chance {chance:.1e})",
                    remediation=f"Remove '{transition.target}' from the `next` of '{step_id}', or find out why the "
                    "log does not show it.",
                    customers_affected=n * p,
                )

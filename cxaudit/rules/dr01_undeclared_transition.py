from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.analysis.conformance import END
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class UndeclaredTransition(Rule):
    """Customers in the event log take a transition the journey does not declare.

    What it finds
    -------------
    Runs only against an event log (``cxaudit drift``, or ``drift-log`` in the
    configuration). Pairs of consecutive activities, mapped to steps, that are
    not in the first step's ``next``, with how many cases took them; and cases
    that end on a step that is not an outcome.

    Why it hurts customers
    ----------------------
    The journey on paper is not the one customers live: a path the team does
    not know about is a path nobody designs, measures or fixes, and every
    number cxaudit computes leaves it out.

    How to fix it
    -------------
    Add the transition to the step's ``next`` (``cxaudit calibrate`` sets the
    probabilities from the log), or remove the way customers take it.

    Failing example
    ---------------
    ::

        # the log has cases going from pay to call_us
        steps:
          pay: {name: Pay, next: {done: 1}}

    Passing example
    ---------------
    ::

        steps:
          pay: {name: Pay, next: {done: 0.95, call_us: 0.05}}
    """

    code = "DR01"
    name = "undeclared-transition"
    group = "drift"
    needs_log = True
    severity = Severity.WARNING

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        conformance = audit.conformance
        if conformance is None:
            return
        for step_id, row in sorted(conformance.observed.items()):
            declared = {t.target for t in audit.step(step_id).next}
            for target, cases in sorted(row.items()):
                if target in declared:
                    continue
                step = audit.step(step_id)
                if target == END:
                    yield Hit(
                        step=step_id,
                        message=f"{fmt.cases(cases)} in the log {'ends' if cases == 1 else 'end'} at '{step.name}', "
                        "which is not an outcome",
                        remediation=f"Declare where these customers go from '{step_id}', "
                        "or add the outcome they reach.",
                        customers_affected=cases,
                    )
                    continue
                yield Hit(
                    step=step_id,
                    target=target,
                    message=f"{fmt.cases(cases)} in the log {'goes' if cases == 1 else 'go'} from '{step.name}' to "
                    f"'{audit.step(target).name}', a transition the journey does not declare",
                    remediation=f"Add '{target}' to the `next` of '{step_id}' (cxaudit calibrate sets the share), "
                    "or remove the way customers take it.",
                    customers_affected=cases,
                )

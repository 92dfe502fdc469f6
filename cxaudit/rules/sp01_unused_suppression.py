from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class UnusedSuppression(Rule):
    """A step's ``ignore`` suppresses nothing.

    What it finds
    -------------
    Entries of a step's ``ignore: {CODE: reason}`` for which the rule, when
    it runs, finds nothing at that step. Ignores of rules that are not
    selected in this run are not reported.

    Why it hurts customers
    ----------------------
    A stale suppression hides the next real problem: when the step changes
    and the rule would find something again, nobody is told. It also keeps
    an outdated reason in every report.

    How to fix it
    -------------
    Remove the entry from the step's ``ignore``.

    Failing example
    ---------------
    ::

        steps:
          pay:
            name: Pay
            next: {done: 1}
            ignore: {FR03: "retry loop accepted"}   # pay has no retry loop

    Passing example
    ---------------
    ::

        steps:
          pay:
            name: Pay
            next: {done: 1}
    """

    code = "SP01"
    name = "unused-suppression"
    group = "suppression"
    runs_last = True
    severity = Severity.WARNING

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        found = audit.found
        if found is None:  # the engine runs this rule last, with what the others found
            return
        for step_id, step in audit.journey.steps.items():
            for code in step.ignore:
                if code not in audit.ran or (code, step_id) in found:
                    continue
                yield Hit(
                    step=step_id,
                    message=f"ignore of {code} on '{step.name}' suppresses nothing: {code} finds nothing there",
                    remediation=f"Remove {code} from the `ignore` of '{step_id}'.",
                )

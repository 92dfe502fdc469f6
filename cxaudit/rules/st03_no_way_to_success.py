from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class NoWayToSuccess(Rule):
    """A step from which no path leads to a success outcome.

    What it finds
    -------------
    Reachable steps from which every path ends in abandon or stuck. Dead ends
    (ST02) and trap loops (ST04) are reported by their own rules and not
    again here; when no success is reachable at all, ST05 says so once.

    Why it hurts customers
    ----------------------
    Every customer who reaches such a step is lost, whatever they do next.
    Often a "try again" or "contact us" link is missing, or a branch was
    meant to rejoin the main path and does not.

    How to fix it
    -------------
    Give the step a route back to the main path or to a success outcome; if
    losing these customers is intended (an eligibility stop), say so with
    ``ignore: {ST03: reason}``.

    Failing example
    ---------------
    ::

        steps:
          check: {name: Credit check, next: {offer: 0.8, refused: 0.2}}
          refused: {name: See the refusal, next: {lost: 1}}
          offer: {name: Accept the offer, next: {done: 1}}
          done: {type: success, name: Done}
          lost: {type: abandon, name: Lost}

    Passing example
    ---------------
    ::

        steps:
          check: {name: Credit check, next: {offer: 0.8, refused: 0.2}}
          refused: {name: See the refusal and a smaller offer, next: {offer: 0.4, lost: 0.6}}
          offer: {name: Accept the offer, next: {done: 1}}
          done: {type: success, name: Done}
          lost: {type: abandon, name: Lost}
    """

    code = "ST03"
    name = "no-way-to-success"
    group = "structure"
    severity = Severity.WARNING

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        structure = audit.structure
        if not structure.success_reachable:
            return
        for step_id, step in audit.journey.steps.items():
            if (
                step.is_outcome
                or step_id in structure.can_succeed
                or step_id in structure.stuck
                or step_id not in structure.reachable
            ):
                continue
            reached = audit.reach(step_id)
            yield Hit(
                step=step_id,
                message=f"no path from '{step.name}' leads to success: every customer who reaches it "
                f"({fmt.count(reached)} {audit.per}) is lost",
                remediation=f"Give '{step_id}' a route back to the main path or to a success outcome. "
                f"Owner: {audit.owner(step_id)}.",
                customers_affected=reached,
            )

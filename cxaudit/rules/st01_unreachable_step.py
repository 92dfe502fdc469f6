from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class UnreachableStep(Rule):
    """A step that no path from the entry reaches.

    What it finds
    -------------
    Steps that no customer can ever arrive at: nothing leads to them from the
    entry, directly or through other steps.

    Why it hurts customers
    ----------------------
    An unreachable step is usually a broken link: a transition was renamed or
    removed, and customers who should pass through the step go somewhere
    else. The journey on paper no longer matches what customers live.

    How to fix it
    -------------
    Add the missing transition from the step customers should come from, or
    delete the step if the journey no longer has it.

    Failing example
    ---------------
    ::

        entry: start
        steps:
          start: {name: Start, next: {done: 1}}
          survey: {name: Answer the survey, next: {done: 1}}   # nothing leads here
          done: {type: success, name: Done}

    Passing example
    ---------------
    ::

        entry: start
        steps:
          start: {name: Start, next: {survey: 1}}
          survey: {name: Answer the survey, next: {done: 1}}
          done: {type: success, name: Done}
    """

    code = "ST01"
    name = "unreachable-step"
    group = "structure"
    severity = Severity.ERROR

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id in audit.structure.unreachable:
            step = audit.step(step_id)
            yield Hit(
                step=step_id,
                message=f"no path from the entry reaches '{step.name}': no customer ever sees it",
                remediation=f"Add the transition that should lead to '{step_id}', or delete the step "
                "if the journey no longer has it.",
            )

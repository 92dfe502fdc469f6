from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class UnmappedActivity(Rule):
    """An activity in the event log that no step of the journey stands for.

    What it finds
    -------------
    Runs only against an event log. Activities whose name matches no step's
    name or id (ignoring case), with how many events they have.

    Why it hurts customers
    ----------------------
    Something customers do is missing from the journey: its effort, its
    waits and the contacts it causes are invisible in every report.

    How to fix it
    -------------
    Add a step for the activity (named like it), or rename the step that
    stands for it.

    Failing example
    ---------------
    ::

        # the log has events 'Upload payslip'
        steps:
          apply: {name: Apply, next: {done: 1}}

    Passing example
    ---------------
    ::

        steps:
          apply: {name: Apply, next: {upload_payslip: 1}}
          upload_payslip: {name: Upload payslip, next: {done: 1}}
    """

    code = "DR04"
    name = "unmapped-activity"
    group = "drift"
    needs_log = True
    severity = Severity.WARNING

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        conformance = audit.conformance
        if conformance is None:
            return
        for activity, events in sorted(conformance.unmapped.items()):
            yield Hit(
                step=None,
                target=activity,
                message=f"activity '{activity}' ({fmt.counted(events, 'event')} in the log) has no step in the journey",
                remediation="Add a step for it, named like the activity, or rename the step that stands for it.",
                customers_affected=events,
                span=audit.journey.span,
            )

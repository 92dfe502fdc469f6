from __future__ import annotations

from collections.abc import Iterator, Mapping

from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Rule


class NoSuccessOutcome(Rule):
    """A journey in which no customer can reach a success outcome.

    What it finds
    -------------
    Journeys with no ``success`` step at all, or whose success steps no path
    from the entry reaches. The finding points at the entry.

    Why it hurts customers
    ----------------------
    Nobody completes the journey: every customer who starts it is lost or
    stuck. Usually an outcome was renamed, or the main path was cut.

    How to fix it
    -------------
    Add a ``type: success`` step for what customers came to do, and connect
    the main path to it.

    Failing example
    ---------------
    ::

        entry: apply
        steps:
          apply: {name: Apply, next: {lost: 1}}
          lost: {type: abandon, name: Gave up}

    Passing example
    ---------------
    ::

        entry: apply
        steps:
          apply: {name: Apply, next: {done: 0.9, lost: 0.1}}
          done: {type: success, name: Account open}
          lost: {type: abandon, name: Gave up}
    """

    code = "ST05"
    name = "no-success-outcome"
    group = "structure"
    severity = Severity.ERROR

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        if audit.structure.success_reachable:
            return
        has_success = any(step.type == "success" for step in audit.journey.steps.values())
        entry = audit.journey.entry[0]
        message = (
            "no success outcome is reachable from the entry: no customer can complete this journey"
            if has_success
            else "the journey has no success outcome: no customer can complete it"
        )
        yield Hit(
            step=None,
            message=message,
            remediation="Add a `type: success` step for what customers came to do and connect the main path to it.",
            customers_affected=audit.volume,
            span=entry.span,
        )

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule

ADVICE = {
    "self-service": "Shorten the wait at '{step}' and send proactive status updates so customers do not have to ask.",
    "assisted": "Shorten the queue at '{step}' (staffing, call-backs) and tell customers how long they will wait.",
    "back office": "Shorten the handling of '{step}' (queues, batches, handoffs) and tell customers when to expect "
    "the answer, so they do not have to ask.",
}
"""How to shorten a wait, by who does the work at the step."""


class LongWait(Rule):
    """A long step on a path many customers take.

    What it finds
    -------------
    Steps whose ``duration`` is at least ``max_duration`` (4 hours by
    default) and that at least ``min_reach`` of entering customers reach.

    Why it hurts customers
    ----------------------
    Waiting without news is when customers doubt, chase and call: "where is
    my application?" contacts are caused by waits, not by curiosity. Long
    waits also give customers time to choose a competitor.

    How to fix it
    -------------
    Shorten the wait (automate the check, work in parallel), and keep
    customers informed proactively with status updates so they do not have
    to ask.

    Failing example
    ---------------
    ::

        steps:
          review: {name: Wait for the identity check, duration: 2d, next: {open: 1}}

    Passing example
    ---------------
    ::

        steps:
          review: {name: Wait for the identity check, duration: 2m, next: {open: 1}}
    """

    code = "FR05"
    name = "long-wait"
    group = "friction"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "max_duration": Option(4 * 3600, "duration from which a step is a long wait", 0, None, "duration"),
        "min_reach": Option(0.20, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step.duration_s is None or step.duration_s < options["max_duration"]:
                continue
            reach = audit.metrics(step_id).reach_probability
            if reach < options["min_reach"]:
                continue
            contacts = sum(audit.flow(step_id, t) for t, _ in audit.successors(step_id) if audit.is_contact(t))
            chased = f"; {fmt.count(contacts)} of them contact us from there" if contacts else ""
            yield Hit(
                step=step_id,
                message=f"customers wait {fmt.duration(step.duration_s)} at '{step.name}', and {fmt.pct(reach)} "
                f"of them reach it ({fmt.count(reach * audit.volume)} {audit.per}){chased}",
                remediation=f"{ADVICE[audit.kind(step_id)].format(step=step.name)} Owner: {audit.owner(step_id)}.",
                customers_affected=reach * audit.volume,
                contacts=contacts,
            )

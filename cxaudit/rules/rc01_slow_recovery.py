from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class SlowRecovery(Rule):
    """After contacting us, customers need too many steps, handoffs or time to finish.

    What it finds
    -------------
    Contact steps after which a customer, on average, takes more than
    ``max_steps`` further steps, or more than ``max_handoffs`` handoffs
    between teams, or more than ``max_duration``, before the journey ends.
    Exact expectations from the Markov chain, among contact steps at least
    ``min_reach`` of customers reach.

    Why it hurts customers
    ----------------------
    Customers who had to reach out are the elite: they told us something is
    wrong. Their recovery path must be short, resolved in the contact, with
    few handoffs. A long recovery turns a problem into a complaint.

    How to fix it
    -------------
    Let the person who takes the contact finish the job: do the change for
    the customer, skip the steps they already did, and avoid passing them to
    another team.

    Failing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call for help, owner: care, next: {form: 1}}
          form: {name: Fill the form again, owner: ops, next: {check: 1}}
          check: {name: Wait for the check, owner: risk, duration: 3d, next: {letter: 1}}
          letter: {name: Wait for the letter, owner: ops, duration: 5d, next: {done: 1}}

    Passing example
    ---------------
    ::

        steps:
          call: {type: contact, name: Call for help, owner: care, next: {done: 0.95, lost: 0.05}}
    """

    code = "RC01"
    name = "slow-recovery"
    group = "recovery"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "max_steps": Option(5, "further steps after the contact", 0),
        "max_handoffs": Option(3, "further handoffs between owners after the contact", 0),
        "max_duration": Option(86400, "further time after the contact", 0, None, "duration"),
        "min_reach": Option(0.001, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step, metrics in audit.reached_contacts(options["min_reach"]):
            further_steps = metrics.expected_steps_after - 1.0
            further_time = metrics.expected_duration_after_s - (step.duration_s or 0.0)
            handoffs = metrics.expected_handoffs_after
            if (
                further_steps <= options["max_steps"]
                and handoffs <= options["max_handoffs"]
                and further_time <= options["max_duration"]
            ):
                continue
            yield Hit(
                step=step_id,
                message=f"after contacting us at '{step.name}', customers need {fmt.number(further_steps, 1)} more "
                f"steps, {fmt.number(handoffs, 1)} handoffs and {fmt.duration(further_time)} on average to finish",
                remediation=f"Let {audit.team(step_id)} finish the job in the contact: make the change for the "
                "customer, skip what they already did, avoid passing them on.",
                customers_affected=metrics.reach_probability * audit.volume,
                contacts=metrics.expected_visits * audit.volume,
            )

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.analysis.conformance import binomial_p_value
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class ProbabilityDrift(Rule):
    """A declared probability differs from what customers in the event log do.

    What it finds
    -------------
    Runs only against an event log. Transitions whose observed share of the
    step's cases differs from the declared probability by at least
    ``min_difference``, where an exact two-sided binomial test
    (``scipy.stats.binomtest``) gives a p-value below ``alpha``: the
    difference is real, not sampling noise.

    Why it hurts customers
    ----------------------
    Every metric and every fix cxaudit ranks rests on these probabilities. A
    journey that drifted from reality sends the team to fix the wrong step.

    How to fix it
    -------------
    Update the probabilities from the log (``cxaudit calibrate``), or find out
    what changed for customers at the step.

    Failing example
    ---------------
    ::

        # the log: 40% of 2,000 cases go from pay to call_us
        steps:
          pay: {name: Pay, next: {done: 0.9, call_us: 0.1}}

    Passing example
    ---------------
    ::

        steps:
          pay: {name: Pay, next: {done: 0.6, call_us: 0.4}}
    """

    code = "DR03"
    name = "probability-drift"
    group = "drift"
    needs_log = True
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_difference": Option(0.05, "smallest difference between declared and observed shares", 0, 1, "share"),
        "alpha": Option(0.001, "significance level of the exact binomial test", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        conformance = audit.conformance
        if conformance is None:
            return
        for step_id, step in audit.journey.steps.items():
            n = conformance.outgoing.get(step_id, 0)
            if n == 0:
                continue
            row = conformance.observed.get(step_id, {})
            for transition in step.next:
                k = row.get(transition.target, 0)
                if k == 0:
                    continue  # DR02's
                observed = k / n
                if abs(observed - transition.probability) < options["min_difference"]:
                    continue
                p_value = binomial_p_value(k, n, transition.probability)
                if p_value >= options["alpha"]:
                    continue
                yield Hit(
                    step=step_id,
                    target=transition.target,
                    message=f"'{step.name}' -> '{audit.step(transition.target).name}' is declared "
                    f"{fmt.pct(transition.probability)} but {fmt.pct(observed)} of {fmt.cases(n)} in the log "
                    f"take it (exact binomial test, p = {p_value:.1e})",
                    remediation=f"Update the probabilities of '{step_id}' from the log (cxaudit calibrate), or find "
                    "out what changed for customers there.",
                    customers_affected=abs(observed - transition.probability) * n,
                )

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule

ADVICE = {
    "self-service": "prefill what you know, remove fields, explain errors before they happen.",
    "assisted": "let the person serving the customer look up and fill in what the organisation knows; ask once.",
    "back office": "ask customers only for what the organisation cannot find itself, and fetch the rest.",
}
"""How to cut effort, by who does the work at the step."""


class EffortPothole(Rule):
    """A high-effort step that many customers reach.

    What it finds
    -------------
    Steps whose ``effort`` is at least ``min_effort`` (4 of 5 by default) and
    that at least ``min_reach`` of entering customers reach.

    Why it hurts customers
    ----------------------
    Effort predicts disloyalty better than delight predicts loyalty: every
    customer who has to type an address by hand, find a document or repeat a
    code remembers it. High-effort steps are where customers give up and
    where they call for help.

    How to fix it
    -------------
    Cut the effort: prefill what you already know, remove fields, accept more
    documents, explain errors before they happen. Then lower ``effort`` in
    the journey and watch the contacts and drop-offs it causes.

    Failing example
    ---------------
    ::

        steps:
          id_upload: {name: Photograph my passport, effort: 5, next: {done: 0.9, lost: 0.1}}

    Passing example
    ---------------
    ::

        steps:
          id_upload: {name: Confirm my details from the bank's records, effort: 2, next: {done: 0.97, lost: 0.03}}
    """

    code = "FR01"
    name = "effort-pothole"
    group = "friction"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_effort": Option(4, "effort (1..5) from which a step is a pothole", 1, 5, "integer"),
        "min_reach": Option(0.10, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step.effort is None or step.effort < options["min_effort"]:
                continue
            reach = audit.metrics(step_id).reach_probability
            if reach < options["min_reach"]:
                continue
            yield Hit(
                step=step_id,
                message=f"'{step.name}' asks a lot of customers (effort {step.effort} of 5) and "
                f"{fmt.pct(reach)} of them reach it: {fmt.count(reach * audit.volume)} customers {audit.per}",
                remediation=f"Cut the effort of '{step.name}': {ADVICE[audit.kind(step_id)]} "
                f"Owner: {audit.owner(step_id)}.",
                customers_affected=reach * audit.volume,
            )

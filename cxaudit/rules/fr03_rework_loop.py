from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule

ADVICE = {
    "self-service": "validate as the customer types, say exactly what went wrong, keep what they entered.",
    "assisted": "give the person serving the customer a checklist and the authority to finish in one go.",
    "back office": "check that the work is complete once, when it arrives, and send it to the right team the "
    "first time.",
}
"""How to stop the rework, by who does the work at the step."""


class ReworkLoop(Rule):
    """Customers repeat a step, or go round a loop, before they move on.

    What it finds
    -------------
    Steps whose expected visits per customer who reaches them is at least
    ``min_repeat_ratio`` (1.15: on average 15% extra visits), among steps at
    least ``min_reach`` of customers reach. In a journey learned with
    ``discover --history``, an activity split into several steps by where
    customers came from is one: its visits are the visits to any of its
    steps, and a repeat is coming back to any of them (one finding, on its
    most visited step).

    Why it hurts customers
    ----------------------
    Every repeat is rework the customer does because something did not work
    the first time: a rejected photo, an expired code, a form that lost its
    data. It costs time, patience and often a contact. Repeats through a
    longer loop (back to an earlier step) count as well.

    How to fix it
    -------------
    Make the step right the first time: validate as the customer types, say
    exactly what went wrong, keep what they entered. Where the step repeats
    itself directly, the value shown assumes the customers who now repeat
    would move on as the others do.

    Failing example
    ---------------
    ::

        steps:
          id_upload: {name: Photograph my ID, next: {review: 0.7, id_upload: 0.3}}

    Passing example
    ---------------
    ::

        steps:
          id_upload: {name: Photograph my ID, next: {review: 0.97, id_upload: 0.03}}
    """

    code = "FR03"
    name = "rework-loop"
    group = "friction"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_repeat_ratio": Option(1.15, "expected visits per customer who reaches the step", 1),
        "min_reach": Option(0.01, "share of entering customers who must reach the step", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        from cxaudit.analysis.history import activity_groups, groups_visits

        groups = activity_groups(audit.journey)
        kept = {name: [s for s in members if s not in audit.structure.stuck] for name, members in groups.items()}
        kept = {name: members for name, members in kept.items() if members}
        chain = audit.markov.chain  # the audit's factorisation, over the same steps
        reached = groups_visits(
            audit.journey,
            [set(members) for members in kept.values()],
            structure=audit.structure,
            system=None if chain is None else chain.system,
        )
        for (name, members), (reach, _) in zip(kept.items(), reached, strict=True):
            yield from self._activity(audit, options, name, members, reach)
        grouped = {step_id for members in groups.values() for step_id in members}
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or step_id in audit.structure.stuck or step_id in grouped:
                continue
            metrics = audit.metrics(step_id)
            reach = metrics.reach_probability
            if reach < options["min_reach"] or reach <= 0:
                continue
            ratio = metrics.expected_visits / reach
            if ratio < options["min_repeat_ratio"]:
                continue
            # Only a step's own retry is modelled as a fix: the customers who
            # repeat move on as the others do. Longer loops are reported with
            # their numbers but no modelled value.
            loops = tuple((step_id, target) for target, _ in audit.successors(step_id) if target == step_id)
            extra = (metrics.expected_visits - reach) * audit.volume
            yield Hit(
                step=step_id,
                message=f"customers repeat '{step.name}': {fmt.number(ratio)} visits for every customer "
                f"who reaches it, {fmt.count(extra)} extra visits {audit.per}",
                remediation=f"Make '{step.name}' right the first time: {ADVICE[audit.kind(step_id)]} "
                f"Owner: {audit.owner(step_id)}.",
                fix=loops,
                customers_affected=reach * audit.volume,
            )

    @staticmethod
    def _activity(
        audit: AuditContext, options: Mapping[str, float], name: str, members: list[str], reach: float
    ) -> Iterator[Hit]:
        """An activity split by history into ``members``, which customers reach with probability ``reach``: its
        repeats are visits to any of them."""
        visits = sum(audit.metrics(step_id).expected_visits for step_id in members)
        if reach < options["min_reach"] or reach <= 0 or visits / reach < options["min_repeat_ratio"]:
            return
        inside = set(members)
        loops = tuple(
            (step_id, target) for step_id in members for target, _ in audit.successors(step_id) if target in inside
        )
        step_id = max(members, key=lambda s: (audit.metrics(s).expected_visits, s))
        yield Hit(
            step=step_id,
            message=f"customers repeat '{name}' (its {len(members)} steps, split by where customers came from): "
            f"{fmt.number(visits / reach)} visits for every customer who reaches it, "
            f"{fmt.count((visits - reach) * audit.volume)} extra visits {audit.per}",
            remediation=f"Make '{name}' right the first time: {ADVICE[audit.kind(step_id)]} "
            f"Owner: {audit.owner(step_id)}.",
            fix=loops,
            customers_affected=reach * audit.volume,
        )

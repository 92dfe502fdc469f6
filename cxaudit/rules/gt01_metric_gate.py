from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule

# gate option -> (metric key, bound: "min" or "max", how to show a value)
GATES: dict[str, tuple[str, str, str]] = {
    "min_completion_rate": ("completion_rate", "min", "share"),
    "max_abandonment_rate": ("abandonment_rate", "max", "share"),
    "max_stuck_rate": ("stuck_rate", "max", "share"),
    "max_expected_contacts": ("expected_contacts", "max", "number"),
    "max_contacts_per_period": ("contacts_per_period", "max", "count"),
    "max_contact_cost_per_period": ("contact_cost_per_period", "max", "money"),
    "min_first_contact_resolution": ("first_contact_resolution", "min", "share"),
    "max_value_at_risk": ("value_at_risk", "max", "money"),
    "max_customers_lost_per_period": ("customers_lost_per_period", "max", "count"),
    "max_expected_effort": ("expected_effort", "max", "number"),
    "max_expected_duration": ("expected_duration_s", "max", "duration"),
    "max_expected_handoffs": ("expected_handoffs", "max", "number"),
}


class MetricGate(Rule):
    """A journey metric crosses a gate set in the configuration.

    What it finds
    -------------
    Journeys whose exact metrics cross a gate: a minimum completion rate, a
    maximum of expected contacts per customer, a budget for the cost of
    contacts per period, and so on. No gate is set by default; set them in
    the ``gates`` section of the configuration, for example
    ``min-completion-rate = 0.85``. The gates: ``min-completion-rate``,
    ``max-abandonment-rate``, ``max-stuck-rate``, ``max-expected-contacts``,
    ``max-contacts-per-period``, ``max-contact-cost-per-period``,
    ``min-first-contact-resolution``, ``max-value-at-risk``,
    ``max-customers-lost-per-period``, ``max-expected-effort``,
    ``max-expected-duration`` and ``max-expected-handoffs``. A rate or
    resolution is a share from 0 to 1, a duration is seconds or 30s, 3m, 2h,
    1d.

    Why it hurts customers
    ----------------------
    A gate is the promise a team makes about a journey ("at most one contact
    in ten customers"). A change that breaks it makes the journey worse for
    every customer who takes it, even when no single step looks wrong.

    How to fix it
    -------------
    Compare the journey with its previous version (``cxaudit compare``) to see
    which change moved the metric, and fix that change; move the gate only
    as a deliberate decision.

    Failing example
    ---------------
    ::

        # pyproject.toml: [tool.cxaudit.gates] min-completion-rate = 0.9
        steps:
          apply: {name: Apply, next: {done: 0.8, lost: 0.2}}

    Passing example
    ---------------
    ::

        # pyproject.toml: [tool.cxaudit.gates] min-completion-rate = 0.9
        steps:
          apply: {name: Apply, next: {done: 0.95, lost: 0.05}}
    """

    code = "GT01"
    name = "metric-gate"
    group = "gate"
    severity = Severity.ERROR
    options: ClassVar[Mapping[str, Option]] = {
        name: Option(
            None,
            f"{'lowest' if bound == 'min' else 'highest'} allowed {metric.replace('_', ' ')}",
            0,
            1 if kind == "share" else None,
            "duration" if kind == "duration" else ("share" if kind == "share" else "number"),
        )
        for name, (metric, bound, kind) in GATES.items()
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        metrics = audit.markov.metrics
        for name, (metric, bound, kind) in GATES.items():
            gate = options.get(name)
            value = getattr(metrics, metric)
            if gate is None or value is None:
                continue
            crossed = value < gate if bound == "min" else value > gate
            if not crossed:
                continue
            shown_value, shown_gate = _show(value, kind, audit), _show(gate, kind, audit)
            words = "below the minimum" if bound == "min" else "above the maximum"
            key = name.replace("_", "-")
            yield Hit(
                step=None,
                message=f"{metric.replace('_', ' ').replace(' s', '')} is {shown_value}, {words} of {shown_gate} "
                f"set by the gate {key}",
                remediation="Find the change that moved this metric (cxaudit compare) and fix it; move the gate "
                "only as a deliberate decision.",
                customers_affected=audit.volume,
                span=audit.journey.span,
            )


def _show(value: float, kind: str, audit: AuditContext) -> str:
    if kind == "share":
        return fmt.pct(value)
    if kind == "money":
        return audit.money(value)
    if kind == "count":
        return fmt.count(value)
    if kind == "duration":
        return fmt.duration(value)
    return fmt.number(value, 3)

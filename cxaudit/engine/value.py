"""What a fix is worth: to first order for every finding, exactly for the top ones, and how sure that is.

A fix removes transitions (its finding's remediation); its worth is the
customers kept, the contacts and their cost avoided and the value kept per
period. The first-order value comes from the solved chain, the exact one from
the journey solved again with the fix applied, and for a journey with
evidence each top fix is valued again on every draw of the posterior
(:mod:`cxaudit.analysis.intervals`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxaudit.analysis import solve
from cxaudit.analysis.attribution import apply_fix
from cxaudit.model import Finding, Impact

if TYPE_CHECKING:
    from cxaudit.analysis.markov import JourneyMetrics, MarkovResult
    from cxaudit.model import Journey
    from cxaudit.rules import Hit


def _clean(value: float) -> float:
    """Round away float noise around zero, so no '-0' reaches a report."""
    return 0.0 if abs(value) < 1e-9 else value


def _money(context, cost_avoided: float, customers_kept: float) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
    journey = context.journey
    has_cost, has_value = context.money_known
    value_kept = customers_kept * journey.value if journey.value is not None else None
    if not has_cost and not has_value:
        return value_kept, None
    return value_kept, cost_avoided + (value_kept or 0.0)


def _first_order(context, hit: Hit) -> Impact:  # type: ignore[no-untyped-def]
    """Value of the fix from the exact chain, to first order in the change.

    A customer who took a removed transition ``i -> j`` now behaves like the
    step's other customers: the change in their chance of success is
    ``alt_i - h_j``, with ``h`` the success probabilities of the backward
    solve and ``alt_i`` the average over ``i``'s remaining transitions; the
    same for expected contacts and their cost from each step on.
    """
    base = Impact(customers_affected=hit.customers_affected, contacts=hit.contacts)
    if not hit.fix:
        return base
    steps = context.markov.steps
    volume = context.volume
    # Targets in the order of the fix, not of a set: the sums below must not
    # depend on the process's string hashing (last digits would change from run to run).
    by_source: dict[str, dict[str, None]] = {}
    for source, target in hit.fix:
        by_source.setdefault(source, {})[target] = None
    d_success = d_contacts = d_cost = 0.0
    for source, targets in by_source.items():
        transitions = context.successors(source)
        removed = sum(p for t, p in transitions if t in targets)
        if removed >= 1 - 1e-12:
            return base
        rest = [(t, p / (1 - removed)) for t, p in transitions if t not in targets]
        alt_success = sum(p * steps[t].success_probability for t, p in rest)
        alt_contacts = sum(p * steps[t].expected_contacts_after for t, p in rest)
        alt_cost = sum(p * steps[t].expected_cost_after for t, p in rest)
        for target in targets:
            flow = context.markov.flows.get((source, target), 0.0)
            d_success += flow * (alt_success - steps[target].success_probability)
            d_contacts += flow * (steps[target].expected_contacts_after - alt_contacts)
            d_cost += flow * (steps[target].expected_cost_after - alt_cost)
    customers_kept = _clean(d_success * volume)
    cost_avoided = _clean(d_cost * volume)
    value_kept, money = _money(context, cost_avoided, customers_kept)
    return Impact(
        hit.customers_affected,
        hit.contacts,
        customers_kept=customers_kept,
        contacts_avoided=_clean(d_contacts * volume),
        cost_avoided=cost_avoided,
        value_kept=value_kept,
        money=money,
    )


def _exact(context, fix: tuple[tuple[str, str], ...], impact: Impact) -> Impact:  # type: ignore[no-untyped-def]
    """The value of a fix from the exact metrics of the journey with it applied (:func:`_fixed`)."""
    journey = context.journey
    before = context.markov.metrics
    updated = _fixed(journey, context.markov, fix)
    if updated is None:
        return impact
    customers_kept, contacts_avoided, cost_avoided = _gains(before, updated, journey.volume)
    value_kept, money = _money(context, cost_avoided, customers_kept)
    return Impact(
        impact.customers_affected,
        impact.contacts,
        customers_kept=customers_kept,
        contacts_avoided=contacts_avoided,
        cost_avoided=cost_avoided,
        value_kept=value_kept,
        money=money,
        exact=True,
    )


def _fixed(
    journey: Journey, result: MarkovResult, fix: tuple[tuple[str, str], ...]
) -> tuple[float, float, float] | None:
    """Completion rate, contacts and contact cost per period of ``journey`` with ``fix`` applied.

    By a low-rank update of the factorised chain (see
    :func:`cxaudit.analysis.markov.evaluate_fix`); where that cannot be used,
    by solving the changed journey from scratch. None when the fix cannot be modelled.
    """
    from cxaudit.analysis.fixes import evaluate_fix

    removed: dict[str, set[str]] = {}
    for source, target in fix:
        removed.setdefault(source, set()).add(target)
    updated = evaluate_fix(journey, result, removed)
    if updated is None:
        fixed = apply_fix(journey, fix)
        if fixed is None:
            return None
        after = solve(fixed, None)[1].metrics
        updated = (after.completion_rate, after.contacts_per_period, after.contact_cost_per_period)
    return updated


def _gains(before: JourneyMetrics, updated: tuple[float, float, float], volume: float) -> tuple[float, float, float]:
    """Customers kept, contacts avoided and contact cost avoided per period, from before and after a fix."""
    completion, contacts, cost = updated
    return (
        _clean((completion - before.completion_rate) * volume),
        _clean(before.contacts_per_period - contacts),
        _clean(before.contact_cost_per_period - cost),
    )


_FIX_FIELDS = ("money", "customers_kept", "contacts_avoided", "cost_avoided", "value_kept")
"""What a fix is worth, in the order of :meth:`Finding.rank_key` first."""


def _uncertain_fixes(context, ranked: list[Finding], fixes: dict, top: int, drawn: Any) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """The intervals of the top fixes' values over the posterior's draws, and which of them cannot be
    told apart from the fix ranked just above: it ranks above in fewer than 97.5% of the draws."""
    import numpy as np

    from cxaudit.analysis.intervals import beats, holding, interval

    volume = context.journey.volume
    samples: dict[str, Any] = {}
    for finding in ranked[:top]:
        fix = fixes.get(finding.fingerprint)
        if finding.suppressed is not None or not fix or not finding.impact.exact:
            continue
        rows = []
        for journey, result in zip(drawn.journeys, drawn.results, strict=True):
            updated = _fixed(journey, result, fix)
            kept, avoided, cost = (0.0, 0.0, 0.0) if updated is None else _gains(result.metrics, updated, volume)
            value_kept, money = _money(context, cost, kept)
            rows.append((money or 0.0, kept, avoided, cost, value_kept or 0.0))
        samples[finding.fingerprint] = np.array(rows)
    found: dict[str, dict[str, tuple[float, float]]] = {}
    ties: dict[str, int] = {}
    above = None
    for finding in ranked[:top]:
        values = samples.get(finding.fingerprint)
        if values is None:
            above = None
            continue
        impact = finding.impact
        found[finding.fingerprint] = {
            name: holding(interval(values[:, column]), getattr(impact, name))
            for column, name in enumerate(_FIX_FIELDS)
            if getattr(impact, name) is not None
        }
        ahead = None if above is None else samples[above.fingerprint]
        # Fixes ranked by what they are worth (not tied at it, then ranked by whom they affect).
        worth_differs = ahead is not None and above.rank_key()[:3] != finding.rank_key()[:3]
        if worth_differs and beats(ahead[:, :3], values[:, :3]) < 0.975:
            ties[finding.fingerprint] = above.rank
        above = finding
    return found, ties

"""A journey's predictions set against what a log's customers did, each with its prediction interval.

The journey predicts, exactly from its chain, what a log of ``n`` cases
should show; the log shows what its cases did, read by the one definition of
a case (:mod:`cxaudit.logs.read`). A figure is *within* when the observed
value falls in its prediction interval for a log of that size:

- an outcome's share of cases, and the share of cases that visit a step
  twice or more: the observed count is binomial with the predicted
  probability, and the interval is its exact quantiles;
- the mean visits per case and the mean case time: the observed mean is
  normal around the predicted one (the central limit theorem), with the
  spread of the log's own cases (the journey knows each step's mean time,
  not its spread).

So that a true journey passes, the intervals are widened for the number of
figures checked (Bonferroni): with 20 figures at 95%, each is a 99.75%
interval, and a journey that tells the truth fails with a chance of at most
5%. The medians and 90th percentiles of case times are shown beside them,
not checked: a journey states mean times only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxaudit.logs.read import EventLog
    from cxaudit.model import Journey

__all__ = ["Backtest", "Figure", "backtest"]


@dataclass(frozen=True)
class Figure:
    """One figure: what the journey predicts, what the log shows, and the interval it must fall in."""

    figure: str
    """``outcome:STEP``, ``repeats:STEP``, ``visits per case``, ``case time mean`` (and ``p50``, ``p90``)."""
    predicted: float | None
    observed: float
    low: float | None
    high: float | None
    within: bool | None
    """None for a figure shown but not checked."""
    step: str | None = None
    label: str = ""
    """The figure in words."""


@dataclass(frozen=True)
class Backtest:
    """A journey against a log: every figure, and whether the journey passes."""

    journey: Journey
    log: str
    cases: int
    confidence: float
    figures: tuple[Figure, ...]

    @property
    def failed(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.within is False)

    @property
    def passed(self) -> bool:
        return not self.failed


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def _binomial_interval(p: float, n: int, tail: float) -> tuple[float, float]:
    """The share interval holding a binomial(n, p) count with probability at least 1 - 2 tail."""
    from scipy.stats import binom

    p = min(max(p, 0.0), 1.0)
    return float(binom.ppf(tail, n, p)) / n, float(binom.isf(tail, n, p)) / n


def backtest(
    journey: Journey, events: EventLog, *, confidence: float = 0.95, activity_map: dict[str, str] | None = None
) -> Backtest:
    """Set ``journey``'s predictions against the cases of the log ``events``.

    Raises
    ------
    UsageError
        An explicit mapping names a step the journey does not have.
    """
    from cxaudit.analysis.conformance import case_end, map_activities, outcome_activities
    from cxaudit.engine import _solve

    _, markov = _solve(journey, None)
    names = events.activity_names()
    outcomes = outcome_activities(journey, names, activity_map)
    conformance = map_activities(journey, events, activity_map)
    summary = conformance.log
    visits, times, repeats_by_activity = events.per_case(outcomes)
    n = summary.cases
    steps = journey.steps

    # Cases by the outcome they ended at: an activity that stands for it, or a step whose case end leads
    # to it (a model's end event, ended_without_outcome); the rest ended elsewhere.
    ended: dict[str, int] = {step_id: 0 for step_id, step in steps.items() if step.is_outcome}
    for activity, info in summary.activities.items():
        step_id = conformance.mapping.get(activity)
        if step_id is None or not info.ends:
            continue
        target = step_id if steps[step_id].is_outcome else case_end(journey, step_id)
        if target in ended:
            ended[target] += info.ends
    elsewhere = n - sum(ended.values())

    metrics_of = markov.steps
    absorbed = {step_id: metrics_of[step_id].expected_visits for step_id in ended}
    # (figure, step, words, kind, predicted, observed): a share, or a (mean, spread) pair
    checks: list[tuple[str, str | None, str, str, float, Any]] = [
        (f"outcome:{s}", s, f"cases ending at '{steps[s].name}'", "share", absorbed[s], ended[s] / n) for s in ended
    ]
    stuck = markov.metrics.stuck_rate
    if elsewhere or stuck > 0:
        checks.append(("outcome:(elsewhere)", None, "cases ending at no outcome", "share", stuck, elsewhere / n))
    by_step: dict[str, int] = {}
    for activity, count in repeats_by_activity.items():
        step_id = conformance.mapping.get(activity)
        if step_id is not None:
            by_step[step_id] = by_step.get(step_id, 0) + count
    for step_id, step in steps.items():
        m = metrics_of[step_id]
        if step.is_outcome or not m.expected_visits:
            continue
        # reached, then back again: reach x (1 - 1 / visits per customer who reaches it)
        predicted = max(m.reach_probability - m.reach_probability**2 / m.expected_visits, 0.0)
        observed = by_step.get(step_id, 0) / n
        if predicted >= 0.0005 or observed > 0:
            checks.append(
                (
                    f"repeats:{step_id}",
                    step_id,
                    f"cases doing '{step.name}' twice or more",
                    "share",
                    predicted,
                    observed,
                )
            )
    # Visits per case: the journey's visits to its steps, and the outcome a case ends at when logs record it.
    logged_ends = sum(absorbed[s] for s in ended if steps[s].logged and s in conformance.mapping.values())
    predicted_visits = sum(metrics_of[s].expected_visits for s, step in steps.items() if not step.is_outcome)
    checks.append(
        ("visits per case", None, "visits per case", "mean", predicted_visits + logged_ends, _mean_spread(visits))
    )
    if times and all(step.duration_s is not None for step in steps.values() if not step.is_outcome):
        checks.append(
            ("case time mean", None, "mean case time, in seconds", "mean", markov.metrics.expected_duration_s,
             _mean_spread(times))
        )  # fmt: skip
    gated = len(checks)
    tail = (1 - confidence) / 2 / gated
    z = _normal_quantile(1 - tail)
    figures: list[Figure] = []
    for name, step_id, label, kind, predicted, observed in checks:
        if kind == "share":
            low, high = _binomial_interval(predicted, n, tail)
            value = observed
        else:
            value, spread = observed
            half = z * spread / math.sqrt(max(len(visits), 1))
            low, high = predicted - half, predicted + half
        within = low - 1e-12 <= value <= high + 1e-12
        figures.append(Figure(name, predicted, value, low, high, within, step_id, label))
    if times:
        ordered = sorted(times)
        for q, name in ((0.5, "case time p50"), (0.9, "case time p90")):
            words = f"{'median' if q == 0.5 else '90th percentile'} case time, in seconds (not checked)"
            figures.append(Figure(name, None, _quantile(ordered, q), None, None, None, None, words))
    return Backtest(journey, summary.file, n, confidence, tuple(figures))


def _mean_spread(values: list[Any]) -> tuple[float, float]:
    """The mean of ``values`` and their sample standard deviation."""
    count = len(values)
    mean = sum(values) / count
    variance = sum((v - mean) ** 2 for v in values) / (count - 1) if count > 1 else 0.0
    return mean, math.sqrt(variance)


def _quantile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, linear between the two nearest ranks."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])

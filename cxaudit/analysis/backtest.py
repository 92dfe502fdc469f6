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

A journey learned from a log says from how many cases (``cases``); its
predictions are then estimates, and the intervals allow for both samples:
a share's count is beta-binomial (the predicted share's uncertainty from
the learned cases, compounded with the log's sampling), a mean's spread is
``sqrt(1/n + 1/cases)`` times the cases' spread.

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


def _share_interval(p: float, n: int, tail: float, learned: int | None) -> tuple[float, float]:
    """The share interval holding the count of ``n`` cases with probability at least 1 - 2 tail.

    For a journey learned from ``learned`` cases, the predicted share is itself
    an estimate: the count is beta-binomial, the share's uncertainty from
    those cases (a beta with ``p * learned`` and ``(1 - p) * learned``)
    compounded with the sampling of the ``n`` cases. Otherwise binomial.
    """
    from scipy.stats import betabinom

    p = min(max(p, 0.0), 1.0)
    if not learned or p in (0.0, 1.0):
        return _binomial_interval(p, n, tail)
    a, b = p * learned, (1 - p) * learned
    return float(betabinom.ppf(tail, n, a, b)) / n, float(betabinom.isf(tail, n, a, b)) / n


def backtest(
    journey: Journey, events: EventLog, *, confidence: float = 0.95, activity_map: dict[str, str] | None = None
) -> Backtest:
    """Set ``journey``'s predictions against the cases of the log ``events``.

    Raises
    ------
    UsageError
        An explicit mapping names a step the journey does not have.
    """
    from cxaudit.analysis import solve as _solve
    from cxaudit.analysis.conformance import case_end, map_activities

    _, markov = _solve(journey, None)
    conformance = map_activities(journey, events, activity_map)
    summary = conformance.log
    split = any(step.after for step in journey.steps.values())
    if split:  # repeats of an activity, whichever of its steps: the log as read
        events.unsplit()
    visits, times, repeats_by_activity = events.per_case(summary.outcomes)
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
    if split:
        checks += _activity_repeats(journey, repeats_by_activity, (activity_map or {}), n)
    else:
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
                label = f"cases doing '{step.name}' twice or more"
                checks.append((f"repeats:{step_id}", step_id, label, "share", predicted, observed))
    # Visits per case: the journey's visits to its steps, and the outcome a case ends at when logs record it.
    logged = {s for s in ended if steps[s].logged and s in conformance.mapping.values()}
    logged_ends = sum(absorbed[s] for s in logged)
    predicted_visits = sum(metrics_of[s].expected_visits for s, step in steps.items() if not step.is_outcome)
    checks.append(
        ("visits per case", None, "visits per case", "mean", predicted_visits + logged_ends, _mean_spread(visits))
    )
    if times and all(step.duration_s is not None for step in steps.values() if not step.is_outcome):
        checks.append(
            ("case time mean", None, "mean case time, in seconds", "mean", markov.metrics.expected_duration_s,
             _mean_spread(times))
        )  # fmt: skip
    lengths = length_distribution(journey, logged, longest=max(visits) * 2 + 10)
    observed_lengths: dict[int, int] = {}
    for count in visits:
        observed_lengths[count] = observed_lengths.get(count, 0) + 1
    for low, high in length_buckets(lengths):
        predicted = sum(p for k, p in lengths.items() if low <= k <= high)
        observed = sum(c for k, c in observed_lengths.items() if low <= k <= high) / n
        if low == high:
            span, words = f"{low}", f"{low}"
        elif high >= _LONGEST:
            span, words = f"{low}+", f"{low} or more"
        else:
            span, words = f"{low}-{high}", f"{low} to {high}"
        checks.append((f"case length {span}", None, f"cases of {words} visits", "share", predicted, observed))
    total_variation = 0.5 * sum(
        abs(lengths.get(k, 0.0) - observed_lengths.get(k, 0) / n) for k in set(lengths) | set(observed_lengths)
    )
    gated = len(checks)
    tail = (1 - confidence) / 2 / gated
    z = _normal_quantile(1 - tail)
    figures: list[Figure] = []
    learned = journey.cases
    for name, step_id, label, kind, predicted, observed in checks:
        if kind == "share":
            low, high = _share_interval(predicted, n, tail, learned)
            value = observed
        else:
            value, spread = observed
            half = z * spread * math.sqrt(1 / max(len(visits), 1) + (1 / learned if learned else 0.0))
            low, high = predicted - half, predicted + half
        within = low - 1e-12 <= value <= high + 1e-12
        figures.append(Figure(name, predicted, value, low, high, within, step_id, label))
    figures.append(
        Figure(
            "case length total variation", None, total_variation, None, None, None, None,
            "total variation distance between the predicted and observed case lengths (not checked)",
        )
    )  # fmt: skip
    if times:
        ordered = sorted(times)
        for q, name in ((0.5, "case time p50"), (0.9, "case time p90")):
            words = f"{'median' if q == 0.5 else '90th percentile'} case time, in seconds (not checked)"
            figures.append(Figure(name, None, _quantile(ordered, q), None, None, None, None, words))
    return Backtest(journey, summary.file, n, confidence, tuple(figures))


_LONGEST = 10**9
"""The upper end of the last length bucket: no end."""


def _activity_repeats(
    journey: Journey, repeats: dict[str, int], explicit: dict[str, str], n: int
) -> list[tuple[str, str | None, str, str, float, Any]]:
    """For a journey split by history: the share of cases doing each activity twice or more, whichever
    of its steps, predicted exactly and observed."""
    from cxaudit.analysis.history import groups_visits

    groups: dict[str, set[str]] = {}
    for step_id, step in journey.steps.items():
        if not step.is_outcome:
            groups.setdefault(step.name.casefold(), set()).add(step_id)
    observed: dict[str, int] = {}
    for activity, count in repeats.items():
        mapped = explicit.get(activity)
        name = journey.steps[mapped].name.casefold() if mapped in journey.steps else activity.casefold()
        observed[name] = observed.get(name, 0) + count
    checks = []
    ordered = sorted(groups.items())
    repeats_predicted = groups_visits(journey, [group for _, group in ordered])
    for (name, group), (_, predicted) in zip(ordered, repeats_predicted, strict=True):
        first = journey.steps[min(group)]
        if predicted >= 0.0005 or observed.get(name):
            label = f"cases doing '{first.name}' twice or more"
            checks.append((f"repeats:{first.name}", None, label, "share", predicted, observed.get(name, 0) / n))
    return checks


def length_distribution(journey: Journey, logged: set[str], longest: int) -> dict[int, float]:
    """The probability that a case makes ``k`` visits, for ``k`` up to ``longest`` (the rest at ``longest + 1``).

    A case's visits are its visits to the journey's steps, and its outcome's
    when logs record that outcome (``logged``): the chain walked step by
    step from the entry, exactly.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    transient = [s for s, step in journey.steps.items() if not step.is_outcome]
    index = {s: i for i, s in enumerate(transient)}
    rows, cols, vals = [], [], []
    stop_unlogged = np.zeros(len(transient))  # mass that ends the case now, adding no visit
    stop_logged = np.zeros(len(transient))  # mass that ends it at a logged outcome: one more visit
    for s in transient:
        step = journey.steps[s]
        left = 1.0
        for t in step.next:
            left -= t.probability
            if t.target in index:
                rows.append(index[s])
                cols.append(index[t.target])
                vals.append(t.probability)
            elif t.target in logged:
                stop_logged[index[s]] += t.probability
            else:
                stop_unlogged[index[s]] += t.probability
        stop_unlogged[index[s]] += max(left, 0.0)  # a dead end: the case stops there
    q = csr_matrix((vals, (rows, cols)), shape=(len(transient), len(transient)))
    at = np.zeros(len(transient))
    distribution: dict[int, float] = {}
    for entry in journey.entry:
        if entry.step in index:
            at[index[entry.step]] += entry.share
        else:  # a case that starts at an outcome: one visit if logged, else none
            key = 1 if entry.step in logged else 0
            distribution[key] = distribution.get(key, 0.0) + entry.share
    for k in range(1, longest + 1):
        if at.sum() < 1e-12:
            break
        distribution[k] = distribution.get(k, 0.0) + float(at @ stop_unlogged)
        distribution[k + 1] = distribution.get(k + 1, 0.0) + float(at @ stop_logged)
        at = q.T @ at
    rest = max(0.0, 1.0 - sum(distribution.values()))
    if rest > 1e-12:
        distribution[longest + 1] = distribution.get(longest + 1, 0.0) + rest
    return {k: p for k, p in sorted(distribution.items()) if p > 0}


def length_buckets(distribution: dict[int, float]) -> list[tuple[int, int]]:
    """Consecutive ranges of case lengths, cut where the predicted share passes 20, 40, 60, 80 and 95%.

    >>> length_buckets({2: 0.5, 3: 0.3, 4: 0.15, 7: 0.05})
    [(0, 2), (3, 3), (4, 4), (5, 1000000000)]
    """
    cuts: list[int] = []
    total = 0.0
    targets = iter((0.2, 0.4, 0.6, 0.8, 0.95))
    target = next(targets)
    for k, p in sorted(distribution.items()):
        total += p
        if total >= target - 1e-12:
            cuts.append(k)
            while target is not None and total >= target - 1e-12:
                target = next(targets, None)
            if target is None:
                break
    buckets = []
    low = 0
    for cut in cuts:
        buckets.append((low, cut))
        low = cut + 1
    buckets.append((low, _LONGEST))
    return buckets


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

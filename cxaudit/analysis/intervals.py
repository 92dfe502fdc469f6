"""How sure a journey learned from a log is: 95% intervals on its figures.

A journey that ``discover`` or ``calibrate`` wrote carries its evidence:
each step's visits, how many of them went on to each step, and the spread
of its time (``evidence``), and the cases the entry shares were counted
from (``cases``). The figures' uncertainty comes from the posterior of the
chain given those counts:

- each step's transition probabilities are drawn from the Dirichlet
  posterior ``Dir(p x n + 1/2)``, with ``p`` the probabilities the journey
  states and ``n`` the visits its evidence counts leaving the step
  (Jeffreys' prior). For a journey as discover or calibrate wrote it, ``p x n``
  are the counts themselves; a probability edited since is drawn around what
  it now says, with the evidence's sample size, and the audit warns that
  the step no longer matches its evidence. The entry shares are drawn from
  ``Dir(share x cases + 1/2)``;
- each step's mean time from a normal with the step's ``duration`` as mean
  and ``duration_sd / sqrt(n)`` as standard deviation (the central limit
  theorem for a mean of ``n`` visits), kept at or above zero.

Every draw is a journey; each is solved exactly (:mod:`cxaudit.analysis.markov`),
and a figure's interval runs from the 2.5th to the 97.5th percentile of its
values over the draws. Steps without evidence (written by hand, or kept by
calibrate for want of observations) keep their numbers in every draw. The
draws come from a fixed seed, so the same journey prints the same intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from cxaudit.analysis.markov import MarkovResult
    from cxaudit.analysis.structure import Structure
    from cxaudit.model import Journey

__all__ = [
    "DRAWS",
    "LEVEL",
    "Posterior",
    "change_interval",
    "has_evidence",
    "holding",
    "interval",
    "metric_draws",
    "metric_intervals",
    "posterior",
]

DRAWS = 200
"""Journeys drawn from the posterior. Two hundred keep the 2.5th and 97.5th percentiles within a
fraction of the interval (the coverage test gets 36-39 of 40 at 200 and at 400), at half the time."""
LEVEL = 0.95
PRIOR = 0.5
"""Jeffreys' prior: half a customer added to every transition's count."""
SEED = 20261203


@dataclass(frozen=True)
class Posterior:
    """Journeys drawn from the posterior given a journey's evidence, each with its exact metrics."""

    journeys: tuple[Journey, ...]
    results: tuple[MarkovResult, ...]
    stale: tuple[str, ...] = ()
    """Steps whose probabilities are far from the shares their evidence counts (edited since the log)."""


def has_evidence(journey: Journey) -> bool:
    """True for a journey learned from a log: some step has evidence."""
    return any(step.evidence is not None for step in journey.steps.values())


def posterior(journey: Journey, structure: Structure, draws: int = DRAWS, seed: int = SEED) -> Posterior:
    """``draws`` journeys from the posterior of ``journey``'s evidence, solved.

    ``structure`` is the journey's own: a draw has the same transitions
    (every probability stays positive), so the same steps are stuck.
    """
    import numpy as np

    from cxaudit.analysis.markov import solve_chain, transitions
    from cxaudit.model import Entry, Transition, frozen_map

    rng = np.random.default_rng(seed)
    rows: dict[str, Any] = {}
    times: dict[str, Any] = {}
    stale: list[str] = []
    for sid, step in journey.steps.items():
        evidence = step.evidence
        if evidence is None or not step.next:
            continue
        counts = np.array([evidence.next.get(t.target, 0) for t in step.next], dtype=float)
        seen = counts.sum()
        stated = np.array([t.probability for t in step.next])
        if seen and np.abs(stated - counts / seen).max() > 3 * np.sqrt(0.25 / seen) + 1e-4:
            stale.append(sid)
        rows[sid] = rng.dirichlet(stated * seen + PRIOR, size=draws)
        if step.duration_s is not None and evidence.duration_sd is not None and seen > 0:
            spread = evidence.duration_sd / np.sqrt(seen)
            times[sid] = np.maximum(rng.normal(step.duration_s, spread, size=draws), 0.0)
    shares = None
    if journey.cases and len(journey.entry) > 1:
        weights = np.array([item.share * journey.cases for item in journey.entry])
        shares = rng.dirichlet(weights + PRIOR, size=draws)
    journeys, results = [], []
    for k in range(draws):
        steps = dict(journey.steps)
        for sid, drawn in rows.items():
            step = steps[sid]
            moved = tuple(
                Transition(t.source, t.target, float(p), t.span) for t, p in zip(step.next, drawn[k], strict=True)
            )
            changes: dict[str, Any] = {"next": moved}
            if sid in times:
                changes["duration_s"] = float(times[sid][k])
            steps[sid] = replace(step, **changes)
        entry = journey.entry
        if shares is not None:
            entry = tuple(Entry(e.step, float(p), e.span) for e, p in zip(entry, shares[k], strict=True))
        drawn_journey = replace(journey, steps=frozen_map(steps), entry=entry)  # type: ignore[arg-type]
        journeys.append(drawn_journey)
        # the journey's figures and the fixes' values: no step's own chance of being reached
        results.append(solve_chain(drawn_journey, structure, transitions(drawn_journey), reach=False))
    return Posterior(tuple(journeys), tuple(results), tuple(stale))


def interval(values: Any, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` interval of ``values``: its ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    >>> [round(x, 9) for x in interval(range(41))]
    [1.0, 39.0]
    """
    import numpy as np

    low, high = np.quantile(np.asarray(values, dtype=float), [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def holding(bounds: tuple[float, float], value: float) -> tuple[float, float]:
    """``bounds`` widened to hold ``value``, the figure a report states beside them.

    >>> holding((1.0, 2.0), 2.5)
    (1.0, 2.5)
    """
    return min(bounds[0], value), max(bounds[1], value)


def metric_draws(drawn: tuple[MarkovResult, ...]) -> dict[str, tuple[float, ...]]:
    """Each metric that has a value over the draws, in draw order."""
    first = drawn[0].metrics
    names = [item.name for item in fields(first) if getattr(first, item.name) is not None]
    return {name: tuple(float(getattr(result.metrics, name)) for result in drawn) for name in names}


def metric_intervals(point: Any, draws: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, float] | None]:
    """Each journey metric's interval over the draws (:func:`metric_draws`), by the metric's JSON key.

    A metric the journey does not have (None) has none; a count of steps
    (``steps_without_effort``...) does not depend on the evidence and is its
    own interval. The interval always holds the journey's own figure: with
    few cases the prior pulls the draws towards even shares, and the figure
    the journey states is then widened to, not left outside.
    """
    out: dict[str, tuple[float, float] | None] = {}
    for item in fields(point):
        value = getattr(point, item.name)
        if value is None:
            out[item.name] = None
        elif item.type == "int":
            out[item.name] = (float(value), float(value))
        else:
            out[item.name] = holding(interval(draws[item.name]), value)
    return out


def change_interval(
    before: float, after: float, before_draws: Any, after_draws: Any, level: float = LEVEL
) -> tuple[float, float] | None:
    """The interval of ``after - before`` when either side was learned from a log, else None.

    The two journeys' posteriors are independent, so their draws pair up in
    order as draws of the difference; a side without draws is its own figure.
    """
    import numpy as np

    if before_draws is None and after_draws is None:
        return None
    ahead = np.asarray(after_draws if after_draws is not None else [after], dtype=float)
    behind = np.asarray(before_draws if before_draws is not None else [before], dtype=float)
    return holding(interval(ahead - behind, level), after - before)


def beats(first: np.ndarray, second: np.ndarray) -> float:
    """The share of draws in which the first fix's values (rows of keys, most important first) rank above
    the second's, ties counting half."""
    import numpy as np

    ahead = np.zeros(len(first), dtype=bool)
    decided = np.zeros(len(first), dtype=bool)
    for column in range(first.shape[1]):
        a, b = first[:, column], second[:, column]
        close = np.isclose(a, b, rtol=1e-9, atol=1e-9)
        ahead |= ~decided & ~close & (a > b)
        decided |= ~close
    return float(ahead.sum() + 0.5 * (~decided).sum()) / len(first)

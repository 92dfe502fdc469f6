"""Conformance of a declared journey with an event log: what customers actually do.

Activities map to steps by name or id, ignoring case (or by an explicit
mapping). The observed transitions of each step are compared with its
declared ``next``; whether a difference is real or sampling noise is decided
by an exact binomial test (``scipy.stats.binomtest``, two-sided).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from cxaudit.logs.read import UNFINISHED_ID

if TYPE_CHECKING:
    from cxaudit.logs.read import EventLog
    from cxaudit.logs.summary import LogSummary
    from cxaudit.model import Journey

END = "(end of case)"
START = "(start of case)"


@dataclass(frozen=True)
class Conformance:
    """The log seen through the journey's steps."""

    mapping: dict[str, str]
    """Activity -> step id."""
    unmapped: dict[str, int]
    """Activities with no step, and their events."""
    observed: dict[str, dict[str, int]] = field(default_factory=dict)
    """Step id -> {next step id (or END): cases}."""
    outgoing: dict[str, int] = field(default_factory=dict)
    """Step id -> observed departures (the sample size of its row)."""
    log: LogSummary | None = None
    """The summary the counts come from (cases cut at the journey's outcomes)."""
    triples: Callable[[], dict[tuple[str | None, str, str | None], int]] | None = field(
        default=None, repr=False, compare=False
    )
    """Counts the log's (previous, activity, next) visits when asked; None for a summary, which cannot."""
    journey: Journey | None = field(default=None, repr=False, compare=False)

    @cached_property
    def history(self) -> dict[tuple[str, str, str], int]:
        """(previous step, step, next step) -> cases, where the log was open to ask (previous is
        :data:`START` at a case's start; next as in :attr:`observed`). Counted on first use: only
        DR05 asks, and it takes one more pass over the log."""
        if self.triples is None or self.journey is None:
            return {}
        journey, mapping = self.journey, self.mapping
        history: dict[tuple[str, str, str], int] = {}
        for (previous, activity, following), n in self.triples().items():
            step_id = mapping.get(activity)
            if step_id is None or journey.steps[step_id].is_outcome:
                continue
            before = START if previous is None else mapping.get(previous)
            after = case_end(journey, step_id) if following is None else mapping.get(following)
            if before is not None and after is not None:
                key = (before, step_id, after)
                history[key] = history.get(key, 0) + n
        return history


def _step_of(journey: Journey, explicit: dict[str, str] | None) -> Callable[[str], str | None]:
    """Activity -> step id: the explicit mapping, else a step whose name or id is the activity, ignoring case."""
    by_key: dict[str, str] = {}
    for step_id, step in journey.steps.items():
        by_key.setdefault(step.name.casefold(), step_id)
        by_key.setdefault(step_id.casefold(), step_id)

    def step_of(activity: str) -> str | None:
        step_id = (explicit or {}).get(activity) or by_key.get(activity.casefold())
        if step_id is not None and step_id not in journey.steps:
            from cxaudit.errors import UsageError
            from cxaudit.spec import did_you_mean

            raise UsageError(
                f"the mapping sends activity '{activity}' to step '{step_id}', which the journey does not have"
                f"{did_you_mean(step_id, journey.steps)}"
            )
        return step_id

    return step_of


def outcome_activities(journey: Journey, activities: Iterable[str], explicit: dict[str, str] | None = None) -> set[str]:
    """The activities that stand for the journey's outcomes: where the log's cases end."""
    step_of = _step_of(journey, explicit)
    return {a for a in activities if (step := step_of(a)) is not None and journey.steps[step].is_outcome}


def case_end(journey: Journey, step_id: str) -> str:
    """Where a case that ends at the step ``step_id`` (not an outcome) went: the one outcome of the step
    that logs do not record (``logged: false``, a model's end event), else the journey's
    ``ended_without_outcome`` step, else :data:`END`."""
    silent = [t.target for t in journey.steps[step_id].next if not journey.steps[t.target].logged]
    if len(silent) == 1:
        return silent[0]
    return UNFINISHED_ID if UNFINISHED_ID in journey.steps else END


def map_activities(journey: Journey, log: LogSummary | EventLog, explicit: dict[str, str] | None = None) -> Conformance:
    """Map the log's activities to steps and count what customers did from each step.

    An open :class:`~cxaudit.logs.read.EventLog` is summarised with its cases
    ending at the journey's outcomes. A case that ends at a step that is not
    an outcome goes to the one outcome of that step that no activity stands
    for (a model's end event, which no log records), else to the journey's
    ``ended_without_outcome`` step where it has one (as discover writes it),
    else to :data:`END`. For a journey whose steps depend on history
    (``after``), each visit of an open log goes to the step its history leads
    to (:func:`cxaudit.logs.history.labeller`).
    """
    triples = None
    if not hasattr(log, "follows"):
        from cxaudit.logs.history import labeller

        events = log
        split = labeller(journey)
        if split is None:
            events.unsplit()
        else:  # the visits labelled with the steps their history leads to
            depth, label, steps = split
            events.split(depth, label)
            explicit = {**(explicit or {}), **steps}
        log = events.summary(lambda names: outcome_activities(journey, names, explicit))
        outcomes = log.outcomes

        def triples() -> dict[tuple[str | None, str, str | None], int]:
            return events.triples(outcomes)

    step_of = _step_of(journey, explicit)
    mapping: dict[str, str] = {}
    unmapped: dict[str, int] = {}
    for activity, info in log.activities.items():
        step_id = step_of(activity)
        if step_id is None:
            unmapped[activity] = info.events
        else:
            mapping[activity] = step_id
    observed: dict[str, dict[str, int]] = {}
    for (a, b), n in log.follows.items():
        if a in mapping and b in mapping:
            row = observed.setdefault(mapping[a], {})
            row[mapping[b]] = row.get(mapping[b], 0) + n
    for activity, info in log.activities.items():
        if activity in mapping and info.ends and not journey.steps[mapping[activity]].is_outcome:
            row = observed.setdefault(mapping[activity], {})
            target = case_end(journey, mapping[activity])
            row[target] = row.get(target, 0) + info.ends
    outgoing = {step_id: sum(row.values()) for step_id, row in observed.items()}
    return Conformance(mapping, unmapped, observed, outgoing, log, triples, journey)


def binomial_p_value(successes: int, trials: int, probability: float) -> float:
    """Two-sided exact binomial test: how surprising ``successes`` is under ``probability``.

    >>> round(binomial_p_value(50, 100, 0.5), 3)
    1.0
    """
    from scipy.stats import binomtest

    return float(binomtest(successes, trials, probability, alternative="two-sided").pvalue)

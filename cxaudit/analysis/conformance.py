"""Conformance of a declared journey with an event log: what customers actually do.

Activities map to steps by name or id, ignoring case (or by an explicit
mapping). The observed transitions of each step are compared with its
declared ``next``; whether a difference is real or sampling noise is decided
by an exact binomial test (``scipy.stats.binomtest``, two-sided).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.eventlog import LogSummary
    from cxaudit.model import Journey

END = "(end of case)"


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


def map_activities(journey: Journey, log: LogSummary, explicit: dict[str, str] | None = None) -> Conformance:
    """Map the log's activities to steps and count what customers did from each step."""
    by_key: dict[str, str] = {}
    for step_id, step in journey.steps.items():
        by_key.setdefault(step.name.casefold(), step_id)
        by_key.setdefault(step_id.casefold(), step_id)
    mapping: dict[str, str] = {}
    unmapped: dict[str, int] = {}
    for activity, info in log.activities.items():
        step_id = (explicit or {}).get(activity) or by_key.get(activity.casefold())
        if step_id is not None and step_id not in journey.steps:
            from cxaudit.errors import UsageError
            from cxaudit.spec import did_you_mean

            raise UsageError(
                f"the mapping sends activity '{activity}' to step '{step_id}', which the journey does not have"
                f"{did_you_mean(step_id, journey.steps)}"
            )
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
            row[END] = row.get(END, 0) + info.ends
    outgoing = {step_id: sum(row.values()) for step_id, row in observed.items()}
    return Conformance(mapping, unmapped, observed, outgoing)


def binomial_p_value(successes: int, trials: int, probability: float) -> float:
    """Two-sided exact binomial test: how surprising ``successes`` is under ``probability``.

    >>> round(binomial_p_value(50, 100, 0.5), 3)
    1.0
    """
    from scipy.stats import binomtest

    return float(binomtest(successes, trials, probability, alternative="two-sided").pvalue)

"""What a log says, summarised by one definition of a case: the values :mod:`cxaudit.logs.read` gives
and the engines (:mod:`cxaudit.logs.engines`) make."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Activity", "CaseTimes", "LogSummary"]


@dataclass(frozen=True)
class Activity:
    """What the log says about one activity, over the visits that enter the journey."""

    name: str
    events: int
    """Visits (completed instances) before or at their case's first outcome."""
    starts: int
    """Cases that start with it."""
    ends: int
    """Cases that end with it (at an outcome, or with no outcome at all)."""
    median_next_s: float | None
    """Median time from the visit's beginning to the next visit's, in seconds."""
    resource: str | None
    """The resource that performs it most often (ties: the first alphabetically)."""
    mean_next_s: float | None = None
    """Mean time from the visit's beginning to the next visit's: a step's ``duration``."""
    p90_next_s: float | None = None
    """The 90th percentile of that time."""
    sd_next_s: float | None = None
    """The standard deviation of that time, over the visits followed by another."""


@dataclass(frozen=True)
class CaseTimes:
    """How long cases take, from their first visit's beginning to their last visit's, in seconds."""

    mean: float
    p50: float
    p90: float


@dataclass(frozen=True)
class LogSummary:
    """A log, summarised by one definition of a case: enough to discover or calibrate a journey."""

    file: str
    cases: int
    events: int
    bad_rows: dict[str, int]
    activities: dict[str, Activity]
    follows: dict[tuple[str, str], int]
    span_s: float
    """Seconds from the first to the last event."""
    columns: dict[str, str | None] = field(default_factory=dict)
    outcomes: frozenset[str] = frozenset()
    """The activities at which a case ends."""
    after_outcome: int = 0
    """Visits left out because their case had reached an outcome before them."""
    lifecycle_left_out: int = 0
    """Lifecycle rows that are not completions (start, schedule, assign...): not visits of their own."""
    timed: bool = True
    """False for a log without timestamps: read in file order, no durations."""
    case_times: CaseTimes | None = None
    in_order: bool = False
    """True when each case's visits are together in the file and in time order (no sort was needed)."""
    time_formats: dict[str, str] = field(default_factory=dict)
    """The format each text column of times was read by, by its role (``timestamp``, ``start``), where not
    ISO 8601 (:mod:`cxaudit.logs.times`)."""

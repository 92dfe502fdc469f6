"""The journey model: frozen values that remember where they were written."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "FAIL_LEVELS",
    "Channel",
    "Entry",
    "Evidence",
    "Finding",
    "Impact",
    "Journey",
    "Owner",
    "Severity",
    "SourceSpan",
    "Step",
    "Transition",
    "Variant",
    "contact_cost",
    "fails",
]


class SourceSpan(NamedTuple):
    """Where something is written: file, 1-based line and column.

    A named tuple: immutable and ordered like a frozen dataclass, and cheap
    to create by the hundred thousand.
    """

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel where steps happen (web, app, chat, phone, branch...)."""

    id: str
    name: str
    assisted: bool
    cost: float | None
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Owner:
    """A team accountable for steps."""

    id: str
    name: str
    span: SourceSpan


class Transition(NamedTuple):
    """Customers moving from ``source`` to ``target`` with ``probability``.

    The span is the position of the target's key in the source's ``next``.
    """

    source: str
    target: str
    probability: float
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Entry:
    """A share of customers entering the journey at ``step``."""

    step: str
    share: float
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the event log a step was learned from showed of it (format v1's ``evidence``)."""

    visits: int | None
    """Visits to the step in the log's cases."""
    next: Mapping[str, int]
    """How many of those visits went on to each step."""
    duration_sd: float | None
    """The standard deviation of the step's time over its visits, in seconds."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a journey; ``span`` is the position of its id."""

    id: str
    name: str
    type: str
    channel: str | None
    owner: str | None
    effort: int | None
    duration_s: float | None
    sentiment: int | None
    next: tuple[Transition, ...]
    ignore: Mapping[str, str]
    notes: str | None
    span: SourceSpan
    origin: str | None = None
    """The id of the element the step was imported from (a BPMN element); None for a step written in YAML."""
    logged: bool = True
    """False for an outcome that event logs record no event for (a model's end event)."""
    after: tuple[str, ...] = ()
    """The activities just before the step, oldest first, for a step split by history; empty otherwise."""
    evidence: Evidence | None = None
    """What the event log the step was learned from showed of it; None for a step written by hand."""

    @property
    def is_outcome(self) -> bool:
        """True for ``success``, ``abandon`` and ``decline`` steps, which end the journey."""
        return self.type in ("success", "abandon", "decline")

    @property
    def is_contact(self) -> bool:
        """True for steps where the customer reaches out to the organisation."""
        return self.type == "contact"

    @property
    def is_dead_end(self) -> bool:
        """True for a non-outcome step with nowhere to go."""
        return not self.is_outcome and not self.next


class Variant(NamedTuple):
    """A path cases of the log took, start to outcome, and how many took it (format v1's ``variants``)."""

    steps: tuple[str, ...]
    cases: int


@dataclass(frozen=True, slots=True)
class Journey:
    """A customer journey as written in one file, validated."""

    id: str
    name: str
    description: str | None
    volume: float
    period: str
    currency: str | None
    value: float | None
    entry: tuple[Entry, ...]
    channels: Mapping[str, Channel]
    owners: Mapping[str, Owner]
    steps: Mapping[str, Step]
    file: str
    span: SourceSpan
    version: int = 1
    cases: int | None = None
    """The cases of the log the numbers were learned from; None for a journey written by hand."""
    variants: tuple[Variant, ...] = ()
    """The log's most common paths, most common first; empty for a journey written by hand."""

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError if there is none)."""
        return self.steps[step_id]

    def channel_of(self, step: Step) -> Channel | None:
        """The catalog entry of a step's channel, if the catalog has it."""
        return self.channels.get(step.channel) if step.channel else None

    def owner_name(self, owner_id: str | None) -> str:
        """Display name of an owner id (the id when the catalog lacks it)."""
        if owner_id is None:
            return "(no owner)"
        owner = self.owners.get(owner_id)
        return owner.name if owner else owner_id


class FrozenMap(dict):  # type: ignore[type-arg]
    """A dict that cannot be changed after it is made (and can be pickled).

    Reads are a plain dict's; every method that would change it raises.
    """

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("a journey is read-only")

    __setitem__ = __delitem__ = _read_only  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = __ior__ = _read_only  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[str, object]]]:
        return (type(self), (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


def frozen_map(items: dict[str, object]) -> Mapping[str, object]:
    """A read-only copy of ``items``."""
    return FrozenMap(items)


class Severity(enum.IntEnum):
    """How much a finding matters; higher is worse."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """The lowercase name used in output and configuration."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``error``, ``warning`` or ``info`` (ValueError otherwise)."""
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{text}'; use error, warning or info") from None


FAIL_LEVELS = ("error", "warning", "info", "never")
"""The values of ``--fail-on``: the least severe finding that fails a run, or never."""


def fails(findings: Iterable[Finding], level: str) -> bool:
    """True when a finding is at least ``level`` (one of :data:`FAIL_LEVELS`), the one rule of check,
    audit and drift for exit code 1.

    >>> fails([], "info"), fails([], "never")
    (False, False)
    """
    if level == "never":
        return False
    threshold = Severity.parse(level)
    return any(finding.severity >= threshold for finding in findings)


@dataclass(frozen=True, slots=True)
class Impact:
    """What a finding costs per period, and what fixing it is worth.

    ``customers_kept``, ``contacts_avoided``, ``cost_avoided`` and
    ``value_kept`` describe the fix the finding names (its remediation); they
    are 0 where the fix cannot be modelled. ``exact`` is True when they come
    from a full recompute of the journey with the fix applied rather than
    from the first-order estimate.
    """

    customers_affected: float
    contacts: float
    customers_kept: float = 0.0
    contacts_avoided: float = 0.0
    cost_avoided: float = 0.0
    value_kept: float | None = None
    money: float | None = None
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one journey, located, explained, valued and ranked."""

    code: str
    name: str
    severity: Severity
    journey: str
    step: str | None
    target: str | None
    """The other end of a transition finding (``step`` -> ``target``)."""
    owner: str | None
    file: str
    line: int
    column: int
    message: str
    remediation: str
    impact: Impact
    fingerprint: str
    suppressed: str | None = None
    """The reason from the step's ``ignore``, when the finding is suppressed."""
    rank: int | None = None
    """1 for the most valuable fix; None for suppressed findings."""
    element: str | None = None
    """The id of the model element the finding's step was imported from (BPMN); None for YAML journeys."""

    @property
    def location(self) -> SourceSpan:
        """Where the finding points."""
        return SourceSpan(self.file, self.line, self.column)

    def rank_key(self) -> tuple:
        """The one ordering of findings: most valuable fix first, then stable."""
        impact = self.impact
        return (
            -(impact.money or 0.0),
            -impact.customers_kept,
            -impact.contacts_avoided,
            -impact.customers_affected,
            -impact.contacts,
            -int(self.severity),
            self.code,
            self.journey,
            self.step or "",
            self.target or "",
        )


def contact_cost(journey: Journey, step: Step) -> float:
    """What one visit to ``step`` costs in contacts: its channel's cost, for a contact step."""
    if not step.is_contact:
        return 0.0
    channel = journey.channel_of(step)
    return (channel.cost or 0.0) if channel else 0.0

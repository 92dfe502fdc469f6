"""Who caused each contact: the owner of the step the customer came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.analysis.markov import MarkovResult
    from cxaudit.model import Journey

__all__ = ["OwnerContacts", "apply_fix", "contacts_by_owner", "money_known"]

NO_OWNER = "(no owner)"


@dataclass(frozen=True, slots=True)
class OwnerContacts:
    """Contacts a team's steps caused per period, what they cost, who was lost."""

    owner: str
    """Owner id, or ``(no owner)`` for steps without one."""
    name: str
    contacts_per_period: float
    contact_cost_per_period: float
    customers_lost_per_period: float
    steps: int
    """Steps the team owns."""


def contacts_by_owner(journey: Journey, result: MarkovResult) -> list[OwnerContacts]:
    """Us-caused contacts per owner, most contacts first.

    Every contact is attributed to the owner of the step the customer came
    *from*, not to the team that answers it: a call after a failed payment
    belongs to Payments, not to Customer care. A contact that follows a
    contact (a repeat call, a transfer) comes from a contact step and so
    belongs to that contact step's owner. A customer who starts the journey
    with a contact is attributed to the contact step's own owner.
    """
    steps = journey.steps
    volume = journey.volume
    contacts: dict[str, float] = {}
    cost: dict[str, float] = {}
    lost: dict[str, float] = {}

    def owner_of(sid: str) -> str:
        return steps[sid].owner or NO_OWNER

    def unit_cost(sid: str) -> float:
        channel = journey.channel_of(steps[sid])
        return (channel.cost or 0.0) if channel else 0.0

    contact_steps = {sid for sid, step in steps.items() if step.is_contact}
    for (source, target), flow in result.flows.items():
        if target in contact_steps:
            owner = owner_of(source)
            contacts[owner] = contacts.get(owner, 0.0) + flow * volume
            cost[owner] = cost.get(owner, 0.0) + flow * volume * unit_cost(target)
    for sid, share in result.entry_flows.items():
        if steps[sid].is_contact:
            owner = owner_of(sid)
            contacts[owner] = contacts.get(owner, 0.0) + share * volume
            cost[owner] = cost.get(owner, 0.0) + share * volume * unit_cost(sid)
    for sid, metrics in result.steps.items():
        if metrics.customers_lost:
            lost[owner_of(sid)] = lost.get(owner_of(sid), 0.0) + metrics.customers_lost

    owned: dict[str, int] = {}
    for step in steps.values():
        if not step.is_outcome:
            owned[step.owner or NO_OWNER] = owned.get(step.owner or NO_OWNER, 0) + 1
    rows = [
        OwnerContacts(
            owner=owner,
            name=journey.owner_name(None if owner == NO_OWNER else owner),
            contacts_per_period=contacts.get(owner, 0.0),
            contact_cost_per_period=cost.get(owner, 0.0),
            customers_lost_per_period=lost.get(owner, 0.0),
            steps=owned.get(owner, 0),
        )
        for owner in sorted(set(owned) | set(contacts) | set(lost))
    ]
    return sorted(rows, key=lambda row: (-row.contacts_per_period, -row.customers_lost_per_period, row.owner))


def apply_fix(journey: Journey, removed: Iterable[tuple[str, str]]) -> Journey | None:
    """The journey with these transitions removed, each step's other shares scaled up.

    None when a step would be left with nowhere to go (the fix cannot be
    modelled by redistribution).
    """
    from dataclasses import replace

    from cxaudit.model import Transition, frozen_map

    by_source: dict[str, set[str]] = {}
    for source, target in removed:
        by_source.setdefault(source, set()).add(target)
    steps = dict(journey.steps)
    for source, targets in by_source.items():
        step = steps[source]
        kept = [t for t in step.next if t.target not in targets]
        remaining = sum(t.probability for t in kept)
        if remaining <= 1e-12:
            return None
        steps[source] = replace(
            step, next=tuple(Transition(t.source, t.target, t.probability / remaining, t.span) for t in kept)
        )
    return replace(journey, steps=frozen_map(steps))  # type: ignore[arg-type]


def money_known(journey: Journey) -> tuple[bool, bool]:
    """(some contact step has a cost, the journey has a value): whether fixes can be valued in money."""
    has_cost = any(
        (journey.channel_of(step) is not None and (journey.channel_of(step).cost or 0) > 0)  # type: ignore[union-attr]
        for step in journey.steps.values()
        if step.is_contact
    )
    return has_cost, journey.value is not None

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.rules.base import AuditContext, Hit, Option, Rule


class ChannelSwitch(Rule):
    """A busy transition that forces customers from self-service to an assisted channel.

    What it finds
    -------------
    Transitions from a step in a self-service channel (``assisted: false``)
    to a step in an assisted one (``assisted: true``) that at least
    ``min_flow`` of entering customers take. Needs the channels catalog.

    Why it hurts customers
    ----------------------
    The customer chose to do it themselves and we made them queue for a
    person: effort, waiting time and a contact that costs us money. Where a
    step sends customers to several contact steps, CT01 reports the step as a
    whole and this rule only the transitions CT01 does not cover.

    How to fix it
    -------------
    Let customers finish in the channel they chose: add the missing
    self-service option, or fix what made them switch.

    Failing example
    ---------------
    ::

        channels: {web: {assisted: false}, phone: {assisted: true, cost: 8}}
        steps:
          change_address: {name: Change my address, channel: web, next: {call: 0.3, done: 0.7}}
          call: {type: contact, name: Call to change it, channel: phone, next: {done: 1}}

    Passing example
    ---------------
    ::

        channels: {web: {assisted: false}, phone: {assisted: true, cost: 8}}
        steps:
          change_address: {name: Change my address, channel: web, next: {call: 0.005, done: 0.995}}
          call: {type: contact, name: Call to change it, channel: phone, next: {done: 1}}
    """

    code = "FR04"
    name = "channel-switch"
    group = "friction"
    severity = Severity.WARNING
    options: ClassVar[Mapping[str, Option]] = {
        "min_flow": Option(0.01, "share of entering customers taking the transition", 0, 1, "share"),
    }

    def check(self, audit: AuditContext, options: Mapping[str, float]) -> Iterator[Hit]:
        for step_id, step in audit.journey.steps.items():
            if step.is_outcome or audit.is_assisted(step_id) is not False:
                continue
            for target, _ in audit.successors(step_id):
                if not audit.is_assisted(target):
                    continue
                flow = audit.flow(step_id, target)
                if flow < options["min_flow"] * audit.volume:
                    continue
                other = audit.step(target)
                cost = flow * audit.unit_cost(target)
                cost_text = f" ({audit.money(cost)})" if cost else ""
                channel = audit.journey.channel_of(other)
                own = audit.journey.channel_of(step)
                own_channel = own.name if own else step.channel
                yield Hit(
                    step=step_id,
                    target=target,
                    message=f"{fmt.count(flow)} customers {audit.per} are pushed from self-service "
                    f"'{step.name}' to {channel.name if channel else other.channel} "
                    f"('{other.name}'){cost_text}",
                    remediation=f"Let customers finish '{step.name}' in {own_channel}: add the missing "
                    f"self-service option or fix what makes them switch. Owner: {audit.owner(step_id)}.",
                    fix=((step_id, target),),
                    customers_affected=flow,
                    contacts=flow if other.is_contact else 0.0,
                )

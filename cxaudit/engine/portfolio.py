"""Journeys side by side, in one unit: every figure a year, every amount in one currency.

A journey counts its volume per ``period`` (a month, a quarter...) and its
money in its own ``currency``. Ranked as written, GBP 7.5M a quarter would
sit below EUR 6.4M a month. So the portfolio turns every figure into a year
(:data:`PER_YEAR`) and every amount into the configuration's currency
(``[tool.cxaudit.portfolio] currency, rates``). What cannot be converted is
never added to or ranked against the rest: it gets a group of its own, and
a note that says what to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit

PER_YEAR = {
    "day": 365.25,
    "week": 365.25 / 7,
    "fortnight": 365.25 / 14,
    "month": 12.0,
    "quarter": 4.0,
    "half-year": 2.0,
    "year": 1.0,
}
"""How many of each period a year holds (a year of 365.25 days)."""


@dataclass(frozen=True)
class Exchange:
    """The portfolio's currency and the rates into it: ``rates[X]`` is what 1 X is worth in ``currency``."""

    currency: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)

    def rate(self, currency: str | None) -> float | None:
        """What one unit of ``currency`` is worth in the portfolio's currency; None when not known."""
        if currency is None or currency == self.currency:
            return 1.0
        return self.rates.get(currency)


def settled(exchange: Exchange, currencies: Iterable[str | None]) -> Exchange:
    """The exchange, its currency the journeys' own when none is set and they all use one."""
    if exchange.currency is not None:
        return exchange
    found = {currency for currency in currencies if currency}
    return Exchange(min(found), exchange.rates) if len(found) == 1 else exchange


@dataclass(frozen=True)
class Row:
    """One journey's figures a year, its money in ``currency``."""

    journey: str
    name: str
    file: str
    period: str
    """The journey's own period: every figure is a year's unless the group is not :attr:`Group.yearly`."""
    currency: str | None
    value_at_risk: float | None
    contacts: float
    contact_cost: float
    customers_lost: float
    completion_rate: float
    findings: int


@dataclass(frozen=True)
class Group:
    """Journeys whose figures may be added and ranked together, ranked by value at risk a year."""

    currency: str | None
    rows: tuple[Row, ...]
    yearly: bool = True
    """False for the journeys whose period is not one a year can be counted in."""

    @property
    def value_at_risk(self) -> float | None:
        values = [row.value_at_risk for row in self.rows if row.value_at_risk is not None]
        return sum(values) if values else None

    @property
    def contacts(self) -> float:
        return sum(row.contacts for row in self.rows)

    @property
    def contact_cost(self) -> float:
        return sum(row.contact_cost for row in self.rows)

    @property
    def customers_lost(self) -> float:
        return sum(row.customers_lost for row in self.rows)


@dataclass(frozen=True)
class Portfolio:
    """Every journey a year, in groups that can be added: one group when the currencies agree or convert."""

    currency: str | None
    """The one currency of every amount; None when they are mixed and not converted."""
    groups: tuple[Group, ...]
    notes: tuple[str, ...] = ()
    example: str | None = None
    """A configuration that would convert what is not converted (its rates to be filled in)."""

    @property
    def rows(self) -> list[Row]:
        """Every journey: each group's ranking, groups in order."""
        return [row for group in self.groups for row in group.rows]


def _ranked(rows: Iterable[Row]) -> tuple[Row, ...]:
    return tuple(sorted(rows, key=lambda row: (-(row.value_at_risk or 0.0), -row.customers_lost, row.journey)))


def portfolio(audits: Iterable[JourneyAudit], exchange: Exchange | None = None) -> Portfolio:
    """The audits as a portfolio: figures a year, amounts converted where ``exchange`` knows the rate.

    >>> Exchange("EUR", {"GBP": 1.15}).rate("GBP"), Exchange("EUR").rate("USD")
    (1.15, None)
    """
    audits = list(audits)
    exchange = settled(exchange or Exchange(), (audit.journey.currency for audit in audits))
    target = exchange.currency
    by_group: dict[tuple[bool, str | None], list[Row]] = {}
    unconverted: set[str] = set()
    unknown_periods: set[str] = set()
    for audit in audits:
        journey, metrics = audit.journey, audit.metrics
        yearly = journey.period in PER_YEAR
        factor = PER_YEAR.get(journey.period, 1.0)
        # money without a currency needs no rate; with one, only into the portfolio's currency
        rate = exchange.rate(journey.currency) if target or journey.currency is None else None
        currency = target if rate is not None else journey.currency
        if rate is None:
            unconverted.add(journey.currency or "")
            rate = 1.0
        if not yearly:
            unknown_periods.add(journey.period)
        value = metrics.value_at_risk
        row = Row(
            journey=journey.id,
            name=journey.name,
            file=journey.file,
            period=journey.period,
            currency=currency if (journey.currency or value is not None) else None,
            value_at_risk=None if value is None else value * factor * rate,
            contacts=metrics.contacts_per_period * factor,
            contact_cost=metrics.contact_cost_per_period * factor * rate,
            customers_lost=metrics.customers_lost_per_period * factor,
            completion_rate=metrics.completion_rate,
            findings=len(audit.active),
        )
        by_group.setdefault((yearly, currency), []).append(row)
    keys = sorted(by_group, key=lambda key: (not key[0], key[1] != target, key[1] or ""))
    groups = tuple(Group(currency, _ranked(by_group[(yearly, currency)]), yearly) for yearly, currency in keys)
    notes = []
    example = None
    if unconverted:
        missing = sorted(unconverted)
        into = target or "one currency"
        notes.append(
            f"Amounts in {', '.join(missing)} are not converted into {into}, so they are not added or ranked "
            "together: give the rates in [tool.cxaudit.portfolio] of the configuration"
        )
        base = target or missing[0]
        others = [code for code in missing if code != base]
        example = "\n".join(
            [
                "[tool.cxaudit.portfolio]",
                f'currency = "{base}"',
                f"rates = {{ {', '.join(f'{code} = <rate>' for code in others)} }}   # 1 {others[0]} = <rate> {base}",
            ]
        )
    if unknown_periods:
        periods = ", ".join(repr(period) for period in sorted(unknown_periods))
        notes.append(
            f"A journey counted per {periods} cannot be counted a year, so it is ranked apart: "
            f"give it a period of {', '.join(PER_YEAR)}"
        )
    single = len({currency for _, currency in by_group if currency is not None}) <= 1 and not unconverted
    return Portfolio(currency=target if single else None, groups=groups, notes=tuple(notes), example=example)

"""Numbers for people: counts, shares, money, durations and periods."""

from __future__ import annotations

import math

from cxaudit.textsafe import clean

_PERIOD_WORDS = {"day", "week", "fortnight", "month", "quarter", "year", "half-year"}


def count(value: float) -> str:
    """A count of customers or contacts, with thousands separators.

    >>> count(1180.4), count(0.4), count(12.6)
    ('1,180', '0.4', '13')
    """
    if 0 < abs(value) < 1:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def pct(share: float) -> str:
    """A share as a percentage with one decimal.

    >>> pct(0.875), pct(0.00004), pct(1)
    ('87.5%', '0.0%', '100.0%')
    """
    return f"{share * 100:.1f}%"


def money(value: float, currency: str | None) -> str:
    """An amount with the journey's currency, to the unit.

    >>> money(42511.737, "EUR"), money(5.5, None)
    ('EUR 42,512', '6')
    """
    amount = f"{value:,.0f}"
    return f"{currency} {amount}" if currency else amount


def per(period: str) -> str:
    """'a month' for common periods, 'per sprint' otherwise.

    The period is the author's text: control characters are shown, not
    sent, and line breaks become spaces.

    >>> per("month"), per("period"), per("sprint"), per("two\\nweeks\\x1b[2J")
    ('a month', 'per period', 'per sprint', 'per two weeks\\\\x1b[2J')
    """
    if period in _PERIOD_WORDS:
        return f"a {period}"
    return f"per {clean(' '.join(period.split()))}"


def duration(seconds: float) -> str:
    """A duration in the largest sensible units.

    >>> duration(5400), duration(90), duration(3 * 86400 + 7200), duration(0.5)
    ('1h30m', '1m30s', '3d2h', '0s')
    """
    if not math.isfinite(seconds):
        return "forever"
    total = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts[:2]) or "0s"


def number(value: float, digits: int = 2) -> str:
    """A plain number, rounded for reading.

    >>> number(1.23456), number(1200.5, 0)
    ('1.23', '1,200')
    """
    return f"{value:,.{digits}f}"

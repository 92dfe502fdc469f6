"""Numbers for people: counts, shares, money, durations and periods."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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


def counted(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` with thousands separators and the noun it takes (``nouns``, else ``noun`` + "s", unless it is 1).

    >>> counted(1, "row"), counted(0, "row"), counted(4580, "case"), counted(2, "activity", "activities")
    ('1 row', '0 rows', '4,580 cases', '2 activities')
    """
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def cases(n: int) -> str:
    """A number of a log's cases, with the noun it takes.

    >>> cases(1), cases(2), cases(4580)
    ('1 case', '2 cases', '4,580 cases')
    """
    return counted(n, "case")


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


def within(text: Callable[[float], str], value: float, bounds: tuple[float, float] | None) -> str:
    """``value`` as ``text`` writes it, followed by its interval when there is one.

    A unit is written once: a percent sign after the interval, a currency before the figure. An
    interval that reads as one number is left out.

    >>> within(pct, 0.492, (0.471, 0.51)), within(count, 96, (80.2, 110)), within(pct, 0.5, None)
    ('49.2% (47.1–51.0%)', '96 (80–110)', '50.0%')
    >>> within(lambda v: money(v, "EUR"), 11000, (8409, 14050)), within(count, 3, (3.1, 3.4))
    ('EUR 11,000 (8,409–14,050)', '3')
    """
    if bounds is None:
        return text(value)
    low, high = text(bounds[0]), text(bounds[1])
    if low == high:  # no spread at the precision shown
        return text(value)
    if low.endswith("%") and high.endswith("%"):
        low = low[:-1]
    shown = text(value)
    unit = shown[: len(shown) - len(shown.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ \u00a0"))]  # a currency before the number
    if unit and low.startswith(unit) and high.startswith(unit):
        low, high = low[len(unit) :], high[len(unit) :]
    return f"{shown} ({low}–{high})"


def figure(audit: Any, name: str, text: Callable[[float], str] = pct) -> str:
    """The journey metric ``name`` of an audit as ``text`` writes it, with its 95% interval when the journey
    was learned from a log (:func:`within`)."""
    return within(text, getattr(audit.metrics, name), (audit.intervals or {}).get(name))


def evidence(cases: int | None) -> str:
    """What the ranges of a report are, for a journey learned from a log of ``cases`` cases.

    >>> evidence(4580)
    'learned from 4,580 cases; ranges are 95% intervals'
    """
    learned = f"{cases:,} cases" if cases else "an event log"
    return f"learned from {learned}; ranges are 95% intervals"


def json_text(value: object) -> str:
    """``value`` as JSON indented by two spaces, UTF-8 text as it is, and a final newline (orjson).

    >>> print(json_text({"a": [1, 2.5], "b": {}, "c": "é"}), end="")
    {
      "a": [
        1,
        2.5
      ],
      "b": {},
      "c": "é"
    }
    """
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode("utf-8") + "\n"

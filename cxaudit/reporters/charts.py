"""The charts of a report: what the top fixes are worth a year, and where customers end.

Each chart is data first (:func:`fixes`, :func:`outcomes`), drawn as Mermaid
for Markdown (GitHub renders ``xychart-beta`` and ``pie``) and as inline SVG
for HTML (:mod:`cxaudit.reporters.svg`). A Mermaid chart starts with the
comment ``%% cxaudit KIND N``: the HTML report draws the chart of kind KIND
of the N-th journey in its place.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cxaudit import fmt
from cxaudit.engine.portfolio import PER_YEAR
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.portfolio import Group

TOP_FIXES = 8
MARKER = re.compile(r"^%% cxaudit (fixes|outcomes|portfolio) (\d+)$")
"""A chart's first line: its kind and the journey (for ``portfolio``, the portfolio's group) it draws."""


def _label(text: str, limit: int = 40) -> str:
    """Text safe inside a double-quoted Mermaid chart label: letters, digits and plain punctuation only."""
    text = re.sub(r"[^\w .,:/+&'-]", "", clean(" ".join(text.split())))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "..."


def per_year(audit: JourneyAudit) -> tuple[float, str]:
    """The factor to a year and its words ('a year'), or 1 and the journey's own period."""
    period = audit.journey.period
    if period in PER_YEAR:
        return PER_YEAR[period], "a year"
    return 1.0, fmt.per(period)


def fixes(audit: JourneyAudit) -> list[tuple[str, float]]:
    """The top fixes with money, and what each is worth (in the factor :func:`per_year` gives)."""
    factor, _ = per_year(audit)
    valued = [f for f in audit.active if f.impact.money is not None and f.impact.money > 0.5]
    steps = audit.journey.steps
    found = []
    for finding in valued[:TOP_FIXES]:
        where = steps[finding.step].name if finding.step in steps else "journey"
        found.append((f"#{finding.rank} {finding.code} {where}", finding.impact.money * factor))  # type: ignore[operator]
    return found


def outcomes(audit: JourneyAudit) -> list[tuple[str, str, float]]:
    """(name, kind, share of customers) of each outcome customers reach, and of those who get stuck."""
    found = [
        (step.name, step.type, audit.markov.steps[step_id].expected_visits)
        for step_id, step in audit.journey.steps.items()
        if step.is_outcome and audit.markov.steps[step_id].expected_visits > 0
    ]
    found.sort(key=lambda item: ({"success": 0, "decline": 1, "abandon": 2}.get(item[1], 3), -item[2]))
    if audit.metrics.stuck_rate > 0:
        found.append(("Stuck in a loop or a dead end", "stuck", audit.metrics.stuck_rate))
    return found


def fixes_mermaid(audit: JourneyAudit, index: int) -> list[str]:
    """The fixes chart as a Mermaid block's lines, or none when no fix has a worth in money."""
    bars = fixes(audit)
    if not bars:
        return []
    _, words = per_year(audit)
    currency = _label(audit.journey.currency or "money")
    labels = ", ".join(f'"{_label(label)}"' for label, _ in bars)
    values = ", ".join(f"{value:.0f}" for _, value in bars)
    return [
        "```mermaid",
        f"%% cxaudit fixes {index}",
        "xychart-beta horizontal",
        f'  title "What the top fixes are worth {words} ({currency})"',
        f"  x-axis [{labels}]",
        f'  y-axis "{currency} {words}"',
        f"  bar [{values}]",
        "```",
    ]


def outcomes_mermaid(audit: JourneyAudit, index: int) -> list[str]:
    """Where customers end, as a Mermaid pie block's lines."""
    lines = ["```mermaid", f"%% cxaudit outcomes {index}", "pie showData", "  title Where customers end (%)"]
    lines += [f'  "{_label(name)}" : {share * 100:.1f}' for name, _, share in outcomes(audit)]
    return [*lines, "```"]


def fixes_svg(audit: JourneyAudit) -> str:
    from cxaudit.reporters.svg import bar_chart

    _, words = per_year(audit)
    currency = audit.journey.currency
    bars = [(label, value, fmt.money(value, currency)) for label, value in fixes(audit)]
    return bar_chart(f"What the top fixes are worth {words}", bars)


def outcomes_svg(audit: JourneyAudit) -> str:
    from cxaudit.reporters.svg import outcome_flow

    return outcome_flow("Where customers end", outcomes(audit))


def at_risk(group: Group) -> list[tuple[str, float]]:
    """Where the money is: each journey of a portfolio's group and its value at risk a year, largest first."""
    return [(row.name, row.value_at_risk) for row in group.rows if row.value_at_risk]


def portfolio_mermaid(group: Group, index: int) -> list[str]:
    """The group's value at risk by journey as a Mermaid block's lines; none for fewer than two journeys."""
    bars = at_risk(group)
    if len(bars) < 2 or not group.yearly:
        return []
    currency = _label(group.currency or "money")
    return [
        "```mermaid",
        f"%% cxaudit portfolio {index}",
        "xychart-beta horizontal",
        f'  title "Value at risk a year, by journey ({currency})"',
        f"  x-axis [{', '.join(f'{chr(34)}{_label(name)}{chr(34)}' for name, _ in bars)}]",
        f'  y-axis "{currency} a year"',
        f"  bar [{', '.join(f'{value:.0f}' for _, value in bars)}]",
        "```",
    ]


def portfolio_svg(group: Group) -> str:
    from cxaudit.reporters.svg import bar_chart

    bars = [(name, value, fmt.money(value, group.currency)) for name, value in at_risk(group)]
    return bar_chart("Value at risk a year, by journey", bars, colour="#d92d20")

"""Reports of ``cxaudit compare --rev A..B PATH...``: every journey a change touches, a year, in money.

The Markdown is a pull-request comment: a headline in money a year, a row
per journey, and the findings fixed and introduced, short enough to read in
a review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxaudit import __version__, fmt
from cxaudit.reporters.markdown import cell, code_cell

if TYPE_CHECKING:
    from cxaudit.engine.changes import ChangeSet

MAX_FINDINGS = 10
"""Findings listed per kind in a comment; the rest are counted."""
MARKER = "<!-- cxaudit compare -->"
"""The comment's first line: the GitHub Action finds its own comment by it, to update it."""


def as_dict(changes: ChangeSet) -> dict[str, Any]:
    """The JSON of a change set (``compare --rev A..B PATH... --format json``)."""
    from cxaudit.reporters.json import finding_dict

    exchange = changes.resolved()
    journeys = []
    for change in changes.changes:
        comparison = change.comparison
        fixed, introduced = change.findings()
        journeys.append(
            {
                "file": change.file,
                "status": change.status,
                "journey": change.audit.journey.id,
                "name": change.audit.journey.name,
                "delta": None if comparison is None else comparison.delta,
                "per_year": change.yearly(exchange),
                "findings": {
                    "fixed": [finding_dict(f) for f in fixed],
                    "introduced": [finding_dict(f) for f in introduced],
                },
            }
        )
    return {"cxaudit": __version__, "revisions": changes.revisions, "journeys": journeys, "total": changes.total()}


def _signed(value: float | None, money: bool, currency: str | None) -> str:
    if value is None:
        return "-"
    if abs(value) < 0.5:
        return "0"
    shown = fmt.money(abs(value), currency) if money else fmt.count(abs(value))
    return ("+" if value > 0 else "\u2212") + shown


def _after_minus_before(row: dict[str, Any]) -> tuple[float | None, float | None, float | None, float | None]:
    """A journey's change a year as shown: contacts, customers completing, contact cost, value at risk."""

    def negated(key: str) -> float | None:
        return None if row[key] is None else -row[key]

    return (
        negated("contacts_avoided_per_year"),
        row["customers_kept_per_year"],
        negated("cost_avoided_per_year"),
        negated("value_kept_per_year"),
    )


def _unconverted(changes: ChangeSet) -> list[str]:
    """The currencies of the change's money when they are several and not converted into one."""
    if changes.total()["currency"] is not None:
        return []
    exchange = changes.resolved()
    found = {change.yearly(exchange)["currency"] for change in changes.changes}
    return sorted(currency for currency in found if currency) if len(found - {None}) > 1 else []


def headline(changes: ChangeSet) -> str:
    """What the change does a year, in one sentence."""
    total = changes.total()
    currency = total["currency"]
    if not changes.changes:
        return "This change touches no journey."
    parts = []
    avoided, cost = total["contacts_avoided_per_year"], total["cost_avoided_per_year"]
    money = f" ({fmt.money(abs(cost), currency)})" if cost is not None and abs(cost) >= 0.5 else ""
    if abs(avoided) >= 0.5:
        parts.append(f"{'avoids' if avoided > 0 else 'adds'} {fmt.count(abs(avoided))} contacts a year{money}")
    else:
        parts.append("leaves contacts as they were")
    kept, value = total["customers_kept_per_year"], total["value_kept_per_year"]
    worth = f" ({fmt.money(abs(value), currency)} of value)" if value is not None and abs(value) >= 0.5 else ""
    if abs(kept) >= 0.5:
        parts.append(f"{'keeps' if kept > 0 else 'loses'} {fmt.count(abs(kept))} customers a year{worth}")
    elif worth:
        parts.append(f"{'keeps' if value > 0 else 'puts at risk'}{worth.removeprefix(' (').removesuffix(')')}")
    return f"This change {' and '.join(parts)}."


def markdown(changes: ChangeSet) -> str:
    """The pull-request comment."""
    exchange = changes.resolved()
    total = changes.total()
    currency = total["currency"]
    lines = [
        MARKER,
        "## cxaudit: what this change does to customers",
        "",
        f"**{cell(headline(changes))}**",
        "",
    ]
    if changes.changes:
        lines += [
            "| journey | change | contacts a year | customers completing a year "
            "| contact cost a year | value at risk a year | findings |",
            "|---|---|--:|--:|--:|--:|---|",
        ]
        for change in changes.changes:
            row = change.yearly(exchange)
            fixed, introduced = change.findings()
            money = row["currency"]
            contacts, customers, cost, value = _after_minus_before(row)
            lines.append(
                f"| {cell(change.audit.journey.name)} ({code_cell(change.file)}) | {change.status} | "
                f"{_signed(contacts, False, money)} | {_signed(customers, False, money)} | "
                f"{_signed(cost, True, money)} | {_signed(value, True, money)} | "
                f"{len(fixed)} fixed, {len(introduced)} new |"
            )
        lines += ["", "Changes a year, after minus before" + (f", in {currency}." if currency else ".")]
        unconverted = _unconverted(changes)
        if unconverted:
            lines += [
                "",
                f"> Money in {', '.join(unconverted)} is not converted into one currency, so it is not added up: "
                "give the rates in `[tool.cxaudit.portfolio]` of the configuration.",
            ]
    for title, index in (("Findings introduced", 1), ("Findings fixed", 0)):
        found = [(change, f) for change in changes.changes for f in change.findings()[index]]
        if not found:
            continue
        lines += ["", f"### {title} ({len(found)})", ""]
        for change, finding in found[:MAX_FINDINGS]:
            where = f"{change.file}:{finding.line}" if finding.line else change.file
            lines.append(f"- **{finding.code} {cell(finding.name)}** {code_cell(where)}: {cell(finding.message)}")
        if len(found) > MAX_FINDINGS:
            lines.append(f"- ... and {len(found) - MAX_FINDINGS} more")
    if total["journeys_left_out"]:
        left = ", ".join(code_cell(name) for name in total["journeys_left_out"])
        lines += ["", f"Not counted a year (their period is not a day, week, month, quarter or year): {left}."]
    return "\n".join(lines) + "\n"


def text(changes: ChangeSet) -> str:
    """The same for a terminal: plain lines."""
    exchange = changes.resolved()
    lines = [headline(changes)]
    for change in changes.changes:
        row = change.yearly(exchange)
        fixed, introduced = change.findings()
        money = row["currency"]
        contacts, customers, _, value = _after_minus_before(row)
        lines.append(
            f"  {change.status:<8} {change.file}: contacts {_signed(contacts, False, money)} a year, "
            f"customers completing {_signed(customers, False, money)}, "
            f"value at risk {_signed(value, True, money)}; findings: {len(fixed)} fixed, {len(introduced)} new"
        )
    unconverted = _unconverted(changes)
    if unconverted:
        lines.append(
            f"Money in {', '.join(unconverted)} is not converted into one currency, so it is not added up: "
            "give the rates in [tool.cxaudit.portfolio] of the configuration."
        )
    return "\n".join(lines) + "\n"

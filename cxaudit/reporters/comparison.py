"""Reports of ``cxaudit compare``: text, json and markdown."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from cxaudit import __version__, fmt
from cxaudit.reporters import changes
from cxaudit.reporters.markdown import cell, code_cell

if TYPE_CHECKING:
    from cxaudit.engine.changes import ChangeSet
    from cxaudit.engine.compare import Comparison


def _is_set(comparison: Any) -> bool:
    """A pull request's journeys (:class:`~cxaudit.engine.changes.ChangeSet`), not one comparison."""
    return hasattr(comparison, "changes")


LABELS = {
    "completion_rate": ("Completion", "share"),
    "abandonment_rate": ("Abandonment", "share"),
    "stuck_rate": ("Stuck", "share"),
    "customers_lost_per_period": ("Customers lost", "count"),
    "expected_contacts": ("Contacts per customer", "number"),
    "contacts_per_period": ("Contacts", "count"),
    "contact_cost_per_period": ("Contact cost", "money"),
    "first_contact_resolution": ("First-contact resolution", "share"),
    "value_at_risk": ("Value at risk", "money"),
    "expected_effort": ("Effort per customer", "number"),
    "expected_duration_s": ("Time per customer", "duration"),
    "expected_handoffs": ("Handoffs per customer", "number"),
    "expected_channel_switches": ("Channel switches per customer", "number"),
    "contact_rate": ("Customers who contact us", "share"),
}


def _text(kind: str, currency: str | None, signed: bool) -> Any:
    def text(value: float) -> str:
        sign = "+" if signed and value > 0 else ("-" if signed and value < 0 else "")
        magnitude = abs(value) if signed else value
        if kind == "share":
            shown = f"{magnitude * 100:.1f} pts" if signed else fmt.pct(magnitude)
        elif kind == "count":
            shown = fmt.count(magnitude)
        elif kind == "money":
            shown = fmt.money(magnitude, currency)
        elif kind == "duration":
            shown = fmt.duration(magnitude)
        else:
            shown = fmt.number(magnitude, 3)
        return sign + shown

    return text


def _show(
    value: float | None,
    kind: str,
    currency: str | None,
    signed: bool = False,
    bounds: tuple[float, float] | None = None,
) -> str:
    if value is None:
        return "-"
    text = _text(kind, currency, signed)
    if bounds is None:
        return text(value)
    low, high = text(bounds[0]), text(bounds[1])
    return text(value) if low == high else f"{text(value)} ({low} to {high})"


def rows(comparison: Comparison) -> list[tuple[str, str, str, str]]:
    """(metric, before, after, change) for people; with 95% intervals where a side was learned from a log."""
    before, after, delta = comparison.metrics("before"), comparison.metrics("after"), comparison.delta
    currency = comparison.after.journey.currency
    bounds = comparison.intervals or {"before": {}, "after": {}, "delta": {}}
    return [
        (
            label,
            _show(before[key], kind, currency, bounds=bounds["before"].get(key)),
            _show(after[key], kind, currency, bounds=bounds["after"].get(key)),
            _show(delta[key], kind, currency, True, bounds["delta"].get(key)),
        )
        for key, (label, kind) in LABELS.items()
    ]


class CompareJsonReporter:
    def __init__(self, **_: Any) -> None:
        pass

    def render(self, comparison: Comparison | ChangeSet) -> str:
        if _is_set(comparison):
            return fmt.json_text(changes.as_dict(comparison))
        document = {"cxaudit": __version__, **comparison.as_dict()}
        return fmt.json_text(document)


class CompareMarkdownReporter:
    def __init__(self, **_: Any) -> None:
        pass

    def render(self, comparison: Comparison | ChangeSet) -> str:
        if _is_set(comparison):
            return changes.markdown(comparison)
        per = fmt.per(comparison.after.journey.period)
        lines = [
            f"# Before and after: {cell(comparison.after.journey.name)}",
            "",
            f"{code_cell(comparison.before.journey.file)} → {code_cell(comparison.after.journey.file)}",
            "",
            *[f"- {cell(s)}" for s in comparison.statements()],
            "",
            f"| metric ({cell(per)}) | before | after | change |",
            "|---|---|---|---|",
            *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(comparison)],
            "",
        ]
        changed = [s for s in comparison.steps() if s.status != "changed" or _moved(s)]
        if changed:
            lines += [
                "## Steps that changed",
                "",
                f"| step | visits per customer | contacts caused {cell(per)} | customers lost {cell(per)} |",
                "|---|---|---|---|",
            ]
            for step in changed:
                lines.append(
                    f"| {cell(step.name)}{_status(step)} | {_pair(step.visits_before, step.visits_after, 3)} | "
                    f"{_pair(step.contacts_caused_before, step.contacts_caused_after)} | "
                    f"{_pair(step.customers_lost_before, step.customers_lost_after)} |"
                )
            lines.append("")
        fixed, introduced = comparison.findings()
        for title, group in (("Findings fixed", fixed), ("Findings introduced", introduced)):
            if group:
                lines += [f"## {title}", ""]
                lines += [
                    f"- **{f.code} {f.name}** at {code_cell(f.step or 'journey')}: {cell(f.message)}" for f in group
                ]
                lines.append("")
        return "\n".join(lines)


def _status(step: Any) -> str:
    return "" if step.status == "changed" else f" ({step.status})"


def _moved(step: Any) -> bool:
    pairs = (
        (step.visits_before, step.visits_after, 1e-9),
        (step.contacts_caused_before, step.contacts_caused_after, 0.5),
        (step.customers_lost_before, step.customers_lost_after, 0.5),
    )
    return any(abs((a or 0) - (b or 0)) >= tolerance for a, b, tolerance in pairs)


def _pair(before: float | None, after: float | None, digits: int = 0) -> str:
    def one(value: float | None) -> str:
        if value is None:
            return "-"
        return fmt.number(value, digits) if digits else fmt.count(value)

    return f"{one(before)} → {one(after)}"


class CompareTextReporter:
    def __init__(self, *, color: bool = False, width: int = 100, **_: Any) -> None:
        self.color = color
        self.width = width

    def render(self, comparison: Comparison | ChangeSet) -> str:
        if _is_set(comparison):
            return changes.text(comparison)
        from rich import box
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from cxaudit.textsafe import clean

        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            no_color=not self.color,
            highlight=False,
            markup=False,
            emoji=False,
        )
        console.print(Text(f"Before and after: {clean(comparison.after.journey.name)}", style="bold"))
        console.print(
            Text(f"{clean(comparison.before.journey.file)} -> {clean(comparison.after.journey.file)}", style="dim")
        )
        for statement in comparison.statements():
            console.print(
                Text(f"  {statement}", style="bold green" if "avoids" in statement or "keeps" in statement else "")
            )
        table = Table(box=box.SIMPLE_HEAD)
        for column in ("Metric", "Before", "After", "Change"):
            table.add_column(column, justify="left" if column == "Metric" else "right")
        for row in rows(comparison):
            table.add_row(*row)
        console.print(table)
        changed = [s for s in comparison.steps() if s.status != "changed" or _moved(s)]
        if changed:
            steps = Table(title="Steps that changed", title_justify="left", box=box.SIMPLE_HEAD)
            for column in ("Step", "Visits", "Contacts caused", "Customers lost"):
                steps.add_column(column, justify="left" if column == "Step" else "right")
            for step in changed:
                steps.add_row(
                    Text(f"{clean(step.name)}{_status(step)}"),
                    _pair(step.visits_before, step.visits_after, 3),
                    _pair(step.contacts_caused_before, step.contacts_caused_after),
                    _pair(step.customers_lost_before, step.customers_lost_after),
                )
            console.print(steps)
        fixed, introduced = comparison.findings()
        for title, group in (("Fixed", fixed), ("Introduced", introduced)):
            for finding in group:
                console.print(Text(f"  {title}: {finding.code} {finding.name} at {clean(finding.step or 'journey')}"))
        return buffer.getvalue()

"""The terminal report: headline, ranked remediation, who caused the contacts, the path."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cxaudit import fmt
from cxaudit.model import Severity
from cxaudit.reporters.lint import SEVERITY_STYLE
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.portfolio import Exchange
    from cxaudit.engine.report import Report
    from cxaudit.model import Finding


def _t(text: str, style: str = "") -> Text:
    """User text made safe for the terminal (no markup, no escapes)."""
    return Text(clean(text), style=style)


def _worth(audit: JourneyAudit, finding: Finding) -> Text:
    journey = audit.journey
    impact = finding.impact
    bounds = audit.fix_intervals.get(finding.fingerprint, {})
    out = Text()
    if impact.money is not None and impact.money > 0.5:
        out.append(
            fmt.within(lambda v: fmt.money(v, journey.currency), impact.money, bounds.get("money")), "bold green"
        )
        out.append("\n")
    if impact.customers_kept >= 0.5:
        out.append(f"{fmt.within(fmt.count, impact.customers_kept, bounds.get('customers_kept'))} kept\n")
    if impact.contacts_avoided >= 0.5:
        out.append(f"{fmt.within(fmt.count, impact.contacts_avoided, bounds.get('contacts_avoided'))} fewer contacts\n")
    tie = audit.ties.get(finding.fingerprint)
    if tie is not None:
        out.append(f"cannot be told apart from #{tie}\n", style="dim")
    if not out.plain:
        if impact.customers_affected >= 0.5:
            out.append(f"{fmt.count(impact.customers_affected)} customers\n")
        if impact.contacts >= 0.5:
            out.append(f"{fmt.count(impact.contacts)} contacts\n")
    if not out.plain:
        out.append("-")
    out.rstrip()
    return out


def _finding_cell(finding: Finding) -> Text:
    where = finding.step or "journey"
    if finding.target:
        where += f" -> {finding.target}"
    text = Text()
    text.append(f"{finding.code} ", style=SEVERITY_STYLE[finding.severity])
    text.append(f"{finding.name}", style="bold")
    text.append(" · ")
    text.append_text(_t(where, "cyan"))
    text.append("\n")
    text.append_text(_t(finding.message))
    text.append("\n")
    text.append("Fix: ", style="bold")
    text.append_text(_t(finding.remediation, "dim"))
    return text


def _variants(audit: JourneyAudit) -> Table:
    """The log's most common paths, with the share of cases that took each and the share the journey gives it."""
    journey = audit.journey
    table = Table(
        title=f"The most common paths of the log's {fmt.count(journey.cases or 0)} cases",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("Cases", justify="right", no_wrap=True)
    table.add_column("Journey", justify="right", no_wrap=True)
    table.add_column("Path", ratio=1)
    for variant in audit.variants:
        names = [journey.steps[step_id].name for step_id in variant.steps]
        table.add_row(fmt.pct(variant.share), fmt.pct(variant.predicted), _t(" → ".join(names)))
    return table


class TextReporter:
    """A rich report for people, plain text when not on a terminal."""

    def __init__(self, *, color: bool = False, width: int = 100, top: int = 10, **_: Any) -> None:
        self.color = color
        self.width = width
        self.top = top

    def _console(self, buffer: io.StringIO) -> Console:
        return Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            highlight=False,
            markup=False,  # user text (names, the period) is never markup
            emoji=False,
            legacy_windows=False,
        )

    def render(self, report: Report) -> str:
        audits = report.audits
        buffer = io.StringIO()
        console = self._console(buffer)
        for audit in audits:
            self._journey(console, audit)
        if len(audits) > 1:
            self._portfolio(console, audits, report.exchange)
        self._summary(console, audits)
        return buffer.getvalue()

    def _journey(self, console: Console, audit: JourneyAudit) -> None:
        journey = audit.journey
        metrics = audit.metrics
        per = fmt.per(journey.period)
        money = journey.currency

        def shown(text: Any, name: str) -> str:
            return fmt.figure(audit, name, text)

        def cash(value: float) -> str:
            return fmt.money(value, money)

        headline = Table.grid(padding=(0, 2))
        headline.add_column(style="bold")
        headline.add_column()
        declines = any(step.type == "decline" for step in journey.steps.values())
        declined = f"{shown(fmt.pct, 'decline_rate')} declined, " if declines else ""
        stuck = "stuck" if declines else "get stuck"  # one line, with the declines too
        headline.add_row(
            "Customers",
            f"{fmt.count(journey.volume)} enter {per}: {shown(fmt.pct, 'completion_rate')} complete, {declined}"
            f"{shown(fmt.pct, 'abandonment_rate')} give up, {shown(fmt.pct, 'stuck_rate')} {stuck}",
        )
        lost = f"{shown(fmt.count, 'customers_lost_per_period')} {per}"
        if metrics.value_at_risk is not None:
            lost += f", value at risk {shown(cash, 'value_at_risk')} {per}"
        headline.add_row("Customers lost", lost)
        if declines:
            headline.add_row(
                "Declined",
                f"{shown(fmt.count, 'customers_declined_per_period')} {per} by our decision: not lost, "
                "no value at risk",
            )
        contacts = (
            f"{shown(fmt.count, 'contacts_per_period')} {per} "
            f"({shown(lambda v: fmt.number(v, 3), 'expected_contacts')} per customer)"
        )
        if metrics.contact_cost_per_period:
            contacts += f", costing {shown(cash, 'contact_cost_per_period')}"
        headline.add_row("Contacts", contacts)
        fcr = metrics.first_contact_resolution
        headline.add_row(
            "Recovery",
            f"{shown(fmt.pct, 'contact_rate')} of customers contact us; "
            + (
                "no contacts"
                if fcr is None
                else f"first-contact resolution {shown(fmt.pct, 'first_contact_resolution')}"
            ),
        )
        headline.add_row(
            "Per customer",
            f"effort {shown(lambda v: fmt.number(v, 1), 'expected_effort')}, "
            f"time {shown(fmt.duration, 'expected_duration_s')}, "
            f"{shown(fmt.number, 'expected_handoffs')} handoffs, "
            f"{shown(fmt.number, 'expected_channel_switches')} channel switches",
        )
        if audit.intervals is not None:
            headline.add_row("Evidence", _t(f"{fmt.evidence(journey.cases)} (docs/evidence.md)", "dim"))
        gaps = []
        if metrics.steps_without_effort:
            gaps.append(f"{metrics.steps_without_effort} steps without effort")
        if metrics.steps_without_duration:
            gaps.append(f"{metrics.steps_without_duration} without duration")
        if metrics.contact_steps_without_cost:
            gaps.append(f"{metrics.contact_steps_without_cost} contact steps without cost")
        if gaps:
            headline.add_row("Gaps", _t(", ".join(gaps) + " (counted as 0)", "dim"))
        for warning in audit.warnings:
            headline.add_row("Warning", _t(warning, "bold red"))
        title = Text()
        title.append_text(_t(journey.name, "bold"))
        title.append(" ")
        title.append_text(_t(journey.file, "dim"))
        console.print(Panel(headline, title=title, title_align="left", box=box.ROUNDED, expand=True))

        active = audit.active
        shown = active if self.top <= 0 else active[: self.top]
        if shown:
            table = Table(
                title=f"Remediation, most valuable first (worth {per})",
                title_justify="left",
                title_style="bold",
                box=box.SIMPLE_HEAD,
                expand=True,
                show_lines=True,
            )
            table.add_column("#", justify="right", no_wrap=True)
            table.add_column("Finding", ratio=4)
            # The fix names the owner; a narrow terminal keeps the room for the text.
            with_owner = self.width >= 100
            if with_owner:
                table.add_column("Owner", ratio=1, max_width=18)
            table.add_column("Worth", justify="right", min_width=16)
            for finding in shown:
                owner = journey.owner_name(finding.owner) if finding.owner else "-"
                cells = [str(finding.rank), _finding_cell(finding)]
                if with_owner:
                    cells.append(_t(owner))
                table.add_row(*cells, _worth(audit, finding))
            console.print(table)
            if len(active) > len(shown):
                console.print(
                    Text(f"  ... and {len(active) - len(shown)} more findings (--top 0 shows all)", style="dim")
                )
        else:
            console.print(Text("No findings.", style="green"))
        for finding in audit.suppressed:
            line = Text("  suppressed ", style="dim")
            line.append(f"{finding.code} ")
            line.append_text(_t(f"{finding.step}: {finding.suppressed}", "dim"))
            console.print(line)

        if audit.owners and metrics.contacts_per_period > 0:
            owners = Table(
                title=f"Contacts we caused, by the team whose step caused them ({per})",
                title_justify="left",
                title_style="bold",
                box=box.SIMPLE_HEAD,
                expand=True,
            )
            owners.add_column("Owner")
            owners.add_column("Contacts", justify="right")
            owners.add_column("Cost", justify="right")
            owners.add_column("Customers lost", justify="right")
            for row in audit.owners:
                owners.add_row(
                    _t(row.name),
                    fmt.count(row.contacts_per_period),
                    fmt.money(row.contact_cost_per_period, money),
                    fmt.count(row.customers_lost_per_period),
                )
            console.print(owners)

        path = audit.path
        if path is not None:
            names = [journey.steps[sid].name for sid in path.steps]
            body = Group(
                _t(" → ".join(names)),
                Text(
                    f"{fmt.pct(path.probability)} of customers take exactly this path; effort {path.effort}, "
                    f"{fmt.duration(path.duration_s)}, {path.handoffs} handoffs between "
                    f"{len(path.owners)} teams, {path.channel_switches} channel "
                    f"switch{'es' if path.channel_switches != 1 else ''}",
                    style="dim",
                ),
            )
            console.print(Panel(body, title="Most probable path to success", title_align="left", box=box.ROUNDED))
        else:
            console.print(Text("No path from the entry reaches a success outcome.", style="bold red"))
        if audit.variants:
            console.print(_variants(audit))
        console.print()

    def _portfolio(self, console: Console, audits: Sequence[JourneyAudit], exchange: Exchange | None) -> None:
        from cxaudit.engine.portfolio import portfolio

        found = portfolio(audits, exchange)
        for group in found.groups:
            if group.yearly:
                title = f"Portfolio, a year{f', in {group.currency}' if group.currency else ''}"
            else:
                title = "Portfolio, per each journey's own period"
            table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, expand=True)
            table.add_column("Journey", ratio=3)
            table.add_column("Complete", justify="right")
            table.add_column("Lost", justify="right")
            table.add_column("Contacts", justify="right")
            table.add_column("Contact cost", justify="right")
            table.add_column("Value at risk", justify="right")
            table.add_column("Findings", justify="right")
            for row in group.rows:
                own = "" if group.yearly else f" {fmt.per(row.period)}"
                table.add_row(
                    _t(row.name),
                    fmt.pct(row.completion_rate),
                    f"{fmt.count(row.customers_lost)}{own}",
                    fmt.count(row.contacts),
                    fmt.money(row.contact_cost, group.currency),
                    "-" if row.value_at_risk is None else fmt.money(row.value_at_risk, group.currency),
                    str(row.findings),
                )
            if group.yearly and len(group.rows) > 1:
                table.add_section()
                var = group.value_at_risk
                table.add_row(
                    Text(f"all {len(group.rows)}", style="bold"),
                    "",
                    fmt.count(group.customers_lost),
                    fmt.count(group.contacts),
                    fmt.money(group.contact_cost, group.currency),
                    "-" if var is None else fmt.money(var, group.currency),
                    "",
                )
            console.print(table)
        for note in found.notes:
            console.print(_t(note + "."), style="yellow")
        if found.example:
            for line in found.example.splitlines():
                console.print(_t("  " + line), style="yellow")

    def _summary(self, console: Console, audits: Sequence[JourneyAudit]) -> None:
        counts = {severity: 0 for severity in Severity}
        for audit in audits:
            for finding in audit.active:
                counts[finding.severity] += 1
        total = sum(counts.values())
        suppressed = sum(len(a.suppressed) for a in audits)
        noun = "journey" if len(audits) == 1 else "journeys"
        parts = [
            f"{counts[s]} {s.label}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
            for s in sorted(Severity, reverse=True)
        ]
        line = f"{len(audits)} {noun}, {total} finding{'s' if total != 1 else ''} ({', '.join(parts)})"
        if suppressed:
            line += f", {suppressed} suppressed"
        console.print(Text(line + ".", style="bold red" if counts[Severity.ERROR] else "bold"))

"""Before and after: what a redesign changes, in contacts avoided and customers kept.

Prevention by design beats repair: the measure of a redesign is the tickets
it avoids, not how fast tickets close. ``compare`` audits two versions of a
journey exactly and states the difference per period.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cxaudit import fmt
from cxaudit.errors import UsageError

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit

METRICS = (
    "completion_rate",
    "abandonment_rate",
    "stuck_rate",
    "customers_lost_per_period",
    "expected_contacts",
    "contacts_per_period",
    "contact_cost_per_period",
    "first_contact_resolution",
    "value_at_risk",
    "expected_effort",
    "expected_duration_s",
    "expected_handoffs",
    "expected_channel_switches",
    "contact_rate",
)


@dataclass(frozen=True)
class StepChange:
    """How one step changed; None where the step is missing on that side."""

    id: str
    name: str
    visits_before: float | None
    visits_after: float | None
    contacts_caused_before: float | None
    contacts_caused_after: float | None
    customers_lost_before: float | None
    customers_lost_after: float | None

    @property
    def status(self) -> str:
        if self.visits_before is None:
            return "added"
        if self.visits_after is None:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class Comparison:
    """Two audits of one journey and their difference."""

    before: JourneyAudit
    after: JourneyAudit

    def metrics(self, side: str) -> dict[str, float | None]:
        audit = self.before if side == "before" else self.after
        values = asdict(audit.metrics)
        return {key: values[key] for key in METRICS}

    @property
    def delta(self) -> dict[str, float | None]:
        before, after = self.metrics("before"), self.metrics("after")
        return {
            key: None if before[key] is None or after[key] is None else after[key] - before[key]  # type: ignore[operator]
            for key in METRICS
        }

    @cached_property
    def intervals(self) -> dict[str, dict[str, tuple[float, float] | None]] | None:
        """95% intervals of each metric before, after and of the change, where either side has evidence."""
        from cxaudit.analysis.intervals import change_interval

        before, after = self.before, self.after
        if before.intervals is None and after.intervals is None:
            return None
        values, moved = self.metrics("before"), self.metrics("after")
        out: dict[str, dict[str, tuple[float, float] | None]] = {"before": {}, "after": {}, "delta": {}}
        for key in METRICS:
            out["before"][key] = (before.intervals or {}).get(key)
            out["after"][key] = (after.intervals or {}).get(key)
            first, second = values[key], moved[key]
            out["delta"][key] = (
                None
                if first is None or second is None
                else change_interval(first, second, (before.draws or {}).get(key), (after.draws or {}).get(key))
            )
        return out

    @property
    def contacts_avoided(self) -> float:
        return self.before.metrics.contacts_per_period - self.after.metrics.contacts_per_period

    @property
    def cost_saved(self) -> float:
        return self.before.metrics.contact_cost_per_period - self.after.metrics.contact_cost_per_period

    @property
    def customers_kept(self) -> float:
        return self.after.metrics.completion_rate * self.after.journey.volume - (
            self.before.metrics.completion_rate * self.before.journey.volume
        )

    @property
    def value_kept(self) -> float | None:
        before, after = self.before.metrics.value_at_risk, self.after.metrics.value_at_risk
        return None if before is None or after is None else before - after

    def steps(self) -> list[StepChange]:
        """Every step on either side, in the order of the after file, then removed ones."""
        b, a = self.before, self.after
        ids = list(a.journey.steps) + [s for s in b.journey.steps if s not in a.journey.steps]
        out = []
        for step_id in ids:
            mb = b.markov.steps.get(step_id)
            ma = a.markov.steps.get(step_id)
            step = a.journey.steps.get(step_id) or b.journey.steps[step_id]
            out.append(
                StepChange(
                    id=step_id,
                    name=step.name,
                    visits_before=mb.expected_visits if mb else None,
                    visits_after=ma.expected_visits if ma else None,
                    contacts_caused_before=mb.contacts_caused if mb else None,
                    contacts_caused_after=ma.contacts_caused if ma else None,
                    customers_lost_before=mb.customers_lost if mb else None,
                    customers_lost_after=ma.customers_lost if ma else None,
                )
            )
        return out

    def findings(self) -> tuple[list[Any], list[Any]]:
        """(fixed, introduced): findings by fingerprint, active ones only."""
        before = {f.fingerprint: f for f in self.before.active}
        after = {f.fingerprint: f for f in self.after.active}
        fixed = [f for key, f in before.items() if key not in after]
        introduced = [f for key, f in after.items() if key not in before]
        return fixed, introduced

    def statements(self) -> list[str]:
        """What the change does, in plain words, per period."""
        journey = self.after.journey
        per = fmt.per(journey.period)
        currency = journey.currency
        out = []
        avoided = self.contacts_avoided
        if abs(avoided) >= 0.5:
            verb = "avoids" if avoided > 0 else "adds"
            cost = self.cost_saved
            money = f" ({fmt.money(abs(cost), currency)})" if abs(cost) >= 0.5 else ""
            out.append(f"The change {verb} {fmt.count(abs(avoided))} contacts {per}{money}.")
        else:
            out.append(
                f"The change leaves contacts unchanged ({fmt.count(self.after.metrics.contacts_per_period)} {per})."
            )
        kept = self.customers_kept
        if abs(kept) >= 0.5:
            verb = "keeps" if kept > 0 else "loses"
            value = self.value_kept
            money = f", {fmt.money(abs(value), currency)} of value" if value is not None and abs(value) >= 0.5 else ""
            out.append(f"It {verb} {fmt.count(abs(kept))} more customers {per}{money}.")
        before_c, after_c = self.before.metrics.completion_rate, self.after.metrics.completion_rate
        completion = f"Completion goes from {fmt.pct(before_c)} to {fmt.pct(after_c)}"
        bounds = self.intervals
        change = None if bounds is None else bounds["delta"]["completion_rate"]
        if change is not None:
            low, high = (f"{value * 100:+.1f}" for value in change)
            told = "a real change" if change[0] > 0 or change[1] < 0 else "not told apart from no change"
            completion += f" (change {low} to {high} pts, 95%: {told})"
        out.append(completion + ".")
        fixed, introduced = self.findings()
        out.append(f"{fmt.counted(len(fixed), 'finding')} fixed, {len(introduced)} introduced.")
        return out

    def as_dict(self) -> dict[str, Any]:
        from cxaudit.reporters.json import finding_dict

        fixed, introduced = self.findings()
        bounds = self.intervals
        return {
            "before": {"file": self.before.journey.file, **self.metrics("before")},
            "after": {"file": self.after.journey.file, **self.metrics("after")},
            "delta": self.delta,
            "summary": {
                "contacts_avoided": self.contacts_avoided,
                "cost_saved": self.cost_saved,
                "customers_kept": self.customers_kept,
                "value_kept": self.value_kept,
                "statements": self.statements(),
            },
            **({} if bounds is None else {"intervals": {side: _lists(row) for side, row in bounds.items()}}),
            "steps": [{**asdict(change), "status": change.status} for change in self.steps()],
            "findings": {
                "fixed": [finding_dict(f) for f in fixed],
                "introduced": [finding_dict(f) for f in introduced],
            },
        }


def _lists(row: dict[str, tuple[float, float] | None]) -> dict[str, list[float] | None]:
    return {key: None if pair is None else list(pair) for key, pair in row.items()}


def git_versions(path: str, revisions: str) -> tuple[tuple[bytes, str], tuple[bytes, str]]:
    """The file at two git revisions ``A..B`` (``A..`` means A and the working tree).

    Returns ((text, name), (text, name)). Uses the git command line.

    Raises
    ------
    UsageError
        Not in a git repository, a bad range, or the file is not at a revision.
    """
    if ".." not in revisions:
        raise UsageError(f"--rev takes a range A..B (or A.. for A and the working tree), not '{revisions}'")
    first, _, second = revisions.partition("..")
    first = first or "HEAD"
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)

    def show(revision: str) -> tuple[bytes, str]:
        from cxaudit.engine.git import git_show

        return git_show(directory, revision, f"./{name}", path), f"{path}@{revision}"

    before = show(first)
    if second:
        after = show(second)
    else:
        with open(path, "rb") as stream:
            after = (stream.read(), path)
    return before, after

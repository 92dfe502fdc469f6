"""A pull request's journeys: every journey added, removed or modified between two git revisions.

``cxaudit compare --rev BASE..HEAD PATH...`` audits each changed journey on
both sides and says, a year and in one currency (as the portfolio does,
:mod:`cxaudit.engine.portfolio`), what the change does to contacts,
customers and money, journey by journey and in total.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxaudit.engine.git import git, git_show
from cxaudit.engine.portfolio import PER_YEAR, Exchange, settled
from cxaudit.errors import UsageError

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.compare import Comparison
    from cxaudit.engine.config import ConfigResolver

JOURNEY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Side:
    """One journey file at one revision: its text and a name to show."""

    text: bytes
    name: str


def _is_journey(text: bytes) -> bool:
    """A journey file says which format it is in, at the top level (``cxaudit: 1``)."""
    return any(line.startswith(b"cxaudit:") for line in text.splitlines())


def changed_journeys(paths: Sequence[str], revisions: str) -> list[tuple[str, str, Side | None, Side | None]]:
    """(name, path, before, after) of every journey file under ``paths`` that differs between ``A..B``.

    The name is relative to the repository's top, the path to this directory.

    ``A..`` compares A with the working tree. A side is None where the file is
    not at that revision (added, removed). Files not in the journey format
    (other YAML, configuration) are left out, as are hidden ones.

    Raises
    ------
    UsageError
        Not in a git repository, a bad range, or git is missing.
    """
    if ".." not in revisions:
        raise UsageError(f"--rev takes a range A..B (or A.. for A and the working tree), not '{revisions}'")
    first, _, second = revisions.partition("..")
    first = first or "HEAD"
    here = os.path.abspath(paths[0] if os.path.isdir(paths[0]) else os.path.dirname(paths[0]) or ".")
    root = git(here, "rev-parse", "--show-toplevel").strip()
    relative = [os.path.relpath(os.path.abspath(path), root) for path in paths]
    listed = git(root, "diff", "--name-status", "--no-renames", first, *([second] if second else []), "--", *relative)
    found = []
    for line in listed.splitlines():
        status, _, name = line.partition("\t")
        parts = name.split("/")
        if not name.endswith(JOURNEY_SUFFIXES) or any(part.startswith(".") for part in parts):
            continue
        before = None if status.startswith("A") else _show(root, first, name)
        if status.startswith("D"):
            after = None
        elif second:
            after = _show(root, second, name)
        else:
            with open(os.path.join(root, name), "rb") as stream:
                after = Side(stream.read(), name)
        if any(side is not None and _is_journey(side.text) for side in (before, after)):
            found.append((name, os.path.relpath(os.path.join(root, name)), before, after))
    return found


def _show(root: str, revision: str, name: str) -> Side:
    return Side(git_show(root, revision, name, name), f"{name}@{revision}")


@dataclass(frozen=True)
class JourneyChange:
    """One journey file's change: both audits, or one where it was added or removed."""

    file: str
    before: JourneyAudit | None
    after: JourneyAudit | None

    @property
    def status(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "modified"

    @property
    def audit(self) -> JourneyAudit:
        """The newest side (the journey as it is after the change, or as it was before removal)."""
        return self.after or self.before  # type: ignore[return-value]

    @property
    def comparison(self) -> Comparison | None:
        from cxaudit.engine.compare import Comparison

        if self.before is None or self.after is None:
            return None
        return Comparison(self.before, self.after)

    def findings(self) -> tuple[list[Any], list[Any]]:
        """(fixed, introduced); a removed journey's findings are gone, an added one's are new."""
        if self.before is None:
            return [], list(self.audit.active)
        if self.after is None:
            return list(self.before.active), []
        return self.comparison.findings()  # type: ignore[union-attr]

    def yearly(self, exchange: Exchange) -> dict[str, Any]:
        """What the change does a year: contacts avoided, customers kept, cost avoided, value kept.

        A missing side counts as a journey nobody walks. Money is in the
        exchange's currency where it converts, else in the journey's own
        (``currency`` says which); None where a side's period is not one a
        year can count.
        """
        figures: dict[str, Any] = {"currency": None, "yearly": True}
        sides = [self.before, self.after]
        if any(side is not None and side.journey.period not in PER_YEAR for side in sides):
            figures["yearly"] = False
        currencies = {side.journey.currency for side in sides if side is not None and side.journey.currency}
        rates = [exchange.rate(currency) for currency in currencies]
        converted = exchange.currency is not None and all(rate is not None for rate in rates)
        figures["currency"] = exchange.currency if converted else (min(currencies) if len(currencies) == 1 else None)

        def year(audit: JourneyAudit | None, value: Callable[[JourneyAudit], float | None], money: bool) -> Any:
            if audit is None:
                return 0.0
            amount = value(audit)
            if amount is None or not figures["yearly"]:
                return None
            amount *= PER_YEAR[audit.journey.period]
            if money and converted:
                amount *= exchange.rate(audit.journey.currency) or 1.0
            return amount

        def change(value: Callable[[JourneyAudit], float | None], money: bool, kept: bool) -> float | None:
            before, after = year(self.before, value, money), year(self.after, value, money)
            if before is None or after is None or (money and figures["currency"] is None and len(currencies) > 1):
                return None
            return after - before if kept else before - after

        figures["contacts_avoided_per_year"] = change(lambda a: a.metrics.contacts_per_period, False, False)
        figures["customers_kept_per_year"] = change(lambda a: a.metrics.completion_rate * a.journey.volume, False, True)
        figures["cost_avoided_per_year"] = change(lambda a: a.metrics.contact_cost_per_period, True, False)
        figures["value_kept_per_year"] = change(lambda a: a.metrics.value_at_risk, True, False)
        return figures


@dataclass(frozen=True)
class ChangeSet:
    """Every journey a change touches, with the exchange that puts their money in one currency."""

    revisions: str
    changes: tuple[JourneyChange, ...]
    exchange: Exchange = field(default_factory=Exchange)

    def resolved(self) -> Exchange:
        """The exchange, its currency taken from the journeys when they all use one and none is set."""
        sides = (side for change in self.changes for side in (change.before, change.after) if side is not None)
        return settled(self.exchange, (side.journey.currency for side in sides))

    def total(self) -> dict[str, Any]:
        """The change's figures a year, added over its journeys; money only where it is in one currency."""
        exchange = self.resolved()
        rows = [change.yearly(exchange) for change in self.changes]
        yearly = [row for row in rows if row["yearly"]]
        currencies = {row["currency"] for row in yearly if row["currency"] is not None}
        one = len(currencies) <= 1  # money without a currency is counted in the one there is
        total: dict[str, Any] = {"currency": min(currencies) if one and currencies else None}
        for key in ("contacts_avoided_per_year", "customers_kept_per_year"):
            total[key] = sum(row[key] for row in yearly if row[key] is not None)
        for key in ("cost_avoided_per_year", "value_kept_per_year"):
            values = [row[key] for row in yearly if row[key] is not None]
            total[key] = sum(values) if one and values else None
        fixed = introduced = 0
        for change in self.changes:
            gone, new = change.findings()
            fixed += len(gone)
            introduced += len(new)
        total["findings_fixed"] = fixed
        total["findings_introduced"] = introduced
        total["journeys_left_out"] = [
            change.file for change, row in zip(self.changes, rows, strict=True) if not row["yearly"]
        ]
        return total


def compare_revisions(
    paths: Sequence[str], revisions: str, resolver: ConfigResolver, *, pure_yaml: bool = False
) -> ChangeSet:
    """Every journey under ``paths`` added, removed or modified in ``A..B``, audited on both sides.

    Each file is audited with its configuration; the money's currency and
    rates are those of the first path's (``[tool.cxaudit.portfolio]``).

    Raises
    ------
    UsageError
        git is missing, or the range or a path is not in a repository.
    JourneyError
        A journey at one of the revisions does not load.
    """
    from cxaudit.engine import audit
    from cxaudit.journey.load import loads_journey

    found = []
    for name, path, *sides in changed_journeys(paths, revisions):
        settings = resolver.for_path(path)
        audits = [
            None
            if side is None
            else audit(loads_journey(side.text, name=side.name, pure_yaml=pure_yaml), settings.for_file(path))
            for side in sides
        ]
        found.append(JourneyChange(name, *audits))
    return ChangeSet(revisions, tuple(found), resolver.for_path(paths[0]).exchange)

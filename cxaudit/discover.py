"""Discover a journey (format v1) from an event log summary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cxaudit import fmt
from cxaudit.emit import round_shares, slug, unique_slugs, yaml_text
from cxaudit.logs.history import START
from cxaudit.logs.read import UNFINISHED_ID
from cxaudit.logs.summary import Activity, LogSummary

PERIOD_SECONDS = {
    "day": 86_400,
    "week": 604_800,
    "month": 2_629_800,  # 30.4375 days
    "quarter": 7_889_400,
    "year": 31_557_600,
}
DIGITS = 6


def _decimal(units: int, digits: int = DIGITS) -> str:
    text = f"{units / 10**digits:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Discovery:
    """The journey discovered, as YAML text, and what the user should know about it."""

    text: str
    notes: list[str] = field(default_factory=list)


def discover(
    log: LogSummary,
    *,
    success: list[str],
    abandon: list[str],
    contact: str | None = None,
    decline: list[str] | None = None,
    journey_id: str | None = None,
    name: str | None = None,
    period: str = "month",
    min_share: float = 0.0,
    unfinished: str = "abandon",
    states: dict[str, tuple[tuple[str, ...], str]] | None = None,
    variants: Sequence[tuple[tuple[str, ...], int]] = (),
) -> Discovery:
    """A journey from a log: one step per activity, probabilities from directly-follows counts.

    With ``states`` (the log split by history, :meth:`~cxaudit.logs.read.EventLog.split`), the log's
    activities include labels, each standing for an activity after a context: one step each, named
    like the activity, with the context as its ``after``. ``variants`` are the log's most common
    variants (:meth:`~cxaudit.logs.read.EventLog.variants`), written as the journey's ``variants``.
    """
    from cxaudit.errors import UsageError

    notes: list[str] = []
    activities = log.activities
    decline = decline or []
    problem = outcome_problem(log, success, abandon, decline)
    if problem:
        raise UsageError(problem + "\n" + ends_and_starts(log))
    if not activities:
        raise UsageError(f"{log.file}: no usable events")
    pattern = re.compile(contact) if contact else None
    states = states or {}

    def readable(label: str) -> str:
        if label not in states:
            return label
        after, activity = states[label]
        return f"{activity}__{'_'.join('start' if item == START else item for item in after)}"

    ordered = sorted(activities, key=lambda a: (readable(a), a))
    slugs = unique_slugs([readable(a) for a in ordered], taken=[UNFINISHED_ID])
    ids = {a: slugs[readable(a)] for a in ordered}
    outcomes = {a: "success" for a in success} | {a: "abandon" for a in abandon} | {a: "decline" for a in decline}

    # Where customers go from each non-outcome activity: followers, and the end of the case.
    rows: dict[str, dict[str, int]] = {a: {} for a in activities if a not in outcomes}
    for (a, b), n in sorted(log.follows.items()):
        if a not in outcomes:  # a case ends at its first outcome: nothing follows one
            rows[a][ids[b]] = rows[a].get(ids[b], 0) + n
    unfinished_cases = 0
    for a, info in activities.items():
        if a not in outcomes and info.ends:
            rows[a][UNFINISHED_ID] = rows[a].get(UNFINISHED_ID, 0) + info.ends
            unfinished_cases += info.ends
    notes += log_notes(log)
    if unfinished_cases:
        notes.append(
            f"{unfinished_cases:,} cases end on an activity that is not an outcome; "
            f"they go to '{UNFINISHED_ID}' ({unfinished})"
        )
    if min_share > 0:
        _drop_rare(rows, ids, activities, min_share, notes)

    volume = log.cases * PERIOD_SECONDS[period] / log.span_s if log.span_s > 0 else float(log.cases)
    owners = sorted({info.resource for info in activities.values() if info.resource})
    owner_ids = unique_slugs(owners)

    journey_id = slug(journey_id or re.sub(r"\.(csv|gz|parquet|tsv|txt)$", "", log.file.split("/")[-1]).split(".")[0])
    lines = [
        f"# Discovered by cxaudit from {log.file}: {log.cases:,} cases, {log.events:,} visits.",
        *(f"# {note}." for note in notes),
        "cxaudit: 1",
        "journey:",
        f"  id: {journey_id}",
        f"  name: {yaml_text(name or journey_id.replace('-', ' ').replace('_', ' ').capitalize())}",
        f"  volume: {round(volume)}",
        f"  period: {period}",
        f"  cases: {log.cases}",
    ]
    if variants:
        lines.append("  variants:  # the most common paths of the log's cases, and how many cases took each")
        for trace, n in variants:
            path = [ids[a] for a in trace if a in ids]
            if trace and trace[-1] not in outcomes and unfinished_cases:
                path.append(UNFINISHED_ID)
            lines.append(f"  - {{cases: {n}, steps: [{', '.join(path)}]}}")
    starts = [(ids[a], info.starts) for a, info in sorted(activities.items()) if info.starts]
    shares = round_shares([n for _, n in starts])
    lines.append(
        "entry: {" + ", ".join(f"{i}: {_decimal(u)}" for (i, _), u in zip(starts, shares, strict=True) if u) + "}"
    )
    if owner_ids:
        lines.append("owners:")
        lines += [f"  {owner_ids[o]}: {{name: {yaml_text(o)}}}" for o in owners]
    lines.append("steps:")
    for activity in sorted(activities, key=lambda a: ids[a]):
        info = activities[activity]
        after, named = states.get(activity, ((), activity))
        step = [f"  {ids[activity]}:", f"    name: {yaml_text(named)}"]
        kind = outcomes.get(activity) or ("contact" if pattern and pattern.search(named) else None)
        if kind:
            step.append(f"    type: {kind}")
        if after:
            step.append(f"    after: [{', '.join(yaml_text(item) for item in after)}]")
        if activity not in outcomes:
            if info.resource:
                step.append(f"    owner: {owner_ids[info.resource]}")
            if info.mean_next_s is not None:
                step.append(f"    duration: {round(info.mean_next_s)}  # mean; {spread(info)}")
            row = rows[activity]
            targets = sorted(row)
            units = round_shares([row[t] for t in targets])
            pairs = ", ".join(f"{t}: {_decimal(u)}" for t, u in zip(targets, units, strict=True) if u)
            step.append(f"    next: {{{pairs}}}")
            counts = {t: row[t] for t, u in zip(targets, units, strict=True) if u}
            step.append(f"    evidence: {evidence(info.events, counts, info)}")
        else:
            step.append(f"    evidence: {evidence(info.events)}")
        lines += step
    if unfinished_cases:
        lines += [
            f"  {UNFINISHED_ID}:",
            f"    type: {unfinished}",
            '    name: "Case ended without an outcome"',
            f"    evidence: {evidence(unfinished_cases)}",
        ]
    return Discovery("\n".join(lines) + "\n", notes)


def evidence(visits: int, counts: dict[str, int] | None = None, info: Activity | None = None) -> str:
    """A step's ``evidence`` as one flow mapping: its visits, where they went, the spread of its time.

    >>> evidence(40, {"b": 30, "lost": 10}, Activity("A", 40, 40, 10, 60.0, None, 90.0, 200.0, 75.4))
    '{visits: 40, next: {b: 30, lost: 10}, duration_sd: 75}'
    """
    parts = [f"visits: {visits}"]
    if counts is not None:
        parts.append("next: {" + ", ".join(f"{t}: {n}" for t, n in counts.items()) + "}")
    if info is not None and info.sd_next_s is not None:
        parts.append(f"duration_sd: {round(info.sd_next_s)}")
    return "{" + ", ".join(parts) + "}"


def outcome_problem(log: LogSummary, success: list[str], abandon: list[str], decline: Sequence[str] = ()) -> str | None:
    """Why ``success`` and ``abandon`` cannot end the log's cases, or None when they can."""
    from cxaudit.spec import did_you_mean

    if not success:
        return "discover needs --success: an activity at which a case ends well (or 'success' in the --map file)"
    for label, names in (("--success", success), ("--abandon", abandon), ("--decline", decline)):
        for activity in names:
            if activity not in log.activities:
                return f"{label} '{activity}' is not an activity of the log{did_you_mean(activity, log.activities)}"
    return None


def ends_and_starts(log: LogSummary, shown: int = 15) -> str:
    """The activities the log's cases end and start with, most frequent first, to choose outcomes from."""
    lines = []
    for title, count in (("end", lambda a: a.ends), ("start", lambda a: a.starts)):
        ranked = sorted((a for a in log.activities.values() if count(a)), key=lambda a: (-count(a), a.name))
        lines.append(f"The log's {log.cases:,} cases {title} with:")
        width = max((len(repr(a.name)) for a in ranked[:shown]), default=0)
        for a in ranked[:shown]:
            cases = f"{count(a):>9,} {'case' if count(a) == 1 else 'cases'}"
            lines.append(f"  {a.name!r:<{width}}  {cases:<15}  {count(a) / log.cases:6.1%}")
        if len(ranked) > shown:
            lines.append(f"  ... and {len(ranked) - shown} more")
    return "\n".join(lines)


def spread(info: Activity) -> str:
    """The median and 90th percentile of a step's time, for a comment beside its mean.

    >>> spread(Activity("A", 3, 3, 0, 90.0, None, 120.0, 300.0))
    'median 1m30s, P90 5m'
    """
    return f"median {fmt.duration(info.median_next_s or 0)}, P90 {fmt.duration(info.p90_next_s or 0)}"


def log_notes(log: LogSummary) -> list[str]:
    """What a user should know about how the log was read: what was left out, and the cases' times."""
    notes = []
    if log.after_outcome:
        notes.append(f"{log.after_outcome:,} visits after their case's first outcome were left out")
    if log.lifecycle_left_out:
        notes.append(
            f"{log.lifecycle_left_out:,} lifecycle events that are not completions (start, schedule...) "
            "are not visits of their own; a start gives its visit's beginning"
        )
    if not log.timed:
        notes.append("the log has no timestamps: cases were read in file order, and no duration was set")
    if log.case_times is not None:
        times = log.case_times
        notes.append(
            f"cases take {fmt.duration(times.mean)} on average (median {fmt.duration(times.p50)}, "
            f"P90 {fmt.duration(times.p90)}) from their first visit to their last"
        )
    return notes


def _drop_rare(
    rows: dict[str, dict[str, int]], ids: dict[str, str], activities: dict, min_share: float, notes: list[str]
) -> None:
    """Drop transitions rarer than ``min_share`` of their step, unless that cuts a step off."""
    incoming: dict[str, int] = {}
    for row in rows.values():
        for target in row:
            incoming[target] = incoming.get(target, 0) + 1
    dropped = []
    for activity, row in sorted(rows.items()):
        total = sum(row.values())
        for target, n in sorted(row.items(), key=lambda item: (item[1], item[0])):
            if n / total >= min_share or len(row) == 1 or incoming.get(target, 0) <= 1:
                continue
            del row[target]
            incoming[target] -= 1
            dropped.append(f"{ids[activity]} -> {target} ({n:,} cases)")
    if dropped:
        notes.append(f"{len(dropped)} transitions under {min_share:g} of their step dropped: {', '.join(dropped[:10])}")

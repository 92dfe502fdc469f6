"""Discover a journey (format v1) from an event log summary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cxaudit import fmt
from cxaudit.journey.ids import slug, unique_slugs
from cxaudit.journey.write import journey_yaml, round_shares
from cxaudit.logs.history import START
from cxaudit.logs.read import UNFINISHED_ID
from cxaudit.logs.summary import Activity, LogSummary
from cxaudit.model import Entry, Evidence, Journey, Owner, SourceSpan, Step, Transition, Variant

PERIOD_SECONDS = {
    "day": 86_400,
    "week": 604_800,
    "month": 2_629_800,  # 30.4375 days
    "quarter": 7_889_400,
    "year": 31_557_600,
}
DIGITS = 6


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
            f"{fmt.cases(unfinished_cases)} {'ends' if unfinished_cases == 1 else 'end'} on an activity that is "
            f"not an outcome; {'it goes' if unfinished_cases == 1 else 'they go'} to '{UNFINISHED_ID}' ({unfinished})"
        )
    if min_share > 0:
        _drop_rare(rows, ids, activities, min_share, notes)

    volume = log.cases * PERIOD_SECONDS[period] / log.span_s if log.span_s > 0 else float(log.cases)
    owners = sorted({info.resource for info in activities.values() if info.resource})
    owner_ids = unique_slugs(owners)

    named = log.file.removeprefix("table:").rstrip("/").split("/")[-1]  # a file, a folder or a session's table
    journey_id = slug(journey_id or re.sub(r"\.(csv|gz|parquet|tsv|txt)$", "", named).split(".")[0])
    here = SourceSpan(log.file, 0, 0)
    steps: dict[str, Step] = {}
    duration_notes: dict[str, str] = {}
    for activity in sorted(activities, key=lambda a: ids[a]):
        info = activities[activity]
        after, named = states.get(activity, ((), activity))
        step_id = ids[activity]
        kind = outcomes.get(activity) or ("contact" if pattern and pattern.search(named) else "step")
        owner, duration, row, counts = None, None, (), {}
        if activity not in outcomes:
            owner = owner_ids[info.resource] if info.resource else None
            if info.mean_next_s is not None:
                duration = float(round(info.mean_next_s))
                duration_notes[step_id] = f"mean; {spread(info)}"
            targets = sorted(rows[activity])
            units = round_shares([rows[activity][t] for t in targets])
            row = tuple(Transition(step_id, t, u / 10**DIGITS, here) for t, u in zip(targets, units, strict=True) if u)
            counts = {t: rows[activity][t] for t, u in zip(targets, units, strict=True) if u}
            evidence = Evidence(info.events, counts, info.sd_next_s)
        else:
            evidence = Evidence(info.events, {}, None)
        steps[step_id] = _step(step_id, named, kind, owner, duration, row, here, tuple(after), evidence)
    if unfinished_cases:
        evidence = Evidence(unfinished_cases, {}, None)
        steps[UNFINISHED_ID] = _step(
            UNFINISHED_ID, "Case ended without an outcome", unfinished, None, None, (), here, (), evidence
        )
    starts = [(ids[a], info.starts) for a, info in sorted(activities.items()) if info.starts]
    shares = round_shares([n for _, n in starts])
    entry = tuple(Entry(i, u / 10**DIGITS, here) for (i, _), u in zip(starts, shares, strict=True) if u)
    paths = []
    for trace, n in variants:
        path = [ids[a] for a in trace if a in ids]
        if trace and trace[-1] not in outcomes and unfinished_cases:
            path.append(UNFINISHED_ID)
        paths.append(Variant(tuple(path), n))
    journey = Journey(
        id=journey_id,
        name=name or journey_id.replace("-", " ").replace("_", " ").capitalize(),
        description=None,
        volume=float(round(volume)),
        period=period,
        currency=None,
        value=None,
        entry=entry,
        channels={},
        owners={owner_ids[o]: Owner(owner_ids[o], o, here) for o in owners},
        steps=steps,
        file=log.file,
        span=here,
        cases=log.cases,
        variants=tuple(paths),
    )
    header = [
        f"Discovered by cxaudit from {log.file}: {fmt.cases(log.cases)}, {fmt.counted(log.events, 'visit')}.",
        *(f"{n}." for n in notes),
    ]
    return Discovery(journey_yaml(journey, header, duration_notes), notes)


def _step(
    step_id: str,
    name: str,
    kind: str,
    owner: str | None,
    duration: float | None,
    row: tuple[Transition, ...],
    span: SourceSpan,
    after: tuple[str, ...],
    evidence: Evidence,
) -> Step:
    return Step(
        id=step_id,
        name=name,
        type=kind,
        channel=None,
        owner=owner,
        effort=None,
        duration_s=duration,
        sentiment=None,
        next=row,
        ignore={},
        notes=None,
        span=span,
        after=after,
        evidence=evidence,
    )


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
        after = log.after_outcome
        was = (
            "visit after its case's first outcome was" if after == 1 else "visits after their case's first outcome were"
        )
        notes.append(f"{after:,} {was} left out")
    for role, time_format in sorted(log.time_formats.items()):
        notes.append(f"the times in column '{log.columns[role]}' were read as '{time_format}'")
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
            dropped.append(f"{ids[activity]} -> {target} ({fmt.cases(n)})")
    if dropped:
        what = f"{fmt.counted(len(dropped), 'transition')} under {min_share:g} of their step dropped"
        notes.append(f"{what}: {', '.join(dropped[:10])}")

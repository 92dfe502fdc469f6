"""Calibrate a journey from an event log, keeping the file's comments, key order and layout.

Probabilities of every step with enough observations become the observed
shares (rows rounded to four decimals that sum to exactly 1); durations
become the median time to the next event; the volume becomes cases per the
journey's period. Steps with too few observations keep their values. The
file is rewritten by ruamel.yaml's round trip, so comments and the order of
keys survive.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from cxaudit.analysis.conformance import END, map_activities
from cxaudit.discover import PERIOD_SECONDS, round_shares
from cxaudit.errors import UsageError

DIGITS = 4


@dataclass
class Calibration:
    """The calibrated text and what changed."""

    text: str
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Steps left as they were, with why."""


def _ruamel() -> Any:
    try:
        from ruamel.yaml import YAML
    except ImportError:
        raise UsageError("calibrate needs ruamel.yaml, which is not installed: pip install 'cxaudit[logs]'") from None
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _number(units: int) -> float:
    return round(units / 10**DIGITS, DIGITS)


def calibrate(
    text: str, journey: Any, log: Any, *, min_observations: int = 30, activity_map: dict[str, str] | None = None
) -> Calibration:
    """``text`` (the journey's file) with probabilities, durations and volume from ``log``."""
    yaml = _ruamel()
    document = yaml.load(text)
    conformance = map_activities(journey, log, activity_map)
    result = Calibration("")
    steps = document["steps"]
    for step_id, step in journey.steps.items():
        if step.is_outcome:
            continue
        row = {t: n for t, n in conformance.observed.get(step_id, {}).items() if t != END}
        observed = sum(row.values())
        if observed < min_observations:
            result.kept.append(f"{step_id}: {observed} observations (fewer than {min_observations})")
            continue
        targets = sorted(row)
        units = round_shares([row[t] for t in targets], DIGITS)
        new = {t: _number(u) for t, u in zip(targets, units, strict=True) if u}
        old = {t.target: t.probability for t in step.next}
        node = steps[step_id]
        current = node.get("next")
        if current is None or not hasattr(current, "keys"):
            from ruamel.yaml.comments import CommentedMap

            current = CommentedMap()
            current.fa.set_flow_style()
            node["next"] = current
        for target in list(current.keys()):
            if target not in new:
                del current[target]
        for target, probability in new.items():
            current[target] = probability
        for target in sorted(set(old) | set(new)):
            before, after = old.get(target), new.get(target)
            if before is None or after is None or abs(before - after) >= 10**-DIGITS / 2:
                shown_before = "-" if before is None else f"{before:g}"
                shown_after = "-" if after is None else f"{after:g}"
                result.changes.append(f"steps.{step_id}.next.{target}: {shown_before} -> {shown_after}")
    by_step = {conformance.mapping[a]: info for a, info in log.activities.items() if a in conformance.mapping}
    for step_id, info in sorted(by_step.items()):
        step = journey.steps[step_id]
        if step.is_outcome or info.median_next_s is None:
            continue
        seconds = round(info.median_next_s)
        if step.duration_s is None or abs(step.duration_s - seconds) >= 1:
            steps[step_id]["duration"] = seconds
            before = "-" if step.duration_s is None else f"{step.duration_s:g}"
            result.changes.append(f"steps.{step_id}.duration: {before} -> {seconds}")
    period = journey.period if journey.period in PERIOD_SECONDS else None
    if period and log.span_s > 0:
        volume = round(log.cases * PERIOD_SECONDS[period] / log.span_s)
        if volume != round(journey.volume):
            document["journey"]["volume"] = volume
            result.changes.append(f"journey.volume: {journey.volume:g} -> {volume}")
    elif not period:
        result.kept.append(f"journey.volume: the period '{journey.period}' has no fixed length")
    stream = io.StringIO()
    yaml.dump(document, stream)
    result.text = stream.getvalue()
    return result

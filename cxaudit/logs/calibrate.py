"""Calibrate a journey from an event log, keeping the file's comments, key order and layout.

Probabilities of every step with enough observations become the observed
shares (rows rounded to four decimals that sum to exactly 1); durations
become the mean time from a visit's beginning to the next one's; the volume
becomes cases per the journey's period. Cases end at their first outcome
(:mod:`cxaudit.logs.read`), and cases that end elsewhere go to the journey's
``ended_without_outcome`` step when it has one. Steps with too few observations keep their values. The
file is rewritten by ruamel.yaml's round trip, so comments and the order of
keys survive.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from cxaudit import fmt
from cxaudit.analysis.conformance import END, map_activities
from cxaudit.errors import UsageError
from cxaudit.journey.write import round_shares
from cxaudit.logs.discover import PERIOD_SECONDS
from cxaudit.logs.read import UNFINISHED_ID

DIGITS = 4


@dataclass
class Calibration:
    """The calibrated text and what changed."""

    text: str
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Steps left as they were, with why."""
    log: Any = None
    """The log's summary the journey was calibrated from."""


def _ruamel() -> Any:
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.resolver import VersionedResolver
    except ImportError:
        raise UsageError("calibrate needs ruamel.yaml, which is not installed: pip install 'cxaudit[logs]'") from None

    class TextResolver(VersionedResolver):  # type: ignore[misc]
        """Plain scalars stay the text they are written as, as cxaudit reads keys.

        A step id such as ``1``, ``true``, ``0x1`` or ``2026-01-01`` is a step
        id, not a number, a boolean or a date (ruamel's typed keys made
        ``true`` and ``0x1`` one key); values are written back as they were.
        Only an empty value stays null, so an empty ``next:`` stays empty.
        """

        @property
        def versioned_resolver(self) -> dict[str, Any]:
            return {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode and implicit[0] and value == "":
                return "tag:yaml.org,2002:null"
            return super().resolve(kind, value, implicit)

    yaml = YAML()
    yaml.Resolver = TextResolver
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _shared(steps: Any) -> set[int]:
    """Ids of the step mappings and ``next`` mappings that YAML aliases give to more than one step."""
    seen: set[int] = set()
    shared: set[int] = set()
    for node in steps.values():
        for value in (node, node.get("next") if hasattr(node, "get") else None):
            if hasattr(value, "keys"):
                (shared if id(value) in seen else seen).add(id(value))
    return shared


def _own(container: Any, key: str, shared: set[int]) -> Any:
    """``container[key]``, first made this step's own when an alias shares it with another step.

    The copy has no anchor: the aliases of other steps still mean the original.
    """
    import copy

    value = container[key]
    if id(value) not in shared:
        return value
    mine = copy.deepcopy(value)
    for node in (mine, *(v for v in mine.values() if hasattr(v, "keys"))):
        if getattr(node, "anchor", None) is not None and node.anchor.value is not None:
            node.yaml_set_anchor(None)
            node.anchor.value = None
    container[key] = mine
    return mine


def _number(units: int) -> float:
    return round(units / 10**DIGITS, DIGITS)


def _write_next(
    steps: Any,
    step_id: str,
    shared: set[int],
    old: dict[str, float],
    new: dict[str, float],
    changed: list[str],
    result: Calibration,
) -> None:
    """Write the step's new ``next`` into the document, and say what changed."""
    node = _own(steps, step_id, shared)
    current = node.get("next")
    if current is None or not hasattr(current, "keys"):
        from ruamel.yaml.comments import CommentedMap

        current = CommentedMap()
        current.fa.set_flow_style()
        node["next"] = current
    else:
        current = _own(node, "next", shared)
    for target in list(current.keys()):
        if target not in new:
            del current[target]
    for target, probability in new.items():
        current[target] = repr(probability)
    for target in changed:
        before, after = old.get(target), new.get(target)
        shown_before = "-" if before is None else f"{before:g}"
        shown_after = "-" if after is None else f"{after:g}"
        result.changes.append(f"steps.{step_id}.next.{target}: {shown_before} -> {shown_after}")


def _evidence(
    steps: Any,
    step_id: str,
    shared: set[int],
    journey: Any,
    log: Any,
    conformance: Any,
    counts: dict[str, int] | None,
    result: Calibration,
) -> None:
    """Write the step's ``evidence`` from the log (as discover writes it) where it differs from the file's.

    ``counts`` are the transitions the step's probabilities now come from;
    None for an outcome, whose evidence is its visits alone.
    """
    from cxaudit.journey.write import evidence_text
    from cxaudit.model import Evidence

    infos = [info for a, info in log.activities.items() if conformance.mapping.get(a) == step_id]
    visits = sum(info.events for info in infos)
    if not visits:
        return
    timed = infos[0] if len(infos) == 1 and counts is not None else None
    spread = None if timed is None or timed.sd_next_s is None else round(timed.sd_next_s)
    old = journey.steps[step_id].evidence
    if old is not None:
        written = None if old.duration_sd is None else round(old.duration_sd)
        if (old.visits, dict(old.next), written) == (visits, counts or {}, spread):
            return
    text = evidence_text(Evidence(visits, counts or {}, None if timed is None else timed.sd_next_s))
    _own(steps, step_id, shared)["evidence"] = _ruamel().load(f"evidence: {text}")["evidence"]  # one flow mapping
    result.changes.append(f"steps.{step_id}.evidence: {'-' if old is None else 'updated'} -> {text}")


def calibrate(
    text: str, journey: Any, log: Any, *, min_observations: int = 30, activity_map: dict[str, str] | None = None
) -> Calibration:
    """``text`` (the journey's file) with probabilities, durations and volume from ``log``.

    Steps that share a mapping through a YAML alias are calibrated apart: a
    step that changes gets its own copy, and the others keep theirs.

    Raises
    ------
    UsageError
        The journey is not a YAML file (a BPMN model), or ruamel.yaml is missing.
    """
    if getattr(next(iter(journey.steps.values()), None), "origin", None) is not None:
        raise UsageError(
            f"{journey.file} is a BPMN model; calibrate rewrites YAML journeys: import it first "
            f"(cxaudit import bpmn {journey.file} -o journey.yaml) and calibrate that"
        )
    yaml = _ruamel()
    document = yaml.load(text)
    conformance = map_activities(journey, log, activity_map)
    log = conformance.log
    result = Calibration("", log=log)
    steps = document["steps"]
    shared = _shared(steps)
    for step_id, step in journey.steps.items():
        if step.is_outcome:
            continue
        row = {t: n for t, n in conformance.observed.get(step_id, {}).items() if t != END}
        ended = conformance.observed.get(step_id, {}).get(END, 0)
        if ended:
            result.kept.append(
                f"{step_id}: {fmt.cases(ended)} {'ends' if ended == 1 else 'end'} there without an outcome, and the "
                f"journey has no '{UNFINISHED_ID}' step for them"
            )
        observed = sum(row.values())
        if observed < min_observations:
            result.kept.append(f"{step_id}: {observed} observations (fewer than {min_observations})")
            continue
        targets = sorted(row)
        units = round_shares([row[t] for t in targets], DIGITS)
        new = {t: _number(u) for t, u in zip(targets, units, strict=True) if u}
        old = {t.target: t.probability for t in step.next}
        # A probability changes when it is off the observed share by half a unit
        # of the written precision: one written from this log (by discover, to
        # more digits) stays as it is.
        changed = [
            target
            for target in sorted(set(old) | set(new))
            if old.get(target) is None
            or new.get(target) is None
            or abs(old[target] - row[target] / observed) >= 10**-DIGITS / 2
        ]
        if changed:
            _write_next(steps, step_id, shared, old, new, changed, result)
        _evidence(steps, step_id, shared, journey, log, conformance, {t: row[t] for t in new}, result)
    for step_id, step in journey.steps.items():
        if step.is_outcome:
            _evidence(steps, step_id, shared, journey, log, conformance, None, result)
    by_step = {conformance.mapping[a]: info for a, info in log.activities.items() if a in conformance.mapping}
    for step_id, info in sorted(by_step.items()):
        step = journey.steps[step_id]
        if step.is_outcome or info.mean_next_s is None:
            continue
        seconds = round(info.mean_next_s)
        if step.duration_s is None or abs(step.duration_s - seconds) >= 1:
            _own(steps, step_id, shared)["duration"] = str(seconds)
            before = "-" if step.duration_s is None else f"{step.duration_s:g}"
            result.changes.append(f"steps.{step_id}.duration: {before} -> {seconds}")
    period = journey.period if journey.period in PERIOD_SECONDS else None
    if period and log.span_s > 0:
        volume = round(log.cases * PERIOD_SECONDS[period] / log.span_s)
        if volume != round(journey.volume):
            document["journey"]["volume"] = str(volume)
            result.changes.append(f"journey.volume: {journey.volume:g} -> {volume}")
    elif not period:
        result.kept.append(f"journey.volume: the period '{journey.period}' has no fixed length")
    if journey.cases != log.cases:  # the sample the numbers now come from
        document["journey"]["cases"] = str(log.cases)
        before = "-" if journey.cases is None else f"{journey.cases}"
        result.changes.append(f"journey.cases: {before} -> {log.cases}")
    stream = io.StringIO()
    yaml.dump(document, stream)
    result.text = stream.getvalue()
    return result

"""A step's evidence: what the event log it was learned from showed of it.

``discover`` and ``calibrate`` write it; audit, report and compare read it
to give every figure an interval (:mod:`cxaudit.analysis.intervals`). A
journey written by hand has none and prints as it always did.

.. code-block:: yaml

    evidence: {visits: 1204, next: {review: 980, lost: 224}, duration_sd: 5400}

``visits`` counts the visits to the step in the log's cases, ``next`` how
many of them went on to each step, and ``duration_sd`` is the standard
deviation of the step's time over those visits, in seconds (the spread its
mean ``duration`` was averaged from).
"""

from __future__ import annotations

from typing import Any

from cxaudit.journey.kinds import (
    _SLUG_RE,
    INVALID,
    LARGEST,
    SLUG,
    Context,
    Duration,
    Integer,
    Kind,
    did_you_mean,
    show,
)
from cxaudit.journey.tree import YMap, YSeq
from cxaudit.model import Evidence, Variant

__all__ = ["EvidenceKind", "VariantsKind"]

_COUNT = Integer(0, int(LARGEST))
_CASES = Integer(1, int(LARGEST))
_SPREAD = Duration()
_FIELDS = ("visits", "next", "duration_sd")


class EvidenceKind(Kind):
    """``{visits: N, next: {step id: N}, duration_sd: seconds}``, every field optional."""

    described = "a mapping of visits, next (step id to count) and duration_sd"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "visits": {"description": "Visits to the step in the log's cases.", **_COUNT.schema()},
                "next": {
                    "description": "How many of those visits went on to each step: step id to count.",
                    "type": "object",
                    "propertyNames": {"pattern": SLUG},
                    "additionalProperties": _COUNT.schema(),
                },
                "duration_sd": {
                    "description": "Standard deviation of the step's time over the visits, in seconds.",
                    **_SPREAD.schema(),
                },
            },
            "additionalProperties": False,
        }

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if not isinstance(value, YMap):
            return self.reject(value, raw, ctx, where, path)
        valid = True
        visits = spread = None
        counts: dict[str, int] = {}
        for key, item in value.items():
            key_path = f"{path}.{key}"
            if key == "visits":
                visits = _COUNT.convert(item, value.text(key), ctx, value.where(key), key_path)
                valid &= visits is not INVALID
            elif key == "duration_sd":
                spread = _SPREAD.convert(item, value.text(key), ctx, value.where(key), key_path)
                valid &= spread is not INVALID
            elif key == "next":
                counts, ok = _counts(item, value.text(key), ctx, value.where(key), key_path)
                valid &= ok
            else:
                known = did_you_mean(key, _FIELDS)
                ctx.add(value.where_key(key), f"unknown field '{key}' in evidence{known}", key_path)
                valid = False
        return Evidence(visits, counts, spread) if valid else INVALID


def _counts(
    value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str
) -> tuple[dict[str, int], bool]:
    if not isinstance(value, YMap):
        ctx.add(where, f"'next' must be a mapping of step id to count, not {show(value, raw)}", path)
        return {}, False
    counts: dict[str, int] = {}
    valid = True
    for target, count in value.items():
        target_path = f"{path}.{target}"
        if not _SLUG_RE.match(target):
            ctx.add(value.where_key(target), f"'{target}' is not a step id", target_path)
            valid = False
            continue
        number = _COUNT.convert(count, value.text(target), ctx, value.where(target), target_path)
        if number is INVALID:
            valid = False
        else:
            counts[target] = number
    return counts, valid


class VariantsKind(Kind):
    """``[{cases: N, steps: [step id, ...]}, ...]``: the log's most common paths, most common first."""

    described = "a list of {cases, steps} mappings"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "cases": {"description": "The cases that took the path.", **_CASES.schema()},
                    "steps": {
                        "description": "The steps of the path, in order, its outcome last.",
                        "type": "array",
                        "items": {"type": "string", "pattern": SLUG},
                        "minItems": 1,
                    },
                },
                "required": ["cases", "steps"],
                "additionalProperties": False,
            },
        }

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if not isinstance(value, YSeq):
            return self.reject(value, raw, ctx, where, path)
        out = []
        valid = True
        for number, item in enumerate(value):
            item_path = f"{path}[{number}]"
            item_where = value.item_pos[number] if number < len(value.item_pos) else where
            if not isinstance(item, YMap) or set(item) != {"cases", "steps"}:
                found = f"the keys {', '.join(map(repr, item))}" if isinstance(item, YMap) else show(item)
                ctx.add(item_where, f"each variant is {{cases: N, steps: [step ids]}}, not {found}", item_path)
                valid = False
                continue
            cases = _CASES.convert(item["cases"], item.text("cases"), ctx, item.where("cases"), f"{item_path}.cases")
            steps = item["steps"]
            if not isinstance(steps, YSeq) or not steps or not all(_is_id(step) for step in steps):
                ctx.add(item.where("steps"), "'steps' must be a list of step ids", f"{item_path}.steps")
                valid = False
                continue
            if cases is INVALID:
                valid = False
                continue
            out.append(Variant(tuple(steps), cases))
        return tuple(out) if valid else INVALID


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _SLUG_RE.match(value) is not None

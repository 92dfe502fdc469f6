"""The journey format v1, defined once.

Every field of the format is declared here with its kind, whether it is
required, and its description. The loader validates documents against these
declarations and :mod:`cxaudit.schema` generates the JSON Schema from the
same ones, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cxaudit.journey.evidence import EvidenceKind, VariantsKind
from cxaudit.journey.kinds import (
    _SLUG_RE,
    CURRENCY,
    INVALID,
    LARGEST,
    SLOW,
    SLUG,
    STEP_TYPES,
    Boolean,
    Choice,
    Context,
    Duration,
    Entry,
    Ignores,
    Integer,
    Kind,
    Names,
    Number,
    Pattern,
    Reference,
    Shares,
    Text,
    did_you_mean,
    show,
)
from cxaudit.journey.kinds import FORMAT_VERSION as FORMAT_VERSION
from cxaudit.journey.kinds import OUTCOME_TYPES as OUTCOME_TYPES
from cxaudit.journey.tree import YMap


@dataclass(frozen=True)
class Field:
    """One field of an object in the format."""

    name: str
    kind: Kind
    description: str
    required: bool = False


@dataclass(frozen=True)
class ObjectSpec:
    """An object of the format: its fields, and what to call it in messages."""

    what: str
    fields: tuple[Field, ...]
    description: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @cached_property
    def quick(self) -> dict[str, Callable[[Any], Any]]:
        """The fields whose kind has a quick converter (:meth:`Kind.quick`), by name."""
        out = {}
        for spec_field in self.fields:
            convert = spec_field.kind.quick()
            if convert is not None:
                out[spec_field.name] = convert
        return out


JOURNEY = ObjectSpec(
    "journey",
    (
        Field(
            "id",
            Pattern(SLUG, "a slug: lowercase letters, digits, '-' and '_', starting with a letter or digit"),
            "Identifier of the journey: lowercase letters, digits, '-' and '_'.",
            required=True,
        ),
        Field("name", Text(), "Name of the journey, shown in reports.", required=True),
        Field("description", Text(), "What the journey is, in a sentence."),
        Field("volume", Number(0, LARGEST), "Customers entering the journey per period (default 1)."),
        Field("period", Text(), "The period that volume counts, used in reports (default 'period')."),
        Field(
            "currency",
            Pattern(CURRENCY, "a three-letter ISO 4217 code such as EUR"),
            "ISO 4217 currency code of costs and value, used in reports.",
        ),
        Field("value", Number(0, LARGEST), "Value of one successful completion, in the journey's currency."),
        Field(
            "cases",
            Integer(1, int(LARGEST)),
            "The cases of the event log the journey's numbers were learned from (discover and calibrate write "
            "it); the backtest's intervals allow for that sample.",
        ),
        Field(
            "variants",
            VariantsKind(),
            "The most common paths of the log's cases (discover writes them), most common first: each its "
            "cases and its steps, start to outcome. Reports show them beside the most probable path, with the "
            "share of cases that took each and the share the journey predicts.",
        ),
    ),
    "What the journey is and how many customers take it.",
)

CHANNEL = ObjectSpec(
    "channel",
    (
        Field("name", Text(), "Display name of the channel."),
        Field(
            "assisted",
            Boolean(),
            "True when a person of the organisation serves the customer (phone, chat, branch); default false.",
        ),
        Field("cost", Number(0, LARGEST), "Cost of one contact in this channel, in the journey's currency."),
    ),
    "A channel where steps happen.",
)

OWNER = ObjectSpec(
    "owner",
    (Field("name", Text(), "Display name of the team."),),
    "A team accountable for steps.",
)

STEP = ObjectSpec(
    "step",
    (
        Field("name", Text(), "What the customer does, in the customer's words.", required=True),
        Field(
            "type",
            Choice(STEP_TYPES),
            "step (default); contact: the customer reaches out to the organisation; "
            "success, abandon (the customer gives up) and decline (the organisation decides no: declined, "
            "rejected) are outcomes and end the journey.",
        ),
        Field("channel", Reference("channel"), "Channel id where the step happens."),
        Field("owner", Reference("owner"), "Owner id of the team accountable for the step."),
        Field("effort", Integer(1, 5), "Customer effort, 1 very low to 5 very high (CES scale)."),
        Field(
            "duration",
            Duration(),
            "The customer's time on the step, waiting included: seconds, or 30s, 3m, 2h, 1d, 1h30m.",
        ),
        Field("sentiment", Integer(-2, 2), "How the customer feels, -2 very negative to 2 very positive."),
        Field(
            "next",
            Shares("probabilities"),
            "Where customers go next: step id to probability, summing to 1. Forbidden on outcomes; "
            "a step or contact without it is a dead end.",
        ),
        Field("ignore", Ignores(), "Rules suppressed on this step: rule code to the reason, shown in reports."),
        Field("notes", Text(), "Free text, carried into reports."),
        Field(
            "logged",
            Boolean(),
            "For an outcome: false when event logs record no event for it (a process model's end event), so that "
            "a case ending at a step that leads to it reached it; default true.",
        ),
        Field(
            "after",
            Names(),
            "For a step that depends on where customers came from (discover --history): the activities "
            'visited just before it, oldest first; "(start)" first when the case began there. The step '
            "stands for the activity named by its name after that history.",
        ),
        Field(
            "evidence",
            EvidenceKind(),
            "What the event log the step was learned from showed of it (discover and calibrate write it): "
            "visits, next (how many of those visits went on to each step) and duration_sd (the spread of "
            "the step's time, in seconds). Audit, report and compare give intervals from it.",
        ),
    ),
    "One step of the journey.",
)

ROOT_FIELDS = ("cxaudit", "journey", "entry", "channels", "owners", "steps")
ROOT_DESCRIPTIONS = {
    "cxaudit": "Format version; this is version 1.",
    "journey": JOURNEY.description,
    "entry": "Where customers start: one step id, or step id to share, summing to 1.",
    "channels": "Catalog of channels: channel id to channel. Where given, steps may name only these.",
    "owners": "Catalog of owners: owner id to team. Where given, steps may name only these.",
    "steps": "The steps: step id to step.",
}
ENTRY = Entry()


def check_object(
    data: YMap, spec: ObjectSpec, ctx: Context, path: str, label: str, where: tuple[int, int]
) -> dict[str, Any]:
    """Validate the fields of one object; returns the valid ones converted."""
    out: dict[str, Any] = {}
    fields = spec.by_name
    quick = spec.quick
    raw = data.raw
    value_pos = data.value_pos
    prefix = f"{path}." if path else ""
    for key, value in data.items():
        convert = quick.get(key)
        if convert is not None:  # the usual value of the field, converted without its position and path
            converted = convert(value)
            if converted is not SLOW:
                out[key] = converted
                continue
        spec_field = fields.get(key)
        if spec_field is None:
            ctx.add(
                data.where_key(key), f"unknown field '{key}' in {label}{did_you_mean(key, spec.names)}", prefix + key
            )
            continue
        if value is None:
            continue
        converted = spec_field.kind.convert(
            value, raw.get(key) if raw else None, ctx, value_pos.get(key, where), prefix + key
        )
        if converted is not INVALID:
            out[key] = converted
    for name in spec.required:
        if data.get(name) is None:
            ctx.add(where, f"{label} has no '{name}'; it is required", prefix + name)
    return out


def expect_map(value: Any, ctx: Context, where: tuple[int, int], path: str, described: str) -> YMap | None:
    """``value`` if it is a mapping; else a problem and None."""
    if isinstance(value, YMap):
        return value
    if value is None:
        return None
    ctx.add(where, f"'{path.rsplit('.', 1)[-1]}' must be {described}, not {show(value)}", path)
    return None


def check_slug(key: str, ctx: Context, where: tuple[int, int], path: str, what: str) -> bool:
    """True if ``key`` is a valid id; else records a problem."""
    if _SLUG_RE.match(key):
        return True
    ctx.add(
        where,
        f"{what} id '{key}' must be a slug: lowercase letters, digits, '-' and '_', starting with a letter or digit",
        path,
    )
    return False

"""The kinds of value the journey format's fields hold, and the helpers they share.

A kind validates one value, converts it, and describes it to JSON Schema;
:mod:`cxaudit.spec` declares which field has which kind.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cxaudit.errors import Problem
from cxaudit.journey.tree import YMap, YSeq

FORMAT_VERSION = 1
SLUG = r"^[a-z0-9][a-z0-9_-]*$"
RULE_CODE = r"^[A-Z]{2}[0-9]{2}$"
CURRENCY = r"^[A-Z]{3}$"
DURATION = r"^(?:\d+(?:\.\d+)?|(?=\d)(?:\d+(?:\.\d+)?d)?(?:\d+(?:\.\d+)?h)?(?:\d+(?:\.\d+)?m)?(?:\d+(?:\.\d+)?s)?)$"
PROBABILITY_TOLERANCE = 1e-6
LARGEST = 1e12
"""The largest volume, amount of money or number of seconds a journey may state:
more than any organisation needs, and small enough that no figure made of their
products (customers x visits x cost) overflows a float."""
STEP_TYPES = ("step", "contact", "success", "abandon", "decline")
OUTCOME_TYPES = ("success", "abandon", "decline")

_SLUG_RE = re.compile(SLUG)
_CODE_RE = re.compile(RULE_CODE)
_CURRENCY_RE = re.compile(CURRENCY)
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)([dhms]?)")
_DURATION_FULL = re.compile(DURATION)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
"""Returned by a kind for a value it rejected (the problem is recorded)."""
SLOW: Any = type("Slow", (), {"__repr__": lambda self: "SLOW"})()
"""What a quick converter returns for a value it leaves to the full conversion."""


def closest(word: str, choices: Any) -> str | None:
    """The choice most like ``word``, if one is close enough to suggest."""
    best, best_score = None, 0.6
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    for choice in sorted(choices):  # the first of equally close choices wins
        matcher.set_seq1(choice)
        if matcher.real_quick_ratio() >= best_score and matcher.quick_ratio() >= best_score:
            score = matcher.ratio()
            if score > best_score or (best is None and score >= best_score):
                best, best_score = choice, score
    return best


def did_you_mean(word: str, choices: Any) -> str:
    """``"; did you mean 'x'?"`` or nothing."""
    if word == "<<":
        return "; merge keys ('<<') are not supported, write the fields out"
    match = closest(word, choices)
    return f"; did you mean '{match}'?" if match else ""


def show(value: Any, raw: str | None = None) -> str:
    """A value as the user wrote it, for messages."""
    if raw is not None:
        return f"'{raw}'" if raw == "" else raw
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, YMap | dict):
        return "a mapping"
    if isinstance(value, YSeq | list):
        return "a list"
    return repr(value)


def format_number(value: float) -> str:
    """A sum or share, shortest form, rounded past float noise."""
    return f"{round(value, 9):.10g}"


def parse_duration(value: Any) -> float | None:
    """Seconds in a duration, or None if it is not one.

    >>> [parse_duration(v) for v in (90, "30s", "3m", "2h", "1d", "1h30m", "90", "soon")]
    [90.0, 30.0, 180.0, 7200.0, 86400.0, 5400.0, 90.0, None]
    """
    if value.__class__ is str:
        seconds = _DURATIONS.get(value, _UNSEEN)
        if seconds is _UNSEEN:  # a journey repeats a few durations on every step
            if len(_DURATIONS) > 10_000:
                _DURATIONS.clear()
            seconds = _DURATIONS[value] = _text_duration(value)
        return seconds
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if _finite(value) and 0 <= value <= LARGEST else None
    if not isinstance(value, str):
        return None
    return _text_duration(value)


def _finite(value: float) -> bool:
    """True for a number that is neither infinite nor NaN, and that a float can hold."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer of more than 308 digits
        return False


_DURATIONS: dict[str, Any] = {}
_UNSEEN: Any = object()


def _text_duration(value: str) -> float | None:
    text = value.strip()
    if not text or not _DURATION_FULL.match(text):
        return None
    seconds = 0.0
    for number, unit in _DURATION_RE.findall(text):
        seconds += float(number) * _UNIT_SECONDS[unit]
    return seconds if seconds <= LARGEST else None


@dataclass
class Context:
    """Collects problems while one document is validated."""

    name: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: tuple[int, int], message: str, path: str) -> None:
        self.problems.append(Problem(self.name, where[0], where[1], message, path))


class Kind:
    """What a field holds: validates a value and describes it to JSON Schema."""

    described = "a value"

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        raise NotImplementedError

    def quick(self) -> Callable[[Any], Any] | None:
        """A converter of the usual, valid values alone, for :func:`check_object`: it
        returns what :meth:`convert` would, or :data:`SLOW` for anything else (which
        then takes :meth:`convert`, with its position and path for a problem). None
        for a kind without one."""
        return None

    def reject(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        label = path.rsplit(".", 1)[-1]
        ctx.add(where, f"'{label}' must be {self.described}, not {show(value, raw)}", path)
        return INVALID


class Text(Kind):
    described = "text"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}

    def quick(self) -> Callable[[Any], Any]:
        return lambda value: value if value.__class__ is str and value.strip() else SLOW

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, str) and value.strip():
            return value
        if raw:  # a plain 2024 or yes: the user meant the text
            return raw
        return self.reject(value, raw, ctx, where, path)


@dataclass
class Pattern(Kind):
    pattern: str
    described: str  # type: ignore[misc]

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self.pattern}

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        text = value if isinstance(value, str) else raw
        if text is not None and re.match(self.pattern, text):
            return text
        return self.reject(value, raw, ctx, where, path)


@dataclass
class Integer(Kind):
    minimum: int
    maximum: int

    @property
    def described(self) -> str:  # type: ignore[override]
        return f"a whole number from {self.minimum} to {self.maximum}"

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}

    def quick(self) -> Callable[[Any], Any]:
        low, high = self.minimum, self.maximum
        return lambda value: value if value.__class__ is int and low <= value <= high else SLOW

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum:
            return value
        return self.reject(value, raw, ctx, where, path)


@dataclass
class Number(Kind):
    minimum: float = 0.0
    maximum: float | None = None

    @property
    def described(self) -> str:  # type: ignore[override]
        if self.maximum is None:
            return f"a number of at least {self.minimum:g}"
        high = f"{self.maximum:.0e}".replace("e+", "e") if self.maximum >= 1e6 else f"{self.maximum:g}"
        return f"a number from {self.minimum:g} to {high}"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number", "minimum": self.minimum}
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out

    def quick(self) -> Callable[[Any], Any]:
        low, high = self.minimum, math.inf if self.maximum is None else self.maximum

        def number(value: Any) -> Any:
            kind = value.__class__
            if (kind is float or kind is int) and low <= value <= high and _finite(value):
                return float(value)
            return SLOW

        return number

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and _finite(value)
            and value >= self.minimum
            and (self.maximum is None or value <= self.maximum)
        ):
            return float(value)
        return self.reject(value, raw, ctx, where, path)


class Boolean(Kind):
    described = "true or false"

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def quick(self) -> Callable[[Any], Any]:
        return lambda value: value if value.__class__ is bool else SLOW

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, bool):
            return value
        return self.reject(value, raw, ctx, where, path)


class Names(Kind):
    """A list of names (non-empty text), in order."""

    described = "a list of activity names"

    def schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, YSeq) and value and all(isinstance(item, str) and item.strip() for item in value):
            return tuple(value)
        if isinstance(value, YSeq) and not value:
            ctx.add(where, f"'{path.rsplit('.', 1)[-1]}' must name at least one activity", path)
            return INVALID
        return self.reject(value, raw, ctx, where, path)


@dataclass
class Choice(Kind):
    choices: tuple[str, ...]

    @property
    def described(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.choices)

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def quick(self) -> Callable[[Any], Any]:
        choices = frozenset(self.choices)
        return lambda value: value if value.__class__ is str and value in choices else SLOW

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, str) and value in self.choices:
            return value
        label = path.rsplit(".", 1)[-1]
        hint = did_you_mean(value, self.choices) if isinstance(value, str) else ""
        ctx.add(where, f"'{label}' must be {self.described}, not {show(value, raw)}{hint}", path)
        return INVALID


class Duration(Kind):
    described = "seconds or a duration such as 30s, 3m, 2h, 1d or 1h30m, up to 1e12 seconds"

    def schema(self) -> dict[str, Any]:
        return {
            "oneOf": [
                {"type": "number", "minimum": 0, "maximum": LARGEST},
                {"type": "string", "pattern": DURATION},
            ]
        }

    def quick(self) -> Callable[[Any], Any]:
        def seconds(value: Any) -> Any:
            found = parse_duration(value)
            return SLOW if found is None else found

        return seconds

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        seconds = parse_duration(value)
        if seconds is None:
            return self.reject(value, raw, ctx, where, path)
        return seconds


@dataclass
class Reference(Kind):
    """The id of a step, channel or owner; existence is checked afterwards."""

    target: str

    @property
    def described(self) -> str:  # type: ignore[override]
        article = "an" if self.target[0] in "aeiou" else "a"
        return f"{article} {self.target} id (lowercase letters, digits, '-' and '_')"

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": SLUG}

    def quick(self) -> Callable[[Any], Any]:
        slug = _SLUG_RE.match
        return lambda value: value if value.__class__ is str and slug(value) else SLOW

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        text = value if isinstance(value, str) else raw
        if text and _SLUG_RE.match(text):
            return text
        return self.reject(value, raw, ctx, where, path)


class Shares(Kind):
    """A map {step id: probability} whose values sum to 1."""

    described = "a mapping of step id to probability"

    def __init__(self, what: str) -> None:
        self.what = what  # "probabilities" or "shares"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "propertyNames": {"pattern": SLUG},
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        }

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if value is None:
            return {}
        if not isinstance(value, YMap):
            return self.reject(value, raw, ctx, where, path)
        out: dict[str, tuple[float, tuple[int, int]]] = {}
        total = 0.0
        valid = True
        key_pos = value.key_pos
        for target, probability in value.items():
            if probability.__class__ is float and 0.0 <= probability <= 1.0:  # the usual case, checked fast
                number = probability
            else:
                key_path = f"{path}.{target}"
                number = _PROBABILITY.convert(probability, value.text(target), ctx, value.where(target), key_path)
                if number is INVALID:
                    valid = False
                    continue
            out[target] = (number, key_pos[target])
            total += number
        if valid and out and abs(total - 1.0) > PROBABILITY_TOLERANCE:
            ctx.add(where, f"{self.what} of {path} sum to {format_number(total)}, not 1", path)
        elif total != 1.0 and total > 0.0:
            # Within the tolerance, but a loop repeats the gap on every turn (a row
            # of 1.0000005 in a loop left no customer finishing): the row is scaled
            # to sum to exactly 1, as the author meant.
            out = {target: (number / total, pos) for target, (number, pos) in out.items()}
        return out


class _Probability(Number):
    def reject(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        ctx.add(where, f"probability must be a number from 0 to 1, not {show(value, raw)}", path)
        return INVALID


_PROBABILITY = _Probability(0.0, 1.0)


class Entry(Kind):
    """One step id, or a map {step id: share} summing to 1."""

    described = "a step id or a mapping of step id to share"

    def __init__(self) -> None:
        self.shares = Shares("shares")

    def schema(self) -> dict[str, Any]:
        return {"oneOf": [{"type": "string", "pattern": SLUG}, self.shares.schema()]}

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if isinstance(value, YMap):
            shares = self.shares.convert(value, raw, ctx, where, path)
            if shares is not INVALID and not shares:
                ctx.add(where, "'entry' is empty; name the step where customers start", path)
                return INVALID
            return shares
        text = value if isinstance(value, str) else raw
        if text:
            return {text: (1.0, where)}
        return self.reject(value, raw, ctx, where, path)


class Ignores(Kind):
    """A map {rule code: reason}."""

    described = "a mapping of rule code to the reason for ignoring it"

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "propertyNames": {"pattern": RULE_CODE},
            "additionalProperties": {"type": "string", "minLength": 1},
        }

    def convert(self, value: Any, raw: str | None, ctx: Context, where: tuple[int, int], path: str) -> Any:
        if not isinstance(value, YMap):
            return self.reject(value, raw, ctx, where, path)
        out: dict[str, str] = {}
        for code, reason in value.items():
            code_path = f"{path}.{code}"
            if not _CODE_RE.match(code):
                ctx.add(
                    value.where_key(code),
                    f"'{code}' is not a rule code (two capital letters and two digits, such as FR03)",
                    code_path,
                )
                continue
            text = reason if isinstance(reason, str) else value.text(code)
            if not text or not text.strip():
                ctx.add(
                    value.where(code), f"ignoring {code} needs a reason; say why the finding is accepted", code_path
                )
                continue
            out[code] = text
        return out

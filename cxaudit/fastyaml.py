"""A fast reader for the plain YAML that journeys are written in.

Most journey files use a small part of YAML: block mappings indented with
spaces, plain scalars, simple quoted strings, and one-line flow mappings and
lists of plain scalars, nested or not (``next: {pay: 0.9, lost: 0.1}``).
This module reads exactly that part several times faster than consuming a
YAML parser's events in Python, and builds the same
:class:`~cxaudit.yamlread.YMap` values with the same positions as
:func:`cxaudit.journey.read.read_yaml`'s full reader. The common lines
(``key: value``, ``key:`` and ``key: {k: v, k: v}``) are split by one pass
of the regex engine over the whole text; only the others are matched one
by one.

It never decides anything the full reader would decide differently: the
moment a line is outside the subset (a list item, a block or multi-line
scalar, an anchor, a tag, an escape, a duplicate key, a document marker, a
tab, a value over a limit, anything it is not sure of) it gives up and
returns ``None``, and the caller reads the text again with the full reader,
which reports errors and duplicate keys with its own positions and words.
Scalars are resolved by the full reader's own function, so ``yes``, ``1.5``
or ``1e-3`` mean the same on both paths. A property test and every fixture
of the suite check both paths give identical documents.
"""

from __future__ import annotations

import re
from typing import Any

from cxaudit.yamlread import Document, Limits, YMap, YSeq, plain_scalar

__all__ = ["read_fast"]

# A block mapping entry: indentation, a plain key (no character YAML could
# read as anything but text inside a key), the colon, then the rest.
_KEY = r"([^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#,\[\]{}]*[^:#,\[\]{} ])?) *:"
_ENTRY = re.compile(r"( *)" + _KEY + r"(?: +|\Z)")
# The common lines, read by one pass over the text: ``key: value`` (one space
# after the colon, none at the end), ``key: {k: v, k: v}`` (the same, in a
# flow mapping), and ``key:``; every other line is one row with no key, read
# the long way. The classes leave out line breaks: a row is a line. A key or
# value is its first character, then every character it may hold (taken
# possessively: it can only end where a character it may not hold starts),
# and must not end in a space (the look-behind): the same texts as a last
# character of its own class, in half the time of the engine's backtracking.
_KEY_TEXT = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#,\[\]{}\n]*+(?<!\s)"
_PLAIN = r"(?:-(?=[0-9.]))?[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#\n]*+(?<!\s)"
_PAIR = _KEY_TEXT + ": " + r"(?:-(?=[0-9.]))?[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#,\[\]{}\n]*+(?<!\s)"
_ROW = re.compile(
    r"^( *)(?:(" + _KEY_TEXT + r"):(?: (" + _PLAIN + r")| \{(" + _PAIR + "(?:, " + _PAIR + r")*)\})?$|.*$)",
    re.MULTILINE,
)
_UNSEEN: Any = object()
# A plain scalar in block context may not start with an indicator, but a
# minus sign starts a negative number.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SIGNED = re.compile(r"-[0-9.]")
# One entry of a one-line flow collection: for a mapping the key and its
# ': ', then a plain scalar (which ends before spaces and the next ',', '}'
# or ']') with the delimiter after it, or nothing before a nested collection.
_FLOW_SCALAR = r"((?:-(?=[0-9.]))?[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#,\[\]{}]*[^:#,\[\]{} ])?)"
_FLOW_PAIR = re.compile(" *" + _KEY + " +(?:" + _FLOW_SCALAR + r" *([,}])|(?=[{\[]))")
_FLOW_ITEM = re.compile(r" *(?:" + _FLOW_SCALAR + r" *([,\]])|(?=[{\[]))")
_EMPTY = {"}": re.compile(r" *\}"), "]": re.compile(r" *\]")}
_AFTER = re.compile(r" *(?:#.*)?\Z")
_DOUBLE = re.compile(r'"([^"\\]*)"')
_SINGLE = re.compile(r"'([^']*)'(?!')")
# Anything else that makes a line break, a tab or a byte order mark: left to
# the full reader.
_UNSAFE = re.compile("[\t\r\x85\u2028\u2029\ufeff]")
_COMMENT = re.compile(r" +#")
LONG_LINE = 1000
"""Lines this long or longer are left to the full reader."""


_MEMORY: tuple[dict[str, Any], set[str]] = ({}, set())
"""The values of the plain scalars read so far, and which of them are not
text: one pair, replaced whole when full, so that a reader in another thread
never sees one without the other."""
VALUES_KEPT = 100_000
"""Most plain scalars whose values the reader keeps (a value depends on its text alone)."""


class _GiveUp(Exception):
    """The text is outside the subset: read it with the full reader."""


def read_fast(text: str, limits: Limits) -> Document | None:
    """Read ``text`` if it is in the simple subset, else return ``None``.

    The result equals what :func:`cxaudit.journey.read.read_yaml` returns for
    the same text; ``None`` means "use the full reader", never "invalid".
    ``read_yaml`` calls it after refusing characters YAML does not allow.
    """
    if "\r" in text:
        # Windows line ends: one line break to YAML, as "\n" is; a lone
        # carriage return (also a line break to YAML) is left to the full reader.
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if _UNSAFE.search(text):
        return None
    try:
        return _read(text, limits)
    except (_GiveUp, ValueError):
        return None


def _read(text: str, limits: Limits) -> Document:
    entry_match = _ENTRY.match
    lines = text.split("\n")
    # No scalar is longer than its line: one check here instead of one a value.
    # A line of 1,000 characters or more may hold a key over the 1,024 that
    # PyYAML's pure parser allows and libyaml does not check: the full reader's.
    max_scalar = limits.max_scalar_length
    if max(map(len, lines)) > min(max_scalar, LONG_LINE - 1):
        raise _GiveUp
    # Every line split into its indentation, key and plain or flow value, by
    # one pass of the regex engine over the text (one row a line).
    rows = _ROW.findall(text)
    if len(rows) != len(lines):
        raise _GiveUp  # (cannot happen: every line is one row)
    max_depth = limits.max_depth
    # Values of the plain scalars met so far (a journey repeats its channels,
    # owners, efforts and durations on every step, and a portfolio its ids
    # and probabilities), and which are not text: kept from file to file.
    global _MEMORY
    values, typed = _MEMORY
    if len(values) > VALUES_KEPT:
        values, typed = _MEMORY = ({}, set())
    # Open mappings, innermost last, with their indentation.
    maps: list[YMap] = []
    indents: list[int] = []
    current: Any = None
    key_pos: dict[str, tuple[int, int]] = {}
    value_pos: dict[str, tuple[int, int]] = {}
    pending: str | None = None  # a key whose block value starts on a later line
    last_indent = -1
    number = 0
    for spaces, key, raw, flow in rows:
        number += 1
        match = None
        if not key:  # not one of the common lines: matched again, the long way
            line = lines[number - 1]
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            match = entry_match(line)
            if match is None:
                raise _GiveUp
            spaces, key = match.groups()
        indent = len(spaces)
        if indent != last_indent or pending is not None:
            if pending is not None:
                if indent <= indents[-1] or len(maps) >= max_depth:
                    raise _GiveUp  # an empty value (its position is the full reader's business), or too deep
                child = YMap(number, indent + 1)
                current[pending] = child
                value_pos[pending] = (number, indent + 1)
                maps.append(child)
                indents.append(indent)
                current = child
                pending = None
            elif current is None:
                if indent != 0:
                    raise _GiveUp
                current = YMap(number, 1)
                maps.append(current)
                indents.append(0)
            else:
                if indent > last_indent:
                    raise _GiveUp  # a deeper line after a value: a multi-line scalar or an error
                while indent < indents[-1]:
                    maps.pop()
                    indents.pop()
                if indent != indents[-1]:
                    raise _GiveUp
                current = maps[-1]
            key_pos, value_pos = current.key_pos, current.value_pos
            last_indent = indent
        if key in current:
            raise _GiveUp
        key_pos[key] = (number, indent + 1)
        if match is None:
            if raw:  # key: value
                column = indent + len(key) + 3
                value = values.get(raw, _UNSEEN)
                if value is _UNSEEN:
                    value = _remember(raw, number, column, values, typed)
                if raw in typed:
                    if current.raw is None:
                        current.raw = {}
                    current.raw[key] = raw
            elif flow:  # key: {k: v, k: v}
                if len(maps) >= max_depth:
                    raise _GiveUp
                column = indent + len(key) + 3
                value = _pairs(flow, number, column, values, typed)
            else:  # key:, with its value on the lines below
                pending = key
                continue
            current[key] = value
            value_pos[key] = (number, column)
            continue
        rest_at = match.end()
        rest = line[rest_at:]
        if not rest or rest[0] == "#":
            pending = key
            continue
        column = rest_at + 1
        first = rest[0]
        if first == "{" or first == "[":
            value, end = _flow(line, rest_at, number, max_depth - len(maps), values, typed)
            if not _AFTER.match(line, end):
                raise _GiveUp
        elif first == '"' or first == "'":
            quoted = (_DOUBLE if first == '"' else _SINGLE).match(rest)
            if quoted is None or not _AFTER.match(rest, quoted.end()):
                raise _GiveUp
            value = quoted.group(1)
        else:
            if first in _INDICATORS and not (first == "-" and _SIGNED.match(rest)):
                raise _GiveUp
            comment = _COMMENT.search(rest)
            raw = (rest if comment is None else rest[: comment.start()]).rstrip(" ")
            if ": " in raw or raw[-1] == ":":
                raise _GiveUp
            value = plain_scalar(raw, number, column)
            if value.__class__ is not str:
                if current.raw is None:
                    current.raw = {}
                current.raw[key] = raw
        current[key] = value
        value_pos[key] = (number, column)
    if not maps or pending is not None:
        raise _GiveUp
    root = maps[0]
    return Document(root, root.line, root.column, ())


def _remember(raw: str, number: int, column: int, values: dict[str, Any], typed: set[str]) -> Any:
    """The value of the plain scalar ``raw`` met for the first time, remembered
    (and whether it is not text) for the next time."""
    value = plain_scalar(raw, number, column)
    if value.__class__ is not str:
        typed.add(raw)
    values[raw] = value
    return value


def _pairs(body: str, number: int, column: int, values: dict[str, Any], typed: set[str]) -> YMap:
    """The flow mapping ``{body}`` that opens at ``column``: ``key: value`` pairs of plain
    scalars, separated by ``, `` (:data:`_ROW` matched it; no key or value holds ',' or ':')."""
    result = YMap(number, column)
    key_pos, value_pos = result.key_pos, result.value_pos
    at = column + 1  # the column of the first key
    for pair in body.split(", "):
        key, _, raw = pair.partition(": ")
        if key in result:
            raise _GiveUp
        key_pos[key] = (number, at)
        value_at = at + len(key) + 2
        value = values.get(raw, _UNSEEN)
        if value is _UNSEEN:
            value = _remember(raw, number, value_at, values, typed)
        result[key] = value
        value_pos[key] = (number, value_at)
        if raw in typed:
            if result.raw is None:
                result.raw = {}
            result.raw[key] = raw
        at += len(pair) + 2
    return result


def _flow(line: str, at: int, number: int, depth: int, values: dict[str, Any], typed: set[str]) -> tuple[Any, int]:
    """The one-line flow collection opening at ``line[at]``, and the index after it.

    ``depth`` counts the collections that may still open, for the nesting limit.
    """
    if depth <= 0:
        raise _GiveUp
    is_map = line[at] == "{"
    result: Any = YMap(number, at + 1) if is_map else YSeq(number, at + 1)
    close = "}" if is_map else "]"
    entry_match = (_FLOW_PAIR if is_map else _FLOW_ITEM).match
    index = at + 1
    empty = _EMPTY[close].match(line, index)
    if empty is not None:
        return result, empty.end()
    while True:
        entry = entry_match(line, index)
        if entry is None:
            raise _GiveUp  # not in the subset, or a trailing comma
        if is_map:
            key, raw, delimiter = entry.groups()
            if key in result:
                raise _GiveUp
            result.key_pos[key] = (number, entry.start(1) + 1)
            value_at = entry.start(2) if raw is not None else entry.end()
        else:
            raw, delimiter = entry.groups()
            value_at = entry.start(1) if raw is not None else entry.end()
        if raw is None:  # a nested collection
            value, end = _flow(line, value_at, number, depth - 1, values, typed)
            index = _skip_spaces(line, end)
            delimiter = line[index : index + 1]
            index += 1
        else:
            value = values.get(raw, _UNSEEN)
            if value is _UNSEEN:
                value = _remember(raw, number, value_at + 1, values, typed)
            index = entry.end()
        if is_map:
            result[key] = value
            result.value_pos[key] = (number, value_at + 1)
            if raw is not None and raw in typed:
                if result.raw is None:
                    result.raw = {}
                result.raw[key] = raw
        else:
            result.append(value)
            result.item_pos.append((number, value_at + 1))
        if delimiter == close:
            return result, index
        if delimiter != ",":
            raise _GiveUp


def _skip_spaces(line: str, index: int) -> int:
    while line.startswith(" ", index):
        index += 1
    return index

"""Read plain YAML into plain values that remember where they came from.

This is the only place that talks to PyYAML. It consumes the parser's event
stream (from the libyaml C parser when it is installed, else the pure-Python
one: both emit the same events with the same marks) and builds the document
itself, iteratively, so that it can:

- keep the line and column of every key and value;
- report duplicate keys, which YAML would silently collapse;
- refuse every tag but the plain core ones, so no input can construct an
  object, let alone run code;
- bound aliases (count and expansion), nesting depth and scalar length while
  reading, so no input can hang the process or exhaust memory.

Mappings become :class:`YMap` (a dict) and sequences :class:`YSeq` (a list);
scalars become ``str``, ``int``, ``float``, ``bool`` or ``None``. Mapping keys
are always the key's text, so an id such as ``no`` or ``1`` stays a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from cxaudit.errors import JourneyError, Problem

if TYPE_CHECKING:
    import yaml

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "YMap",
    "YSeq",
    "has_c_parser",
    "parse_yaml",
    "plain_scalar",
    "refuse_unprintable",
]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Implicit tags the resolver gives plain scalars that we keep as text.
_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, "!"}

# Characters YAML 1.1 does not allow in a stream: all but its c-printable
# production (tab, line feed, carriage return, 0x20-0x7E, 0x85, 0xA0-0xD7FF,
# 0xE000-0xFFFD and 0x10000-0x10FFFF), written as what is left out (a class
# of the allowed ones is slow to compile, in every process).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep any input from hanging cxaudit or exhausting memory.

    Every bound is checked while the file is read, so a hostile file is
    rejected as soon as it crosses one.
    """

    max_file_bytes: int = 64 * 1024 * 1024
    """Largest file read, in bytes."""
    max_depth: int = 64
    """Deepest nesting of mappings and sequences (a journey needs 4)."""
    max_aliases: int = 1_000
    """Most ``*alias`` references in one document."""
    max_alias_nodes: int = 100_000
    """Most nodes that aliases may repeat in total (stops alias bombs)."""
    max_scalar_length: int = 1_000_000
    """Longest single value, in characters."""
    max_steps: int = 1_000_000
    """Most steps in one journey."""


DEFAULT_LIMITS = Limits()


class YMap(dict):  # type: ignore[type-arg]
    """A mapping read from YAML, with the position of every key and value."""

    __slots__ = ("column", "key_pos", "line", "raw", "value_pos")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_pos: dict[str, tuple[int, int]] = {}
        self.value_pos: dict[str, tuple[int, int]] = {}
        self.raw: dict[str, str] | None = None

    def where(self, key: str) -> tuple[int, int]:
        """Line and column of the value under ``key`` (of the map if absent)."""
        return self.value_pos.get(key, (self.line, self.column))

    def where_key(self, key: str) -> tuple[int, int]:
        """Line and column of ``key`` itself (of the map if absent)."""
        return self.key_pos.get(key, (self.line, self.column))

    def text(self, key: str) -> str | None:
        """The source text of a plain scalar that YAML read as a non-string."""
        return None if self.raw is None else self.raw.get(key)


class YSeq(list):  # type: ignore[type-arg]
    """A sequence read from YAML, with the position of every item."""

    __slots__ = ("column", "item_pos", "line")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_pos: list[tuple[int, int]] = []


@dataclass(frozen=True, slots=True)
class Document:
    """The root value of a document and where it starts."""

    root: Any
    line: int
    column: int
    problems: tuple[Problem, ...]
    """Problems found while reading that did not stop it (duplicate keys)."""


def has_c_parser() -> bool:
    """True when PyYAML was built with the libyaml C parser."""
    import yaml

    return bool(getattr(yaml, "__with_libyaml__", False))


class _Fatal(Exception):
    def __init__(self, line: int, column: int, message: str, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.path = path


@cache
def _pyyaml() -> Any:
    """PyYAML's safe constructor, loaded the first time a number written in one
    of YAML 1.1's rarer forms needs it (0x1F, 1_000, 1:30, .inf)."""
    from yaml.constructor import SafeConstructor

    return SafeConstructor()


_RESOLVED_FIRST = frozenset("yYnNtTfFoO-+0123456789.<~=!&*")
"""First characters of plain scalars PyYAML's resolver might read as other
than text (the keys of ``Resolver.yaml_implicit_resolvers``; a test checks)."""

# YAML 1.1's implicit types, as PyYAML resolves a plain scalar: by its first
# character, the candidate types in the order PyYAML registers them, the
# first whose pattern matches the whole text wins (a test compares with
# PyYAML's own resolver). Written out here so that a journey's usual values
# (30s, true, Team 7) are read without loading PyYAML at all.
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_BOOL_WORDS = frozenset(word for base in _BOOLS for word in (base, base.capitalize(), base.upper()))
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
_FLOAT_11 = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?   # 1.5, 1_000.25, 1.e+3
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?                       # .5
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*               # sexagesimal, 1:30.5
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
_INT_11 = re.compile(
    r"""^(?:[-+]?0b[0-1_]+          # binary
    |[-+]?0[0-7_]+                  # octal
    |[-+]?(?:0|[1-9][0-9_]*)        # decimal
    |[-+]?0x[0-9a-fA-F_]+           # hexadecimal
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$   # sexagesimal, 1:30""",
    re.VERBOSE,
)
_TIMESTAMP_11 = re.compile(
    r"""^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
     (?:[\ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$""",
    re.VERBOSE,
)
_NUMBER_FIRST = frozenset("-+0123456789.")


def _implicit_tag(value: str) -> str:
    """The tag PyYAML's resolver gives the plain scalar ``value``."""
    first = value[:1]
    if first in _NUMBER_FIRST:
        if _FLOAT_11.match(value):
            return _FLOAT
        if first != "." and _INT_11.match(value):
            return _INT
        if first.isdigit() and _TIMESTAMP_11.match(value):
            return "tag:yaml.org,2002:timestamp"
        return _STR
    if value in _BOOL_WORDS:
        return _BOOL
    if value in _NULL_WORDS:
        return _NULL
    if value == "<<":
        return "tag:yaml.org,2002:merge"
    if value == "=":
        return "tag:yaml.org,2002:value"
    if value in ("!", "&", "*"):
        return "tag:yaml.org,2002:yaml"
    return _STR


_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
# YAML 1.1 (and so PyYAML) reads 1e-12 and 1.5e3 as text; YAML 1.2, JSON and
# every editor read them as numbers. Journeys read them as numbers too.
_EXPONENT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+\Z")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*\Z")


def _scalar(value: str, tag: str | None, implicit: tuple[bool, bool], line: int, col: int) -> Any:
    """Turn a scalar event into a Python value, as PyYAML's safe loader would."""
    if tag is None or tag == "!":
        if not implicit[0]:  # quoted, or a block scalar
            return value
        # Fast paths for what journeys are made of; everything else is
        # resolved by its first character and YAML 1.1's patterns.
        if value and value[0] not in _RESOLVED_FIRST:
            return value
        if _SIMPLE_FLOAT.match(value):
            return float(value)
        if _DECIMAL.match(value):
            return int(value)
        if _EXPONENT.match(value):
            return float(value)
        tag = _implicit_tag(value)
        if tag == _STR or tag in _AS_TEXT:
            return value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        lowered = value.lower()
        if lowered not in _BOOLS:
            raise _Fatal(line, col, f"'{value}' is not a boolean")
        return _BOOLS[lowered]
    from yaml.constructor import ConstructorError
    from yaml.nodes import ScalarNode

    constructor = _pyyaml()
    try:
        if tag == _INT:
            return constructor.construct_yaml_int(ScalarNode(tag, value))
        if tag == _FLOAT:
            return constructor.construct_yaml_float(ScalarNode(tag, value))
    except (ValueError, ConstructorError):
        kind = "an integer" if tag == _INT else "a number"
        raise _Fatal(line, col, f"'{value}' is not {kind}") from None
    raise _Fatal(line, col, _tag_message(tag))


def plain_scalar(text: str, line: int, column: int) -> Any:
    """The value of an untagged plain scalar, exactly as :func:`read_yaml` reads it.

    Raises ``ValueError`` (never a position) for the rare plain scalar that
    resolves to a value it cannot construct.
    """
    try:
        return _scalar(text, None, (True, False), line, column)
    except _Fatal as fatal:
        raise ValueError(fatal.message) from None


def _tag_message(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return f"tag '{shown}' is not allowed: cxaudit reads plain YAML only (no Python or custom tags); remove the tag"


def _parse_error_problem(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    # A tab in the indentation is the most common cause of a parse error and
    # the parsers name it badly; say what it is, where it is.
    for match in _TAB_INDENT.finditer(text):
        tab_line = text.count("\n", 0, match.start()) + 1
        if tab_line > line:
            break
        return Problem(
            name,
            tab_line,
            match.end() - match.start(),
            "tab character in indentation; YAML indents with spaces only",
        )
    if mark and text[mark.index : mark.index + 1] == "\t":
        return Problem(name, line, column, "tab character here; YAML separates keys, values and items with spaces")
    if mark and text[mark.index : mark.index + 1] == "?" and "flow" in (exc.context or ""):
        return Problem(name, line, column, "invalid YAML: a '?' in a value inside '{...}' or '[...]' needs quotes")
    if exc.context == "while scanning a simple key":
        return Problem(
            name, line, column, "invalid YAML: a key must fit on one line, in at most 1,024 characters, before its ':'"
        )
    return Problem(name, line, column, f"invalid YAML: {_wording(exc.problem or '', exc.context or '')}")


def _wording(problem: str, context: str) -> str:
    """One wording for a parse error, whichever parser found it.

    libyaml and PyYAML's pure parser find the same errors at the same marks
    but word them differently; this says what is wrong in plain words.
    """
    problem = problem.strip()
    if problem.startswith("mapping values are not allowed"):
        return "':' is not allowed here; quote a value that contains ': '"
    if "cannot start any token" in problem:
        return "found a character that cannot start a value; quote the value"
    if context in ("while scanning an alias", "while scanning an anchor"):
        return "an anchor or alias needs a name of letters and digits"
    if context == "while parsing a block mapping":
        return "a key is not indented like the other keys of its mapping"
    if context == "while parsing a block collection":
        return "a list item ('- ') is not indented like the others of its list"
    if context == "while parsing a flow mapping":
        return "a '{...}' mapping is not closed, or its items are not separated by ','"
    if context == "while parsing a flow sequence":
        return "a '[...]' list is not closed, or its items are not separated by ','"
    problem = _BUT_FOUND.sub("", problem)
    problem = _DID_NOT_FIND.sub("expected ", problem).replace("'<", "<").replace(">'", ">")
    problem = problem.replace("duplicate %YAML", "duplicate YAML")
    return problem or context or "malformed YAML"


_BUT_FOUND = re.compile(r", but (?:found|got) .*$", re.DOTALL)
_DID_NOT_FIND = re.compile(r"^(?:did not|could not) find (?:the )?expected ")


def refuse_unprintable(text: str, name: str) -> None:
    """Refuse a character YAML does not allow in a stream, at its line and column.

    Raises
    ------
    JourneyError
        The text holds a control character (or another outside YAML's c-printable set).
    """
    # ASCII text (most journeys) is checked by deleting the allowed bytes, several times faster than the regex.
    clean = text.isascii() and not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    bad = None if clean else _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        code = f"U+{ord(bad.group()):04X}"
        raise JourneyError([Problem(name, line, column, f"control character {code} is not allowed in YAML; remove it")])
    bom = text.find("\ufeff", 1)
    if bom > 0:  # the first is the encoding's mark; another is a stray one an editor or a merge left
        line = text.count("\n", 0, bom) + 1
        column = bom - (text.rfind("\n", 0, bom) + 1) + 1
        raise JourneyError([Problem(name, line, column, "byte-order mark U+FEFF inside the text; remove it")])


def parse_yaml(text: str, name: str, limits: Limits, *, c_parser: bool) -> Document:
    """Read one YAML document from printable ``text`` with PyYAML's parser.

    ``c_parser`` picks libyaml's C parser (it must be installed) over
    PyYAML's pure-Python one. :func:`cxaudit.journey.read.read_yaml` is the
    reader to call: it checks the characters, takes the fast path and makes
    both parsers give one answer.

    Raises
    ------
    JourneyError
        The text is not plain, bounded YAML holding exactly one document.
    """
    import yaml

    loader = (yaml.CSafeLoader if c_parser else yaml.SafeLoader)(text)
    try:
        return _build(loader, name, limits)
    except _Fatal as fatal:
        raise JourneyError([Problem(name, fatal.line, fatal.column, fatal.message, fatal.path)]) from None
    except yaml.MarkedYAMLError as exc:
        if c_parser and "nesting depth" in (exc.problem or ""):
            # libyaml has a nesting limit of its own (1,000 levels from 0.2.5 on)
            # and meets it while scanning ahead, before our bound can be checked;
            # the pure parser has none, so it reaches ours and says where.
            return parse_yaml(text, name, limits, c_parser=False)
        raise JourneyError([_parse_error_problem(name, text, exc)]) from None
    except yaml.YAMLError as exc:  # errors without a position (reader errors)
        raise JourneyError([Problem(name, 1, 1, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _build(loader: Any, name: str, limits: Limits) -> Document:
    import yaml

    get_event = loader.get_event
    check_event = loader.check_event
    problems: list[Problem] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    aliases = 0
    alias_nodes = 0
    max_depth = limits.max_depth
    max_scalar = limits.max_scalar_length

    get_event()  # StreamStart
    if check_event(yaml.StreamEndEvent):
        raise _Fatal(1, 1, "file is empty; a journey file starts with 'cxaudit: 1'")
    get_event()  # DocumentStart

    # A frame is [container, pending key or None, anchor, size, key position].
    # For a mapping, the pending key is the key whose value is awaited.
    stack: list[list[Any]] = []
    root: Any = None
    root_pos = (1, 1)

    def path_of() -> str:
        parts = []
        for frame in stack:
            if isinstance(frame[0], YMap):
                if isinstance(frame[1], str):
                    parts.append(frame[1])
            else:
                parts.append(str(len(frame[0])))
        return ".".join(parts)

    def attach(value: Any, size: int, line: int, col: int, raw: str | None) -> None:
        nonlocal root, root_pos
        if not stack:
            root, root_pos = value, (line, col)
            return
        frame = stack[-1]
        container = frame[0]
        frame[3] += size
        if isinstance(container, YSeq):
            container.append(value)
            container.item_pos.append((line, col))
            return
        key = frame[1]
        if key is _NO_KEY:  # expecting a key
            if not isinstance(value, str) or size != 1 or raw is _NOT_SCALAR:
                raise _Fatal(line, col, "a mapping key must be a plain value, not a mapping or list", path_of())
            key_text = value if raw is None else raw
            if key_text in container:
                first = container.key_pos[key_text]
                problems.append(
                    Problem(
                        name,
                        line,
                        col,
                        f"duplicate key '{key_text}' (first defined at line {first[0]}); "
                        "YAML would keep only the last one, remove one of them",
                        f"{parent}.{key_text}" if (parent := path_of()) else key_text,
                    )
                )
                frame[1] = _DUPLICATE
            else:
                frame[1] = key_text
                container.key_pos[key_text] = (line, col)
            return
        if key is not _DUPLICATE:
            dict.__setitem__(container, key, value)
            container.value_pos[key] = (line, col)
            if raw is not None and raw is not _NOT_SCALAR:
                if container.raw is None:
                    container.raw = {}
                container.raw[key] = raw
        frame[1] = _NO_KEY

    scalar_event = yaml.ScalarEvent
    while True:
        event = get_event()
        kind = type(event)
        # The fast path: an untagged, unanchored scalar in a mapping (most of a journey).
        if kind is scalar_event and stack and event.anchor is None and event.tag is None:
            frame = stack[-1]
            container = frame[0]
            text = event.value
            if container.__class__ is YMap and len(text) <= max_scalar:
                mark = event.start_mark
                key = frame[1]
                if key is _NO_KEY:
                    if text not in container:
                        frame[1] = text
                        container.key_pos[text] = (mark.line + 1, mark.column + 1)
                        frame[3] += 1
                        continue
                elif key is not _DUPLICATE:
                    plain = event.implicit[0]
                    if not plain or (text and text[0] not in _RESOLVED_FIRST):
                        value: Any = text
                    else:
                        value = _scalar(text, None, event.implicit, mark.line + 1, mark.column + 1)
                    dict.__setitem__(container, key, value)
                    container.value_pos[key] = (mark.line + 1, mark.column + 1)
                    if plain and value.__class__ is not str:
                        if container.raw is None:
                            container.raw = {}
                        container.raw[key] = text
                    frame[1] = _NO_KEY
                    frame[3] += 1
                    continue
        mark = event.start_mark
        line, col = mark.line + 1, mark.column + 1
        if kind is yaml.ScalarEvent:
            text = event.value
            if len(text) > max_scalar:
                raise _Fatal(
                    line, col, f"value is {len(text):,} characters long, over the limit of {max_scalar:,}", path_of()
                )
            tag = event.tag
            expecting_key = stack and isinstance(stack[-1][0], YMap) and stack[-1][1] is _NO_KEY
            if expecting_key:
                if tag is not None and tag != "!" and tag not in _SCALAR_TAGS:
                    raise _Fatal(line, col, _tag_message(tag), path_of())
                value, raw = text, None
            else:
                value = _scalar(text, tag, event.implicit, line, col)
                raw = text if (not isinstance(value, str) and event.implicit[0]) else None
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            attach(value, 1, line, col, raw)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            tag = event.tag
            is_map = kind is yaml.MappingStartEvent
            if tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
                raise _Fatal(line, col, _tag_message(tag), path_of())
            if len(stack) >= max_depth:
                parts = path_of().split(".")
                shown = ".".join(parts[:4]) + ("..." if len(parts) > 4 else "")
                raise _Fatal(
                    line, col, f"nesting is deeper than {max_depth:,} levels; a journey needs only a few", shown
                )
            if stack and isinstance(stack[-1][0], YMap) and stack[-1][1] is _NO_KEY:
                raise _Fatal(line, col, "a mapping key must be a plain value, not a mapping or list", path_of())
            container = YMap(line, col) if is_map else YSeq(line, col)
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            stack.append([container, _NO_KEY if is_map else None, event.anchor, 1, (line, col)])
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            container, _, anchor, size, (cline, ccol) = stack.pop()
            if anchor is not None:
                open_anchors.discard(anchor)
                anchors[anchor] = (container, size)
            attach(container, size, cline, ccol, _NOT_SCALAR)
        elif kind is yaml.AliasEvent:
            anchor = event.anchor
            if anchor in open_anchors:
                raise _Fatal(line, col, f"alias '*{anchor}' refers to the node that contains it", path_of())
            if anchor not in anchors:
                raise _Fatal(
                    line, col, f"alias '*{anchor}' refers to no anchor '&{anchor}' defined before it", path_of()
                )
            aliases += 1
            if aliases > limits.max_aliases:
                raise _Fatal(
                    line, col, f"more than {limits.max_aliases:,} aliases; cxaudit reads bounded YAML only", path_of()
                )
            value, size = anchors[anchor]
            alias_nodes += size
            if alias_nodes > limits.max_alias_nodes:
                raise _Fatal(
                    line,
                    col,
                    f"aliases expand to more than {limits.max_alias_nodes:,} nodes "
                    "(an alias bomb?); cxaudit reads bounded YAML only",
                    path_of(),
                )
            attach(value, size, line, col, _NOT_SCALAR if isinstance(value, (YMap, YSeq)) else None)
        elif kind is yaml.DocumentEndEvent:
            break
        else:  # pragma: no cover - the parser emits nothing else inside a document
            raise _Fatal(line, col, f"unexpected YAML event {kind.__name__}")

    if not check_event(yaml.StreamEndEvent):
        event = get_event()
        mark = event.start_mark
        raise _Fatal(
            mark.line + 1,
            mark.column + 1,
            "more than one YAML document in the file; a journey file holds exactly one",
        )
    return Document(root, root_pos[0], root_pos[1], tuple(problems))


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


_NO_KEY: Any = _Marker("NO_KEY")
_DUPLICATE: Any = _Marker("DUPLICATE")
_NOT_SCALAR: Any = _Marker("NOT_SCALAR")

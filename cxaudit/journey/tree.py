"""A composed YAML node tree turned into plain values that remember where they came from.

PyYAML composes the document (libyaml's C composer, or the pure-Python one):
every node carries its start mark, and plain scalars carry the tag PyYAML's
resolver gave them, marked as implicit by :mod:`cxaudit.journey.read`. This
module walks that tree without recursion and builds :class:`YMap` and
:class:`YSeq` values, so that it can:

- keep the line and column of every key and value;
- report duplicate keys, which YAML would silently collapse;
- refuse every tag but the plain core ones, so no input constructs an object;
- bound nesting depth and scalar length; aliases are bounded while composing.

Mapping keys are always the key's text, so an id such as ``no`` or ``1``
stays a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from cxaudit.errors import Problem
from cxaudit.journey.source import Limits

__all__ = ["IMPLICIT", "Alias", "Document", "Fatal", "YMap", "YSeq", "build", "tag_message", "too_deep"]

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"

# The resolver's tag for a plain scalar, marked as implicit ("=" and the type),
# so that an explicit ``!!timestamp`` stays refused while a plain date stays text.
IMPLICIT = {
    tag: "=" + tag.rsplit(":", 1)[1]
    for tag in (STR, INT, FLOAT, BOOL, NULL, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge")
}
IMPLICIT_EXPONENT = "=exponent"
"""A plain number with an exponent and no dot (``1e-12``): text to YAML 1.1, a
number to YAML 1.2, JSON and every editor, and so to journeys."""
_AS_TEXT = {"=str", "=timestamp", "=merge", "=value", "=yaml"}
_EXPLICIT_SCALARS = {STR, INT, FLOAT, BOOL, NULL}
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*\Z")


class Fatal(Exception):
    """A problem that stops reading, at a line and column, with the document path."""

    def __init__(self, line: int, column: int, message: str, path: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message
        self.path = path


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


class Alias:
    """An alias in a tree composed by the pure-Python composer: where it is, and its node."""

    __slots__ = ("start_mark", "target")

    def __init__(self, target: Any, start_mark: Any) -> None:
        self.target = target
        self.start_mark = start_mark


def too_deep(mark: Any, path: list[str], max_depth: int) -> Fatal:
    """The problem of a collection nested deeper than ``max_depth``, at ``mark``."""
    shown = ".".join(path[:4]) + ("..." if len(path) > 4 else "")
    return Fatal(
        mark.line + 1,
        mark.column + 1,
        f"nesting is deeper than {max_depth:,} levels; a journey needs only a few",
        shown,
    )


def tag_message(tag: str) -> str:
    """Why an explicit tag is refused, and what to do."""
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return f"tag '{shown}' is not allowed: cxaudit reads plain YAML only (no Python or custom tags); remove the tag"


@cache
def _constructor() -> Any:
    """PyYAML's safe constructor, for numbers in YAML 1.1's rarer forms (0x1F, 1_000, 1:30, .inf)."""
    from yaml.constructor import SafeConstructor

    return SafeConstructor()


def _number(text: str, tag: str, line: int, column: int) -> Any:
    from yaml.constructor import ConstructorError
    from yaml.nodes import ScalarNode

    try:
        if tag == INT:
            return _constructor().construct_yaml_int(ScalarNode(tag, text))
        return _constructor().construct_yaml_float(ScalarNode(tag, text))
    except (ValueError, ConstructorError):
        kind = "an integer" if tag == INT else "a number"
        raise Fatal(line, column, f"'{text}' is not {kind}") from None


def scalar(text: str, tag: str, line: int, column: int) -> Any:
    """The value of a scalar node, as PyYAML's safe loader would make it (numbers with exponents aside)."""
    if tag in _AS_TEXT or tag == STR:
        return text
    if tag == "=int":
        return int(text) if _DECIMAL.match(text) else _number(text, INT, line, column)
    if tag == "=float":
        return float(text) if _SIMPLE_FLOAT.match(text) else _number(text, FLOAT, line, column)
    if tag == "=bool":
        return _BOOLS[text.lower()]
    if tag == "=null" or tag == NULL:
        return None
    if tag == IMPLICIT_EXPONENT:
        return float(text)
    if tag == BOOL:
        if text.lower() not in _BOOLS:
            raise Fatal(line, column, f"'{text}' is not a boolean")
        return _BOOLS[text.lower()]
    if tag in (INT, FLOAT):
        return _number(text, tag, line, column)
    raise Fatal(line, column, tag_message(tag))


def build(root: Any, name: str, limits: Limits) -> Document:
    """Build the values of the composed tree ``root``.

    Raises
    ------
    Fatal
        A tag that is not plain YAML, a key that is not a scalar, a value too
        long or nesting too deep; with the path of the value in the document.
        Nesting too deep comes first wherever it is, as the pure-Python
        composer finds it before anything else.
    """
    try:
        return _build(root, name, limits)
    except Fatal as fatal:
        raise _first_too_deep(root, limits.max_depth) or fatal from None


def _first_too_deep(root: Any, max_depth: int) -> Fatal | None:
    """The first collection, in document order, nested deeper than ``max_depth``."""
    from yaml.nodes import MappingNode, ScalarNode

    pending: list[tuple[Any, int, list[str]]] = [(root, 0, [])]
    while pending:
        node, depth, path = pending.pop()
        if node.__class__ is ScalarNode or node.__class__ is Alias:
            continue
        if depth >= max_depth:
            return too_deep(node.start_mark, path, max_depth)
        children: list[tuple[Any, int, list[str]]] = []
        if node.__class__ is MappingNode:
            for key, value in node.value:
                children.append((key, depth + 1, path))
                step = key.value if key.__class__ is ScalarNode else "?"
                children.append((value, depth + 1, [*path, step]))
        else:
            children.extend((item, depth + 1, [*path, str(index)]) for index, item in enumerate(node.value))
        pending.extend(reversed(children))
    return None


def _build(root: Any, name: str, limits: Limits) -> Document:
    from yaml.nodes import MappingNode, ScalarNode

    problems: list[Problem] = []
    built: dict[int, tuple[Any, int]] = {}  # the values of collections, for aliases to reuse
    max_depth = limits.max_depth
    max_scalar = limits.max_scalar_length
    # A frame: [node, container, items, next index, size, key of the child being read].
    stack: list[list[Any]] = []

    def scalar_of(node: Any) -> Any:
        text, mark = node.value, node.start_mark
        if len(text) > max_scalar:
            raise _too_long(mark, text, max_scalar, stack)
        return scalar(text, node.tag, mark.line + 1, mark.column + 1)

    def open_frame(node: Any) -> Any:
        """Start building a collection (pushed on the stack), or refuse it."""
        is_map = node.__class__ is MappingNode
        if node.tag != (MAP if is_map else SEQ):
            raise _fail(node.start_mark, tag_message(node.tag), stack)
        if len(stack) >= max_depth:
            raise too_deep(node.start_mark, _path(stack), max_depth)
        mark = node.start_mark
        container = (YMap if is_map else YSeq)(mark.line + 1, mark.column + 1)
        stack.append([node, container, node.value, 0, 1, None])
        return container

    if root.__class__ is ScalarNode:
        mark = root.start_mark
        return Document(scalar_of(root), mark.line + 1, mark.column + 1, ())
    top = open_frame(root)
    setitem = dict.__setitem__
    while True:
        frame = stack[-1]
        node, container, items, index, size = frame[0], frame[1], frame[2], frame[3], frame[4]
        count = len(items)
        child = None  # a collection to open, when the loop stops at one
        if container.__class__ is YMap:
            key_pos, value_pos = container.key_pos, container.value_pos
            while index < count:
                key_node, value_node = items[index]
                index += 1
                key = key_node.value
                if (
                    key_node.__class__ is ScalarNode
                    and key_node.tag[0] == "="
                    and key not in container
                    and len(key) <= max_scalar
                ):
                    mark = key_node.start_mark
                    key_pos[key] = (mark.line + 1, mark.column + 1)
                    frame[5] = key
                else:
                    key = _key(key_node, container, frame, stack, problems, name, max_scalar)
                kind = value_node.__class__
                if kind is ScalarNode:
                    text, tag, mark = value_node.value, value_node.tag, value_node.start_mark
                    if len(text) > max_scalar:
                        raise _too_long(mark, text, max_scalar, stack)
                    size += 1
                    if key is _DUPLICATE:
                        continue
                    if tag == "=str" or tag == STR:
                        setitem(container, key, text)
                    else:
                        value = scalar(text, tag, mark.line + 1, mark.column + 1)
                        setitem(container, key, value)
                        if tag[0] == "=" and value.__class__ is not str:
                            if container.raw is None:
                                container.raw = {}
                            container.raw[key] = text
                    value_pos[key] = (mark.line + 1, mark.column + 1)
                elif kind is Alias:
                    value, repeated = _aliased(value_node, built, scalar_of)
                    size += repeated
                    if key is not _DUPLICATE:
                        setitem(container, key, value)
                        mark = value_node.start_mark
                        value_pos[key] = (mark.line + 1, mark.column + 1)
                else:
                    child = value_node
                    break
        else:
            item_pos = container.item_pos
            while index < count:
                item = items[index]
                index += 1
                frame[3] = index  # the item a problem is reported at
                kind = item.__class__
                if kind is ScalarNode:
                    text, tag, mark = item.value, item.tag, item.start_mark
                    if len(text) > max_scalar:
                        raise _too_long(mark, text, max_scalar, stack)
                    container.append(
                        text if tag == "=str" or tag == STR else scalar(text, tag, mark.line + 1, mark.column + 1)
                    )
                    size += 1
                elif kind is Alias:
                    value, repeated = _aliased(item, built, scalar_of)
                    container.append(value)
                    size += repeated
                    mark = item.start_mark
                else:
                    child = item
                    break
                item_pos.append((mark.line + 1, mark.column + 1))
        frame[3] = index
        if child is not None:
            frame[4] = size
            open_frame(child)
            continue
        stack.pop()
        if root is node:
            return Document(top, container.line, container.column, tuple(problems))
        built[id(node)] = (container, size)
        _attach(stack[-1], container, size, (container.line, container.column))


def _aliased(alias: Alias, built: dict[int, tuple[Any, int]], scalar_of: Any) -> tuple[Any, int]:
    """The value an alias repeats, and how many nodes it holds."""
    from yaml.nodes import ScalarNode

    target = alias.target
    return (scalar_of(target), 1) if target.__class__ is ScalarNode else built[id(target)]


def _key(
    node: Any, container: YMap, frame: list[Any], stack: list[list[Any]], problems: list[Problem], name: str, limit: int
) -> Any:
    """The text of a mapping key (or the mark of a duplicate), noted in ``frame`` as the key being read."""
    from yaml.nodes import ScalarNode

    frame[5] = None
    mark = node.start_mark
    if node.__class__ is not ScalarNode:
        raise _fail(mark, "a mapping key must be a plain value, not a mapping or list", stack)
    key = node.value
    if len(key) > limit:
        raise _too_long(mark, key, limit, stack)
    if node.tag[0] != "=" and node.tag not in _EXPLICIT_SCALARS:
        raise _fail(mark, tag_message(node.tag), stack)
    if key in container:
        first = container.key_pos[key]
        parent = ".".join(_path(stack))
        problems.append(
            Problem(
                name,
                mark.line + 1,
                mark.column + 1,
                f"duplicate key '{key}' (first defined at line {first[0]}); "
                "YAML would keep only the last one, remove one of them",
                f"{parent}.{key}" if parent else key,
            )
        )
        key = _DUPLICATE
    else:
        container.key_pos[key] = (mark.line + 1, mark.column + 1)
    frame[5] = key
    return key


def _too_long(mark: Any, text: str, limit: int, stack: list[list[Any]]) -> Fatal:
    return _fail(mark, f"value is {len(text):,} characters long, over the limit of {limit:,}", stack)


def _fail(mark: Any, message: str, stack: list[list[Any]]) -> Fatal:
    return Fatal(mark.line + 1, mark.column + 1, message, ".".join(_path(stack)))


def _path(stack: list[list[Any]]) -> list[str]:
    """The keys and indexes leading to the value being read."""
    parts = []
    for frame in stack:
        if frame[1].__class__ is YMap:
            if isinstance(frame[5], str):
                parts.append(frame[5])
        else:
            parts.append(str(frame[3] - 1))
    return parts


def _attach(frame: list[Any], value: Any, size: int, where: tuple[int, int]) -> None:
    """Put a finished collection into the collection of ``frame``."""
    container = frame[1]
    frame[4] += size
    if container.__class__ is YSeq:
        container.append(value)
        container.item_pos.append(where)
    elif frame[5] is not _DUPLICATE:
        dict.__setitem__(container, frame[5], value)
        container.value_pos[frame[5]] = where


class _Marker:
    __slots__ = ()


_DUPLICATE: Any = _Marker()

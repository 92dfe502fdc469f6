"""YAML with line and column for every node, and one answer whichever parser reads it.

PyYAML composes the document: libyaml's C composer by default, PyYAML's
pure-Python one with ``--pure-yaml`` (or where libyaml is missing), and for
documents with anchors and aliases, whose bounds are checked while
composing (:class:`_BoundedComposer`). :func:`cxaudit.journey.tree.build`
turns the nodes into values with positions.

The two parsers do not agree on everything YAML allows: a tab between a key
and its value, a ``?`` inside a flow mapping's plain value (``{name: Shop?}``),
a lone ``!`` tag, a byte-order mark inside the text, a key over 1,024
characters. Text holding any of these is read by both parsers and given one
verdict, the same in every mode: the pure parser's refusal if it refuses,
else libyaml's, else the pure parser's document. A differential fuzz test
(tests/fuzz/test_differential.py) checks that the two modes agree on mutated
journeys.
"""

from __future__ import annotations

import re
import sys

from cxaudit.errors import JourneyError, Problem
from cxaudit.journey.source import Limits
from cxaudit.journey.tree import Document, Fatal, build

__all__ = ["has_c_parser", "read_yaml", "refuse_unprintable"]

# Characters YAML 1.1 does not allow in a stream: all but its c-printable
# production (tab, line feed, carriage return, 0x20-0x7E, 0x85, 0xA0-0xD7FF,
# 0xE000-0xFFFD and 0x10000-0x10FFFF), written as what is left out (a class
# of the allowed ones is slow to compile, in every process).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])

# Where libyaml and PyYAML's pure parser can read the same text differently:
# tabs, '?', tags, byte-order marks, escapes, an empty value in a flow
# collection (``{a: }``, ``{a:,}``), a block scalar's header run into a
# comment (``|# note``), and lines long enough to hold a key over 1,024
# characters. Looked for character by character first (each a quick scan),
# then by the two patterns, each with its own first character.
_DIVERGENT_CHARACTERS = ("\t", "?", "!", "\\")
_EMPTY_FLOW_VALUE = re.compile(r":[ ]*[,}\]]")
_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")
_LONG_LINE = 1000
# An anchor or an alias is '&' or '*' and a name, at the start of a node: after
# a space, a line break, '[', '{', ',' or ':', or at the start of the text.
_ANCHOR_OR_ALIAS = re.compile(r"[&*][^\s,\[\]{}]")
_NODE_START = frozenset(" \t\r\n[{,:")


def _may_hold_aliases(text: str) -> bool:
    """Whether ``text`` may hold an anchor or an alias (a superset: "Q & A" and "x*y" hold none).

    >>> _may_hold_aliases("a: &x 1\\nb: *x\\n"), _may_hold_aliases("a: Q & A, x*y\\n")
    (True, False)
    """
    if "&" not in text and "*" not in text:
        return False
    return any(
        match.start() == 0 or text[match.start() - 1] in _NODE_START for match in _ANCHOR_OR_ALIAS.finditer(text)
    )


def has_c_parser() -> bool:
    """True when PyYAML was built with the libyaml C parser."""
    import yaml

    return bool(getattr(yaml, "__with_libyaml__", False))


def _divergent(text: str) -> bool:
    """Whether ``text`` holds something the two parsers may read differently.

    >>> _divergent("a: {b: 1}\\n"), _divergent("a: {b: }\\n"), _divergent("a:\\tb\\n")
    (False, True, True)
    """
    if any(character in text for character in _DIVERGENT_CHARACTERS):
        return True
    if not text.isascii() and "\ufeff" in text:
        return True
    if _EMPTY_FLOW_VALUE.search(text):
        return True
    if ("|" in text or ">" in text) and _HEADER_COMMENT.search(text):
        return True
    return len(text) >= _LONG_LINE and max(map(len, text.split("\n"))) >= _LONG_LINE


def read_yaml(text: str, name: str, limits: Limits, *, pure_yaml: bool = False) -> Document:
    """Read one YAML document from ``text``.

    Parameters
    ----------
    text : str
        The document, already decoded.
    name : str
        The file name used in problems.
    limits : Limits
        The bounds to enforce while reading.
    pure_yaml : bool
        Use PyYAML's pure-Python parser even when libyaml is installed; the
        answer is the same.

    Raises
    ------
    JourneyError
        The text is not plain, bounded YAML holding exactly one document.

    Examples
    --------
    >>> doc = read_yaml("a: 1\\nb: [x, y]\\n", "f.yaml", Limits())
    >>> doc.root, doc.root.where("b")
    ({'a': 1, 'b': ['x', 'y']}, (2, 4))
    """
    refuse_unprintable(text, name)
    c_parser = not pure_yaml and has_c_parser()
    if not _divergent(text):
        try:
            return _read(text, name, limits, c_parser=c_parser)
        except JourneyError:
            if not c_parser:
                raise
        # The parsers find the same errors but word and place some differently: the pure parser's words.
        return _read(text, name, limits, c_parser=False)
    reference = _read(text, name, limits, c_parser=False)  # raises the pure parser's refusal
    if has_c_parser():
        _read(text, name, limits, c_parser=True)  # raises libyaml's refusal
    return reference


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


def _read(text: str, name: str, limits: Limits, *, c_parser: bool) -> Document:
    """Compose ``text`` with one parser and build its values."""
    import yaml

    from cxaudit.journey.compose import BoundedLoader, FastLoader
    from cxaudit.journey.wording import parse_error_problem

    if c_parser and _may_hold_aliases(text):
        c_parser = False  # aliases are bounded while composing, which only the pure-Python composer lets us do
    loader = FastLoader(text) if c_parser else BoundedLoader(text, limits)
    depth = sys.getrecursionlimit()
    try:
        if not c_parser:  # the pure composer recurses, three frames a level, up to the bound
            sys.setrecursionlimit(max(depth, 3 * limits.max_depth + 500))
        if not loader.check_node():
            raise Fatal(1, 1, "file is empty; a journey file starts with 'cxaudit: 1'")
        document = build(loader.get_node(), name, limits)
        if loader.check_node():
            mark = loader.peek_event().start_mark
            raise Fatal(
                mark.line + 1,
                mark.column + 1,
                "more than one YAML document in the file; a journey file holds exactly one",
            )
        return document
    except Fatal as fatal:
        raise JourneyError([Problem(name, fatal.line, fatal.column, fatal.message, fatal.path)]) from None
    except yaml.MarkedYAMLError as exc:
        if c_parser and "nesting depth" in (exc.problem or ""):
            # libyaml has a nesting limit of its own (1,000 levels from 0.2.5 on) and meets it before our
            # bound can be checked; the pure composer checks ours while composing and says where.
            return _read(text, name, limits, c_parser=False)
        raise JourneyError([parse_error_problem(name, text, exc)]) from None
    except yaml.YAMLError as exc:  # errors without a position (reader errors)
        raise JourneyError([Problem(name, 1, 1, f"invalid YAML: {exc}")]) from None
    finally:
        sys.setrecursionlimit(depth)
        loader.dispose()

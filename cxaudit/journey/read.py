"""YAML with line and column for every node, and one answer whichever parser reads it.

Three readers can read a journey: :mod:`cxaudit.fastyaml` (the plain subset
most journeys are written in), libyaml's C parser and PyYAML's pure-Python
parser (``--pure-yaml``, and machines without libyaml). The two parsers do
not agree on everything YAML allows: a tab between a key and its value, a
``?`` inside a flow mapping's plain value (``{name: Shop?}``), a lone ``!``
tag, a byte-order mark inside the text, a key over 1,024 characters. Text
holding any of these is read by both parsers and given one verdict, the
same in every mode: the pure parser's refusal if it refuses, else libyaml's,
else the pure parser's document. A differential fuzz test
(tests/fuzz/test_differential.py) checks that the default and the pure
reader agree on mutated journeys.
"""

from __future__ import annotations

import re

from cxaudit.errors import JourneyError
from cxaudit.yamlread import Document, Limits, has_c_parser, parse_yaml, refuse_unprintable

__all__ = ["read_yaml"]

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


def read_yaml(text: str, name: str, limits: Limits, *, pure: bool = False, fast: bool = True) -> Document:
    """Read one YAML document from ``text``.

    Parameters
    ----------
    text : str
        The document, already decoded.
    name : str
        The file name used in problems.
    limits : Limits
        The bounds to enforce while reading.
    pure : bool
        Use PyYAML's pure-Python parser even when libyaml is installed; the
        answer is the same.
    fast : bool
        Read the simple YAML most journeys are written in with
        :mod:`cxaudit.fastyaml` (same result, several times faster), and
        only the rest with PyYAML's parser. Ignored when ``pure`` is true.

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
    if not pure and fast and "?" not in text and "!" not in text:
        from cxaudit.fastyaml import read_fast

        # The fast reader's subset holds nothing else the parsers read differently: it steps aside on tabs,
        # byte-order marks, escapes, empty flow values, block scalars and lines of 1,000 characters or more.
        document = read_fast(text, limits)
        if document is not None:
            return document
    if not _divergent(text):
        try:
            return parse_yaml(text, name, limits, c_parser=not pure and has_c_parser())
        except JourneyError:
            if pure or not has_c_parser():
                raise
        # The parsers find the same errors but word and place some differently: the pure parser's words.
        return parse_yaml(text, name, limits, c_parser=False)
    reference = parse_yaml(text, name, limits, c_parser=False)  # raises the pure parser's refusal
    if has_c_parser():
        parse_yaml(text, name, limits, c_parser=True)  # raises libyaml's refusal
    return reference

"""User text shown in a terminal: control and bidirectional characters made visible."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxaudit.textsafe import clean

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def reference(text: str, keep_newlines: bool) -> str:
    """The whole substitution, with no shortcut for plain ASCII."""
    text = UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else "?", text)
    return text.replace("\t", " ") if keep_newlines else text.replace("\n", "\\n").replace("\t", " ")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain words: 1, 2 [x]", "plain words: 1, 2 [x]"),
        ("tab\there", "tab here"),
        ("two\nlines", "two\\nlines"),
        ("esc\x1b[2J", "esc\\x1b[2J"),
        ("del\x7f", "del\\x7f"),
        ("c1\x85", "c1\\x85"),
        ("bidi\u202eevil", "bidi?evil"),
        ("café €", "café €"),
    ],
)
def test_clean_shows_what_a_terminal_would_act_on(text, shown):
    assert clean(text) == shown


@given(st.text(alphabet=st.characters(max_codepoint=0x2100)), st.booleans())
def test_clean_equals_the_whole_substitution(text, keep_newlines):
    assert clean(text, keep_newlines=keep_newlines) == reference(text, keep_newlines)

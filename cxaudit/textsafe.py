"""Make user text safe to show in a terminal or a CI log."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC included), DEL, and the bidirectional
# overrides that can make text read differently from what it is.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control and escape characters shown as ``\\xNN``.

    >>> clean("ok\\x1b[2Jgone")
    'ok\\\\x1b[2Jgone'
    >>> clean("a\\nb")
    'a\\\\nb'
    """
    if text.isascii() and text.isprintable():  # the usual case: nothing to show differently
        return text
    text = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else "?", text)
    if keep_newlines:
        return text.replace("\t", " ")
    return text.replace("\n", "\\n").replace("\t", " ")

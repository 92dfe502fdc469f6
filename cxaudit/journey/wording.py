"""One wording for a YAML parse error, whichever parser found it, at its line and column."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cxaudit.errors import Problem

if TYPE_CHECKING:
    import yaml

__all__ = ["parse_error_problem"]

_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)


def parse_error_problem(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
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

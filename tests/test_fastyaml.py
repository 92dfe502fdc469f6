"""The fast reader gives the full reader's document, or gives up."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxaudit.errors import JourneyError
from cxaudit.fastyaml import read_fast
from cxaudit.journey.read import read_yaml
from cxaudit.yamlread import DEFAULT_LIMITS, Limits, YMap, YSeq
from tests.strategies import journeys

ROOT = Path(__file__).parent.parent


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types at equal positions, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, YMap):
        return (
            list(a) == list(b)
            and (a.line, a.column, a.key_pos, a.value_pos, a.raw) == (b.line, b.column, b.key_pos, b.value_pos, b.raw)
            and all(same(a[key], b[key]) for key in a)
        )
    if isinstance(a, YSeq):
        return (a.line, a.column, a.item_pos) == (b.line, b.column, b.item_pos) and all(map(same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def read(text: str, limits: Limits, fast: bool) -> Any:
    try:
        return read_yaml(text, "f.yaml", limits, fast=fast)
    except JourneyError as error:
        return str(error)


def check(text: str, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Assert reading with and without the fast reader gives the same; True if it read the text."""
    fast, full = read(text, limits, fast=True), read(text, limits, fast=False)
    if isinstance(full, str):
        assert fast == full
    else:
        assert full.problems == fast.problems
        assert (fast.line, fast.column) == (full.line, full.column)
        assert same(fast.root, full.root), (fast.root, full.root)
    return read_fast(text, limits) is not None


# Keys and values chosen to sit on every edge of the subset: YAML 1.1's
# booleans, nulls, numbers and timestamps, indicators, quotes, comments,
# colons, commas, brackets, non-ASCII text, signs.
KEYS = [
    "a",
    "b",
    "step_1",
    "no",
    "on",
    "1",
    "~",
    "a b",
    "é",
    "a'b",
    "a-b",
    "x.y",
    "-a",
    "?a",
    "a#b",
    "<<",
    "日本",
    "😀",
]
SCALARS = [
    "x", "1", "-1", "+1", "1.5", "-0.5", ".5", "1e3", "1.5e-3", "0x1F", "0o17", "017", "1_000", "1:30", "yes", "No",
    "true", "FALSE", "on", "off", "~", "null", "Null", ".inf", "-.inf", ".nan", "2026-01-02", "2026-01-02 10:00:00",
    "=", "<<", "a b", "a,b", "a]", "a}", "a{b", "a #b", "a#b", "a: b", "a:b", "http://x", "-", "-x", "- x", "'q'",
    '"q"', "'a''b'", '"a\\"b"', '"a', "&a x", "*a", "!!str x", "!x y", "|", ">", "%x", "@x", "`x", "é", "日本語",
    "30s", "1d", "0.73", "0.111", "é x", "x ", "?x", ":x", "{}", "[]", "{a: 1}", "{a: 1, b: 2.5}", "{a: 1,}",
    "{a: 1, }", "{a: {b: 1}}", "{a: }", "{a:1}", "{a: x y, b: -3}", "[1, 2]", "[a, -1, yes]", "[a,]", "[[a]]",
    "{a: 1} x", "{a: 1} # c", "[1] #c", "{ a: 1 , b: 2 }", "{a: 'q'}", "x # c", "x #c", "'q' # c", "'q'x",
    "😀", "x😀 y", "{😀: é😀, b: [😀, 1]}", "a\r", "a\x85b", "\ufeffx",
]  # fmt: skip


COMMON_KEYS = ["a", "b", "c", "step_1", "no", "1", "a b", "é"]
COMMON = ["x", "1", "0.5", "yes", "a b", "{a: 1, b: x}", "[1, a]", "'q'", "é", "30s"]


@st.composite
def documents(draw: Any, edges: float = 1.0) -> str:
    """Block mappings nested a few levels, lines drawn from the edges above.

    ``edges`` is the share of values drawn from the edges; the rest are
    common values, so that whole documents stay inside the fast subset often.
    """
    lines: list[str] = []

    def edge() -> bool:  # (hypothesis draws the bounds of st.floats and st.integers often)
        return draw(st.sampled_from(range(100))) < edges * 100

    def mapping(indent: int, depth: int) -> None:
        keys = draw(st.lists(st.sampled_from(KEYS if edge() else COMMON_KEYS), min_size=1, max_size=4, unique=True))
        if edge():
            keys.append(keys[0])  # a duplicate
        for key in keys:
            pad = " " * indent
            if edge() and draw(st.integers(0, 4)) == 0:
                lines.append(draw(st.sampled_from(["", "   ", pad + "# note", "#", "---", "- x", pad + " x: 1"])))
            gap = draw(st.sampled_from([" ", " ", "  ", ""])) if edge() else " "
            if depth < 3 and draw(st.booleans()):
                lines.append(f"{pad}{key}:{draw(st.sampled_from(['', ' ', ' # c']))}")
                step = draw(st.sampled_from([2, 2, 4, 1])) if edge() else 2
                mapping(indent + step, depth + 1)
            else:
                value = draw(st.sampled_from(SCALARS if edge() else COMMON))
                lines.append(f"{pad}{key}:{gap}{value}{draw(st.sampled_from(['', '', ' ']))}")

    mapping(0, 0)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@pytest.mark.slow
@given(documents(), st.booleans())
@settings(max_examples=400)
def test_the_fast_reader_agrees_with_the_full_reader_or_gives_up(text: str, windows: bool) -> None:
    check(text.replace("\n", "\r\n") if windows else text)


@given(documents(edges=0.05))
@settings(max_examples=400)
def test_the_fast_reader_agrees_on_mostly_common_documents(text: str) -> None:
    check(text)


@given(journeys())
def test_generated_journeys_are_read_fast(text: str) -> None:
    assert check(text)


def test_the_example_journeys_are_read_fast_and_identically() -> None:
    for path in sorted((ROOT / "journeys").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert check(text), path
        assert check(text.replace("\n", "\r\n")), path  # Windows line ends


def test_every_journey_fixture_reads_the_same_on_both_paths() -> None:
    fast = [
        path.name
        for path in sorted((ROOT / "tests" / "fixtures").rglob("*.yaml"))
        if check(path.read_text("utf-8", "replace"))
    ]
    assert len(fast) >= 20, fast


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a: 1\na: 2\n", "duplicate key: the full reader reports it"),
        ("a:\nb: 1\n", "empty value"),
        ("a: x\n  y\n", "multi-line scalar"),
        ("a: |\n  x\n", "block scalar"),
        ("a:\n  - x\n", "block list"),
        ("a: &x 1\n", "anchor"),
        ("a: !!str 1\n", "tag"),
        ('a: "x\\ty"\n', "escape"),
        ("a:\tb\n", "tab"),
        ("a: 1\rb: 2\n", "a lone carriage return"),
        ("a: 1\r\nb: 2\r", "a lone carriage return at the end"),
        ("---\na: 1\n", "document marker"),
        ("a: {b: 1,}\n", "trailing comma"),
        ("a: b: c\n", "':' in a value"),
        ("  a: 1\n", "indented root"),
        ("a:\n  b: 1\n c: 2\n", "indentation between levels"),
        ("# only a comment\n", "no content"),
        ("", "empty"),
    ],
)
def test_the_fast_reader_gives_up_outside_its_subset(text: str, why: str) -> None:
    assert read_fast(text, DEFAULT_LIMITS) is None, why


def test_the_fast_reader_gives_up_over_the_limits() -> None:
    assert read_fast("a:\n  b:\n    c: 1\n", Limits(max_depth=2)) is None
    assert read_fast("a:\n  b:\n    c: 1\n", Limits(max_depth=3)) is not None
    assert read_fast("a: {b: 1}\n", Limits(max_depth=1)) is None
    assert read_fast("a: xxxxxxxxxx\n", Limits(max_scalar_length=5)) is None


def test_positions_and_raw_text_of_a_fast_read() -> None:
    document = read_fast("# c\nj:\n  next: {pay: 0.9, lost: 1e-1}  # shares\n  n: 'x'\n", DEFAULT_LIMITS)
    assert document is not None
    journey = document.root["j"]
    assert (document.line, document.column) == (2, 1)
    assert journey.where("next") == (3, 9)
    assert journey["next"] == {"pay": 0.9, "lost": 0.1}
    assert journey["next"].where_key("lost") == (3, 20)
    assert journey["next"].where("lost") == (3, 26)
    assert journey["next"].text("lost") == "1e-1"
    assert journey["n"] == "x" and journey.text("n") is None


def test_positions_of_the_lines_read_in_one_pass() -> None:
    # ``key: value``, ``key:`` and ``key: {k: v, k: v}`` with no comment are
    # split by one regex pass over the text, not matched line by line.
    text = "j:\n  next: {pay: 0.9, lost: 1e-1, a b: c d}\n  n: 1e-2\n"
    document = read_fast(text, DEFAULT_LIMITS)
    assert document is not None
    journey = document.root["j"]
    assert journey.where_key("next") == (2, 3) and journey.where("next") == (2, 9)
    flow = journey["next"]
    assert flow == {"pay": 0.9, "lost": 0.1, "a b": "c d"}
    assert [flow.where_key(k) for k in flow] == [(2, 10), (2, 20), (2, 32)]
    assert [flow.where(k) for k in flow] == [(2, 15), (2, 26), (2, 37)]
    assert flow.raw == {"pay": "0.9", "lost": "1e-1"}
    assert journey["n"] == 0.01 and journey.where("n") == (3, 6) and journey.text("n") == "1e-2"
    assert check(text)


def test_the_first_characters_pyyaml_may_resolve_are_known_without_pyyaml() -> None:
    from yaml.resolver import Resolver

    from cxaudit.yamlread import _RESOLVED_FIRST

    assert frozenset(ch for ch in Resolver.yaml_implicit_resolvers if ch) == _RESOLVED_FIRST


def test_the_usual_values_are_read_without_loading_pyyaml() -> None:
    # A check's parent process reads no YAML unless a configuration file is
    # found, and the fast reader needs PyYAML only for numbers in YAML 1.1's
    # rarer forms.
    import subprocess
    import sys

    code = (
        "import sys\nfrom cxaudit.fastyaml import read_fast\nfrom cxaudit.yamlread import DEFAULT_LIMITS\n"
        "import cxaudit.config, cxaudit.run, cxaudit.loader\n"
        "doc = read_fast('a: x\\nb: {c: 0.5, d: 1, e: true, f: 30s, g: Team 7, h: ~, i: 1e-3}\\n', DEFAULT_LIMITS)\n"
        "print(doc.root, 'yaml' in sys.modules)\n"
        "read_fast('a: 0x1F\\n', DEFAULT_LIMITS)\n"
        "print('yaml' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "{'a': 'x', 'b': {'c': 0.5, 'd': 1, 'e': True, 'f': '30s', 'g': 'Team 7', 'h': None, 'i': 0.001}} False",
        "True",
    ]


def test_values_are_remembered_from_text_to_text_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import cxaudit.fastyaml as fastyaml

    monkeypatch.setattr(fastyaml, "VALUES_KEPT", 3)
    monkeypatch.setattr(fastyaml, "_MEMORY", ({}, set()))
    first = read_fast("a: yes\nb: {c: 0.5, d: x}\n", DEFAULT_LIMITS)
    values, typed = fastyaml._MEMORY
    assert first is not None and values == {"yes": True, "0.5": 0.5, "x": "x"}
    assert sorted(typed) == ["0.5", "yes"]
    second = read_fast("a: yes\nb: {c: 0.5, d: y}\n", DEFAULT_LIMITS)  # from memory, then one more value
    assert second is not None and second.root == {"a": True, "b": {"c": 0.5, "d": "y"}}
    assert second.root.text("a") == "yes" and second.root["b"].text("c") == "0.5"
    assert len(fastyaml._MEMORY[0]) == 4
    third = read_fast("a: no\n", DEFAULT_LIMITS)  # over the bound: a new memory
    values, typed = fastyaml._MEMORY
    assert third is not None and third.root == {"a": False} and values == {"no": False} and typed == {"no"}
    assert third.root.text("a") == "no"


# The row pattern written the plain way: a key or value ends in a character of
# its own class (the engine backtracks to find it). The reader's pattern takes
# the characters possessively and looks behind for a space instead.
_END = r"(?:[^:#,\[\]{}\n]*[^:#,\[\]{}\s])?"
_PLAIN_KEY = r"[^\s\-?:,\[\]{}#&*!|>'\"%@`]" + _END
_PLAIN_VALUE = r"(?:-(?=[0-9.]))?[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#\n]*[^:#\s])?"
_PLAIN_PAIR = _PLAIN_KEY + ": " + r"(?:-(?=[0-9.]))?[^\s\-?:,\[\]{}#&*!|>'\"%@`]" + _END
PLAIN_ROW = re.compile(
    r"^( *)(?:("
    + _PLAIN_KEY
    + r"):(?: ("
    + _PLAIN_VALUE
    + r")| \{("
    + _PLAIN_PAIR
    + "(?:, "
    + _PLAIN_PAIR
    + r")*)\})?$|.*$)",
    re.MULTILINE,
)
TRICKY = st.lists(
    st.sampled_from([*"ab -:#,[]{}?&*!|>'\"%@`.05\xa0\t é", "x: ", ": ", ", ", " {", "}", "a: 1", "-1", "-x"]),
    max_size=14,
).map("".join)


@given(TRICKY)
@settings(max_examples=2000)
def test_the_row_pattern_splits_lines_as_the_plain_one_does(line: str) -> None:
    from cxaudit.fastyaml import _ROW

    text = f"{line}\nk: {{{line}}}\n{line[:3]}: {line}\n  {line}"
    assert _ROW.findall(text) == PLAIN_ROW.findall(text)


NUMBERISH = st.lists(
    st.sampled_from([*"0123456789-+._:eExXbBoOaAfFtTzZ ~<=!&*", "inf", "Inf", "INF", "nan", "NaN", "\t", "\n", "é"]),
    max_size=12,
).map("".join)


@given(st.one_of(NUMBERISH, st.sampled_from(SCALARS + KEYS), st.text(max_size=6)))
@settings(max_examples=3000)
def test_plain_scalars_resolve_as_pyyaml_resolves_them(value: str) -> None:
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    from cxaudit.yamlread import _implicit_tag

    assert _implicit_tag(value) == Resolver().resolve(ScalarNode, value, (True, False)), value


@pytest.mark.parametrize(
    "value",
    ["yes", "No", "TRUE", "off", "On", "null", "~", "", "1", "-1_000", "0x1F", "0o17", "017", "0b101", "1:30",
     "1.5", ".5", "+.inf", ".NaN", "1:30.5", "2026-01-02", "2026-1-2 10:00:00", "2026-01-02T10:00:00.5Z",
     "2026-01-02 10:00:00 +01:00", "<<", "=", "!", "30s", "1h30m", "Team 7", "yes!", "1e3", "1.e+3", "-"],
)  # fmt: skip
def test_the_resolution_of_each_implicit_type(value: str) -> None:
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    from cxaudit.yamlread import _implicit_tag

    assert _implicit_tag(value) == Resolver().resolve(ScalarNode, value, (True, False))


def test_booleans_are_pyyamls() -> None:
    from yaml.constructor import SafeConstructor

    from cxaudit.yamlread import _BOOLS

    assert SafeConstructor.bool_values == _BOOLS


NUMBERS = st.lists(
    st.sampled_from([*"0123456789-+._:eExXbBoOaAfFtT", "inf", "Inf", "nan", "NaN", "yes", "Off", "null", "~"]),
    min_size=1,
    max_size=10,
).map("".join)


@given(NUMBERS)
@settings(max_examples=3000)
def test_plain_scalars_are_the_values_pyyaml_makes(value: str) -> None:
    import yaml

    from cxaudit.yamlread import plain_scalar

    try:
        expected = yaml.load(f"v: {value}\n", Loader=yaml.SafeLoader)["v"]
    except (yaml.YAMLError, ValueError, TypeError, KeyError):
        return  # not a plain scalar on one line
    if not isinstance(expected, bool | int | float | str) and expected is not None:
        return  # a timestamp, a list...: read as text by journeys
    try:
        got = plain_scalar(value.strip(), 1, 1)
    except ValueError:
        return
    if isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    elif not re.search("[eE][-+]?[0-9]", value):  # journeys read 1e3 as a number, YAML 1.1 as text
        assert (type(got), got) == (type(expected), expected), value

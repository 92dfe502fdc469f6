"""The YAML reader: PyYAML's values and positions, aliases found and bounded, both composers alike."""

from __future__ import annotations

import contextlib
import datetime

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cxaudit import JourneyError
from cxaudit.journey.read import _may_hold_aliases, has_c_parser, read_yaml
from cxaudit.journey.source import Limits
from cxaudit.journey.tree import YMap, YSeq

MODES = [True, False] if has_c_parser() else [True]

NUMBER_LIKE = st.text(alphabet="0123456789+-._:eExXoObB", min_size=1, max_size=10)
WORDS = st.sampled_from(
    ["yes", "No", "TRUE", "off", "On", "null", "~", "Null", "NULL", "y", "n", ".inf", "-.Inf", ".NaN", "2026-12-03"]
)


def pyyaml_value(text: str) -> object:
    """What PyYAML's safe loader makes of the plain value ``text``, read the journey way."""
    value = yaml.load(f"a: {text}\n", Loader=yaml.SafeLoader)["a"]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return text  # dates stay text
    if isinstance(value, str) and "e" in text.lower() and set(text) <= set("0123456789+-.eE"):
        # a number with an exponent that YAML 1.1 reads as text (1e-6) is a number to journeys, as to JSON
        with contextlib.suppress(ValueError):
            return float(text)
    return value


def same(a: object, b: object) -> bool:
    return a == b or (a != a and b != b)  # NaN


@pytest.mark.parametrize("pure", MODES)
@given(text=st.one_of(NUMBER_LIKE, WORDS))
def test_plain_values_are_what_pyyaml_makes(pure: bool, text: str) -> None:
    try:
        expected = pyyaml_value(text)
    except yaml.YAMLError:
        return  # not a plain value at all
    except ValueError:
        with pytest.raises(JourneyError, match="is not"):
            read_yaml(f"a: {text}\n", "f.yaml", Limits(), pure_yaml=pure)
        return
    document = read_yaml(f"a: {text}\n", "f.yaml", Limits(), pure_yaml=pure)
    got = document.root["a"]
    assert same(got, expected) and type(got) is type(expected), (text, got, expected)
    if not isinstance(got, str):
        assert document.root.text("a") == text


@pytest.mark.parametrize("pure", MODES)
def test_values_positions_and_source_text(pure: bool) -> None:
    text = "a: 1\nb: [x, 'y']\nc:\n  - {d: 1e-3}\n  - null\n"
    root = read_yaml(text, "f.yaml", Limits(), pure_yaml=pure).root
    assert root == {"a": 1, "b": ["x", "y"], "c": [{"d": 0.001}, None]}
    assert isinstance(root, YMap) and isinstance(root["b"], YSeq)
    assert (root.where("a"), root.where_key("b"), root.where("c")) == ((1, 4), (2, 1), (4, 3))
    assert root["b"].item_pos == [(2, 5), (2, 8)]
    assert root["c"][0].where("d") == (4, 9)
    assert (root.text("a"), root.text("b"), root["c"][0].text("d")) == ("1", None, "1e-3")


@pytest.mark.parametrize("pure", MODES)
def test_an_alias_is_placed_where_it_is_written(pure: bool) -> None:
    text = "base: &b {x: 1}\nuse: *b\nalso: [*b]\n"
    root = read_yaml(text, "f.yaml", Limits(), pure_yaml=pure).root
    assert root["use"] is root["base"] and root["also"][0] is root["base"]
    assert (root.where("use"), root["also"].item_pos) == ((2, 6), [(3, 8)])


@pytest.mark.parametrize("pure", MODES)
def test_an_anchor_defined_again_is_the_latest_for_later_aliases(pure: bool) -> None:
    root = read_yaml("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "f.yaml", Limits(), pure_yaml=pure).root
    assert (root["b"], root["d"]) == (1, 2)


@pytest.mark.parametrize("pure", MODES)
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1, *a]\n", "f.yaml:1:11: alias '*a' refers to the node that contains it (a.1)"),
        ("a: *nowhere\n", "f.yaml:1:4: alias '*nowhere' refers to no anchor '&nowhere' defined before it (a)"),
        (
            "a: !!set {x}\n",
            "f.yaml:1:4: tag '!!set' is not allowed: cxaudit reads plain YAML only "
            "(no Python or custom tags); remove the tag (a)",
        ),
        (
            "a: !!timestamp 2026-12-03\n",
            "f.yaml:1:4: tag '!!timestamp' is not allowed: cxaudit reads plain YAML "
            "only (no Python or custom tags); remove the tag",
        ),
        ("? [x]\n: 1\n", "f.yaml:1:3: a mapping key must be a plain value, not a mapping or list"),
        ("a: !!int x1\n", "f.yaml:1:4: 'x1' is not an integer"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: more than one YAML document in the file; a journey file holds exactly one"),
        ("# nothing\n", "f.yaml:1:1: file is empty; a journey file starts with 'cxaudit: 1'"),
        # Nesting too deep is reported first, wherever it is, in both modes.
        ("a: !!set {x}\nb: [[[x]]]\n", "f.yaml:2:5: nesting is deeper than 2 levels; a journey needs only a few (b.0)"),
    ],
)
def test_refusals_name_their_place(pure: bool, text: str, message: str) -> None:
    with pytest.raises(JourneyError) as caught:
        read_yaml(text, "f.yaml", Limits(max_depth=2) if "[[[" in text else Limits(), pure_yaml=pure)
    assert str(caught.value.problems[0]) == message


@pytest.mark.parametrize("pure", MODES)
def test_a_duplicate_key_is_a_problem_that_does_not_stop_reading(pure: bool) -> None:
    document = read_yaml("a: 1\nb: 2\na: 3\n", "f.yaml", Limits(), pure_yaml=pure)
    assert document.root == {"a": 1, "b": 2}
    assert [str(p) for p in document.problems] == [
        "f.yaml:3:1: duplicate key 'a' (first defined at line 1); YAML would keep only the last one, "
        "remove one of them (a)"
    ]


YAMLISH = st.text(alphabet="ab &*:-[]{},?!'\"\n#|>x1", max_size=40)


@given(YAMLISH)
def test_every_text_with_an_alias_is_seen_to_have_one(text: str) -> None:
    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return
    if any(isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) for event in events):
        assert _may_hold_aliases(text), text

"""The fast indented JSON writer gives the standard library's text, byte for byte."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxaudit.jsontext import dumps

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=40,
)


# Lists of flat mappings (a report's steps) take their own path: strings that
# look like its separators, empty mappings and nested lists among them.
TRICKY = st.sampled_from(["},\n    {", "}", "{", ",\n", "\n  },", ""]) | st.text()
ROWS = st.lists(st.dictionaries(KEYS, SCALARS | TRICKY, max_size=4), max_size=5)


@given(VALUES | ROWS | st.dictionaries(st.text(), ROWS | st.lists(ROWS, max_size=3), max_size=3))
def test_same_text_as_the_standard_library(value):
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@given(VALUES)
def test_same_refusal_of_nan_as_the_standard_library(value):
    try:
        expected = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        with pytest.raises(ValueError):
            dumps(value, allow_nan=False)
    else:
        assert dumps(value, allow_nan=False) == expected


def test_a_report_like_document():
    document = {
        "cxaudit": "0.1.0",
        "journeys": [
            {"steps": [{"id": "a", "name": 'Ünïcode "quoted"\n', "visits": 1 / 3, "lost": None}], "warnings": []},
            {"metrics": {"rate": math.pi, "count": 10**20, "flag": True}, "path": ["a", ["b", {}]]},
        ],
    }
    assert dumps(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_what_json_cannot_write_is_refused_like_json():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"a": {1, 2}}, indent=2)


def test_subclasses_of_scalars_are_written_like_json_writes_them():
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    class Share(float):
        pass

    document = {"level": Level.HIGH, "name": Name("x"), "nested": [{"level": Level.HIGH}], "share": Share(0.1)}
    assert dumps(document) == json.dumps(document, indent=2, ensure_ascii=False)

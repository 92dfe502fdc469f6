"""The loader: exact problems and positions, both YAML parsers, the model."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxaudit import JourneyError, load_journey, loads_journey, spec
from cxaudit.journey.kinds import parse_duration
from cxaudit.journey.read import has_c_parser
from tests.conftest import FIXTURES, JOURNEYS

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
PARSERS = [pytest.param(True, id="pure")]
if has_c_parser():
    PARSERS.append(pytest.param(False, id="libyaml"))


def problems_of(path: Path, pure: bool) -> list[str]:
    with pytest.raises(JourneyError) as caught:
        load_journey(path, name=path.name, pure_yaml=pure)
    return [str(p) for p in caught.value.problems]


def test_corpus_is_large_enough():
    assert len(INVALID) >= 25


@pytest.mark.parametrize("pure", PARSERS)
@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_reports_exact_problems(path: Path, pure: bool):
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert problems_of(path, pure) == expected


@pytest.mark.skipif(not has_c_parser(), reason="libyaml not installed")
@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_both_parsers_agree(path: Path):
    assert problems_of(path, pure=True) == problems_of(path, pure=False)


def test_many_problems_are_all_reported():
    problems = problems_of(FIXTURES / "invalid" / "many-problems.yaml", pure=True)
    assert len(problems) == 9


@pytest.mark.parametrize("path", JOURNEYS, ids=[p.stem for p in JOURNEYS])
@pytest.mark.parametrize("pure", PARSERS)
def test_example_journeys_load(path: Path, pure: bool):
    journey = load_journey(path, pure_yaml=pure)
    assert 10 <= len(journey.steps) <= 40
    types = {s.type for s in journey.steps.values()}
    assert {"step", "contact", "success", "abandon"} <= types
    assert any(t.target == t.source for s in journey.steps.values() for t in s.next), "a retry loop"
    assert any(c.cost for c in journey.channels.values())


@pytest.mark.skipif(not has_c_parser(), reason="libyaml not installed")
@pytest.mark.parametrize("path", [*JOURNEYS, FIXTURES / "spec_example.yaml"], ids=lambda p: p.stem)
def test_parsers_build_identical_models(path: Path):
    assert load_journey(path, pure_yaml=True) == load_journey(path, pure_yaml=False)


def test_spec_example_model():
    journey = load_journey(FIXTURES / "spec_example.yaml", name="checkout.yaml")
    assert (journey.id, journey.name, journey.volume, journey.period, journey.currency, journey.value) == (
        "checkout",
        "Online checkout",
        120000.0,
        "month",
        "EUR",
        85.0,
    )
    assert [(e.step, e.share, e.span.line, e.span.column) for e in journey.entry] == [("browse", 1.0, 10, 8)]
    pay = journey.steps["pay"]
    assert (pay.span.line, pay.span.column) == (34, 3)
    assert [(t.target, t.probability, t.span.line, t.span.column) for t in pay.next] == [
        ("done", 0.86, 39, 12),
        ("pay", 0.06, 39, 24),
        ("lost", 0.04, 39, 35),
        ("phone_help", 0.04, 39, 47),
    ]
    assert dict(pay.ignore) == {"FR03": "retry loop accepted until the 3-D Secure rework ships"}
    assert journey.steps["browse"].duration_s == 180.0
    assert journey.steps["phone_help"].duration_s == 720.0
    assert journey.channels["chat"].cost == 5.5 and journey.channels["chat"].assisted
    assert journey.owners["care"].name == "Customer care"
    assert journey.steps["done"].is_outcome and not journey.steps["done"].next
    assert str(pay.span) == "checkout.yaml:34:3"


def test_model_is_frozen():
    journey = load_journey(FIXTURES / "spec_example.yaml")
    with pytest.raises(AttributeError):
        journey.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        journey.steps["new"] = journey.steps["pay"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (2.5, 2.5),
        ("90", 90.0),
        ("30s", 30.0),
        ("3m", 180.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1h30m", 5400.0),
        ("1d2h3m4s", 93784.0),
        ("1.5h", 5400.0),
        ("0", 0.0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
    assert parse_duration(text) == seconds  # text is parsed once, then remembered


@pytest.mark.parametrize("text", ["", "3 minutes", "1h30", "m", "-5", -5, True, "1x", "30s2m", math.inf, math.nan])
def test_bad_durations(text):
    assert parse_duration(text) is None
    assert parse_duration(text) is None


MINIMAL = """cxaudit: 1
journey: {id: j, name: J}
entry: {s: 1}
steps:
  s: {name: S, next: {%s: 1}}
  %s: {name: Out, type: success}
"""


@pytest.mark.parametrize("step_id", ["no", "yes", "on", "null", "1", "0x10", "1e3"])
def test_ids_stay_text_whatever_yaml_would_make_of_them(step_id):
    journey = loads_journey(MINIMAL % (step_id, step_id))
    assert list(journey.steps) == ["s", step_id]
    assert journey.steps["s"].next[0].target == step_id


def test_plain_numbers_as_names_are_kept_as_written():
    journey = loads_journey(MINIMAL.replace("name: Out", "name: 2024") % ("x", "x"))
    assert journey.steps["x"].name == "2024"


def test_load_journey_takes_text_and_bytes():
    text = MINIMAL % ("x", "x")
    assert load_journey(text).id == "j"
    assert load_journey(text.encode()).id == "j"
    assert load_journey(b"\xef\xbb\xbf" + text.encode()).id == "j"


def test_text_problems_are_named_string_by_default():
    with pytest.raises(JourneyError) as caught:
        loads_journey("cxaudit: 1\n")
    assert str(caught.value.problems[0]).startswith("<string>:1:1: ")


def test_entry_outcome_and_empty_next_are_allowed():
    journey = loads_journey(MINIMAL.replace("next: {%s: 1}", "next: {}") % ("x",))
    assert journey.steps["s"].is_dead_end


def test_error_carries_first_position():
    with pytest.raises(JourneyError) as caught:
        load_journey(FIXTURES / "invalid" / "probability-sum.yaml", name="p.yaml")
    error = caught.value
    assert (error.file, error.line, error.column) == ("p.yaml", 27, 11)
    assert error.message == "probabilities of steps.cart.next sum to 0.9, not 1"


def test_missing_file_is_a_journey_error(tmp_path):
    with pytest.raises(JourneyError) as caught:
        load_journey(tmp_path / "nope.yaml")
    assert caught.value.message == "no such file"


@pytest.mark.parametrize("pure", PARSERS)
def test_numbers_with_an_exponent_are_numbers(pure):
    # YAML 1.1 would read 1e-3 as text; editors (YAML 1.2) and journeys read a number.
    text = MINIMAL.replace("next: {%s: 1}", "next: {%s: 9.99e-1, t: 1e-3}") % ("x", "x")
    text += "  t: {name: T, type: abandon}\n"
    journey = loads_journey(text, pure_yaml=pure)
    assert [(t.target, t.probability) for t in journey.steps["s"].next] == [("x", 0.999), ("t", 0.001)]
    with pytest.raises(JourneyError, match="probability must be a number from 0 to 1, not '1e-3'"):
        loads_journey(text.replace("t: 1e-3", "t: '1e-3'"), pure_yaml=pure)


def test_the_characters_refused_are_exactly_those_yaml_does_not_allow():
    from cxaudit.journey.read import _NOT_PRINTABLE

    allowed = re.compile("[\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    every = "".join(map(chr, range(0x110000)))
    refused = {m.start() for m in _NOT_PRINTABLE.finditer(every)}
    assert refused == {code for code in range(0x110000) if not allowed.match(every[code])}
    assert len(refused) == 2111


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("cxaudit: 1\njourney: x\x07\n", "<string>:2:11: control character U+0007"),
        ("cxaudit: 1\njourney: é\x07\n", "<string>:2:11: control character U+0007"),  # not ASCII: the regex
        ("cxaudit: 1\njourney: é\x9f\n", "<string>:2:11: control character U+009F"),
        ("cxaudit: 1\n\x7f", "<string>:2:1: control character U+007F"),
    ],
)
def test_control_characters_are_refused_where_they_are(text, where):
    with pytest.raises(JourneyError) as caught:
        loads_journey(text)
    assert str(caught.value).startswith(where)


SCALAR_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["", " ", "x", "a b", "web", "team-1", "Web", "1x", "30s", "1h30m", " 3m ", "soon", "step", "contact"]
    ),
    st.text(max_size=8),
)


@pytest.mark.parametrize(
    ("what", "name"),
    [(spec.what, f.name) for spec in (spec.JOURNEY, spec.CHANNEL, spec.OWNER, spec.STEP) for f in spec.fields],
)
@given(value=SCALAR_VALUES)
def test_quick_conversions_give_what_the_full_conversion_gives(what, name, value):
    object_spec = {"journey": spec.JOURNEY, "channel": spec.CHANNEL, "owner": spec.OWNER, "step": spec.STEP}[what]
    convert = object_spec.quick.get(name)
    if convert is None:
        return
    quick = convert(value)
    if quick is spec.SLOW:
        return
    ctx = spec.Context("f.yaml")
    full = object_spec.by_name[name].kind.convert(value, None, ctx, (1, 1), name)
    assert ctx.problems == []
    assert (type(quick), quick) == (type(full), full)


def test_the_usual_fields_have_quick_conversions():
    assert sorted(spec.STEP.quick) == [
        "channel",
        "duration",
        "effort",
        "logged",
        "name",
        "notes",
        "owner",
        "sentiment",
        "type",
    ]
    assert sorted(spec.CHANNEL.quick) == ["assisted", "cost", "name"]


def test_integers_too_large_for_a_float_are_refused_not_crashed_on():
    huge = "1" + "0" * 400
    text = (
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: s\nchannels:\n"
        f"  web: {{cost: {huge}}}\nsteps:\n"
        f"  s: {{name: S, channel: web, duration: {huge}, next: {{ok: 1}}}}\n"
        "  ok: {type: success, name: Done}\n"
    )
    with pytest.raises(JourneyError) as caught:
        loads_journey(text, name="f.yaml")
    messages = [(p.line, p.column, p.message.split(", not")[0]) for p in caught.value.problems]
    assert messages == [
        (5, 15, "'cost' must be a number from 0 to 1e12"),
        (7, 40, "'duration' must be seconds or a duration such as 30s, 3m, 2h, 1d or 1h30m, up to 1e12 seconds"),
    ]

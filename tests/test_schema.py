"""The JSON Schema: valid, strict, in step with the loader and the docs."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from cxaudit import spec
from cxaudit.schema import journey_schema, render_schema
from tests.conftest import FIXTURES, JOURNEYS, ROOT

VALIDATOR = jsonschema.Draft202012Validator(journey_schema())


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(journey_schema())


@pytest.mark.parametrize("path", [*JOURNEYS, FIXTURES / "spec_example.yaml"], ids=lambda p: p.stem)
def test_journeys_validate_against_the_schema(path):
    VALIDATOR.validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_published_schema_file_is_current():
    assert (ROOT / "docs" / "journey.schema.json").read_text(encoding="utf-8") == render_schema()


def test_schema_is_strict_and_described():
    schema = journey_schema()
    assert schema["additionalProperties"] is False
    for name in ("channel", "owner", "step"):
        definition = schema["$defs"][name]
        assert definition["additionalProperties"] is False
        assert all(prop.get("description") for prop in definition["properties"].values())
    assert set(schema["properties"]) == set(spec.ROOT_FIELDS)
    assert set(schema["$defs"]["step"]["properties"]) == set(spec.STEP.names)


@pytest.mark.parametrize(
    ("fixture", "path"),
    [
        ("unknown-field-step", ["steps", "start"]),
        ("effort-range", ["steps", "start", "effort"]),
        ("next-on-outcome", ["steps", "done"]),
        ("step-type-bad", ["steps", "call", "type"]),
        ("version-unsupported", ["cxaudit"]),
        ("currency-bad", ["journey", "currency"]),
        ("duration-bad", ["steps", "start", "duration"]),
        ("bad-step-id", ["steps"]),
        ("ignore-bad-code", ["steps", "start", "ignore"]),
        ("probability-range", ["steps", "call", "next", "done"]),
    ],
)
def test_schema_rejects_what_the_loader_rejects(fixture, path):
    document = yaml.safe_load((FIXTURES / "invalid" / f"{fixture}.yaml").read_text())
    errors = list(VALIDATOR.iter_errors(document))
    assert errors, fixture
    assert any(list(error.absolute_path)[: len(path)] == path for error in errors), [
        (list(e.absolute_path), e.message) for e in errors
    ]


def test_schema_text_is_stable_json():
    text = render_schema()
    assert text.endswith("}\n")
    assert json.loads(text) == journey_schema()

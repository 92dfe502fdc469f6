"""The JSON Schema (draft 2020-12) of the journey format, generated from
:mod:`cxaudit.spec`, the same declarations the loader validates with.

What JSON Schema cannot say (probabilities summing to 1, references to steps
that exist, duplicate keys) only the loader checks; ``cxaudit validate`` is
the full check, the schema is for editors.
"""

from __future__ import annotations

from typing import Any

from cxaudit import spec
from cxaudit.fmt import json_text

SCHEMA_ID = "urn:cxaudit:journey:1"


def _object(object_spec: spec.ObjectSpec) -> dict[str, Any]:
    properties = {}
    for field in object_spec.fields:
        properties[field.name] = {"description": field.description, **field.kind.schema()}
    out: dict[str, Any] = {
        "type": "object",
        "description": object_spec.description,
        "properties": properties,
        "additionalProperties": False,
    }
    required = [f.name for f in object_spec.fields if f.required]
    if required:
        out["required"] = required
    return out


def _catalog(ref: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": spec.SLUG},
        "additionalProperties": {"anyOf": [{"$ref": f"#/$defs/{ref}"}, {"type": "null"}]},
    }


def journey_schema() -> dict[str, Any]:
    """The JSON Schema of a journey file, as a dict."""
    step = _object(spec.STEP)
    step["allOf"] = [
        {
            "if": {"properties": {"type": {"enum": list(spec.OUTCOME_TYPES)}}, "required": ["type"]},
            "then": {"not": {"required": ["next"]}},
        }
    ]
    step["properties"]["next"]["type"] = ["object", "null"]
    d = spec.ROOT_DESCRIPTIONS
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cxaudit customer journey, format version 1",
        "description": "A customer journey: steps, where customers go next and with what probability, "
        "and where they have to contact the organisation. Validate fully with `cxaudit validate`.",
        "type": "object",
        "required": ["cxaudit", "journey", "entry", "steps"],
        "additionalProperties": False,
        "properties": {
            "cxaudit": {"description": d["cxaudit"], "const": spec.FORMAT_VERSION},
            "journey": {**_object(spec.JOURNEY), "description": d["journey"]},
            "entry": {"description": d["entry"], **spec.ENTRY.schema()},
            "channels": _catalog("channel", d["channels"]),
            "owners": _catalog("owner", d["owners"]),
            "steps": {
                "type": "object",
                "description": d["steps"],
                "minProperties": 1,
                "propertyNames": {"pattern": spec.SLUG},
                "additionalProperties": {"$ref": "#/$defs/step"},
            },
        },
        "$defs": {"channel": _object(spec.CHANNEL), "owner": _object(spec.OWNER), "step": step},
    }


def render_schema() -> str:
    """The schema as stable, indented JSON text (ends with a newline)."""
    return json_text(journey_schema())

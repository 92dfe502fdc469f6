"""The JSON report: every number, exactly, in a documented shape.

The shape is described by ``docs/audit.schema.json`` (``cxaudit.reporters.json.report_schema``).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from cxaudit import __version__
from cxaudit.analysis.markov import StepMetrics
from cxaudit.fmt import json_text

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.report import Report
    from cxaudit.model import Finding


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON data."""
    return {
        "rank": finding.rank,
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "journey": finding.journey,
        "step": finding.step,
        "target": finding.target,
        "owner": finding.owner,
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "impact": asdict(finding.impact),
        "remediation": finding.remediation,
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
        "element": finding.element,
    }


def journey_dict(audit: JourneyAudit) -> dict[str, Any]:
    """One journey's audit as JSON data."""
    from operator import attrgetter

    journey = audit.journey
    names = [f.name for f in fields(StepMetrics)]
    values = attrgetter(*names)  # all of a step's metrics in one call: this runs for every step
    steps = []
    for step_id, metrics in audit.markov.steps.items():
        step = journey.steps[step_id]
        row = {
            "id": step_id,
            "name": step.name,
            "type": step.type,
            "owner": step.owner,
            "channel": step.channel,
            "line": step.span.line,
            "element": step.origin,
        }
        row.update(zip(names, values(metrics), strict=True))
        steps.append(row)
    path = audit.path
    out = {
        "file": journey.file,
        "journey": journey.id,
        "name": journey.name,
        "volume": journey.volume,
        "period": journey.period,
        "currency": journey.currency,
        "value": journey.value,
        "metrics": asdict(audit.metrics),
        "steps": steps,
        "owners": [asdict(row) for row in audit.owners],
        "path": None if path is None else {**asdict(path), "steps": list(path.steps), "owners": list(path.owners)},
        "findings": [_with_evidence(audit, f) for f in audit.findings],
        "warnings": list(audit.warnings),
    }
    if audit.variants:  # a journey learned from a log: the paths its cases took most
        out["variants"] = [{**asdict(variant), "steps": list(variant.steps)} for variant in audit.variants]
    if audit.intervals is not None:  # a journey learned from a log: how sure each metric is
        out["intervals"] = {name: None if pair is None else list(pair) for name, pair in audit.intervals.items()}
    return out


def _with_evidence(audit: JourneyAudit, finding: Finding) -> dict[str, Any]:
    """A finding as JSON data, with the intervals of its fix's value and its tie where the journey has evidence."""
    row = finding_dict(finding)
    bounds = audit.fix_intervals.get(finding.fingerprint)
    if bounds is not None:
        row["intervals"] = {name: list(pair) for name, pair in bounds.items()}
    tie = audit.ties.get(finding.fingerprint)
    if tie is not None:
        row["tied_with"] = tie
    return row


def portfolio_dict(report: Report) -> dict[str, Any]:
    """The journeys side by side: every figure a year, amounts in one currency where they convert."""
    from cxaudit.engine.portfolio import portfolio

    found = portfolio(report.audits, report.exchange)
    journeys = []
    for group in found.groups:
        for row in group.rows:
            journeys.append(
                {
                    "journey": row.journey,
                    "file": row.file,
                    "currency": row.currency,
                    "value_at_risk": row.value_at_risk,
                    "contacts": row.contacts,
                    "contact_cost": row.contact_cost,
                    "customers_lost": row.customers_lost,
                    "period": "year" if group.yearly else row.period,
                }
            )
    return {"period": "year", "currency": found.currency, "journeys": journeys, "notes": list(found.notes)}


class JsonReporter:
    """``{"cxaudit": VERSION, "journeys": [...]}``, indented, keys in a fixed order."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, report: Report) -> str:
        document: dict[str, Any] = {"cxaudit": __version__, "journeys": [journey_dict(a) for a in report.audits]}
        if len(report.audits) > 1:
            document["portfolio"] = portfolio_dict(report)
        if report.problems:
            document["errors"] = [
                {"file": p.file, "line": p.line, "column": p.column, "message": p.message, "path": p.path}
                for p in report.problems
            ]
        return json_text(document)


def _type_schema(annotation: Any) -> dict[str, Any]:
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = _type_schema(options[0])
        return {**inner, "type": [inner["type"], "null"]} if "type" in inner else {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple or annotation is tuple:
        return {"type": "array", "items": {"type": "string"}}
    simple = {float: "number", int: "integer", str: "string", bool: "boolean"}
    if annotation in simple:
        return {"type": simple[annotation]}
    raise TypeError(f"no JSON type for {annotation!r}")  # pragma: no cover - caught by the schema test


def _object_schema(cls: type, description: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    import typing

    hints = typing.get_type_hints(cls)
    properties = {f.name: _type_schema(hints[f.name]) for f in fields(cls)}
    properties.update(extra or {})
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``cxaudit audit --format json``.

    Generated from the dataclasses the report is made of, so it cannot drift.
    """
    from cxaudit.analysis.attribution import OwnerContacts
    from cxaudit.analysis.markov import JourneyMetrics, StepMetrics
    from cxaudit.analysis.paths import SuccessPath, VariantShare
    from cxaudit.model import Impact

    nullable_string = {"type": ["string", "null"]}
    metric_names = [f.name for f in fields(JourneyMetrics)]
    step = _object_schema(
        StepMetrics,
        "One step and its exact metrics.",
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "type": {"enum": ["step", "contact", "success", "abandon", "decline"]},
            "owner": nullable_string,
            "channel": nullable_string,
            "line": {"type": "integer", "minimum": 1},
            "element": {
                "type": ["string", "null"],
                "description": "The id of the BPMN element the step was imported from; null for YAML journeys.",
            },
        },
    )
    finding = {
        "type": "object",
        "description": "A finding: what is wrong, where, what it costs, how to fix it.",
        "properties": {
            "rank": {"type": ["integer", "null"], "minimum": 1},
            "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}$"},
            "name": {"type": "string"},
            "severity": {"enum": ["error", "warning", "info"]},
            "journey": {"type": "string"},
            "step": nullable_string,
            "target": nullable_string,
            "owner": nullable_string,
            "file": {"type": "string"},
            "line": {"type": "integer", "minimum": 0},
            "column": {"type": "integer", "minimum": 0},
            "message": {"type": "string"},
            "impact": _object_schema(Impact, "Per period: who is affected, and what the fix is worth."),
            "remediation": {"type": "string"},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "suppressed": nullable_string,
            "element": {
                "type": ["string", "null"],
                "description": "The id of the BPMN element of the finding's step; null for YAML journeys.",
            },
        },
        "additionalProperties": False,
    }
    finding["required"] = sorted(finding["properties"])
    pair = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    finding["properties"]["intervals"] = {
        "type": "object",
        "description": "For a top fix of a journey with evidence: the 95% interval [low, high] of each value "
        "of its impact.",
        "additionalProperties": pair,
    }
    finding["properties"]["tied_with"] = {
        "type": "integer",
        "minimum": 1,
        "description": "The rank of the fix just above, which the evidence cannot tell this one apart from.",
    }
    journey = {
        "type": "object",
        "properties": {
            "file": {"type": "string"},
            "journey": {"type": "string"},
            "name": {"type": "string"},
            "volume": {"type": "number", "minimum": 0},
            "period": {"type": "string"},
            "currency": nullable_string,
            "value": {"type": ["number", "null"]},
            "metrics": _object_schema(JourneyMetrics, "Journey metrics, exact, per customer or per period."),
            "steps": {"type": "array", "items": step},
            "owners": {
                "type": "array",
                "items": _object_schema(OwnerContacts, "Contacts caused by an owner's steps, per period."),
            },
            "path": {
                "anyOf": [
                    _object_schema(SuccessPath, "The most probable path to success."),
                    {"type": "null"},
                ]
            },
            "findings": {"type": "array", "items": finding},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    journey["required"] = sorted(journey["properties"])
    journey["properties"]["variants"] = {  # type: ignore[index]
        "type": "array",
        "description": "For a journey learned from a log: its most common paths, the share of the log's cases "
        "that took each, and the share the journey sends along each (predicted).",
        "items": _object_schema(VariantShare, "A path of the log's cases."),
    }
    journey["properties"]["intervals"] = {  # type: ignore[index]
        "type": "object",
        "description": "For a journey with evidence (learned from a log): each metric's 95% interval [low, high], "
        "null where the metric is.",
        "properties": {name: {"anyOf": [pair, {"type": "null"}]} for name in metric_names},
        "required": sorted(metric_names),
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:cxaudit:audit-report:1",
        "title": "cxaudit audit report",
        "type": "object",
        "properties": {
            "cxaudit": {"type": "string"},
            "journeys": {"type": "array", "items": journey},
            "portfolio": {
                "type": "object",
                "description": "Several journeys side by side (present only then): every figure a year, ranked "
                "by value at risk a year; amounts in one currency, or null when mixed and not converted.",
                "properties": {
                    "period": {"const": "year"},
                    "currency": {"type": ["string", "null"]},
                    "journeys": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "journey": {"type": "string"},
                                "file": {"type": "string"},
                                "currency": {"type": ["string", "null"]},
                                "value_at_risk": {"type": ["number", "null"]},
                                "contacts": {"type": "number"},
                                "contact_cost": {"type": "number"},
                                "customers_lost": {"type": "number"},
                                "period": {"type": "string"},
                            },
                            "required": [
                                "journey",
                                "file",
                                "currency",
                                "value_at_risk",
                                "contacts",
                                "contact_cost",
                                "customers_lost",
                                "period",
                            ],
                            "additionalProperties": False,
                        },
                    },
                    "notes": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["period", "currency", "journeys", "notes"],
                "additionalProperties": False,
            },
            "errors": {
                "type": "array",
                "description": "Files that could not be read (present only when there are some).",
                "items": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string"},
                        "line": {"type": "integer", "minimum": 0},
                        "column": {"type": "integer", "minimum": 0},
                        "message": {"type": "string"},
                        "path": {"type": "string"},
                    },
                    "required": ["file", "line", "column", "message", "path"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["cxaudit", "journeys"],
        "additionalProperties": False,
    }

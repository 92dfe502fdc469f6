"""The JSON report: every number, exactly, in a documented shape.

The shape is described by ``docs/audit.schema.json`` (``cxaudit.reporters.json.report_schema``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from cxaudit import __version__

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
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
    }


def journey_dict(audit: JourneyAudit) -> dict[str, Any]:
    """One journey's audit as JSON data."""
    journey = audit.journey
    steps = []
    for step_id, metrics in audit.markov.steps.items():
        step = journey.steps[step_id]
        steps.append(
            {
                "id": step_id,
                "name": step.name,
                "type": step.type,
                "owner": step.owner,
                "channel": step.channel,
                "line": step.span.line,
                **{f.name: getattr(metrics, f.name) for f in fields(metrics)},
            }
        )
    path = audit.path
    return {
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
        "findings": [finding_dict(f) for f in audit.findings],
        "warnings": list(audit.warnings),
    }


class JsonReporter:
    """``{"cxaudit": VERSION, "journeys": [...]}``, indented, keys in a fixed order."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, audits: Sequence[JourneyAudit]) -> str:
        document = {"cxaudit": __version__, "journeys": [journey_dict(a) for a in audits]}
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

Rules carry their full documentation as help text and a help URI; results
carry the rule, level, message, location and a partial fingerprint from the
baseline fingerprint, so code scanning tracks a finding across edits.
Suppressed findings are included with their justification. Files that could
not be read become tool execution notifications.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from cxaudit import __version__
from cxaudit.fmt import json_text
from cxaudit.model import Severity

if TYPE_CHECKING:
    from cxaudit.engine.report import Report

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
RULES_URL = "https://github.com/cxaudit/cxaudit/blob/main/docs/rules.md"
"""Where the rule documentation is published; SARIF help URIs point into it."""
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def artifact_uri(file: str) -> str:
    """A file name as a relative URI reference (forward slashes, no ``./``)."""
    path = PurePath(file).as_posix()
    while path.startswith("./"):
        path = path[2:]
    return path.replace("%", "%25").replace(" ", "%20")


def _location(file: str, line: int, column: int, element: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(file)}}
    if line > 0:
        physical["region"] = {"startLine": line, "startColumn": max(column, 1)}
    location: dict[str, Any] = {"physicalLocation": physical}
    if element is not None:  # the BPMN element, by its id in the model
        location["logicalLocations"] = [{"name": element, "fullyQualifiedName": element, "kind": "element"}]
    return location


class SarifReporter:
    """One SARIF run with every rule of the catalog and every finding."""

    def __init__(self, *, rules_url: str = RULES_URL, **_: Any) -> None:
        self.rules_url = rules_url

    def render(self, report: Report) -> str:
        from cxaudit.rules import RULES, summary_of

        codes = list(RULES)
        rules = [
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": summary_of(rule)},
                "fullDescription": {"text": rule.documentation().split("\n\n", 1)[-1].split("\n\n")[0]},
                "help": {"text": rule.documentation(), "markdown": _markdown_help(rule)},
                "helpUri": f"{self.rules_url}#{code.lower()}-{rule.name}",
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
                "properties": {"tags": ["customer-journey", rule.group]},
            }
            for code, rule in RULES.items()
        ]
        results = []
        for audit in report.audits:
            for finding in audit.findings:
                result: dict[str, Any] = {
                    "ruleId": finding.code,
                    "ruleIndex": codes.index(finding.code),
                    "level": LEVELS[finding.severity],
                    "message": {"text": f"{finding.message}. Fix: {finding.remediation}"},
                    "locations": [_location(finding.file, finding.line, finding.column, finding.element)],
                    "partialFingerprints": {"cxaudit/v1": finding.fingerprint},
                    "properties": {
                        "journey": finding.journey,
                        "step": finding.step,
                        "element": finding.element,
                        "target": finding.target,
                        "owner": finding.owner,
                        "rank": finding.rank,
                        "impact": {
                            key: getattr(finding.impact, key)
                            for key in ("customers_affected", "contacts", "customers_kept", "contacts_avoided", "money")
                        },
                    },
                }
                if finding.suppressed is not None:
                    result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
                results.append(result)
        notifications = [
            {
                "level": "error",
                "message": {"text": problem.message + (f" ({problem.path})" if problem.path else "")},
                "locations": [_location(problem.file, problem.line, problem.column)],
            }
            for problem in report.problems
        ]
        document = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "cxaudit",
                            "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": self.rules_url,
                            "rules": rules,
                        }
                    },
                    "invocations": [
                        {"executionSuccessful": not report.problems, "toolExecutionNotifications": notifications}
                    ],
                    "columnKind": "unicodeCodePoints",
                    "results": results,
                }
            ],
        }
        return json_text(document)


def _markdown_help(rule: type) -> str:
    import re

    text = rule.documentation().replace("\n::\n", "\n")
    return re.sub(r"^(.+)\n-{3,}$", r"**\1**", text, flags=re.MULTILINE)

"""A backtest's figures: a table for people (text, Markdown), the figures as JSON, failures as SARIF."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cxaudit import __version__, fmt
from cxaudit.reporters.markdown import cell, code_span
from cxaudit.reporters.sarif import RULES_URL, SCHEMA_URI, artifact_uri
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.analysis.backtest import Backtest, Figure

RULE_ID = "BT01"
"""The SARIF rule of a figure outside its prediction interval."""


def shown(figure: Figure, value: float | None) -> str:
    """A figure's value for people: a share as a percentage, a time as a duration, visits to two decimals."""
    if value is None:
        return "-"
    if figure.figure.startswith(("outcome:", "repeats:")) or (
        figure.figure.startswith("case length") and not figure.figure.endswith("variation")
    ):
        return fmt.pct(value)
    if figure.figure.startswith("case time"):
        return fmt.duration(value)
    return fmt.number(value, 2)


def _verdict(figure: Figure) -> str:
    return {True: "ok", False: "OUTSIDE", None: "not checked"}[figure.within]


def _headline(result: Backtest) -> str:
    outside = len(result.failed)
    checked = sum(1 for f in result.figures if f.within is not None)
    verdict = "passes" if result.passed else f"fails: {outside} of {checked} figures outside their interval"
    return (
        f"{result.journey.name} against {result.log} ({result.cases:,} cases): {verdict} "
        f"({result.confidence:.0%} prediction intervals for all figures together)"
    )


class BacktestTextReporter:
    """One line a figure: predicted, observed, interval, verdict."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, result: Backtest) -> str:
        rows = [("figure", "predicted", "observed", "interval", "")]
        for f in result.figures:
            interval = "-" if f.low is None else f"{shown(f, f.low)} - {shown(f, f.high)}"
            rows.append((clean(f.figure), shown(f, f.predicted), shown(f, f.observed), interval, _verdict(f)))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [clean(_headline(result)), ""]
        for row in rows:
            lines.append("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
        return "\n".join(lines) + "\n"


class BacktestMarkdownReporter:
    """A table of the figures, for a pull-request comment or a job summary."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, result: Backtest) -> str:
        lines = [
            f"## Backtest: {cell(result.journey.name)}",
            "",
            cell(_headline(result)),
            "",
            "| figure | predicted | observed | interval | |",
            "|---|--:|--:|--:|---|",
        ]
        for f in result.figures:
            interval = "-" if f.low is None else f"{shown(f, f.low)} - {shown(f, f.high)}"
            mark = {True: "ok", False: "**outside**", None: "not checked"}[f.within]
            lines.append(
                f"| {code_span(f.figure)} {cell(f.label)} | {shown(f, f.predicted)} | {shown(f, f.observed)} | "
                f"{cell(interval)} | {mark} |"
            )
        return "\n".join(lines) + "\n"


class BacktestJsonReporter:
    """``{"figures": [{"figure", "predicted", "observed", "low", "high", "within"}, ...]}`` and the context."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, result: Backtest) -> str:
        document = {
            "cxaudit": __version__,
            "journey": result.journey.id,
            "file": result.journey.file,
            "log": result.log,
            "cases": result.cases,
            "confidence": result.confidence,
            "passed": result.passed,
            "figures": [
                {
                    "figure": f.figure,
                    "predicted": f.predicted,
                    "observed": f.observed,
                    "low": f.low,
                    "high": f.high,
                    "within": f.within,
                    "step": f.step,
                    "label": f.label,
                }
                for f in result.figures
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class BacktestSarifReporter:
    """A result for each figure outside its interval, at the journey's step (or the journey)."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, result: Backtest) -> str:
        journey = result.journey
        results = []
        for f in result.failed:
            span = journey.steps[f.step].span if f.step in journey.steps else journey.span
            results.append(
                {
                    "ruleId": RULE_ID,
                    "level": "error",
                    "message": {
                        "text": f"{f.label}: the journey predicts {shown(f, f.predicted)}, the log shows "
                        f"{shown(f, f.observed)}, outside {shown(f, f.low)} - {shown(f, f.high)}"
                    },
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": artifact_uri(journey.file)},
                                "region": {"startLine": max(span.line, 1), "startColumn": max(span.column, 1)},
                            }
                        }
                    ],
                    "partialFingerprints": {"cxaudit/v1": f"{journey.id}:{f.figure}"},
                }
            )
        rule = {
            "id": RULE_ID,
            "name": "backtest-figure-outside",
            "shortDescription": {"text": "A figure of the event log falls outside the journey's prediction interval"},
            "helpUri": RULES_URL.replace("rules.md", "ci.md"),
        }
        document = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "cxaudit", "version": __version__, "rules": [rule]}},
                    "results": results,
                }
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

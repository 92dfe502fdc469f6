"""Test rules with YAML cases, as cxaudit's own rules are tested.

A case file names a rule and lists cases: a journey, optionally options, an
event log (for the drift rules) and the rules that run beside it (``also``),
and the findings expected, each by its step (and target) and line, and
optionally its exact message::

    rule: AC01
    cases:
      - name: a_step_without_a_channel_fails
        journey: |
          cxaudit: 1
          journey: {id: j, name: J}
          entry: a
          steps:
            a: {name: Fill the form, next: {done: 1}}
            done: {name: Done, type: success}
        expect:
          - {step: a, line: 5, message: "'Fill the form' names no channel"}
      - name: a_step_with_a_channel_passes
        journey: ...
        expect: []

With pytest::

    import pytest
    from cxaudit.testing import assert_case, load_cases

    @pytest.mark.parametrize("case", load_cases("tests/AC01.yaml"), ids=lambda case: case.name)
    def test_rule(case, tmp_path):
        assert_case(case, tmp_path)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Case", "assert_case", "load_cases", "run_case"]


@dataclass(frozen=True)
class Case:
    """One case of a rule's case file."""

    rule: str
    name: str
    journey: str
    expect: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    log: str | None = None
    """An event log as CSV text (``case,activity,timestamp``), for the drift rules."""


def load_cases(path: str | Path) -> list[Case]:
    """The cases of a case file, in order."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for case in data["cases"]:
        log = case.get("log")
        if "log_paths" in case:  # a log made of paths, each taken by so many cases, a minute a step
            rows, number = ["case,activity,timestamp"], 0
            for route in case["log_paths"]:
                for _ in range(route["cases"]):
                    number += 1
                    rows += [f"{number},{name},2026-01-01 10:{i:02d}" for i, name in enumerate(route["path"])]
            log = "\n".join(rows) + "\n"
        out.append(
            Case(
                rule=data["rule"],
                name=case["name"],
                journey=case["journey"],
                expect=case["expect"],
                options=case.get("options", {}),
                also=tuple(case.get("also", data.get("also", []))),
                log=log,
            )
        )
    return out


def run_case(case: Case, work: str | Path | None = None) -> list[dict[str, Any]]:
    """The case's rule run on its journey (and log): each finding as the case file writes one.

    ``work`` is a directory for the log file (a temporary one when None).
    """
    import tempfile

    from cxaudit.engine import AuditConfig, audit
    from cxaudit.journey.load import loads_journey
    from cxaudit.rules import RULES

    journey = loads_journey(case.journey, name=f"{case.rule}.yaml")
    rule = RULES[case.rule]
    options = {name: rule.options[name].parse(value) for name, value in case.options.items()}
    config = AuditConfig(select=frozenset({case.rule, *case.also}), options={case.rule: options})
    if case.log is None:
        result = audit(journey, config)
    else:
        from cxaudit.logs.read import EventLog

        with tempfile.TemporaryDirectory(dir=work) as folder:
            path = Path(folder) / "log.csv"
            path.write_text(case.log, encoding="utf-8")
            with EventLog(str(path)) as log:
                result = audit(journey, config, log=log)
    wanted = {key for expected in case.expect for key in expected}
    got = []
    for finding in result.findings:
        if finding.code != case.rule:
            continue
        item: dict[str, Any] = {"step": finding.step, "line": finding.line}
        if finding.target is not None:
            item["target"] = finding.target
        if "message" in wanted:
            item["message"] = finding.message
        got.append(item)
    return got


def assert_case(case: Case, work: str | Path | None = None) -> None:
    """Fail (AssertionError) unless the case's rule finds exactly what the case expects.

    An expected finding without ``message`` matches any message.
    """
    found = run_case(case, work)
    got = [_key(item) for item in found]
    expected = [_key(item) for item in case.expect]
    loose = {item for item in expected if not any(key == "message" for key, _ in item)}
    got = [
        stripped if (stripped := tuple(pair for pair in item if pair[0] != "message")) in loose else item
        for item in got
    ]  # a finding expected without its message matches whatever its message
    if sorted(got) != sorted(expected):
        raise AssertionError(f"{case.rule} {case.name}: expected {case.expect}, found {found}")


def _key(item: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(item.items()))

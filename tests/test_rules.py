"""Every rule, from its YAML fixture of named cases; and every rule's documentation."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from cxaudit import loads_journey
from cxaudit.engine import AuditConfig, audit
from cxaudit.rules import DOC_SECTIONS, RULES, find_rule
from tests.conftest import FIXTURES

RULE_FIXTURES = sorted((FIXTURES / "rules").glob("*.yaml"))


def load_cases():
    out = []
    for path in RULE_FIXTURES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            case = {"also": data.get("also", []), **case}
            out.append(pytest.param(data["rule"], case, id=f"{data['rule']}_{case['name']}"))
    return out


def test_every_rule_has_a_fixture_with_failing_and_passing_cases():
    assert {p.stem for p in RULE_FIXTURES} == set(RULES)
    for path in RULE_FIXTURES:
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c["expect"] for c in cases), f"{path.stem} has no failing case"
        assert any(not c["expect"] for c in cases), f"{path.stem} has no passing case"


@pytest.mark.parametrize(("code", "case"), load_cases())
def test_rule_case(code: str, case: dict, tmp_path):
    journey = loads_journey(case["journey"], name=f"{code}.yaml")
    rule = RULES[code]
    options = {name: rule.options[name].parse(value) for name, value in case.get("options", {}).items()}
    # "also": rules that run beside the one tested (SP01 judges what they find)
    selected = frozenset({code, *case["also"]})
    log = None
    if "log_paths" in case:  # a log made of paths, each taken by so many cases, a minute a step
        rows, number = ["case,activity,timestamp"], 0
        for route in case["log_paths"]:
            for _ in range(route["cases"]):
                number += 1
                rows += [f"{number},{name},2026-01-01 10:{i:02d}" for i, name in enumerate(route["path"])]
        case = {**case, "log": "\n".join(rows) + "\n"}
    if "log" in case:  # the drift rules compare the journey with an event log
        pytest.importorskip("duckdb")
        from cxaudit.logs.read import EventLog

        path = tmp_path / "log.csv"
        path.write_text(case["log"])
        log = EventLog(str(path))
    try:
        result = audit(journey, AuditConfig(select=selected, options={code: options}), log=log)
    finally:
        if log is not None:
            log.close()
    result = type(result)(**{**result.__dict__, "findings": tuple(f for f in result.findings if f.code == code)})
    got = []
    for finding, expected in zip(result.findings, case["expect"] + [{}] * len(result.findings), strict=False):
        item = {"step": finding.step, "line": finding.line}
        if finding.target is not None:
            item["target"] = finding.target
        if "message" in expected:
            item["message"] = finding.message
        got.append(item)
    assert sorted(got, key=repr) == sorted(case["expect"], key=repr)
    assert all(f.code == code and f.severity == rule.severity for f in result.findings)


@pytest.mark.parametrize("code", list(RULES))
def test_rule_documentation_has_every_part(code: str):
    rule = RULES[code]
    doc = inspect.getdoc(rule) or ""
    for section in DOC_SECTIONS:
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{code} lacks '{section}'"
    assert rule.summary() and not rule.summary().endswith(" ")
    for name in rule.options:
        assert f"``{name}``" in doc or f"``{name.replace('_', '-')}``" in doc, f"{code} does not explain {name}"


@pytest.mark.parametrize("code", list(RULES))
def test_rule_declares_its_identity(code: str):
    rule = RULES[code]
    assert rule.code == code
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.group in {"structure", "friction", "contact", "ownership", "recovery", "gate", "drift", "suppression"}
    module = Path(inspect.getfile(rule)).stem
    assert module.startswith(code.lower() + "_")


def test_find_rule_by_code_or_name_with_suggestion():
    assert find_rule("fr02") is RULES["FR02"]
    assert find_rule("drop-off-hotspot") is RULES["FR02"]
    with pytest.raises(KeyError, match="did you mean 'FR02'"):
        find_rule("FR2")
    with pytest.raises(KeyError, match="did you mean 'dead-end'"):
        find_rule("dead-ends")


def test_published_rule_catalog_is_current():
    from cxaudit.rules import catalog_markdown

    assert (FIXTURES.parent.parent / "docs" / "rules.md").read_text(encoding="utf-8") == catalog_markdown()

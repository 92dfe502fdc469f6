"""Every rule, from its YAML fixture of named cases; and every rule's documentation."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from cxaudit.rules import BUILT_IN_RULES, DOC_SECTIONS, RULES, find_rule
from cxaudit.testing import assert_case, load_cases
from tests.conftest import FIXTURES

RULE_FIXTURES = sorted((FIXTURES / "rules").glob("*.yaml"))


CASES = [case for path in RULE_FIXTURES for case in load_cases(path)]


def test_every_rule_has_a_fixture_with_failing_and_passing_cases():
    assert {p.stem for p in RULE_FIXTURES} == set(BUILT_IN_RULES)
    for path in RULE_FIXTURES:
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c["expect"] for c in cases), f"{path.stem} has no failing case"
        assert any(not c["expect"] for c in cases), f"{path.stem} has no passing case"


@pytest.mark.parametrize("case", CASES, ids=[f"{case.rule}_{case.name}" for case in CASES])
def test_rule_case(case, tmp_path):
    if case.log is not None:
        pytest.importorskip("duckdb")
    assert_case(case, tmp_path)


@pytest.mark.parametrize("code", list(BUILT_IN_RULES))
def test_rule_documentation_has_every_part(code: str):
    rule = RULES[code]
    doc = inspect.getdoc(rule) or ""
    for section in DOC_SECTIONS:
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, f"{code} lacks '{section}'"
    assert rule.summary() and not rule.summary().endswith(" ")
    for name in rule.options:
        assert f"``{name}``" in doc or f"``{name.replace('_', '-')}``" in doc, f"{code} does not explain {name}"


@pytest.mark.parametrize("code", list(BUILT_IN_RULES))
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

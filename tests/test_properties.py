"""Properties of every valid journey, on random ones (hypothesis).

Bounded for CI; ``--hypothesis-profile=long`` runs many more examples.
"""

from __future__ import annotations

import json
import math

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from cxaudit import loads_journey
from cxaudit.engine import audit
from cxaudit.report import Report
from cxaudit.reporters.document import DocumentReporter
from cxaudit.reporters.json import JsonReporter, report_schema
from cxaudit.reporters.sarif import SarifReporter
from cxaudit.yamlread import has_c_parser
from tests.conftest import FIXTURES
from tests.reference import reference_metrics
from tests.strategies import journeys

SARIF = jsonschema.Draft4Validator(json.loads((FIXTURES / "schemas" / "sarif-schema-2.1.0.json").read_text()))
REPORT = jsonschema.Draft202012Validator(report_schema())
KEYS = (
    "completion_rate",
    "abandonment_rate",
    "stuck_rate",
    "expected_contacts",
    "contact_cost_per_period",
    "expected_effort",
    "expected_duration_s",
    "first_contact_resolution",
    "expected_handoffs",
    "expected_channel_switches",
)
FAST = settings(suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(journeys())
def test_metrics_are_exact_and_consistent(text):
    journey = loads_journey(text)
    result = audit(journey)
    m = result.metrics
    assert m.completion_rate + m.abandonment_rate + m.stuck_rate == pytest.approx(1.0, abs=1e-9)
    expected = reference_metrics(journey)
    for key in KEYS:
        value = getattr(m, key)
        if expected[key] is None:
            assert value is None
        else:
            assert value == pytest.approx(expected[key], rel=1e-7, abs=1e-9), key
    for step_id, step in result.markov.steps.items():
        assert math.isfinite(step.expected_visits)
        assert step.expected_visits + 1e-9 >= step.reach_probability >= 0
        assert 0 <= step.success_probability <= 1
        assert step.expected_visits == pytest.approx(expected["visits"][step_id], rel=1e-7, abs=1e-9)


@FAST
@given(journeys())
def test_findings_are_deterministic_and_parser_independent(text):
    first = audit(loads_journey(text)).findings
    assert audit(loads_journey(text)).findings == first
    if has_c_parser():
        assert audit(loads_journey(text, pure=True)).findings == first


@FAST
@given(journeys())
def test_every_report_format_stays_valid(text):
    report = Report((audit(loads_journey(text, name="random.yaml")),))
    document = json.loads(JsonReporter().render(report))
    REPORT.validate(document)
    assert json.loads(json.dumps(document)) == document
    SARIF.validate(json.loads(SarifReporter().render(report)))
    from tests.test_report import mermaid_blocks, table_shapes

    markdown = DocumentReporter().render(report)
    assert all(len(set(rows)) == 1 for rows in table_shapes(markdown))
    assert len(mermaid_blocks(markdown)) == 1

"""Properties of every valid journey, on random ones (hypothesis).

Bounded for CI; ``--hypothesis-profile=long`` runs many more examples.
"""

from __future__ import annotations

import json
import math

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit import JourneyError, loads_journey
from cxaudit.engine import audit
from cxaudit.engine.report import Report
from cxaudit.journey.read import has_c_parser
from cxaudit.reporters.document import DocumentReporter
from cxaudit.reporters.json import JsonReporter, report_schema
from cxaudit.reporters.sarif import SarifReporter
from tests.conftest import FIXTURES
from tests.reference import reference_metrics
from tests.strategies import bpmn_models, journeys, structured_bpmn

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
def test_metrics_from_the_whole_inverse_equal_those_of_lu_solves_and_loops(text):
    """Small chains solve by products with their fundamental matrix and take their return
    visits from its diagonal; LU solves and loop by loop give the same."""
    import dataclasses
    from unittest import mock

    from cxaudit.analysis import linear

    journey = loads_journey(text)
    whole = audit(journey).markov
    with mock.patch.object(linear, "INVERSE_LIMIT", 0):
        solved = audit(journey).markov

    def same(a, b):
        return a == b if a is None or b is None else a == pytest.approx(b, rel=1e-12, abs=1e-12)

    for key, value in dataclasses.asdict(whole.metrics).items():
        assert same(value, getattr(solved.metrics, key)), key
    for step_id, step in whole.steps.items():
        for key, value in dataclasses.asdict(step).items():
            assert same(value, getattr(solved.steps[step_id], key)), (step_id, key)


@FAST
@given(journeys())
def test_findings_are_deterministic_and_parser_independent(text):
    first = audit(loads_journey(text)).findings
    assert audit(loads_journey(text)).findings == first
    if has_c_parser():
        assert audit(loads_journey(text, pure_yaml=True)).findings == first


@FAST
@given(journeys())
def test_every_report_format_stays_valid(text):
    report = Report((audit(loads_journey(text, name="random.yaml")),))
    document = json.loads(JsonReporter().render(report))
    REPORT.validate(document)
    assert json.loads(json.dumps(document)) == document
    SARIF.validate(json.loads(SarifReporter().render(report)))
    from tests.test_report import mermaid_blocks, pictures, table_shapes

    markdown = DocumentReporter().render(report)
    assert all(len(set(rows)) == 1 for rows in table_shapes(markdown))
    assert len(mermaid_blocks(markdown)) == pictures(report)


@given(model=bpmn_models())
def test_any_bpmn_model_imports_into_a_valid_journey_or_is_refused_with_a_position(model):
    pytest.importorskip("defusedxml")
    from cxaudit import bpmn
    from cxaudit.journey.write import journey_yaml

    parsed = bpmn.parse(model.encode(), "m.bpmn")
    try:
        journey = bpmn.to_journey(parsed)
    except JourneyError as error:  # no start and nowhere to enter, or a start that leads nowhere
        assert error.problems and all(p.line >= 1 for p in error.problems)
        return
    text = journey_yaml(journey)
    reloaded = loads_journey(text, name="imported.yaml")  # what import writes must load (and validate)
    assert set(reloaded.steps) == set(journey.steps)
    for step in journey.steps.values():
        assert all(t.target in journey.steps for t in step.next)
        if step.next:
            assert abs(sum(t.probability for t in step.next) - 1.0) < 1e-9
    audit(reloaded)  # and audits without an internal error


@given(case=st.one_of(structured_bpmn(), structured_bpmn(blocks=("sequence", "parallel", "task"))))
def test_a_block_structured_bpmn_model_imports_cleanly_with_every_task_reached(case):
    pytest.importorskip("defusedxml")
    from cxaudit import bpmn

    model, tasks = case
    parsed = bpmn.parse(model.encode(), "m.bpmn")
    journey = bpmn.to_journey(parsed)
    assert parsed.problems == []  # every parallel split found its join
    assert len(journey.steps) == tasks + 1  # the tasks and the end; no gateway became a step
    result = audit(journey)
    assert not [f for f in result.findings if f.code in ("ST01", "ST02", "ST03", "ST04", "ST05")]
    assert result.metrics.completion_rate == pytest.approx(1.0)
    assert all(metrics.reach_probability > 0 for metrics in result.markov.steps.values())
    if "exclusiveGateway" not in model:  # only sequences and parallel blocks: one path through every task
        assert all(len(step.next) <= 1 for step in journey.steps.values())
        assert all(metrics.reach_probability == pytest.approx(1.0) for metrics in result.markov.steps.values())


@FAST
@given(journeys(max_steps=30))
def test_the_searches_give_what_networkx_gives(text):
    """One implementation of each search runs (plain Python on the transitions); networkx is the oracle."""

    from cxaudit.analysis.markov import transitions
    from cxaudit.analysis.paths import most_probable_path
    from cxaudit.analysis.reach import component_labels
    from cxaudit.analysis.structure import analyse_structure, strong_components
    from cxaudit.graph import build_graph
    from tests import oracles

    journey = loads_journey(text)
    graph = build_graph(journey)
    structure = analyse_structure(journey)
    entries = [entry.step for entry in journey.entry if entry.share > 0]
    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]
    outcomes = {sid for sid, step in journey.steps.items() if step.is_outcome}
    assert structure.reachable == oracles.reachable_from(graph, entries)
    assert structure.can_succeed == oracles.can_reach(graph, successes)
    assert [list(trap) for trap in structure.traps] == oracles.trap_loops(graph, outcomes)
    path = most_probable_path(journey)
    expected = oracles.most_probable_path(journey, graph)
    assert (path is None and expected is None) or ((path.steps, path.probability) == expected)
    successors = {sid: [target for target, _ in pairs] for sid, pairs in transitions(journey).items()}
    assert sorted(map(sorted, strong_components(successors))) == sorted(map(sorted, oracles.strong_components(graph)))
    # the chain's labels (over transient steps, from the journey's components) group the steps as networkx's do
    taken = graph.edge_subgraph([(u, v) for u, v, p in graph.edges(data="p") if p > 0])
    transient = [sid for sid in journey.steps if sid in taken and taken.out_degree(sid)]
    index = {sid: i for i, sid in enumerate(transient)}
    plain = component_labels(structure.components, index, len(transient)).tolist()
    groups = {frozenset(c) for c in oracles.strong_components(taken.subgraph(transient))}
    assert {frozenset(transient[i] for i in range(len(plain)) if plain[i] == label) for label in set(plain)} == groups


@FAST
@given(journeys(max_steps=30))
def test_incoming_transitions_are_the_graphs_in_edges(text):
    """Rules ask the audit context for incoming transitions; networkx's graph has the same, in the same order."""
    from cxaudit.engine import analyse
    from cxaudit.rules import AuditContext

    journey = loads_journey(text)
    graph, structure, markov = analyse(journey)
    context = AuditContext(journey, None, structure, markov)
    for step_id in journey.steps:
        assert context.incoming(step_id) == tuple(source for source, _ in graph.in_edges(step_id))
    assert list(context.graph.edges(data="probability")) == list(graph.edges(data="probability"))

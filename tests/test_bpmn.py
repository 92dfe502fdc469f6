"""BPMN 2.0: import, check directly, agree with bpmnlint's rule fixtures, refuse hostile XML."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cxaudit import JourneyError, load_journey
from tests.conftest import FIXTURES

pytest.importorskip("defusedxml")

BPMNLINT = FIXTURES / "bpmn" / "bpmnlint"
CLAIM = FIXTURES / "bpmn" / "claim.bpmn"

# For each fixture: the elements bpmnlint reports (its rule tests), and everything
# cxaudit reports, as "CODE element" ("input" for a model it cannot turn into a
# journey). cxaudit checks true reachability from the entry, bpmnlint counts flows
# per element, so cxaudit reports more: an element with no incoming flow is also
# unreachable (ST01), one with no outgoing flow also a dead end (ST02), a journey
# whose entry reaches no outcome has no success (ST05), and a model where every
# element has an incoming flow but no start event has no entry at all.
CASES = {
    "no-implicit-end-invalid": (
        {"intermediate_event", "task", "gateway", "start_event"},
        {"ST01 end_event", "ST01 gateway", "ST01 intermediate_event", "ST01 task", "ST02 gateway",
         "ST02 intermediate_event", "ST02 start_event", "ST02 task", "ST05 journey"},
    ),
    "no-implicit-start-invalid": (
        {"end_event", "intermediate_throw_event", "task", "gateway", "link_throw", "intermediate_catch_event"},
        {"ST01 end_event", "ST01 gateway", "ST01 intermediate_catch_event", "ST01 intermediate_throw_event",
         "ST01 link_throw", "ST01 task", "ST02 gateway", "ST02 intermediate_catch_event",
         "ST02 intermediate_throw_event", "ST02 link_throw", "ST02 start_event", "ST02 task", "ST05 journey"},
    ),
    "no-disconnected-invalid": ({"element"}, {"ST02 element", "ST05 journey"}),
    "no-disconnected-valid": (set(), {"input process_1"}),
    "start-event-required-invalid": ({"process"}, {"input process"}),
    "end-event-required-valid": (set(), set()),
    # valid for end-event-required, but the sub-process leads nowhere and nothing reaches its end
    "end-event-required-valid-sub-process": (set(), {"ST01 endevent_subprocess", "ST02 subprocess"}),
    # valid for no-implicit-start, but its only element is a start event that leads nowhere
    "no-implicit-start-valid-collaboration": (set(), {"ST02 startevent_1", "ST05 journey"}),
}  # fmt: skip


def reported(run_cli, path: Path) -> set[str]:
    _, out, _ = run_cli("check", str(path), "--select", "ST", "--format", "json", "--fail-on", "never")
    document = json.loads(out)
    found = {f"{f['code']} {f['step'] or 'journey'}" for j in document["journeys"] for f in j["findings"]}
    found |= {f"input {error['message'].split(chr(39))[1].lower()}" for error in document.get("errors", [])}
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_everything_bpmnlint_reports_cxaudit_reports_too(run_cli, name):
    bpmnlint, expected = CASES[name]
    found = reported(run_cli, BPMNLINT / f"{name}.bpmn")
    assert bpmnlint <= {item.split(" ", 1)[1] for item in found}
    assert found == expected


@pytest.mark.parametrize("path", sorted((FIXTURES / "bpmn").rglob("*.bpmn")), ids=lambda p: p.stem)
def test_every_model_imports_or_says_why(run_cli, path, tmp_path):
    target = tmp_path / "out.yaml"
    code, out, err = run_cli("import", "bpmn", str(path), "-o", str(target))
    assert code in (0, 2) and "Traceback" not in out + err and "internal error" not in err
    if code == 0:
        assert run_cli("validate", str(target))[0] == 0
    else:
        assert err.startswith(f"cxaudit: {path}:")


def test_import_maps_the_model(run_cli, tmp_path):
    target = tmp_path / "claim.yaml"
    code, _, err = run_cli("import", "bpmn", str(CLAIM), "-o", str(target))
    assert code == 0, err
    assert run_cli("validate", str(target))[0] == 0
    journey = load_journey(target)
    assert (journey.id, journey.name) == ("claim", "Motor insurance claim")
    assert [(e.step, e.share) for e in journey.entry] == [("report", 1.0)]
    assert {sid: step.type for sid, step in journey.steps.items()} == {
        "report": "step", "upload": "step", "assess": "step", "late": "step", "call_us": "contact",
        "pay_out": "step", "settled": "success", "withdrawn": "abandon",
    }  # fmt: skip
    assert {t.target: t.probability for t in journey.steps["report"].next} == {"assess": 0.5, "upload": 0.5}
    assert {t.target: t.probability for t in journey.steps["pay_out"].next} == {"settled": 1.0}  # sub-process inlined
    assert {t.target for t in journey.steps["assess"].next} == {"pay_out", "late"}  # boundary event
    assert journey.steps["report"].owner == "digital" and journey.steps["late"].owner == "claims_handling"
    assert "assumed" in journey.steps["report"].notes


def test_check_points_at_the_bpmn_element(run_cli):
    _code, out, _ = run_cli("check", str(CLAIM), "--select", "CT01", "-q")
    assert out.splitlines() == [
        f"{CLAIM}:25:5: CT01 [warning] 100.0% of customers at 'Assessment late' contact us: 0.7 contacts per period, "
        "caused by Claims handling"
    ]


def test_unmapped_elements_are_reported_with_id_and_line(run_cli, tmp_path):
    model = tmp_path / "m.bpmn"
    model.write_text(
        CLAIM.read_text().replace('<endEvent id="settled"', '<complexThing id="odd" />\n    <endEvent id="settled"')
    )
    code, _, err = run_cli("import", "bpmn", str(model))
    assert code == 0
    assert f"{model}:34:5: element 'odd' (complexThing) is not mapped to the journey" in err


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            '<?xml version="1.0"?>\n<!DOCTYPE definitions [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&b;</definitions>\n',
            "DTDForbidden",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>\n',
            "DTDForbidden",
        ),
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_hostile_xml_is_refused(run_cli, tmp_path, text, kind):
    model = tmp_path / "evil.bpmn"
    model.write_text(text)
    for command in (["check", str(model)], ["import", "bpmn", str(model)]):
        code, out, err = run_cli(*command)
        assert code == 2
        assert f"{model}:1:1" in out + err and f"refused to read the model: {kind}" in out + err


def test_not_bpmn(tmp_path):
    model = tmp_path / "x.bpmn"
    model.write_text("<html/>")
    with pytest.raises(JourneyError, match=r"not a BPMN 2\.0 model"):
        load_journey(model)


def test_miwg_reference_model_a_1_0(run_cli):
    model = FIXTURES / "bpmn" / "miwg" / "A.1.0.bpmn"
    journey = load_journey(model)
    assert [step.name for step in journey.steps.values()] == ["Task 1", "Task 2", "Task 3", "End Event"]
    assert [step.type for step in journey.steps.values()] == ["step", "step", "step", "success"]
    assert journey.id == "wfp-6" and journey.entry[0].step == "ec59e164-68b4-4f94-98de-ffb1c58a84af"
    assert run_cli("check", str(model), "--select", "ST") == (0, "No findings in 1 journey.\n", "")


PARALLEL = FIXTURES / "bpmn" / "parallel.bpmn"


def test_parallel_branches_are_flattened_into_a_sequence():
    journey = load_journey(PARALLEL)
    assert {sid: {t.target: t.probability for t in step.next} for sid, step in journey.steps.items()} == {
        "apply": {"verify": 1.0},
        "verify": {"credit": 1.0},  # the outer split's first branch, then the second (itself a split)
        "credit": {"fraud": 1.0},  # the inner split, flattened too
        "fraud": {"documents": 1.0},  # the inner join leads on to the outer split's third branch
        "documents": {"activate": 0.5, "declined": 0.5},  # the last branch reaches the join, then the decision
        "activate": {"open": 1.0},
        "open": {},
        "declined": {},
    }
    assert journey.steps["apply"].notes == "BPMN userTask 'apply'"  # one way on: nothing assumed
    assert journey.steps["verify"].notes == (
        "BPMN serviceTask 'verify'; parallel branches of gateway 'fork' taken one after another"
    )
    assert journey.steps["credit"].notes.endswith("of gateway 'inner_fork' taken one after another")
    assert journey.steps["documents"].notes.endswith("shares split evenly at gateways (assumed: calibrate from a log)")


def test_a_parallel_split_without_a_join_is_shared_evenly_and_reported(run_cli, tmp_path):
    model = tmp_path / "m.bpmn"
    text = PARALLEL.read_text()
    model.write_text(text.replace('sourceRef="documents" targetRef="join"', 'sourceRef="documents" targetRef="open"'))
    code, out, err = run_cli("import", "bpmn", str(model))
    assert code == 0
    assert (
        err == f"{model}:6:5: parallel gateway 'fork' has no matching join: its branches are shared evenly (assumed)\n"
    )
    assert "next: {verify: 0.333334, credit: 0.333333, documents: 0.333333}" in out


B_1_0 = FIXTURES / "bpmn" / "miwg" / "B.1.0.bpmn"


def test_miwg_reference_model_b_1_0_imports_its_main_process(run_cli, tmp_path):
    # four processes: one called by a call activity, one per pool, one more called; the main one is the largest
    # that nothing calls (WFP-6-2: lanes, call activities, a collapsed and an expanded sub-process, a parallel
    # split whose branches never join, a terminate end)
    target = tmp_path / "b.yaml"
    code, _, err = run_cli("import", "bpmn", str(B_1_0), "-o", str(target))
    assert code == 0
    assert err.splitlines() == [
        f"{B_1_0}:4:5: process 'Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450' left out: one journey per process "
        "(import it with --process)",
        f"{B_1_0}:18:5: process 'WFP-6-1' left out: one journey per process (import it with --process)",
        f"{B_1_0}:186:5: process 'WFP-0-' left out: one journey per process (import it with --process)",
        f"{B_1_0}:94:9: parallel gateway '_be29f267-9d56-46ef-8bbc-e13513b25fce' has no matching join: its branches "
        "are shared evenly (assumed)",
        f"Wrote {target}: 9 steps.",
    ]
    journey = load_journey(target)
    assert journey.id == "wfp-6-2"
    steps = {step.name: (step.type, step.owner) for step in journey.steps.values()}
    assert steps == {
        "End Event Message": ("success", None),
        "Call Activity Calling a Global Task": ("step", "lane_1"),
        "Call Activity - Expanded": ("step", "lane_1"),
        "Call Activity Collapsed": ("step", "lane_1"),
        "Collapsed Sub-Process": ("step", "lane_2"),  # its content is not in the model: one step
        "User Task 5": ("step", "lane_2"),
        "Abstract Task 6": ("step", "lane_2"),  # inside the expanded sub-process: inlined, in its lane
        "Service Task 7": ("step", "lane_2"),
        "End Event Terminate": ("abandon", None),
    }
    by_name = {step.name: step for step in journey.steps.values()}
    collapsed = by_name["Collapsed Sub-Process"]
    assert [journey.steps[t.target].name for t in collapsed.next] == ["Abstract Task 6"]
    assert {journey.steps[e.step].name: e.share for e in journey.entry} == {
        "User Task 5": 0.5,
        "Call Activity Collapsed": 0.25,
        "Call Activity Calling a Global Task": 0.25,
    }


def test_import_chooses_the_process(run_cli):
    code, out, _ = run_cli("import", "bpmn", str(B_1_0), "--process", "WFP-6-1")
    assert code == 0
    # names keep their words, not the diagram's line breaks ("User&#10;Task 2")
    assert [line.strip() for line in out.splitlines() if "name:" in line][1:] == [
        'name: "End Event None 1"', 'name: "Abstract Task 1"', 'name: "User Task 2"', 'name: "Service Task 3"'
    ]  # fmt: skip
    code, _, err = run_cli("import", "bpmn", str(B_1_0), "--process", "WFP-6-3")
    assert code == 2
    assert err == (
        f"cxaudit: {B_1_0}:2:1: no process 'WFP-6-3' in the model (its processes: "
        "Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450, WFP-6-1, WFP-6-2, WFP-0-); did you mean 'WFP-6-1'?\n"
    )


def test_parallel_branches_in_a_loop_with_an_empty_branch(tmp_path):
    # start -> a -> fork -> {b, (straight to the join)} -> join -> c -> {done, back to a}
    flows = [("start", "a"), ("a", "fork"), ("fork", "b"), ("fork", "join"), ("b", "join"), ("join", "c"),
             ("c", "gw"), ("gw", "done"), ("gw", "a")]  # fmt: skip
    nodes = (
        '<startEvent id="start"/><task id="a" name="A"/><parallelGateway id="fork"/><task id="b" name="B"/>'
        '<parallelGateway id="join"/><task id="c" name="C"/><exclusiveGateway id="gw"/><endEvent id="done"/>'
    )
    model = tmp_path / "loop.bpmn"
    model.write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">'
        + nodes
        + "".join(f'<sequenceFlow id="f{i}" sourceRef="{s}" targetRef="{t}"/>' for i, (s, t) in enumerate(flows))
        + "</process></definitions>"
    )
    journey = load_journey(model)
    assert {sid: {t.target: t.probability for t in step.next} for sid, step in journey.steps.items()} == {
        "a": {"b": 1.0},
        "b": {"c": 1.0},
        "c": {"done": 0.5, "a": 0.5},
        "done": {},
    }
    both_empty = model.read_text().replace('targetRef="b"', 'targetRef="join"')
    model.write_text(both_empty)
    journey = load_journey(model)
    assert {t.target for t in journey.steps["a"].next} == {"c"}
    assert "b" in journey.steps  # left unreachable, and reported as such by check


def test_findings_on_a_bpmn_model_carry_the_element_id(run_cli):
    # the step id is a slug ("_be29f..." -> "be29f..."); the element id is kept exactly
    _, out, _ = run_cli("check", str(B_1_0), "--select", "ST03", "--format", "json", "--fail-on", "never")
    findings = json.loads(out)["journeys"][0]["findings"]
    by_step = {f["step"]: f["element"] for f in findings}
    assert by_step["7706e700-2aed-4b94-8070-961f118aab8f"] == "_7706e700-2aed-4b94-8070-961f118aab8f"
    assert all(element.startswith("_") for element in by_step.values())
    _, out, _ = run_cli("check", str(B_1_0), "--select", "ST03", "--format", "sarif", "--fail-on", "never")
    document = json.loads(out)
    sarif_schema = json.loads((FIXTURES / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(document, sarif_schema)
    results = document["runs"][0]["results"]
    logical = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results}
    assert logical == set(by_step.values())
    assert all(r["locations"][0]["logicalLocations"][0]["kind"] == "element" for r in results)
    _, out, _ = run_cli("audit", str(B_1_0), "--format", "json")
    steps = json.loads(out)["journeys"][0]["steps"]
    assert {s["name"]: s["element"] for s in steps}["User Task 5"] == "_7706e700-2aed-4b94-8070-961f118aab8f"


def test_imported_names_read_back_exactly_whatever_their_characters(run_cli, tmp_path):
    awkward = "Report 🎉\u2028now\u202e\ufeff\x9f"
    model = tmp_path / "m.bpmn"
    model.write_text(
        (FIXTURES / "bpmn" / "claim.bpmn").read_text().replace('name="Report the claim online"', f'name="{awkward}"'),
        encoding="utf-8",
    )
    target = tmp_path / "m.yaml"
    code, _, err = run_cli("import", "bpmn", str(model), "-o", str(target))
    assert code == 0, err
    imported = load_journey(target)
    assert "Report 🎉 now\u202e\ufeff\x9f" in [step.name for step in imported.steps.values()]  # line breaks folded
    assert run_cli("check", str(target), "--fail-on", "never")[0] == 0


def test_unnamed_elements_get_readable_names_and_the_model_s_simulation_is_used(run_cli, tmp_path):
    target = tmp_path / "order.yaml"
    code, _, err = run_cli("import", "bpmn", str(FIXTURES / "bpmn" / "simulated.bpmn"), "-o", str(target))
    assert code == 0, err
    journey = load_journey(target)
    names = {step.id: step.name for step in journey.steps.values()}
    assert names["sid-b0a1"] == "Timer on 'Place order'"
    assert names["sid-end-lost"] == "End (error)" and names["sid-unnamed"] == "Unnamed task"
    shares = {step.id: {t.target: t.probability for t in step.next} for step in journey.steps.values()}
    # the gateway's branches as simulated (0.8 and 0.2), beside the timer on the task (split evenly with them)
    assert shares["sid-14b23ce9-aaaa"] == {"sid-charge": 0.4, "sid-unnamed": 0.1, "sid-b0a1": 0.5}
    assert shares["sid-charge"] == {"sid-end-ok": 0.9, "sid-cancelled": 0.1}
    assert journey.steps["sid-14b23ce9-aaaa"].duration_s == 120  # UNIFORM(60, 180)
    assert journey.steps["sid-charge"].duration_s == 30


def test_a_cancel_end_leads_to_the_cancel_boundary_event_of_its_transaction():
    from cxaudit.bpmn import load_bpmn

    journey, _ = load_bpmn((FIXTURES / "bpmn" / "simulated.bpmn").read_bytes(), "simulated.bpmn")
    assert [t.target for t in journey.steps["sid-charge"].next] == ["sid-end-ok", "sid-cancelled"]
    assert [t.target for t in journey.steps["sid-cancelled"].next] == ["sid-refund"]  # not on normal completion


SMALL_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:qbp="http://www.qbp-simulator.com/Schema201212" id="d" targetNamespace="x">
  <process id="apply" name="Apply">
    <startEvent id="s" />
    <userTask id="fill" name="Fill in the form" />
    <exclusiveGateway id="g" />
    <serviceTask id="check" name="Check" />
    <serviceTask id="reject" name="Reject letter" />
    <endEvent id="accepted" name="Accepted" />
    <endEvent id="rejected" name="Rejected" />
    <sequenceFlow id="f1" sourceRef="s" targetRef="fill" />
    <sequenceFlow id="f2" sourceRef="fill" targetRef="g" />
    <sequenceFlow id="f3" sourceRef="g" targetRef="check" />
    <sequenceFlow id="f4" sourceRef="g" targetRef="reject" />
    <sequenceFlow id="f5" sourceRef="check" targetRef="accepted" />
    <sequenceFlow id="f6" sourceRef="reject" targetRef="rejected" />
  </process>
  <qbp:processSimulationInfo id="sim"><qbp:sequenceFlows>
    <qbp:sequenceFlow elementId="f3" executionProbability="0.7" /><qbp:sequenceFlow elementId="f4" executionProbability="0.3" />
  </qbp:sequenceFlows></qbp:processSimulationInfo>
</definitions>
"""


def test_a_model_imported_and_checked_against_its_own_process_s_log_has_no_drift(run_cli, tmp_path):
    pytest.importorskip("duckdb")
    model = tmp_path / "apply.bpmn"
    model.write_text(SMALL_MODEL)
    journey = tmp_path / "apply.yaml"
    assert run_cli("import", "bpmn", str(model), "-o", str(journey))[0] == 0
    log = tmp_path / "apply.csv"
    rows = ["case,activity,timestamp"]
    for case in range(100):  # no log records an end event: cases end at their last task
        last = "Check" if case < 70 else "Reject letter"
        rows += [f"{case},Fill in the form,2026-01-01 10:00", f"{case},{last},2026-01-01 10:05"]
    log.write_text("\n".join(rows) + "\n")
    assert run_cli("drift", str(journey), str(log), "--fail-on", "info") == (0, "No findings in 1 journey.\n", "")
    code, _, err = run_cli("calibrate", str(journey), str(log), "-o", str(tmp_path / "calibrated.yaml"))
    assert code == 0, err
    calibrated = load_journey(tmp_path / "calibrated.yaml")
    assert {t.target: t.probability for t in calibrated.steps["fill"].next} == {"check": 0.7, "reject": 0.3}
    assert {t.target: t.probability for t in calibrated.steps["check"].next} == {"accepted": 1.0}

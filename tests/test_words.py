"""Words that fit: a decision of the organisation is not a customer giving up, and advice fits who does the work."""

from __future__ import annotations

import pytest

from cxaudit import loads_journey
from cxaudit.engine import audit

LOAN = """cxaudit: 1
journey: {id: loan, name: Loan, volume: 1000, value: 100, currency: EUR, period: month}
entry: apply
channels:
  web: {assisted: false}
  phone: {assisted: true, cost: 5}
steps:
  apply: {name: Apply online, channel: web, effort: 5, next: {check: 0.8, gave_up: 0.2}}
  check: {name: Check the application, duration: 5d, next: {approved: 0.5, declined: 0.3, check: 0.2}}
  approved: {name: Loan approved, type: success}
  declined: {name: Loan declined, type: decline}
  gave_up: {name: Customer gave up, type: abandon}
"""


def test_a_decline_is_a_decision_not_a_customer_lost():
    metrics = audit(loads_journey(LOAN)).metrics
    # from check: approved 0.5 / 0.8 of those who leave it, declined 0.3 / 0.8
    assert metrics.completion_rate == pytest.approx(0.8 * 0.5 / 0.8)
    assert metrics.decline_rate == pytest.approx(0.8 * 0.3 / 0.8)
    assert metrics.abandonment_rate == pytest.approx(0.2)
    assert (
        metrics.completion_rate + metrics.abandonment_rate + metrics.decline_rate + metrics.stuck_rate
        == pytest.approx(1)
    )
    assert metrics.customers_lost_per_period == pytest.approx(200)  # the 300 declined are not lost
    assert metrics.customers_declined_per_period == pytest.approx(300)
    assert metrics.value_at_risk == pytest.approx(200 * 100)


def test_reports_say_declined_apart_from_giving_up(run_cli, tmp_path):
    journey = tmp_path / "loan.yaml"
    journey.write_text(LOAN)
    code, out, _ = run_cli("audit", str(journey))
    assert code == 0
    assert "1,000 enter a month: 50.0% complete, 30.0% declined, 20.0% give up, 0.0% stuck" in out
    assert "Declined        300 a month by our decision: not lost, no value at risk" in out
    _, out, _ = run_cli("report", str(journey), "-o", "-")
    assert "| Declined by decision | 300 a month (30.0%; declined or rejected by us, not counted as lost) |" in out
    code, out, _ = run_cli("check", str(journey), "--select", "FR02", "--fail-on", "never")
    assert "give up there" in out and "'Check the application'" not in out  # a decline is not a drop-off


@pytest.mark.parametrize(
    ("step", "code", "advice"),
    [
        ("apply", "FR01", "prefill what you know, remove fields"),  # self-service: the web
        ("check", "FR03", "check that the work is complete once, when it arrives"),  # back office: no channel
        ("check", "FR05", "Shorten the handling of 'Check the application' (queues, batches, handoffs)"),
    ],
)
def test_advice_fits_who_does_the_work(step, code, advice):
    findings = [f for f in audit(loads_journey(LOAN)).findings if f.code == code and f.step == step]
    assert len(findings) == 1 and advice in findings[0].remediation


def test_assisted_steps_get_advice_for_the_people_serving_customers():
    text = LOAN.replace("apply: {name: Apply online, channel: web,", "apply: {name: Apply by phone, channel: phone,")
    [finding] = [f for f in audit(loads_journey(text)).findings if f.code == "FR01"]
    assert "let the person serving the customer look up and fill in what the organisation knows" in finding.remediation


def test_discover_and_bpmn_import_know_a_decision(run_cli, tmp_path):
    pytest.importorskip("duckdb")
    log = tmp_path / "l.csv"
    rows = ["case,activity,timestamp"]
    for case in range(10):
        rows += [f"{case},Apply,2026-01-01 10:00", f"{case},{'Approved' if case < 6 else 'Declined'},2026-01-01 11:00"]
    log.write_text("\n".join(rows) + "\n")
    journey = tmp_path / "j.yaml"
    code, _, err = run_cli("discover", str(log), "-o", str(journey), "--success", "Approved", "--decline", "Declined")
    assert code == 0, err
    assert "    type: decline" in journey.read_text()
    from tests.test_bpmn import SMALL_MODEL

    model = tmp_path / "m.bpmn"
    model.write_text(SMALL_MODEL)
    imported = tmp_path / "m.yaml"
    assert run_cli("import", "bpmn", str(model), "-o", str(imported))[0] == 0
    assert '  rejected:\n    name: "Rejected"\n    type: decline\n' in imported.read_text()

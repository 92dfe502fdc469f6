"""Intervals on every number of a journey learned from a log (evidence, Dirichlet posterior)."""

from __future__ import annotations

import pytest

from cxaudit import load_journey, loads_journey
from cxaudit.engine import AuditConfig, audit
from tests.simulation import simulate

pytest.importorskip("duckdb")

TRUE = """cxaudit: 1
journey: {id: claim, name: Claim, volume: 1000, period: month}
entry: {report: 0.8, call: 0.2}
steps:
  report: {name: Report, duration: 600, next: {assess: 0.9, gave_up: 0.1}}
  assess: {name: Assess, duration: 3600, next: {assess: 0.25, pay: 0.6, call: 0.15}}
  call: {name: Call us, type: contact, duration: 300, next: {assess: 0.7, gave_up: 0.3}}
  pay: {name: Pay out, duration: 1800, next: {paid: 1}}
  paid: {name: Paid, type: success}
  gave_up: {name: Gave up, type: abandon}
"""
PER_CUSTOMER = (
    "completion_rate",
    "abandonment_rate",
    "expected_contacts",
    "contact_rate",
    "expected_duration_s",
    "first_contact_resolution",
)


def learned(run_cli, tmp_path, seed: int, cases: int = 300):
    log = tmp_path / f"log{seed}.csv"
    simulate(TRUE, cases, seed, log)
    out = tmp_path / f"claim{seed}.yaml"
    code, _, err = run_cli(
        "discover", str(log), "--success", "Paid", "--abandon", "Gave up", "--contact", "Call",
        "--history", "1", "-o", str(out),
    )  # fmt: skip
    assert code == 0, err
    return load_journey(out)


@pytest.mark.slow
def test_the_true_value_falls_inside_the_interval_95_times_in_100(run_cli, tmp_path):
    truth = audit(loads_journey(TRUE)).metrics
    inside = dict.fromkeys(PER_CUSTOMER, 0)
    widths = {name: [] for name in PER_CUSTOMER}
    points = {name: [] for name in PER_CUSTOMER}
    runs = 40
    for seed in range(runs):
        result = audit(learned(run_cli, tmp_path, seed), AuditConfig(exact_top=0))  # the metrics alone
        for name in PER_CUSTOMER:
            low, high = result.intervals[name]
            inside[name] += low <= getattr(truth, name) <= high
            widths[name].append(high - low)
            points[name].append(getattr(result.metrics, name))
    # 95% coverage: at least 34 of 40 (a calibrated interval misses that often about once in a hundred)
    assert all(count >= 34 for count in inside.values()), inside
    # and not by being wide: about as wide as the spread of the figure from log to log
    # (4 standard deviations for a 95% interval)
    import statistics

    for name in PER_CUSTOMER:
        spread = 4 * statistics.stdev(points[name])
        assert 0.7 * spread <= statistics.mean(widths[name]) <= 1.3 * spread, (name, widths[name], spread)


def shop(cases: int) -> str:
    """Two steps where customers give up at nearly the same rate, counted from ``cases`` cases."""
    n = cases
    return f"""cxaudit: 1
journey: {{id: shop, name: Shop, volume: 1000, period: month, currency: EUR, value: 100, cases: {n}}}
entry: a
steps:
  a: {{name: A, next: {{b: 0.5, c: 0.5}}, evidence: {{visits: {n}, next: {{b: {n // 2}, c: {n // 2}}}}}}}
  b: {{name: B, next: {{done: 0.8, lost: 0.2}}, evidence: {{next: {{done: {n * 8 // 20}, lost: {n * 2 // 20}}}}}}}
  c: {{name: C, next: {{done: 0.78, lost: 0.22}}, evidence: {{next: {{done: {n * 78 // 200}, lost: {n * 22 // 200}}}}}}}
  done: {{name: Done, type: success}}
  lost: {{name: Lost, type: abandon}}
"""


def test_json_gives_every_metric_an_interval_and_the_top_fixes_theirs(run_cli, tmp_path):
    import json

    path = tmp_path / "shop.yaml"
    path.write_text(shop(400))
    code, out, err = run_cli("audit", str(path), "--format", "json")
    assert code == 0, err
    journey = json.loads(out)["journeys"][0]
    assert set(journey["intervals"]) == set(journey["metrics"])
    for name, value in journey["metrics"].items():
        pair = journey["intervals"][name]
        assert (pair is None) == (value is None), name
        if pair is not None:
            assert pair[0] <= value <= pair[1], name
    low, high = journey["intervals"]["completion_rate"]
    assert 0.74 < low < 0.76 and 0.82 < high < 0.84  # 79% of 400 cases: about +-4 points
    assert journey["intervals"]["steps_without_duration"] == [3, 3]  # a count of the file's gaps: certain
    first, second = journey["findings"][:2]
    assert (first["step"], second["step"]) == ("c", "b")
    assert first["intervals"]["money"][0] < 11000 < first["intervals"]["money"][1]
    assert set(first["intervals"]) == {"customers_kept", "contacts_avoided", "cost_avoided", "value_kept", "money"}
    assert "tied_with" not in first and second["tied_with"] == 1


def test_the_ranking_says_which_fixes_cannot_be_told_apart(run_cli, tmp_path):
    few, many = tmp_path / "few.yaml", tmp_path / "many.yaml"
    few.write_text(shop(400))
    many.write_text(shop(400_000))
    code, out, _ = run_cli("audit", str(few))
    assert code == 0
    assert "Evidence        learned from 400 cases; ranges are 95% intervals" in out
    assert "79.0% (75.2–83.5%) complete" in out
    assert "EUR 11,000 (8,185–13,856)" in out
    assert "cannot be told apart from #1" in out
    code, out, _ = run_cli("audit", str(many))
    assert code == 0
    assert "79.0% (78.9–79.2%) complete" in out
    assert "cannot be told apart" not in out
    _, out, _ = run_cli("report", str(few))
    assert "| Completion | 79.0% (75.2–83.5%) of customers complete the journey |" in out
    assert "| EUR\u00a010,000 (7,493–12,659) (cannot be told apart from #1) |" in out
    _, out, _ = run_cli("check", str(few), "--format", "markdown")
    assert "| Shop | 79.0% (75.2–83.5%) |" in out


def test_a_journey_written_by_hand_prints_as_before(run_cli):
    import json

    from tests.conftest import ROOT

    path = str(ROOT / "journeys" / "web-checkout.yaml")
    _, out, _ = run_cli("audit", path, "--format", "json")
    journey = json.loads(out)["journeys"][0]
    assert "intervals" not in journey and all("intervals" not in f for f in journey["findings"])
    _, out, _ = run_cli("audit", path)
    assert "Evidence" not in out and "–" not in out


def test_evidence_must_count_the_steps_a_step_goes_to(run_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(shop(40).replace("next: {done: 16, lost: 4}}", "next: {done: 16, lots: 4}, visit: 20}"))
    code, out, _ = run_cli("validate", str(path))
    assert code == 2
    assert "unknown field 'visit' in evidence; did you mean 'visits'?" in out
    path.write_text(shop(40).replace("next: {done: 16, lost: 4}}", "next: {done: 16, lots: 4}}"))
    code, out, _ = run_cli("validate", str(path))
    assert code == 2
    assert (
        "bad.yaml:6:74: evidence of step 'b' counts customers going to 'lots', which is not in its 'next'; "
        "count only the steps it goes to (steps.b.evidence.next.lots)"
    ) in out


def test_compare_says_whether_a_change_can_be_told_from_noise(run_cli, tmp_path):
    import json

    few, many = tmp_path / "few.yaml", tmp_path / "many.yaml"
    few.write_text(shop(400))
    many.write_text(shop(400_000))
    code, out, _ = run_cli("compare", str(few), str(many))
    assert code == 0
    assert "Completion goes from 79.0% to 79.0% (change -4.3 to +3.7 pts, 95%: not told apart from no change)." in out
    worse = tmp_path / "worse.yaml"
    worse.write_text(
        shop(400_000)
        .replace("b: 0.5, c: 0.5", "b: 0.3, c: 0.7")
        .replace("b: 200000, c: 200000", "b: 120000, c: 280000")
    )
    code, out, _ = run_cli("compare", str(many), str(worse), "--format", "json")
    bounds = json.loads(out)["intervals"]
    low, high = bounds["delta"]["completion_rate"]
    assert -0.0047 < low < high < -0.0033  # 79.0% -> 78.6%, told apart at 400,000 cases a side
    assert bounds["before"]["completion_rate"][0] < 0.79 < bounds["before"]["completion_rate"][1]
    assert "Warning" not in run_cli("audit", str(worse))[1]


def test_a_probability_edited_after_discovery_is_drawn_around_what_it_says(run_cli, tmp_path):
    edited = tmp_path / "edited.yaml"
    edited.write_text(shop(400_000).replace("done: 0.78, lost: 0.22", "done: 0.70, lost: 0.30"))
    code, out, _ = run_cli("audit", str(edited))
    assert code == 0
    assert "75.0% (74.9–75.2%) complete" in out
    assert "the probabilities of 'c' are not the shares their evidence counts" in " ".join(out.split())


def test_bad_evidence_and_variants_are_refused_where_they_are_written(run_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "cxaudit: 1\n"
        "journey:\n"
        "  id: j\n"
        "  name: J\n"
        "  variants:\n"
        "  - {cases: 0, steps: [a, done]}\n"
        "  - {cases: 3, step: [a]}\n"
        "  - {cases: 3, steps: []}\n"
        "  - just text\n"
        "entry: a\n"
        "steps:\n"
        "  a: {name: A, next: {done: 1}, evidence: {visits: -1, next: 3, duration_sd: soon}}\n"
        "  done: {name: Done, type: success}\n"
    )
    code, out, err = run_cli("validate", str(path))
    assert code == 2 and "Traceback" not in err
    assert out.splitlines() == [
        f"{path}:6:13: 'cases' must be a whole number from 1 to 1000000000000, not 0 (journey.variants[0].cases)",
        f"{path}:7:5: each variant is {{cases: N, steps: [step ids]}}, not the keys 'cases', 'step' "
        "(journey.variants[1])",
        f"{path}:8:23: 'steps' must be a list of step ids (journey.variants[2].steps)",
        f"{path}:9:5: each variant is {{cases: N, steps: [step ids]}}, not 'just text' (journey.variants[3])",
        f"{path}:12:52: 'visits' must be a whole number from 0 to 1000000000000, not -1 (steps.a.evidence.visits)",
        f"{path}:12:62: 'next' must be a mapping of step id to count, not 3 (steps.a.evidence.next)",
        f"{path}:12:78: 'duration_sd' must be seconds or a duration such as 30s, 3m, 2h, 1d or 1h30m, up to 1e12 "
        "seconds, not 'soon' (steps.a.evidence.duration_sd)",
    ]

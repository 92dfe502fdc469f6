"""Journeys whose steps depend on where customers came from: discover --history, and the log seen through them.

The oracle is a journey of history 2 (where customers go after 'A' depends
on the step before it): logs simulated from it are discovered again, and a
first-order chain of the same log invents repeats that no simulated case
makes, while the discovered history-aware journey predicts held-out cases.
"""

from __future__ import annotations

import json

import pytest

from cxaudit import loads_journey
from cxaudit.errors import JourneyError
from tests.simulation import simulate
from tests.test_real_logs import HELPDESK

pytest.importorskip("duckdb")

SECOND_ORDER = """cxaudit: 1
journey: {id: order, name: Order, volume: 1000, period: month}
entry: s
steps:
  s: {name: S, duration: 60, next: {x: 0.5, y: 0.5}}
  x: {name: X, duration: 60, next: {a_x: 1}}
  y: {name: Y, duration: 60, next: {a_y: 1}}
  a_x: {name: A, after: [X], duration: 600, next: {b: 1}}
  a_y: {name: A, after: [Y], duration: 600, next: {e: 1}}
  a_c: {name: A, after: [C], duration: 600, next: {d: 0.8, gave_up: 0.2}}
  b: {name: B, duration: 300, next: {c: 1}}
  c: {name: C, duration: 300, next: {a_c: 1}}
  d: {name: D, duration: 60, next: {done: 1}}
  e: {name: E, duration: 60, next: {done: 0.9, gave_up: 0.1}}
  done: {name: Done, type: success}
  gave_up: {name: Gave up, type: abandon}
"""


def figures(out: str) -> dict[str, dict]:
    return {f["figure"]: f for f in json.loads(out)["figures"]}


def test_a_first_order_chain_invents_repeats_that_history_removes(run_cli, tmp_path):
    learn, predict = tmp_path / "learn.csv", tmp_path / "predict.csv"
    simulate(SECOND_ORDER, 2000, 1, learn)
    simulate(SECOND_ORDER, 2000, 2, predict)
    success = ("--success", "Done", "--abandon", "Gave up")

    first = tmp_path / "first.yaml"
    assert run_cli("discover", str(learn), "-o", str(first), *success, "--history", "1")[0] == 0
    code, out, _ = run_cli("backtest", str(first), str(predict), "--format", "json")
    phantom = figures(out)["repeats:b"]
    assert code == 1 and phantom["within"] is False
    assert phantom["observed"] == 0 and phantom["predicted"] > 0.1  # B again after C -> A -> B: no case does

    auto = tmp_path / "auto.yaml"
    code, _, err = run_cli("discover", str(learn), "-o", str(auto), *success)
    assert code == 0, err
    assert "--history auto: history 2 has the lowest AIC" in err
    journey = loads_journey(auto.read_text())
    assert sorted(step.after for step in journey.steps.values() if step.name == "A") == [("C",), ("X",), ("Y",)]
    code, out, err = run_cli("backtest", str(auto), str(predict), "--format", "json")
    assert code == 0, out
    shown = figures(out)
    assert "repeats:B" not in shown  # predicted under 0.05% and done by no case: not a figure
    assert shown["repeats:A"]["within"] and shown["repeats:A"]["observed"] > 0.3  # after X, A comes again
    # drift and calibrate read the log through the same steps: nothing to say about the log it came from
    assert run_cli("drift", str(auto), str(learn)) == (0, "No findings in 1 journey.\n", "")
    before = auto.read_text()
    assert run_cli("calibrate", str(auto), str(learn))[0] == 0
    assert auto.read_text() == before


def test_rework_loops_are_the_customers_not_the_chains(run_cli, tmp_path):
    """FR03 on a first-order chain reports loops no customer makes; on the history-aware journey it reports
    the one real repeat once, over the steps history split the activity into."""
    log = tmp_path / "log.csv"
    simulate(SECOND_ORDER, 2000, 1, log)
    success = ("--success", "Done", "--abandon", "Gave up")
    first, auto = tmp_path / "first.yaml", tmp_path / "auto.yaml"
    assert run_cli("discover", str(log), "-o", str(first), *success, "--history", "1")[0] == 0
    assert run_cli("discover", str(log), "-o", str(auto), *success)[0] == 0
    _, out, _ = run_cli("check", str(first), "--select", "FR03")
    assert [line.split("customers repeat ")[1][:3] for line in out.splitlines()[:-1]] == ["'A'", "'B'", "'C'"]
    _, out, _ = run_cli("check", str(auto), "--select", "FR03")
    assert out.splitlines() == [
        f"{auto}:29:3: FR03 [warning] customers repeat 'A' (its 3 steps, split by where customers came from): "
        "1.49 visits for every customer who reaches it, 361 extra visits a month",
        "Found 1 finding (1 warning) in 1 journey.",
    ]


def test_a_rule_finds_an_activity_once_however_history_splits_it(run_cli, tmp_path):
    journey = tmp_path / "order.yaml"
    journey.write_text(SECOND_ORDER)
    _, out, _ = run_cli("check", str(journey), "--select", "OW01")
    about_a = [line for line in out.splitlines() if "'A'" in line]
    assert about_a == [
        f"{journey}:8:3: OW01 [warning] no team owns 'A', which 50.0% of customers reach (500 a month); "
        "the same at 2 more of its steps, split by where customers came from"
    ]


def test_auto_history_on_the_helpdesk_log_says_what_it_chose_and_agrees_with_the_log(run_cli, tmp_path):
    journey = tmp_path / "helpdesk.yaml"
    code, _, err = run_cli("discover", str(HELPDESK), "-o", str(journey), "--success", "Closed")
    assert code == 0, err
    assert (
        "--history auto: history 3 has the lowest AIC, -2 log L + 2k (history 1: 20,882 (42 parameters), "
        "2: 20,393 (99 parameters), 3: 20,134 (158 parameters))"
    ) in err.replace("\n", " ")
    assert "  cases: 4580\n" in journey.read_text()
    assert run_cli("drift", str(journey), str(HELPDESK)) == (0, "No findings in 1 journey.\n", "")
    assert run_cli("calibrate", str(journey), str(HELPDESK))[2].endswith(": 0 changes.\n")


def test_the_log_s_most_common_paths_stand_beside_the_journey_s(run_cli, tmp_path):
    """discover writes the helpdesk log's five most common variants; audit sets the share of cases that took
    each beside the share the history-aware journey gives it, which agree within a point."""
    journey = tmp_path / "helpdesk.yaml"
    assert run_cli("discover", str(HELPDESK), "-o", str(journey), "--success", "Closed")[0] == 0
    assert "  - {cases: 2373, steps: [assign_seriousness__start, " in journey.read_text()
    code, out, _ = run_cli("audit", str(journey), "--format", "json")
    variants = json.loads(out)["journeys"][0]["variants"]
    assert [v["cases"] for v in variants] == [2373, 552, 231, 215, 165]
    assert variants[0]["share"] == pytest.approx(2373 / 4580)
    assert all(abs(v["predicted"] - v["share"]) < 0.01 for v in variants), variants
    _, out, _ = run_cli("audit", str(journey))
    assert "  51.8%     51.9%   Assign seriousness → Take in charge ticket → Resolve ticket → Closed" in out
    none = tmp_path / "none.yaml"
    assert run_cli("discover", str(HELPDESK), "-o", str(none), "--success", "Closed", "--variants", "0")[0] == 0
    assert "variants" not in none.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(journey.read_text().replace("steps: [assign_seriousness__start, ", "steps: [assign_seriousnes, ", 1))
    code, out, _ = run_cli("validate", str(bad))
    assert code == 2
    assert "variant 1 names unknown step 'assign_seriousnes'; did you mean 'assign_seriousness__start'?" in out


def test_the_history_option_is_checked(run_cli):
    code, _, err = run_cli("discover", str(HELPDESK), "--success", "Closed", "--history", "0")
    assert code == 2 and "'0' is not auto or a whole number from 1 to 9" in err


def test_repeats_of_a_group_of_one_step_agree_with_the_visits_formula():
    from cxaudit.analysis import solve as _solve
    from cxaudit.analysis.history import repeat_probability
    from tests.test_backtest import TRUE

    journey = loads_journey(TRUE)
    _, markov = _solve(journey, None)
    for step_id in ("report", "assess", "call", "pay"):
        m = markov.steps[step_id]
        expected = m.reach_probability - m.reach_probability**2 / m.expected_visits
        assert repeat_probability(journey, {step_id}) == pytest.approx(expected, abs=1e-12), step_id


def test_a_history_the_journey_never_saw_goes_to_the_closest_step():
    from cxaudit.logs.history import LABEL, labeller

    depth, label, steps = labeller(loads_journey(SECOND_ORDER))
    assert depth == 1
    assert label((None, "X")) is None  # X is not split: its name maps it
    assert label(("X", "A")) == LABEL + "a_x"
    assert label(("Z", "A")) == LABEL + "a_c"  # no step of A after Z: the first by id of equals
    assert steps[LABEL + "a_y"] == "a_y"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  done: {name: Done, type: success}", "  done: {name: Done, type: success, after: [D]}"),
            "'after' is not allowed on success step 'done': outcomes are not split by history",
        ),
        (
            ("after: [Y]", "after: [X]"),
            "step 'a_y' and step 'a_x' are both 'A' after the same history",
        ),
        (("after: [Y]", "after: []"), "'after' must name at least one activity"),
        (("after: [Y]", "after: Y"), "'after' must be a list of activity names, not 'Y'"),
        (
            ("period: month}", "period: month, cases: 0}"),
            "'cases' must be a whole number from 1 to 1000000000000, not 0",
        ),
    ],
)
def test_after_is_checked_where_it_is_written(change, message):
    with pytest.raises(JourneyError) as raised:
        loads_journey(SECOND_ORDER.replace(*change))
    assert [problem.message for problem in raised.value.problems] == [message]


def test_a_log_whose_activity_starts_with_nul_is_refused_for_a_split_journey(run_cli, tmp_path):
    journey = tmp_path / "order.yaml"
    journey.write_text(SECOND_ORDER)
    log = tmp_path / "log.csv"
    log.write_text("case,activity,timestamp\nc1,S,2026-01-01T00:00:00\nc1,\x00X,2026-01-01T00:01:00\n")
    code, out, err = run_cli("drift", str(journey), str(log))
    assert (code, out) == (2, "")
    assert f"{log}: activity '\\x00X' starts with a NUL character; rename it" in err


@pytest.mark.parametrize("steps", [120, 900])  # solved densely, and sparsely
def test_the_visits_to_groups_of_steps_are_the_dense_solve_s(steps):
    """Every group solved at once, through the chain's one factorisation, gives what solving the walk
    outside each group directly gives."""
    import random
    import sys

    from cxaudit.analysis.history import groups_visits
    from cxaudit.analysis.structure import analyse_structure
    from tests import oracles
    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    journey = loads_journey(generate(steps, seed=5))
    assert not analyse_structure(journey).stuck
    names = [s for s, step in journey.steps.items() if not step.is_outcome]
    rng = random.Random(steps)
    groups = [set(rng.sample(names, rng.randint(1, 4))) for _ in range(300)]
    found = groups_visits(journey, groups)
    for group, (reach, repeat) in zip(groups[:40], found[:40], strict=True):
        expected = oracles.group_visits(journey, group)
        assert reach == pytest.approx(expected[0], abs=1e-9), group
        assert repeat == pytest.approx(expected[1], abs=1e-9), group
    assert any(repeat > 0.01 for _, repeat in found)  # the groups loop


def test_a_stuck_step_of_a_group_counts_once_entered_and_a_trap_comes_back():
    from cxaudit.analysis.history import groups_visits

    journey = loads_journey(
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: a\nsteps:\n"
        "  a: {name: A, next: {b: 0.5, d: 0.5}}\n"
        "  b: {name: B, next: {a: 0.5, ok: 0.25, t: 0.25}}\n"
        "  d: {name: D}\n"  # a dead end
        "  t: {name: T, next: {t: 1}}\n"  # a trap
        "  ok: {name: OK, type: success}\n"
    )
    found = groups_visits(journey, [{"a", "d"}, {"b"}, {"t"}, {"d"}])
    # {a, d}: a is the entry; again through d (1/2) or b then a (1/4). {b}: reached 1/2, again 1/4 of that.
    # {t}: reached 1/6 (h_a = h_b / 2, h_b = 1/4 + h_a / 2), and the trap comes back. {d}: reached 2/3, never again.
    flat = [value for pair in found for value in pair]
    assert flat == pytest.approx([1.0, 0.75, 0.5, 0.125, 1 / 6, 1 / 6, 2 / 3, 0.0], abs=1e-12)
    assert all(type(value) is float for pair in found for value in pair)

"""Exact metrics: against an independent dense solve, textbook chains and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxaudit import loads_journey
from cxaudit.analysis import linear, reach
from cxaudit.engine import analyse
from cxaudit.journey.load import load_journey
from tests.conftest import FIXTURES, JOURNEYS
from tests.reference import reference_metrics

SPEC = FIXTURES / "spec_example.yaml"
KEYS = (
    "completion_rate",
    "abandonment_rate",
    "stuck_rate",
    "expected_contacts",
    "contacts_per_period",
    "contact_cost_per_period",
    "expected_effort",
    "expected_duration_s",
    "first_contact_resolution",
    "value_at_risk",
    "expected_handoffs",
    "expected_channel_switches",
)


def metrics_of(journey):
    return analyse(journey)[2]


def assert_close(actual, expected, rel=1e-9):
    if expected is None:
        assert actual is None
    else:
        assert actual == pytest.approx(expected, rel=rel, abs=1e-9)


def test_reference_figures_of_the_format_spec():
    result = metrics_of(load_journey(SPEC)).metrics
    assert_close(result.completion_rate, 0.481311945748565)
    assert_close(result.abandonment_rate, 0.518688054251435)
    assert result.stuck_rate == 0
    assert_close(result.expected_contacts, 0.054512258737611)
    assert_close(result.contact_cost_per_period, 42511.737089, rel=1e-10)
    assert_close(result.expected_effort, 5.622326551904)
    assert_close(result.expected_duration_s, 215.680751173709)
    assert_close(result.first_contact_resolution, 0.941772151898734)
    assert_close(result.value_at_risk, 5290618.153365, rel=1e-11)
    assert_close(result.contact_rate, 0.0513593, rel=1e-5)
    steps = metrics_of(load_journey(SPEC)).steps
    for step, visits in {
        "browse": 1.111111111111,
        "cart": 0.611111111111,
        "pay": 0.544470526865,
        "chat_help": 0.032733437663,
        "phone_help": 0.021778821075,
    }.items():
        assert steps[step].expected_visits == pytest.approx(visits, abs=1e-12)


EDGE_CASES = {
    "trap": """cxaudit: 1
journey: {id: t, name: T, volume: 100, value: 10}
entry: a
channels: {phone: {assisted: true, cost: 5}}
steps:
  a: {name: A, next: {b: 0.5, ok: 0.3, c: 0.2}}
  b: {name: B, next: {c: 1}}
  c: {name: C, type: contact, channel: phone, next: {b: 1}}
  ok: {name: OK, type: success}
""",
    "dead_end": """cxaudit: 1
journey: {id: d, name: D}
entry: a
steps:
  a: {name: A, next: {dead: 0.25, a: 0.25, ok: 0.5}}
  dead: {name: Dead}
  ok: {name: OK, type: success}
""",
    "all_stuck": """cxaudit: 1
journey: {id: s, name: S, volume: 10}
entry: a
steps:
  a: {name: A, next: {a: 1}}
""",
    "self_trap_contact": """cxaudit: 1
journey: {id: s, name: S}
entry: {a: 0.5, call: 0.5}
steps:
  a: {name: A, next: {call: 0.5, ok: 0.5}}
  call: {name: Call, type: contact, next: {call: 1}}
  ok: {name: OK, type: success}
""",
    "near_singular": """cxaudit: 1
journey: {id: n, name: N}
entry: a
steps:
  a: {name: A, next: {a: 0.999999, ok: 0.000001}}
  ok: {name: OK, type: success}
""",
    "entry_into_outcome": """cxaudit: 1
journey: {id: e, name: E}
entry: {a: 0.5, ok: 0.5}
steps:
  a: {name: A, next: {ko: 1}}
  ok: {name: OK, type: success}
  ko: {name: KO, type: abandon}
""",
}


def test_first_contact_resolution_of_a_slow_contact_loop():
    # found by hypothesis: the old reference iterated the chain and had not converged
    journey = loads_journey(
        """cxaudit: 1
journey: {id: j, name: J}
entry: s6
steps:
  s0: {name: Stuck}
  s1: {name: S1, next: {s4: 1.0}}
  s4: {name: Call, type: contact, next: {s0: 0.001, s1: 0.999}}
  s6: {name: S6, next: {s7: 0.001, s6: 0.999}}
  s7: {name: S7, next: {s6: 0.292, s1: 0.708}}
"""
    )
    result = metrics_of(journey)
    assert result.metrics.contact_rate == pytest.approx(1.0, abs=1e-12)
    assert result.metrics.first_contact_resolution == pytest.approx(0.001, abs=1e-12)
    assert result.metrics.expected_contacts == pytest.approx(1000, rel=1e-9)
    assert reference_metrics(journey)["first_contact_resolution"] == pytest.approx(0.001, abs=1e-12)


def cases():
    for path in [*JOURNEYS, SPEC]:
        yield pytest.param(load_journey(path), id=path.stem)
    for name, text in EDGE_CASES.items():
        yield pytest.param(loads_journey(text), id=name)


@pytest.mark.parametrize("journey", list(cases()))
def test_metrics_equal_independent_dense_solve(journey):
    expected = reference_metrics(journey)
    result = metrics_of(journey)
    for key in KEYS:
        assert_close(getattr(result.metrics, key), expected[key])
    for step_id, visits in expected["visits"].items():
        assert result.steps[step_id].expected_visits == pytest.approx(visits, rel=1e-9, abs=1e-12)
    total = result.metrics.completion_rate + result.metrics.abandonment_rate + result.metrics.stuck_rate
    assert total == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("journey", list(cases()))
def test_sparse_path_gives_the_dense_answers(journey, monkeypatch):
    dense = metrics_of(journey)
    monkeypatch.setattr(linear, "DENSE_LIMIT", 0)
    sparse = metrics_of(journey)
    for key in KEYS:
        assert_close(getattr(sparse.metrics, key), getattr(dense.metrics, key), rel=1e-12)
    for step_id in journey.steps:
        a, b = dense.steps[step_id], sparse.steps[step_id]
        assert a.expected_visits == pytest.approx(b.expected_visits, rel=1e-12, abs=1e-15)
        assert a.reach_probability == pytest.approx(b.reach_probability, rel=1e-12, abs=1e-15)
        assert a.success_probability == pytest.approx(b.success_probability, rel=1e-12, abs=1e-15)


def drunkards_walk(start: str) -> str:
    # Grinstead & Snell, Introduction to Probability, Example 11.13: a walk on
    # 0..4 with 0 and 4 absorbing, one step left or right with probability 1/2.
    return f"""cxaudit: 1
journey: {{id: walk, name: Drunkard's walk}}
entry: s{start}
steps:
  s1: {{name: Corner 1, next: {{s0: 0.5, s2: 0.5}}}}
  s2: {{name: Corner 2, next: {{s1: 0.5, s3: 0.5}}}}
  s3: {{name: Corner 3, next: {{s2: 0.5, s4: 0.5}}}}
  s0: {{name: Home, type: success}}
  s4: {{name: Bar, type: abandon}}
"""


@pytest.mark.parametrize(
    ("start", "home", "visits"),
    [("2", 1 / 2, (1, 2, 1)), ("1", 3 / 4, (3 / 2, 1, 1 / 2)), ("3", 1 / 4, (1 / 2, 1, 3 / 2))],
)
def test_drunkards_walk_matches_grinstead_and_snell(start, home, visits):
    result = metrics_of(loads_journey(drunkards_walk(start)))
    assert result.metrics.completion_rate == pytest.approx(home, abs=1e-12)
    assert result.metrics.abandonment_rate == pytest.approx(1 - home, abs=1e-12)
    got = tuple(result.steps[f"s{i}"].expected_visits for i in (1, 2, 3))
    assert got == pytest.approx(visits, abs=1e-12)
    # Fundamental matrix N, diagonal (3/2, 2, 3/2): reach = visits / N_ii.
    diagonal = (1.5, 2.0, 1.5)
    for i, n_ii in zip((1, 2, 3), diagonal, strict=True):
        expected_reach = result.steps[f"s{i}"].expected_visits / n_ii
        assert result.steps[f"s{i}"].reach_probability == pytest.approx(expected_reach, abs=1e-12)
    # Absorption from each corner: B = N R, first column (3/4, 1/2, 1/4).
    assert [result.steps[f"s{i}"].success_probability for i in (1, 2, 3)] == pytest.approx([0.75, 0.5, 0.25])


def simulate(journey, customers: int, seed: int):
    """Monte Carlo oracle: walk customers through the journey one by one."""
    rng = np.random.default_rng(seed)
    steps = journey.steps
    table = {sid: ([t.target for t in s.next], np.cumsum([t.probability for t in s.next])) for sid, s in steps.items()}
    entries = [e.step for e in journey.entry]
    entry_cum = np.cumsum([e.share for e in journey.entry])
    done = contacts_total = contacted = once = 0
    reached = {sid: 0 for sid in steps}
    for _ in range(customers):
        sid = entries[int(np.searchsorted(entry_cum, rng.random() * entry_cum[-1]))]
        contacts = 0
        seen = set()
        while True:
            seen.add(sid)
            step = steps[sid]
            contacts += step.type == "contact"
            if step.type in ("success", "abandon") or not step.next:
                break
            targets, cum = table[sid]
            sid = targets[min(int(np.searchsorted(cum, rng.random() * cum[-1])), len(targets) - 1)]
        done += steps[sid].type == "success"
        contacts_total += contacts
        contacted += contacts > 0
        once += contacts == 1
        for s in seen:
            reached[s] += 1
    return (
        done / customers,
        contacts_total / customers,
        once / max(contacted, 1),
        {s: c / customers for s, c in reached.items()},
    )


def test_metrics_agree_with_monte_carlo_simulation():
    journey = load_journey(SPEC)
    customers = 60_000
    completion, contacts, fcr, reach = simulate(journey, customers, seed=20261122)
    exact = metrics_of(journey)
    p = exact.metrics.completion_rate
    assert abs(completion - p) < 4.5 * math.sqrt(p * (1 - p) / customers)
    assert abs(contacts - exact.metrics.expected_contacts) < 4.5 * math.sqrt(0.08 / customers)
    contact_rate = exact.metrics.contact_rate
    fcr_sd = math.sqrt(0.06 * 0.94 / (contact_rate * customers))
    assert abs(fcr - exact.metrics.first_contact_resolution) < 4.5 * fcr_sd
    for step_id, share in reach.items():
        r = exact.steps[step_id].reach_probability
        assert abs(share - r) < 4.5 * math.sqrt(max(r * (1 - r), 1e-4) / customers), step_id


def test_traps_and_dead_ends_count_as_stuck_on_arrival():
    result = metrics_of(loads_journey(EDGE_CASES["trap"]))
    assert result.metrics.completion_rate == pytest.approx(0.3)
    assert result.metrics.stuck_rate == pytest.approx(0.7)
    # arriving at the trap counts once: b from a (0.5), c from a (0.2)
    assert result.steps["b"].expected_visits == pytest.approx(0.5)
    assert result.steps["c"].expected_visits == pytest.approx(0.2)
    assert result.metrics.expected_contacts == pytest.approx(0.2)
    assert result.metrics.contact_cost_per_period == pytest.approx(0.2 * 100 * 5)
    assert result.metrics.value_at_risk == pytest.approx(0.7 * 100 * 10)


def test_everything_stuck_is_finite():
    result = metrics_of(loads_journey(EDGE_CASES["all_stuck"]))
    m = result.metrics
    assert (m.completion_rate, m.abandonment_rate, m.stuck_rate) == (0.0, 0.0, 1.0)
    assert m.customers_lost_per_period == 10
    assert m.first_contact_resolution is None
    assert all(math.isfinite(v) for v in (m.expected_effort, m.expected_duration_s, m.expected_contacts))


def test_near_singular_retry_loop_is_exact():
    result = metrics_of(loads_journey(EDGE_CASES["near_singular"]))
    assert result.metrics.completion_rate == pytest.approx(1.0)
    assert result.steps["a"].expected_visits == pytest.approx(1e6, rel=1e-6)
    assert result.steps["a"].reach_probability == pytest.approx(1.0)
    assert not result.ill_conditioned


def test_first_contact_resolution_of_a_journey_without_contacts_is_null():
    result = metrics_of(loads_journey(drunkards_walk("2")))
    assert result.metrics.first_contact_resolution is None
    assert result.metrics.contact_rate == 0


def test_value_at_risk_is_null_without_value_and_cost_zero_without_costs():
    result = metrics_of(loads_journey(EDGE_CASES["self_trap_contact"]))
    assert result.metrics.value_at_risk is None
    assert result.metrics.contact_cost_per_period == 0
    # half start in the trap contact, a quarter arrive there: one contact each, once
    assert result.metrics.expected_contacts == pytest.approx(0.75)
    assert result.metrics.first_contact_resolution == pytest.approx(1.0)


def loops_of_many_sizes() -> str:
    """Retry loops of 1, 2, 3 and 40 steps one after another, each leaking to 'lost'."""
    lines = ["cxaudit: 1", "journey: {id: loops, name: Loops}", "entry: a0", "steps:"]
    sizes = [1, 2, 3, 2, 40, 3]
    for k, size in enumerate(sizes):
        after = f"b{k + 1}_0" if k + 1 < len(sizes) else "done"
        for i in range(size):
            here = f"b{k}_{i}" if (k, i) != (0, 0) else "a0"
            back = f"b{k}_0" if k else "a0"
            ahead = f"b{k}_{i + 1}" if i + 1 < size else after
            shares = {ahead: 0.6, back: 0.3, "lost": 0.1} if i or size > 1 else {ahead: 0.6, here: 0.3, "lost": 0.1}
            if i == 0 and size > 1:
                shares = {ahead: 0.8, "lost": 0.2}
            body = ", ".join(f"{t}: {p}" for t, p in shares.items())
            lines.append(f"  {here}: {{name: Step {k} {i}, next: {{{body}}}}}")
    lines += ["  done: {type: success, name: Done}", "  lost: {type: abandon, name: Lost}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("whole", [True, False], ids=["whole-inverse", "by-loop"])
def test_reach_probabilities_of_loops_of_every_size_equal_the_dense_inverse(monkeypatch, whole):
    """Return visits from the whole chain's inverse (up to INVERSE_LIMIT steps) or loop by loop."""
    journey = loads_journey(loops_of_many_sizes())
    monkeypatch.setattr(linear, "INVERSE_LIMIT", 10**6 if whole else 0)
    result = metrics_of(journey)
    # Independent: the whole fundamental matrix at once, reach_i = visits_i / N_ii.
    transient = [sid for sid, step in journey.steps.items() if not step.is_outcome]
    index = {sid: i for i, sid in enumerate(transient)}
    q = np.zeros((len(transient), len(transient)))
    for sid in transient:
        for t in journey.steps[sid].next:
            if t.target in index:
                q[index[sid], index[t.target]] += t.probability
    fundamental = np.linalg.inv(np.eye(len(transient)) - q)
    visits = fundamental[index["a0"]]
    for sid in transient:
        expected = visits[index[sid]] / fundamental[index[sid], index[sid]]
        assert result.steps[sid].reach_probability == pytest.approx(expected, rel=1e-12), sid
    assert result.steps["b4_39"].reach_probability < result.steps["b4_0"].reach_probability < 1
    if whole:
        return
    # The stacked solve of small loops gives the same numbers, to the last bit,
    # as solving each loop on its own.
    monkeypatch.setattr(reach, "BATCH_LIMIT", 0)
    one_by_one = metrics_of(journey)
    assert [s.reach_probability for s in one_by_one.steps.values()] == [
        s.reach_probability for s in result.steps.values()
    ]


def test_reach_is_visits_over_returns_with_the_edges_made_safe():
    import numpy as np

    from cxaudit.analysis.reach import _reach

    visits = np.array([1.0, 1.0, 1.0, np.nan, 0.5, -1.0])
    returns = np.array([2.0, 0.0, 1e-320, 1.0, np.inf, 1e-320])
    assert _reach(visits, returns).tolist() == [0.5, 0.0, 1.0, 0.0, 0.0, 0.0]

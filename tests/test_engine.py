"""The engine: attribution, paths, suppression, impact and ranking."""

from __future__ import annotations

import pytest

from cxaudit import JourneyError, load_journey, loads_journey
from cxaudit.engine import AuditConfig, analyse, apply_fix, audit
from cxaudit.model import Severity
from tests.conftest import FIXTURES, JOURNEYS
from tests.reference import reference_metrics

SPEC = FIXTURES / "spec_example.yaml"


def test_contacts_are_attributed_to_the_team_whose_step_caused_them():
    result = audit(load_journey(SPEC))
    by_owner = {row.owner: row for row in result.owners}
    # cart (ecommerce) -> chat_help; pay (payments) -> phone_help; phone_help (care) -> chat_help
    assert by_owner["ecommerce"].contacts_per_period == pytest.approx(0.611111111111 * 0.05 * 120000, rel=1e-9)
    assert by_owner["payments"].contacts_per_period == pytest.approx(0.544470526865 * 0.04 * 120000, rel=1e-9)
    assert by_owner["care"].contacts_per_period == pytest.approx(0.021778821075 * 0.1 * 120000, rel=1e-9)
    assert by_owner["payments"].contact_cost_per_period == pytest.approx(0.544470526865 * 0.04 * 120000 * 8.0)
    assert [row.owner for row in result.owners] == ["ecommerce", "payments", "care"]


@pytest.mark.parametrize("path", JOURNEYS, ids=lambda p: p.stem)
def test_attribution_accounts_for_every_contact_and_its_cost(path):
    result = audit(load_journey(path))
    assert sum(r.contacts_per_period for r in result.owners) == pytest.approx(result.metrics.contacts_per_period)
    assert sum(r.contact_cost_per_period for r in result.owners) == pytest.approx(
        result.metrics.contact_cost_per_period
    )
    assert sum(r.customers_lost_per_period for r in result.owners) == pytest.approx(
        result.metrics.customers_lost_per_period
    )


def test_journey_starting_with_a_contact_is_attributed_to_the_contact_owner():
    journey = loads_journey(
        """cxaudit: 1
journey: {id: j, name: J, volume: 100}
entry: {call: 0.4, web: 0.6}
steps:
  call: {type: contact, name: Call, owner: care, next: {done: 1}}
  web: {name: Web, owner: digital, next: {call: 0.5, done: 0.5}}
  done: {type: success, name: Done}
"""
    )
    rows = {r.owner: r.contacts_per_period for r in audit(journey).owners}
    assert rows == {"care": pytest.approx(40), "digital": pytest.approx(30)}


@pytest.mark.parametrize(
    ("order", "expected"),
    [("b, c", ("a", "b", "m", "ok")), ("c, b", ("a", "c", "m", "ok"))],
    ids=["b-first", "c-first"],
)
def test_most_probable_path_breaks_ties_by_file_order(order, expected):
    """Two equally likely branches, then a certain step (weight 0): the one written first wins."""
    from cxaudit.analysis.paths import most_probable_path
    from cxaudit.graph import build_graph
    from tests import oracles

    bodies = {
        "b": "  b: {name: B, next: {m: 1}}\n",
        "c": "  c: {name: C, next: {m: 1}}\n",
    }
    text = (
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: a\nsteps:\n"
        "  a: {name: A, next: {b: 0.5, c: 0.5}}\n"
        + "".join(bodies[s] for s in order.split(", "))
        + "  m: {name: M, next: {ok: 1}}\n  ok: {name: OK, type: success}\n"
    )
    journey = loads_journey(text)
    path = most_probable_path(journey)
    assert path.steps == expected
    assert path.probability == 0.5
    assert oracles.most_probable_path(journey, build_graph(journey)) == (expected, 0.5)


def test_most_probable_path():
    path = audit(load_journey(SPEC)).path
    assert path.steps == ("browse", "cart", "pay", "done")
    assert path.probability == pytest.approx(0.55 * 0.80 * 0.86)
    assert (path.effort, path.handoffs, path.channel_switches) == (8, 1, 0)
    assert path.owners == ("ecommerce", "payments")
    assert path.duration_s == 180


def test_suppression_keeps_the_finding_with_its_reason_and_out_of_the_ranking():
    journey = loads_journey(
        """cxaudit: 1
journey: {id: j, name: J}
entry: a
steps:
  a:
    name: A
    next: {a: 0.5, done: 0.5}
    ignore: {FR03: "retries are the product"}
  b: {name: B, next: {done: 1}}
  done: {type: success, name: Done}
"""
    )
    result = audit(journey)
    suppressed = [(f.code, f.step, f.suppressed, f.rank) for f in result.suppressed]
    assert suppressed == [("FR03", "a", "retries are the product", None)]
    assert [(f.code, f.step, f.rank) for f in result.active] == [("OW01", "a", 1), ("ST01", "b", 2), ("OW01", "b", 3)]


def test_ignoring_an_unknown_rule_is_an_error():
    journey = loads_journey(
        """cxaudit: 1
journey: {id: j, name: J}
entry: a
steps:
  a: {name: A, next: {done: 1}, ignore: {CT09: "no such rule"}}
  done: {type: success, name: Done}
""",
        name="j.yaml",
    )
    with pytest.raises(JourneyError) as caught:
        audit(journey)
    assert [str(p) for p in caught.value.problems] == [
        "j.yaml:5:3: ignore names unknown rule 'CT09'; did you mean 'CT01'? (steps.a.ignore.CT09)"
    ]


@pytest.mark.parametrize("path", [*JOURNEYS, SPEC], ids=lambda p: p.stem)
def test_findings_are_deterministic_and_parser_independent(path):
    first = audit(load_journey(path))
    again = audit(load_journey(path, pure_yaml=True))
    assert first.findings == again.findings
    assert [f.rank for f in first.active] == list(range(1, len(first.active) + 1))
    keys = [f.rank_key() for f in first.active]
    assert keys == sorted(keys)


def test_exact_values_of_the_top_findings_reorder_the_ranking():
    """A generated journey whose top findings change order once valued exactly."""
    from tests.test_robustness import generate

    journey = loads_journey(generate(30, seed=0), name="g.yaml")
    estimated = audit(journey, AuditConfig(exact_top=0)).active
    exact = audit(journey).active
    assert [f.fingerprint for f in exact] != [f.fingerprint for f in estimated]
    keys = [f.rank_key() for f in exact]
    assert keys == sorted(keys)
    assert [f.rank for f in exact] == list(range(1, len(exact) + 1))


@pytest.mark.parametrize("path", [*JOURNEYS, SPEC], ids=lambda p: p.stem)
def test_exact_impact_of_top_findings_matches_a_recompute(path):
    journey = load_journey(path)
    result = audit(journey)
    before = reference_metrics(journey)
    hits = {}
    from cxaudit.rules import RULES, AuditContext

    graph, structure, markov = analyse(journey)
    context = AuditContext(journey, graph, structure, markov)
    for code, rule in RULES.items():
        for hit in rule().check(context, {k: o.default for k, o in rule.options.items()}):
            hits[(code, hit.step, hit.target)] = hit
    checked = 0
    for finding in result.active:
        if not finding.impact.exact:
            continue
        fixed = apply_fix(journey, hits[(finding.code, finding.step, finding.target)].fix)
        after = reference_metrics(fixed)
        kept = (after["completion_rate"] - before["completion_rate"]) * journey.volume
        avoided = before["contacts_per_period"] - after["contacts_per_period"]
        assert finding.impact.customers_kept == pytest.approx(kept, rel=1e-9, abs=1e-6)
        assert finding.impact.contacts_avoided == pytest.approx(avoided, rel=1e-9, abs=1e-6)
        checked += 1
    assert checked >= 1


def test_first_order_estimate_is_close_to_the_exact_value_for_a_small_fix():
    journey = load_journey(SPEC)
    first = audit(journey, AuditConfig(exact_top=0))
    exact = audit(journey)
    a = {f.fingerprint: f.impact for f in first.active}
    for finding in exact.active:
        if finding.impact.exact and finding.code == "FR04":
            estimate = a[finding.fingerprint]
            assert estimate.customers_kept == pytest.approx(finding.impact.customers_kept, rel=0.2)
            assert estimate.contacts_avoided == pytest.approx(finding.impact.contacts_avoided, rel=0.2)


def test_apply_fix_redistributes_shares():
    journey = load_journey(SPEC)
    fixed = apply_fix(journey, [("pay", "phone_help")])
    shares = {t.target: t.probability for t in fixed.steps["pay"].next}
    assert shares == pytest.approx({"done": 0.86 / 0.96, "pay": 0.06 / 0.96, "lost": 0.04 / 0.96})
    assert apply_fix(journey, [("chat_help", "pay"), ("chat_help", "lost")]) is None
    assert journey.steps["pay"].next[3].target == "phone_help"  # the original is untouched


def test_select_ignore_and_severity_overrides():
    journey = load_journey(SPEC)
    only = audit(journey, AuditConfig(select=frozenset({"FR02"})))
    assert {f.code for f in only.findings} == {"FR02"}
    none = audit(journey, AuditConfig(ignore=frozenset({"FR02", "FR04", "CT01", "FR01", "OW02", "SP01"})))
    assert {f.code for f in none.findings} == set()
    louder = audit(journey, AuditConfig(select=frozenset({"FR02"}), severity={"FR02": Severity.ERROR}))
    assert {f.severity for f in louder.findings} == {Severity.ERROR}


def test_one_fix_one_finding():
    journey = loads_journey(
        """cxaudit: 1
journey: {id: j, name: J}
entry: a
channels: {web: {assisted: false}, phone: {assisted: true, cost: 5}}
steps:
  a: {name: A, channel: web, owner: o, next: {call: 0.2, done: 0.8}}
  call: {type: contact, name: Call, channel: phone, owner: o, next: {done: 1}}
  done: {type: success, name: Done}
"""
    )
    codes = [(f.code, f.step, f.target) for f in audit(journey).findings]
    assert ("CT01", "a", None) in codes
    assert ("FR04", "a", "call") not in codes  # the same fix as CT01's


def _rules_ask_for_the_graph(monkeypatch) -> None:
    """A rule (a plugin's, say) that asks the audit context for the networkx graph and its incoming edges."""
    from cxaudit.rules import RULES

    rule = RULES["ST01"]
    check = rule.check
    monkeypatch.setattr(
        rule, "check", lambda self, context, options: (list(context.graph.in_edges), check(self, context, options))[1]
    )


def test_a_checked_file_leaves_nothing_in_reference_cycles_with_the_collector_off(monkeypatch):
    """networkx caches views of a graph on the graph, so a graph a rule asked for (and the journey it
    holds) sits in a reference cycle; with the collector off (the command line), the run still frees them."""
    import gc

    import networkx as nx

    from cxaudit.engine import run
    from cxaudit.engine.config import ConfigResolver

    _rules_ask_for_the_graph(monkeypatch)

    def graphs() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, nx.DiGraph))

    settings = ConfigResolver(None, {}).for_path(str(JOURNEYS[0]))
    gc.collect()
    before = graphs()
    gc.disable()
    try:
        monkeypatch.setattr(run, "YOUNG_OBJECTS", 10**12)  # never collect: the cycle stays
        result, _ = run._one(str(JOURNEYS[0]), settings, False, False)
        assert graphs() > before  # the premise: the graph is kept alive by its cycle alone
        monkeypatch.setattr(run, "YOUNG_OBJECTS", 0)  # collect at the end of every file
        result, _ = run._one(str(JOURNEYS[0]), settings, False, False)
        assert graphs() == before
        assert result.journey.id == load_journey(JOURNEYS[0]).id  # the result itself is kept
    finally:
        gc.enable()


def test_a_run_collects_after_every_file_but_the_last(monkeypatch):
    """After the last file a collection would only walk the report data again; its cycle waits."""
    import gc

    import networkx as nx

    from cxaudit.engine import run
    from cxaudit.engine.config import ConfigResolver

    def graphs() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, nx.DiGraph))

    _rules_ask_for_the_graph(monkeypatch)
    monkeypatch.setattr(run, "YOUNG_OBJECTS", 0)
    gc.collect()
    before = graphs()
    gc.disable()
    try:
        run.run([str(JOURNEYS[2])], ConfigResolver(None, {}))
        one_file = graphs() - before
        assert one_file > 0  # the last file's graph waits for the collector
        gc.collect()
        assert graphs() == before
        report, _ = run.run([str(p) for p in JOURNEYS[:3]], ConfigResolver(None, {}))
        assert len(report.audits) == 3
        assert graphs() - before == one_file  # the first two files' graphs were collected
        gc.collect()
        assert graphs() == before
    finally:
        gc.enable()


@pytest.mark.parametrize("path", JOURNEYS, ids=lambda p: p.stem)
def test_results_cross_processes_whole(path):
    import pickle
    from dataclasses import fields, replace

    result = audit(load_journey(path))
    result = replace(result, markov=replace(result.markov, chain=None))  # the factorisation stays behind
    back = pickle.loads(pickle.dumps(result))
    assert back == result
    for before, after in zip(result.findings, back.findings, strict=True):
        assert [getattr(after, f.name) for f in fields(after)] == [getattr(before, f.name) for f in fields(before)]


def _large_journey(stages: int = 150) -> str:
    """Over 400 steps: stages of a task with a retry and a call, a dead end and a trap on the way."""
    lines = [
        "cxaudit: 1",
        "journey: {id: large, name: Large, volume: 1000, value: 20}",
        "entry: t0",
        "channels: {web: {assisted: false}, phone: {assisted: true, cost: 6}}",
        "steps:",
    ]
    for i in range(stages):
        following = f"t{i + 1}" if i + 1 < stages else "done"
        lines.append(
            f"  t{i}: {{name: Task {i}, channel: web, owner: team{i % 4}, effort: 1, duration: 1m, "
            f"next: {{{following}: 0.8, t{i}: 0.05, c{i}: 0.1, lost: 0.05}}}}"
        )
        lines.append(
            f"  c{i}: {{type: contact, name: Call {i}, channel: phone, owner: care, next: {{t{i}: 0.7, r{i}: 0.3}}}}"
        )
        lines.append(f"  r{i}: {{name: Recover {i}, owner: team{i % 4}, next: {{{following}: 1}}}}")
    lines[6] = lines[6].replace("t1: 0.8", "t1: 0.7, stuck: 0.1")  # t0 also leads to a dead end
    lines.append("  stuck: {name: Wait for a letter, owner: ops}")
    lines.append("  loop-a: {name: Loop A, next: {loop-b: 1}}")
    lines.append("  loop-b: {name: Loop B, next: {loop-a: 1}}")
    lines[9] = lines[9].replace("t2: 0.8", "t2: 0.75, loop-a: 0.05")  # t1 leads into a trap
    lines.append("  done: {type: success, name: Done}")
    lines.append("  lost: {type: abandon, name: Gave up}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("stages", "expected"), [(150, "455 ['ST02', 'ST04']"), (3, "14 ['ST02', 'ST04']")], ids=["large", "small"]
)
def test_a_journey_is_audited_without_networkx(stages, expected):
    """The searches walk the transitions in plain Python: networkx is not even imported, and
    small journeys need no SciPy either (a large chain is solved by SciPy's sparse LU)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from cxaudit import loads_journey\n"
        "from cxaudit.engine import audit\n"
        "result = audit(loads_journey(sys.stdin.read()))\n"
        "print(len(result.journey.steps), sorted({f.code for f in result.findings} & {'ST02', 'ST04'}))\n"
        "print('networkx' in sys.modules, 'scipy' in sys.modules)\n"
    )
    text = _large_journey(stages)
    done = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [expected, f"False {stages > 100}"]


def test_a_large_journey_is_searched_as_networkx_searches_it():
    """Above the size where SciPy once took over, the plain searches still give networkx's answers."""
    from cxaudit.analysis.paths import most_probable_path
    from cxaudit.graph import build_graph
    from tests import oracles

    journey = loads_journey(_large_journey())
    assert len(journey.steps) > 400
    result = audit(journey)
    graph = build_graph(journey)
    outcomes = {sid for sid, step in journey.steps.items() if step.is_outcome}
    successes = [sid for sid, step in journey.steps.items() if step.type == "success"]
    assert result.structure.reachable == oracles.reachable_from(graph, [e.step for e in journey.entry])
    assert result.structure.can_succeed == oracles.can_reach(graph, successes)
    assert [list(trap) for trap in result.structure.traps] == oracles.trap_loops(graph, outcomes)
    path = most_probable_path(journey)
    assert (path.steps, path.probability) == oracles.most_probable_path(journey, graph)
    assert {"ST02", "ST04"} <= {f.code for f in result.findings}

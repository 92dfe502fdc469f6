"""Event logs: reading with DuckDB, discovering journeys that match what customers did."""

from __future__ import annotations

import csv
import datetime
import itertools
import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit import load_journey
from cxaudit.engine import analyse
from cxaudit.logs.discover import DIGITS, round_shares
from tests.conftest import FIXTURES, ROOT

duckdb = pytest.importorskip("duckdb")

SPEC = FIXTURES / "spec_example.yaml"
HEADER = ["case:concept:name", "concept:name", "time:timestamp", "org:resource"]


def simulate_log(path: Path, cases: int, seed: int) -> dict[tuple[str, str], int]:
    """Walk ``cases`` customers through the spec example; write their events as CSV.

    Returns the directly-follows counts, by step name, for checking.
    """
    journey = load_journey(SPEC)
    steps = journey.steps
    rng = random.Random(seed)
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    follows: dict[tuple[str, str], int] = {}
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for case in range(cases):
            time = start + datetime.timedelta(seconds=case * 26)  # a month of cases
            step = steps[journey.entry[0].step]
            previous = None
            while True:
                writer.writerow([f"c{case}", step.name, time.isoformat(), step.owner or ""])
                if previous is not None:
                    follows[(previous, step.name)] = follows.get((previous, step.name), 0) + 1
                if step.is_outcome:
                    break
                previous = step.name
                time += datetime.timedelta(seconds=step.duration_s or 60)
                r, acc = rng.random(), 0.0
                for transition in step.next:
                    acc += transition.probability
                    if r < acc:
                        step = steps[transition.target]
                        break
                else:
                    step = steps[step.next[-1].target]
    return follows


def departures(follows: dict[tuple[str, str], int]) -> dict[str, int]:
    """How many times the log leaves each activity for another."""
    counts: dict[str, int] = {}
    for (activity, _), count in follows.items():
        counts[activity] = counts.get(activity, 0) + count
    return counts


def propagated_error(journey, markov, to_go: str, left: dict[str, int], unit: float) -> tuple[float, float]:
    """Standard error of a metric estimated from the transitions of a log (the delta method),
    and how far writing the probabilities rounded to ``unit`` can move it (to first order).

    A step's transitions are a multinomial sample of the times the log leaves it;
    moving probability from one target to another changes the metric by the
    step's expected visits times the metric still to come from the target
    (``to_go``, a field of the step metrics). Its variance is then
    ``sum over steps of (E[g^2] - E[g]^2) / n``, with g over the step's
    targets weighted by their probabilities. The journey has one entry step,
    so the cases' starts add no error.
    """
    assert [item.share for item in journey.entry] == [1.0]
    variance = rounding = 0.0
    for step in journey.steps.values():
        if step.is_outcome:
            continue
        visits = markov.steps[step.id].expected_visits
        g = [visits * getattr(markov.steps[t.target], to_go) for t in step.next]
        p = [t.probability for t in step.next]
        mean = sum(pi * gi for pi, gi in zip(p, g, strict=True))
        variance += (sum(pi * gi * gi for pi, gi in zip(p, g, strict=True)) - mean * mean) / left[step.name]
        rounding += sum(map(abs, g)) * unit
    return math.sqrt(variance), rounding


def assert_metrics_within_error(original, recovered, follows: dict[tuple[str, str], int], unit: float) -> None:
    """The recovered journey's metrics equal the original's within the error propagated
    from the sampled transitions (99.9%) and the rounding of the written probabilities."""
    before = analyse(original)[2]
    after = analyse(recovered)[2].metrics
    left = departures(follows)
    for metric, to_go in (
        ("completion_rate", "success_probability"),
        ("expected_contacts", "expected_contacts_after"),
    ):
        error, rounding = propagated_error(original, before, to_go, left, unit)
        assert 0 < error < 0.01 and rounding < error / 2  # the sample, not the rounding, decides
        assert abs(getattr(after, metric) - getattr(before.metrics, metric)) <= 3.29 * error + rounding, metric


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    csv_path = folder / "checkout.csv"
    follows = simulate_log(csv_path, 100_000, seed=7)
    parquet_path = folder / "checkout.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{parquet_path}' (FORMAT parquet)")
    return {"csv": csv_path, "parquet": parquet_path, "follows": follows}


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_discover_recovers_every_probability_within_its_confidence_interval(run_cli, logs, kind, tmp_path):
    target = tmp_path / "discovered.yaml"
    code, _, err = run_cli(
        "discover",
        str(logs[kind]),
        "-o",
        str(target),
        "--success",
        "Order placed",
        "--abandon",
        "Customer gave up",
        "--contact",
        "^(Chat|Call)",
        "--id",
        "checkout",
    )
    assert code == 0, err
    assert run_cli("validate", str(target))[0] == 0
    original = load_journey(SPEC)
    found = load_journey(target)
    names = {step.name: step for step in found.steps.values()}
    left = departures(logs["follows"])
    for step in original.steps.values():
        if step.is_outcome:
            continue
        discovered = names[step.name]
        assert discovered.type == step.type
        shares = {found.steps[t.target].name: t.probability for t in discovered.next}
        n = left[step.name]
        for transition in step.next:
            p = transition.probability
            half_width = 3.29 * math.sqrt(p * (1 - p) / n) + 1e-6  # 99.9%
            assert abs(shares[original.steps[transition.target].name] - p) <= half_width, (step.id, transition)
    assert_metrics_within_error(original, found, logs["follows"], 10**-DIGITS)
    assert found.volume == pytest.approx(100_000 * 2_629_800 / (100_000 * 26), rel=0.01)  # cases a month


def test_directly_follows_counts_match_a_hand_checked_log(run_cli, tmp_path):
    log = tmp_path / "tiny.csv"
    log.write_text(
        "case_id;activity;timestamp;resource\n"
        "1;Apply;2026-01-01 10:00:00;web\n"
        "1;Check;2026-01-01 10:05:00;risk\n"
        "1;Approved;2026-01-01 10:30:00;risk\n"
        "2;Apply;2026-01-02 09:00:00;web\n"
        "2;Call us;2026-01-02 09:10:00;care\n"
        "2;Check;2026-01-02 09:30:00;risk\n"
        "2;Approved;2026-01-02 10:00:00;risk\n"
        "3;Apply;2026-01-03 09:00:00;web\n"
        "3;Gave up;2026-01-03 09:01:00;web\n"
        "4;Apply;2026-01-04 09:00:00;web\n"
        ";Apply;2026-01-04 09:00:00;web\n"
        "5;Apply;not a time;web\n"
    )
    from cxaudit.eventlog import read_log

    summary = read_log(str(log))
    assert summary.follows == {
        ("Apply", "Check"): 1,
        ("Check", "Approved"): 2,
        ("Apply", "Call us"): 1,
        ("Call us", "Check"): 1,
        ("Apply", "Gave up"): 1,
    }
    assert summary.cases == 4 and summary.events == 10
    assert summary.bad_rows == {"missing case": 1, "missing activity": 0, "unreadable timestamp": 1}
    assert summary.activities["Apply"].starts == 4 and summary.activities["Apply"].ends == 1
    assert summary.activities["Check"].median_next_s == 1650.0  # 25 and 30 minutes
    assert summary.activities["Check"].resource == "risk"
    target = tmp_path / "tiny.yaml"
    code, _, err = run_cli(
        "discover", str(log), "-o", str(target), "--success", "Approved", "--abandon", "Gave up", "--contact", "Call"
    )
    assert code == 0, err
    assert "1 row left out: missing case" in err and "1 row left out: unreadable timestamp" in err
    assert "1 case ends on an activity that is not an outcome; it goes to 'ended_without_outcome'" in err
    journey = load_journey(target)
    assert {t.target: t.probability for t in journey.steps["apply"].next} == {
        "call_us": 0.25,
        "check": 0.25,
        "gave_up": 0.25,
        "ended_without_outcome": 0.25,
    }
    assert journey.steps["call_us"].type == "contact"
    assert journey.steps["check"].owner == "risk"


def test_rounded_rows_sum_to_exactly_one():
    assert sum(round_shares([1, 1, 1])) == 10**6
    assert round_shares([2, 1]) == [666667, 333333]
    for counts in ([7, 13, 1, 1], [1] * 7, [999_999, 1]):
        assert sum(round_shares(counts)) == 10**6


def test_log_errors_are_clear(run_cli, tmp_path):
    code, _, err = run_cli("discover", str(tmp_path / "none.csv"), "--success", "x")
    assert (code, err) == (2, f"cxaudit: no such event log: {tmp_path / 'none.csv'}\n")
    log = tmp_path / "l.csv"
    log.write_text("who,what,when\n1,a,2026-01-01\n")
    code, _, err = run_cli("discover", str(log), "--success", "a")
    assert code == 2 and "cannot tell which column holds the case: give --case (columns: who, what, when)" in err
    code, _, err = run_cli(
        "discover", str(log), "--success", "a", "--case", "who", "--activity", "wat", "--timestamp", "when"
    )
    assert code == 2 and "the log has no column 'wat' for the activity; did you mean 'what'?" in err
    code, _, err = run_cli(
        "discover", str(log), "--success", "b", "--case", "who", "--activity", "what", "--timestamp", "when"
    )
    assert code == 2 and "--success 'b' is not an activity of the log" in err


HINT = (
    "name the columns with --case, --activity and --timestamp, and write times as ISO 8601 (2026-01-31T09:30:00Z) "
    "or say how they are written with --time-format (such as '%d.%m.%Y %H:%M')"
)


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("header.csv", "case:concept:name,concept:name,time:timestamp\n", "it has no rows"),
        (
            "words.csv",
            "case,activity,timestamp\n1,a,yesterday\n1,b,today\n",
            "all its rows were left out (2 with an unreadable timestamp)",
        ),
        (
            "nocase.csv",
            "case,activity,timestamp\n,a,2020-01-01\n,b,2020-01-02\n1,,2020-01-03\n",
            "all its rows were left out (2 without a case id, 1 without an activity)",
        ),
        ("empty.xes", '<?xml version="1.0"?>\n<log></log>\n', "it has no rows"),
    ],
)
@pytest.mark.parametrize("command", ["drift", "calibrate", "discover"])
def test_a_log_without_usable_events_is_an_input_error(run_cli, tmp_path, name, text, found, command):
    log = tmp_path / name
    log.write_text(text)
    journey = tmp_path / "j.yaml"
    journey.write_text((ROOT / "journeys" / "web-checkout.yaml").read_text())
    args = {
        "drift": [str(journey), str(log)],
        "calibrate": [str(journey), str(log)],
        "discover": [str(log), "--success", "b", "-o", str(tmp_path / "d.yaml")],
    }
    before = journey.read_text()
    code, out, err = run_cli(command, *args[command])
    assert (code, out) == (2, "")
    assert err == f"cxaudit: {log}: no usable events: {found}; {HINT}\n"
    assert journey.read_text() == before and not (tmp_path / "d.yaml").exists()


def test_missing_duckdb_names_the_extra(monkeypatch):
    import builtins

    from cxaudit.errors import UsageError
    from cxaudit.eventlog import read_log

    real_import = builtins.__import__

    def without_duckdb(name, *args, **kwargs):
        if name == "duckdb":
            raise ImportError("no duckdb")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_duckdb)
    with pytest.raises(
        UsageError, match=r"reading event logs needs DuckDB, which is not installed: pip install 'cxaudit\[logs\]'"
    ):
        read_log("x.csv")


def test_drift_reports_exactly_the_introduced_disagreements(run_cli, logs, tmp_path):
    import json

    code, out, err = run_cli("drift", str(SPEC), str(logs["csv"]))
    assert (code, err) == (0, "") and out == "No findings in 1 journey.\n"  # the journey the log came from
    edited = tmp_path / "edited.yaml"
    text = SPEC.read_text()
    text = text.replace(
        "next: {cart: 0.55, browse: 0.10, lost: 0.35}", "next: {cart: 0.55, browse: 0.10, lost: 0.25, phone_help: 0.10}"
    )
    text = text.replace(
        "next: {done: 0.86, pay: 0.06, lost: 0.04, phone_help: 0.04}",
        "next: {done: 0.76, pay: 0.06, lost: 0.14, phone_help: 0.04}",
    )
    text = text.replace("next: {done: 0.6, chat_help: 0.1, lost: 0.3}", "next: {done: 0.6, lost: 0.4}")
    edited.write_text(text)
    code, out, _ = run_cli("drift", str(edited), str(logs["csv"]), "--format", "json")
    assert code == 1
    findings = json.loads(out)["journeys"][0]["findings"]
    assert sorted((f["code"], f["step"], f["target"]) for f in findings) == [
        ("DR01", "phone_help", "chat_help"),
        ("DR02", "browse", "phone_help"),
        ("DR03", "browse", "lost"),
        ("DR03", "pay", "done"),
        ("DR03", "pay", "lost"),
        ("DR03", "phone_help", "lost"),
    ]
    drifted = next(f for f in findings if f["step"] == "pay" and f["target"] == "done")
    assert drifted["message"].startswith("'Enter card details' -> 'Order placed' is declared 76.0% but 86.")
    assert "(exact binomial test, p = " in drifted["message"]


def test_check_runs_drift_against_a_configured_log(run_cli, logs, tmp_path):
    import shutil

    shutil.copy(logs["csv"], tmp_path / "events.csv")
    shutil.copy(SPEC, tmp_path / "checkout.yaml")
    (tmp_path / ".cxaudit.yaml").write_text("select: [DR]\ndrift-log: events.csv\n")
    assert run_cli("check", str(tmp_path / "checkout.yaml"), "--fail-on", "warning")[:2] == (
        0,
        "No findings in 1 journey.\n",
    )
    text = SPEC.read_text().replace("next: {done: 0.6, chat_help: 0.1, lost: 0.3}", "next: {done: 0.6, lost: 0.4}")
    (tmp_path / "checkout.yaml").write_text(text)
    code, out, _ = run_cli("check", str(tmp_path / "checkout.yaml"), "--fail-on", "warning", "-q")
    assert code == 1
    assert [line.split()[1] for line in out.splitlines()] == ["DR01", "DR03"]


def test_calibrate_recovers_the_log_and_keeps_comments(run_cli, logs, tmp_path):
    import json

    journey = tmp_path / "checkout.yaml"
    text = SPEC.read_text()
    text = text.replace("next: {done: 0.86, pay: 0.06, lost: 0.04, phone_help: 0.04}", "next: {done: 0.5, lost: 0.5}")
    text = text.replace("next: {cart: 0.55, browse: 0.10, lost: 0.35}", "next: {cart: 0.9, lost: 0.1}")
    journey.write_text(text)
    assert run_cli("drift", str(journey), str(logs["csv"]))[0] == 1
    code, _, err = run_cli("calibrate", str(journey), str(logs["csv"]))
    assert code == 0, err
    assert "steps.pay.next.phone_help: - -> 0.0393\n" in err  # 2,139 of the 54,462 visits of 'pay'
    assert (
        "steps.pay.evidence: - -> {visits: 54462, next: {done: 46965, lost: 2098, pay: 3260, phone_help: 2139}" in err
    )
    calibrated = journey.read_text()
    assert "# format version, required" in calibrated and "# cost of one contact in this channel" in calibrated
    assert calibrated.index("browse:") < calibrated.index("cart:") < calibrated.index("pay:")  # key order kept
    code, out, _ = run_cli("drift", str(journey), str(logs["csv"]), "--format", "json")
    assert code == 0, [f["message"] for f in json.loads(out)["journeys"][0]["findings"]]
    found = load_journey(journey)
    original = load_journey(SPEC)
    left = departures(logs["follows"])
    for step in original.steps.values():
        if step.is_outcome:
            continue
        n = left[step.name]
        shares = {t.target: t.probability for t in found.steps[step.id].next}
        assert sum(shares.values()) == pytest.approx(1, abs=1e-9)
        for transition in step.next:  # every probability within its 99.9% interval (plus rounding to 4 decimals)
            p = transition.probability
            assert abs(shares[transition.target] - p) <= 3.29 * math.sqrt(p * (1 - p) / n) + 5e-5, (step.id, transition)
    assert_metrics_within_error(original, found, logs["follows"], 1e-4)


def test_calibrate_keeps_steps_with_too_few_observations(run_cli, tmp_path):
    journey = tmp_path / "j.yaml"
    journey.write_text(
        "cxaudit: 1\njourney: {id: j, name: J, period: month}\nentry: a\nsteps:\n"
        "  a: {name: A, next: {ok: 0.5, ko: 0.5}}  # a comment\n"
        "  ok: {name: OK, type: success}\n  ko: {name: KO, type: abandon}\n"
    )
    log = tmp_path / "l.csv"
    log.write_text("case,activity,timestamp\n1,A,2026-01-01 10:00\n1,OK,2026-01-01 10:01\n")
    code, _, err = run_cli("calibrate", str(journey), str(log), "-o", str(tmp_path / "out.yaml"))
    assert code == 0
    assert "kept: a: 1 observations (fewer than 30)" in err
    assert "# a comment" in (tmp_path / "out.yaml").read_text()
    assert journey.read_text().count("0.5") == 2  # the input is untouched with -o


def write_xes(csv_path: Path, xes_path: Path) -> None:
    from xml.sax.saxutils import quoteattr

    with open(csv_path, encoding="utf-8") as stream:
        rows = list(csv.reader(stream))[1:]
    with open(xes_path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
        )
        current = None
        for case, activity, time, resource in rows:
            if case != current:
                if current is not None:
                    out.write("  </trace>\n")
                out.write(f'  <trace>\n    <string key="concept:name" value={quoteattr(case)}/>\n')
                current = case
            out.write(
                f'    <event><string key="concept:name" value={quoteattr(activity)}/>'
                f'<date key="time:timestamp" value={quoteattr(time)}/>'
                f'<string key="org:resource" value={quoteattr(resource)}/></event>\n'
            )
        out.write("  </trace>\n</log>\n")


def test_xes_logs_give_the_same_summary_as_csv(logs, tmp_path):
    from cxaudit.eventlog import read_log

    small = tmp_path / "small.csv"
    follows = simulate_log(small, 3000, seed=11)
    xes = tmp_path / "small.xes"
    write_xes(small, xes)
    from_csv, from_xes = read_log(str(small)), read_log(str(xes))
    assert from_xes.follows == from_csv.follows
    assert {(a, b): n for (a, b), n in from_xes.follows.items()} == follows
    assert from_xes.cases == 3000 and from_xes.activities == from_csv.activities


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<log><trace><string key="concept:name" value="&b;"/></trace></log>\n',
        '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<log>&x;</log>\n',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_hostile_xes_is_refused(run_cli, tmp_path, text):
    path = tmp_path / "evil.xes"
    path.write_text(text)
    code, _, err = run_cli("discover", str(path), "--success", "x")
    assert code == 2
    assert err.startswith(f"cxaudit: {path}: refused to read XES with ") and "no DTDs or entities" in err


@pytest.mark.parametrize("where", ["attribute", "text", "whitespace"])
def test_xes_decompression_bombs_are_refused_early(run_cli, tmp_path, where):
    import gzip

    from cxaudit.eventlog import XES_MAX_RUN

    huge = 64 * XES_MAX_RUN  # 64 MB expanded, 64 KB on disk
    head = b'<?xml version="1.0"?>\n<log><trace><event>'
    body = {
        "attribute": b'<string key="concept:name" value="' + b"a" * huge + b'"/>',
        "text": b"<string>" + b"a" * huge + b"</string>",
        "whitespace": b" " * huge,
    }[where]
    path = tmp_path / "bomb.xes.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(head + body + b"</event></trace></log>\n")
    code, out, err = run_cli("discover", str(path), "--success", "x")
    assert (code, out) == (2, "")
    assert err == (
        f"cxaudit: {path}: refused to read XES with a value or text of more than 1,000,000 bytes "
        "(a decompression bomb?); an event log's values are short\n"
    )


def test_xes_memory_stays_bounded_by_the_open_elements(tmp_path):
    import tracemalloc

    from cxaudit.logs.xes import xes_to_csv

    path = tmp_path / "many.xes"
    with open(path, "w") as stream:
        stream.write('<?xml version="1.0"?>\n<log>')
        stream.write('<string key="meta" value="x"/>' * 50_000)  # log-level attributes
        stream.write('<trace><string key="concept:name" value="c"/>')
        event = '<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2020-01-01"/></event>'
        stream.write(event * 50_000)
        stream.write("</trace></log>\n")
    tracemalloc.start()
    try:
        xes_to_csv(str(path), str(tmp_path / "out.csv"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024**2  # 100,000 elements kept would take tens of megabytes
    assert (tmp_path / "out.csv").read_text().count("\n") == 50_001


def test_min_share_drops_rare_transitions_but_keeps_every_step_reachable(run_cli, tmp_path):
    rows = ["case,activity,timestamp"]
    for i in range(100):
        rows += [f"{i},A,2026-01-01 10:00", f"{i},{'B' if i < 97 else ('C' if i < 99 else 'D')},2026-01-01 10:01"]
        if i == 98:
            rows.append(f"{i},D,2026-01-01 10:02")
        rows.append(f"{i},Done,2026-01-01 10:03")
    log = tmp_path / "l.csv"
    log.write_text("\n".join(rows) + "\n")
    target = tmp_path / "j.yaml"
    code, _, err = run_cli(
        "discover", str(log), "-o", str(target), "--success", "Done", "--min-share", "0.05", "--unfinished", "success"
    )
    assert code == 0, err
    journey = load_journey(target)
    # A -> D (1%) goes, D is still reached through C; A -> C (2%) stays, or C would be cut off
    assert {t.target for t in journey.steps["a"].next} == {"b", "c"}
    assert {t.target for t in journey.steps["c"].next} == {"d", "done"}
    assert "1 transition under 0.05 of their step dropped: a -> d (1 case)" in err
    assert run_cli("validate", str(target))[0] == 0


def test_simultaneous_events_keep_their_logged_order(tmp_path):
    from cxaudit.eventlog import read_log

    rows = ["case_id,activity,timestamp"]
    for i in range(2000):  # same timestamp within a case: the file's order decides
        rows += [f"{i},Start,2026-01-01", f"{i},{'Zeta' if i % 2 else 'Alpha'},2026-01-01", f"{i},End,2026-01-01"]
    log = tmp_path / "ties.csv"
    log.write_text("\n".join(rows) + "\n")
    summary = read_log(str(log))
    assert summary.follows == {
        ("Start", "Zeta"): 1000,
        ("Start", "Alpha"): 1000,
        ("Zeta", "End"): 1000,
        ("Alpha", "End"): 1000,
    }


def test_mapping_file_for_discover_calibrate_and_drift(run_cli, tmp_path):
    log = tmp_path / "l.csv"
    rows = ["case,activity,timestamp"]
    for i in range(100):
        rows += [
            f"{i},Start application,2026-01-01 10:00",
            f"{i},{'Approved!' if i % 4 else 'Timed out'},2026-01-01 10:05",
        ]
    log.write_text("\n".join(rows) + "\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "success: [Approved!]\nabandon: Timed out\nsteps:\n  Start application: apply\n  Approved!: ok\n"
    )
    target = tmp_path / "j.yaml"
    code, _, err = run_cli("discover", str(log), "-o", str(target), "--map", str(mapping))
    assert code == 0, err
    assert {t.target: t.probability for t in load_journey(target).steps["start_application"].next} == {
        "approved": 0.75,
        "timed_out": 0.25,
    }
    journey = tmp_path / "declared.yaml"
    journey.write_text(
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: apply\nsteps:\n"
        "  apply: {name: Apply, next: {ok: 0.5, ko: 0.5}}\n"
        "  ok: {name: OK, type: success}\n  ko: {name: Timed out, type: abandon}\n"
    )
    code, out, _ = run_cli("drift", str(journey), str(log), "--map", str(mapping), "-q", "--format", "text")
    assert code == 1 and [line.split()[1] for line in out.splitlines()] == ["DR03", "DR03"]
    code, _, err = run_cli("calibrate", str(journey), str(log), "--map", str(mapping))
    assert code == 0, err
    assert {t.target: t.probability for t in load_journey(journey).steps["apply"].next} == {"ok": 0.75, "ko": 0.25}
    assert run_cli("drift", str(journey), str(log), "--map", str(mapping))[0] == 0


def test_bad_mapping_files(run_cli, tmp_path):
    log = tmp_path / "l.csv"
    log.write_text("case,activity,timestamp\n1,A,2026-01-01\n1,B,2026-01-02\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("sucess: [B]\ncontact: '('\n")
    code, _, err = run_cli("discover", str(log), "--map", str(mapping))
    assert code == 2
    assert err.splitlines() == [
        f"cxaudit: {mapping}:1:1: unknown key 'sucess' in the mapping file; did you mean 'success'? (sucess)",
        f"cxaudit: {mapping}:2:1: 'contact' is not a regular expression: missing ), unterminated subpattern at position 0 (contact)",
    ]
    journey = tmp_path / "j.yaml"
    journey.write_text(
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: a\nsteps:\n  a: {name: A, next: {b: 1}}\n"
        "  b: {name: B, type: success}\n"
    )
    mapping.write_text("steps: {A: aa}\n")
    code, _, err = run_cli("drift", str(journey), str(log), "--map", str(mapping))
    assert (code, err) == (
        2,
        "cxaudit: the mapping sends activity 'A' to step 'aa', which the journey does not have; did you mean 'a'?\n",
    )


def reference_summary(rows: list[tuple[str, str, int, str]]) -> dict:
    """What a log says, worked out in plain Python from (case, activity, microseconds, resource) rows."""
    import statistics

    by_case: dict[str, list[tuple[int, int, str]]] = {}
    for position, (case, activity, micros, _) in enumerate(rows):
        by_case.setdefault(case, []).append((micros, position, activity))
    follows: dict[tuple[str, str], int] = {}
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    gaps: dict[str, list[int]] = {}
    for events in by_case.values():
        events.sort()
        starts[events[0][2]] = starts.get(events[0][2], 0) + 1
        ends[events[-1][2]] = ends.get(events[-1][2], 0) + 1
        for (t1, _, a), (t2, _, b) in itertools.pairwise(events):
            follows[a, b] = follows.get((a, b), 0) + 1
            gaps.setdefault(a, []).append(t2 - t1)
    resources: dict[str, dict[str, int]] = {}
    for _, activity, _, resource in rows:
        counts = resources.setdefault(activity, {})
        counts[resource] = counts.get(resource, 0) + 1
    times = [micros for _, _, micros, _ in rows]
    return {
        "cases": len(by_case),
        "events": len(rows),
        "follows": follows,
        "activities": {
            a: (
                sum(r[1] == a for r in rows),
                starts.get(a, 0),
                ends.get(a, 0),
                statistics.median(gaps[a]) / 1e6 if a in gaps else None,
                min(counts, key=lambda r: (-counts[r], r)),
            )
            for a, counts in sorted(resources.items())
        },
        "span_s": (max(times) - min(times)) / 1e6,
    }


@st.composite
def event_logs(draw):
    """Cases of 1-6 events over four activities, with ties, and the rows in the order a case's events occurred."""
    cases = draw(st.integers(1, 12))
    rows = []
    for case in range(cases):
        micros = draw(st.integers(0, 10**10))
        for _ in range(draw(st.integers(1, 6))):
            rows.append((f"c{case}", draw(st.sampled_from("ABCD")), micros, draw(st.sampled_from(["r1", "r2"]))))
            micros += draw(st.sampled_from([0, 1, 999_999, 1_000_000, 3_600_000_001]))
    return rows


def write_log(path: Path, rows: list[tuple[str, str, int, str]], bad: bool) -> None:
    start = datetime.datetime(2026, 1, 1)
    lines = ["case,activity,timestamp,resource"]
    lines += [f"{c},{a},{start + datetime.timedelta(microseconds=t):%Y-%m-%d %H:%M:%S.%f},{r}" for c, a, t, r in rows]
    if bad:  # left out and counted, wherever they sit
        lines[2:2] = [",A,2026-01-01 00:00:00,r1", "c0,,2026-01-01 00:00:00,r1", "c0,A,not a time,r1"]
    path.write_text("\n".join(lines) + "\n")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=event_logs(), bad=st.booleans(), seed=st.integers(0, 2**32))
def test_every_order_of_a_log_gives_the_reference_summary(tmp_path, rows, bad, seed):
    """Whatever the order of the file's rows, the summary equals plain Python's."""
    from cxaudit import eventlog

    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    split = list(rows)  # a case's events in two places
    if len({case for case, *_ in rows}) > 1:
        split.append(next(row for row in rows if row[0] == "c0"))
    orders = {
        "as they occurred": rows,
        "by time": sorted(rows, key=lambda row: row[2]),
        "shuffled": shuffled,
        "a case split": split,
    }
    for name, order in orders.items():
        log = tmp_path / "log.csv"
        write_log(log, order, bad)
        summary = eventlog.read_log(str(log))
        expected = reference_summary(order)
        got = {
            "cases": summary.cases,
            "events": summary.events,
            "follows": summary.follows,
            "activities": {
                a: (info.events, info.starts, info.ends, info.median_next_s, info.resource)
                for a, info in summary.activities.items()
            },
            "span_s": summary.span_s,
        }
        assert got == expected, name
        assert summary.bad_rows == {
            "missing case": int(bad),
            "missing activity": int(bad),
            "unreadable timestamp": int(bad),
        }


def test_times_without_an_offset_mean_the_same_on_every_machine(tmp_path):
    """Naive times are UTC, whatever the machine's zone: no hour lost to summer time."""
    import os
    import subprocess
    import sys

    log = tmp_path / "dst.csv"
    # The unreadable time keeps the column text, which DuckDB then reads row by row.
    log.write_text(
        "case,activity,timestamp\n"
        "c1,A,2026-03-08 01:30:00\n"  # New York moves its clocks at 02:00 that night
        "c1,B,2026-03-08 03:30:00\n"
        "c2,A,2026-03-08 01:00:00-05:00\n"
        "c2,B,2026-03-08 06:30:00Z\n"
        "c3,A,not a time\n"
    )
    code = "import sys; from cxaudit.eventlog import read_log; s = read_log(sys.argv[1]); print(s.activities['A'].median_next_s, s.span_s)"
    output = subprocess.run(
        [sys.executable, "-c", code, str(log)],
        env={**os.environ, "TZ": "America/New_York"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # Gaps of 2 h (01:30 to 03:30, not 1 h in New York's time) and 30 min
    # (06:00 to 06:30 UTC); the first event at 01:30 UTC, the last at 06:30.
    assert output == "4500.0 18000.0\n"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=event_logs(), bad=st.booleans(), seed=st.integers(0, 2**32))
def test_variants_are_the_same_with_or_without_sorting_and_cut_at_the_first_outcome(tmp_path, rows, bad, seed):
    """The variants found without a sort (a log in order) are plain Python's, and those of the sorted
    query on any order of the same rows, with rows left out among them (inside the first case when it
    comes first)."""
    from cxaudit.logs.read import EventLog

    outcomes = frozenset({"B"})

    def expected(order: list[tuple[str, str, int, str]]) -> list[tuple[tuple[str, ...], int]]:
        traces: dict[str, list[tuple[int, int, str]]] = {}
        for number, (case, activity, time, _) in enumerate(order):  # visits at one time: in file order
            traces.setdefault(case, []).append((time, number, activity))
        counted: dict[tuple[str, ...], int] = {}
        for visits in traces.values():
            trace = []
            for _, _, activity in sorted(visits):
                trace.append(activity)
                if activity in outcomes:
                    break
            counted[tuple(trace)] = counted.get(tuple(trace), 0) + 1
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:3]

    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    for order in (sorted(rows, key=lambda row: (row[0], row[2])), shuffled):
        log = tmp_path / "log.csv"
        write_log(log, order, bad)
        with EventLog(str(log)) as events:
            summary = events.summary(outcomes)
            found = events.variants(outcomes, 3, summary.in_order)
            assert found == events.variants(outcomes, 3) == expected(order)


def write_cases(path: Path, paths: list[tuple[list[str], int]]) -> None:
    """A CSV log: each path of activities taken by so many cases, a minute per event."""
    rows = ["case,activity,timestamp"]
    case = 0
    for activities, count in paths:
        for _ in range(count):
            case += 1
            rows += [f"{case},{name},2026-01-01 10:{minute:02d}:00" for minute, name in enumerate(activities)]
    path.write_text("\n".join(rows) + "\n")


TYPED_IDS = """cxaudit: 1
journey: {id: j, name: J, period: month}
entry: 1
steps:
  1: {name: One, next: {true: 0.5, 0x1: 0.5}}  # ids YAML 1.1 would read as 1, True, 1, None, 1000.0 and a date
  true: {name: Two, next: {2026-01-01: 1}}
  0x1: {name: Three, next: {1e3: 1}}
  2026-01-01: {name: Four, next: {null: 1}}
  null: {name: Done, type: success}
  1e3: {name: Lost, type: abandon}
"""


def test_calibrate_keeps_step_ids_that_yaml_would_read_as_other_types(run_cli, tmp_path):
    journey = tmp_path / "j.yaml"
    journey.write_text(TYPED_IDS)
    log = tmp_path / "l.csv"
    write_cases(log, [(["One", "Two", "Four", "Done"], 40), (["One", "Three", "Lost"], 60)])
    code, _, err = run_cli("calibrate", str(journey), str(log))
    assert code == 0, err
    assert "steps.1.next.true: 0.5 -> 0.4" in err and "steps.1.next.0x1: 0.5 -> 0.6" in err
    lines = journey.read_text().splitlines()
    assert lines[4] == (
        "  1: {name: One, next: {true: 0.4, 0x1: 0.6}, evidence: {visits: 100, next: {0x1: 60, true: 40}, "
        "duration_sd: 0}, duration: 60} # ids YAML 1.1 would read as 1, True, 1, None, 1000.0 and a date"
    )
    calibrated = load_journey(journey)
    assert list(calibrated.steps) == ["1", "true", "0x1", "2026-01-01", "null", "1e3"]
    assert {t.target: t.probability for t in calibrated.steps["1"].next} == {"true": 0.4, "0x1": 0.6}
    assert dict(calibrated.steps["1"].evidence.next) == {"0x1": 60, "true": 40}


def test_calibrate_keeps_a_step_that_shares_its_next_through_an_alias(run_cli, tmp_path):
    journey = tmp_path / "j.yaml"
    journey.write_text(
        "cxaudit: 1\njourney: {id: j, name: J, period: month}\nentry: {a: 0.5, b: 0.5}\nsteps:\n"
        "  a: {name: A, next: &shared {ok: 0.5, ko: 0.5}}\n"
        "  b: {name: B, next: *shared}\n"
        "  ok: {name: OK, type: success}\n  ko: {name: KO, type: abandon}\n"
    )
    log = tmp_path / "l.csv"
    write_cases(log, [(["A", "OK"], 30), (["A", "KO"], 10), (["B", "OK"], 1)])
    code, _, err = run_cli("calibrate", str(journey), str(log))
    assert code == 0, err
    assert "kept: b: 1 observations (fewer than 30)" in err
    calibrated = load_journey(journey)
    assert {t.target: t.probability for t in calibrated.steps["a"].next} == {"ok": 0.75, "ko": 0.25}
    assert {t.target: t.probability for t in calibrated.steps["b"].next} == {"ok": 0.5, "ko": 0.5}


def test_calibrate_refuses_a_bpmn_model(run_cli, tmp_path):
    model = sorted((FIXTURES / "bpmn").glob("*.bpmn"))[0]
    log = tmp_path / "l.csv"
    write_cases(log, [(["A", "B"], 3)])
    code, out, err = run_cli("calibrate", str(model), str(log), "-o", str(tmp_path / "out.yaml"))
    assert (code, out) == (2, "")
    assert err == (
        f"cxaudit: {model} is a BPMN model; calibrate rewrites YAML journeys: import it first "
        f"(cxaudit import bpmn {model} -o journey.yaml) and calibrate that\n"
    )
    assert not (tmp_path / "out.yaml").exists()


def test_calibrate_never_overwrites_a_journey_edited_while_the_log_was_read(run_cli, tmp_path, monkeypatch):
    from cxaudit.logs.read import EventLog

    journey = tmp_path / "j.yaml"
    journey.write_text(TYPED_IDS)
    log = tmp_path / "l.csv"
    write_cases(log, [(["One", "Two", "Four", "Done"], 40), (["One", "Three", "Lost"], 60)])
    edited = TYPED_IDS.replace("name: J,", "name: Edited meanwhile,")
    summary = EventLog.summary

    def read_while_someone_edits(*args, **kwargs):
        journey.write_text(edited)
        return summary(*args, **kwargs)

    monkeypatch.setattr(EventLog, "summary", read_while_someone_edits)
    code, out, err = run_cli("calibrate", str(journey), str(log))
    assert (code, out) == (2, "")
    assert err == f"cxaudit: {journey} changed while the log was read; nothing was written: run calibrate again\n"
    assert journey.read_text() == edited


AWKWARD = ["Start 🎉", "Call\x1b[2J\x01 us", "Done\x85x\u202e", "Line\u2028sep\ufeff", "C1\x9f", "Tab\there"]


def test_discover_writes_any_activity_name_so_that_it_reads_back_the_same(run_cli, tmp_path):
    log = tmp_path / "l.csv"
    with open(log, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["case", "activity", "timestamp"])
        for case in range(5):
            writer.writerows([case, name, f"2026-01-01 10:0{i}"] for i, name in enumerate(AWKWARD))
    journey = tmp_path / "j.yaml"
    code, _, err = run_cli("discover", str(log), "-o", str(journey), "--success", AWKWARD[-1])
    assert code == 0, err
    assert sorted(step.name for step in load_journey(journey).steps.values()) == sorted(AWKWARD)
    assert run_cli("drift", str(journey), str(log)) == (0, "No findings in 1 journey.\n", "")


PROM_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <string key="concept:name" value="the log's own name"/>
{traces}
</log>
"""


def prom_style_xes(odd: bool, event_a_line: bool = False) -> str:
    traces = []
    for case, events in (
        ("c1", [("Fill &amp; send", "00"), ("Check &lt;ID&gt;", "05"), ("Done", "09")]),
        ("c2", [("Fill &amp; send", "01"), ("Done", "02")]),
    ):
        lines = ["  <trace>", f'    <string key="concept:name" value="{case}"/>']
        for name, minute in events:
            lines += [
                "    <event>",
                f'      <string key="concept:name" value="{name}"/>',
                f'      <date key="time:timestamp" value="2026-01-01T10:{minute}:00.000+00:00"/>',
                '      <string key="org:resource" value="team a"/>',
                '      <list key="notes"><values><string key="concept:name" value="nested, not the activity"/></values></list>'
                if name == "Done" and odd
                else '      <int key="cost" value="3"/>',
                "    </event>",
            ]
            if event_a_line:
                lines[-6:] = ["".join(line.strip() for line in lines[-6:])]
        lines.append("  </trace>")
        traces.append("\n".join(lines))
    text = PROM_STYLE.format(traces="\n".join(traces))
    return text.replace("<trace>", "<!-- a comment --><trace>", 1) if odd else text


@pytest.mark.parametrize(
    ("odd", "event_a_line"),
    [(False, False), (False, True), (True, False)],
    ids=["fast", "fast-event-a-line", "streamed"],
)
def test_xes_in_the_shape_exporters_write_reads_like_its_csv(tmp_path, odd, event_a_line, monkeypatch):
    from cxaudit.logs import xes
    from cxaudit.logs.read import read_log

    path = tmp_path / "prom.xes"
    path.write_text(prom_style_xes(odd, event_a_line))
    assert ("<event><string" in path.read_text()) is event_a_line
    used = []
    load_fast = xes.load_fast
    monkeypatch.setattr(xes, "load_fast", lambda *args: used.append(result := load_fast(*args)) or result)
    summary = read_log(str(path), outcomes=["Done"])
    assert used == ["xes_events" if not odd else None]
    assert summary.follows == {("Fill & send", "Check <ID>"): 1, ("Check <ID>", "Done"): 1, ("Fill & send", "Done"): 1}
    assert summary.cases == 2 and summary.activities["Fill & send"].resource == "team a"
    assert summary.activities["Fill & send"].mean_next_s == 180.0  # 5 minutes and 1


def test_variants_of_a_log_in_order_count_cases_whose_rows_are_left_out_inside_them(tmp_path):
    """A row left out inside a case (an unreadable time, a missing activity) does not make its case's
    trace another variant: the three cases below are one."""
    from cxaudit.logs.read import EventLog

    log = tmp_path / "log.csv"
    log.write_text(
        "case,activity,timestamp\n"
        "c1,A,2026-01-01 10:00:00\nc1,B,2026-01-01 10:01:00\nc1,C,2026-01-01 10:02:00\n"
        "c2,A,2026-01-01 11:00:00\nc2,X,\nc2,B,2026-01-01 11:01:00\nc2,,2026-01-01 11:01:30\n"
        "c2,C,2026-01-01 11:02:00\n"
        "c3,A,2026-01-01 12:00:00\nc3,B,2026-01-01 12:01:00\nc3,C,2026-01-01 12:02:00\nc3,D,2026-01-01 12:03:00\n"
    )
    with EventLog(str(log)) as events:
        summary = events.summary({"C"})
        assert summary.in_order and summary.bad_rows["unreadable timestamp"] == 1
        assert summary.bad_rows["missing activity"] == 1
        assert events.variants({"C"}, 5, summary.in_order) == [(("A", "B", "C"), 3)]
        assert events.variants({"C"}, 5) == [(("A", "B", "C"), 3)]

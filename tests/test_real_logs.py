"""Journeys learned from a real log tell the truth about cases they were not learned from.

The public helpdesk log (tests/fixtures/logs/helpdesk.csv.gz, see its README) is split
into two halves of its cases by a seeded draw; a journey discovered from one
half predicts the other half's outcome shares and mean case time, and is
consistent with the log it was learned from: no drift against it, and
calibrate on it changes nothing.
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

import pytest

from cxaudit import load_journey
from cxaudit.engine import audit
from tests.conftest import FIXTURES

pytest.importorskip("duckdb")

HELPDESK = FIXTURES / "logs" / "helpdesk.csv.gz"  # a copy of ../shared/data/helpdesk.csv (see its README)


def split_cases(source: Path, folder: Path, seed: int) -> tuple[Path, Path]:
    """The log's cases in two halves, drawn with ``seed``; each case's rows stay together and in order."""
    with gzip.open(source, "rt", newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        rows = list(reader)
    cases = sorted({row[0] for row in rows})
    learn = set(random.Random(seed).sample(cases, len(cases) // 2))
    halves = (folder / "learn.csv", folder / "predict.csv")
    for path, keep in zip(halves, (True, False), strict=True):
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows(row for row in rows if (row[0] in learn) == keep)
    return halves


def within(predicted: float, observed: float, relative: float, points: float = 0.0) -> bool:
    return abs(predicted - observed) <= max(relative * abs(observed), points)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_journey_from_half_the_helpdesk_cases_predicts_the_other_half(run_cli, tmp_path, seed):
    from cxaudit.logs.read import read_log

    learn, predict = split_cases(HELPDESK, tmp_path, seed)
    journey = tmp_path / "helpdesk.yaml"
    code, _, err = run_cli("discover", str(learn), "-o", str(journey), "--success", "Closed")
    assert code == 0, err
    metrics = audit(load_journey(journey)).metrics
    observed = read_log(str(predict), outcomes=["Closed"])
    closed = observed.activities["Closed"].ends / observed.cases
    assert within(metrics.completion_rate, closed, 0.10, 0.02), (metrics.completion_rate, closed)
    assert within(metrics.abandonment_rate, 1 - closed, 0.10, 0.02), (metrics.abandonment_rate, 1 - closed)
    assert within(metrics.expected_duration_s, observed.case_times.mean, 0.10), (
        metrics.expected_duration_s / 86400,
        observed.case_times.mean / 86400,
    )


def test_a_journey_discovered_from_a_log_agrees_with_that_log(run_cli, tmp_path):
    journey = tmp_path / "helpdesk.yaml"
    code, _, err = run_cli("discover", str(HELPDESK), "-o", str(journey), "--success", "Closed")
    assert code == 0, err
    assert "19 visits after their case's first outcome were left out" in err
    assert run_cli("drift", str(journey), str(HELPDESK)) == (0, "No findings in 1 journey.\n", "")
    before = journey.read_text()
    code, _, err = run_cli("calibrate", str(journey), str(HELPDESK))
    assert code == 0, err
    assert "Wrote " + str(journey) + ": 0 changes." in err
    assert journey.read_text() == before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_case_lengths_of_held_out_helpdesk_cases_are_close(run_cli, tmp_path, seed):
    import json

    learn, predict = split_cases(HELPDESK, tmp_path, seed)
    journey = tmp_path / "helpdesk.yaml"
    assert run_cli("discover", str(learn), "-o", str(journey), "--success", "Closed")[0] == 0
    code, out, _ = run_cli("backtest", str(journey), str(predict), "--format", "json")
    figures = {f["figure"]: f for f in json.loads(out)["figures"]}
    assert figures["case length total variation"]["observed"] <= 0.05
    assert code == 0, [name for name, f in figures.items() if f["within"] is False]  # every figure within


def test_rows_left_out_inside_the_helpdesk_cases_change_none_of_its_variants(tmp_path):
    """Real exports hold rows a tool cannot read. An unreadable time after every 50th row of the
    helpdesk log, inside its cases, is counted and left out; the cases and their variants stay the log's."""
    from cxaudit.logs.read import EventLog

    with gzip.open(HELPDESK, "rt", newline="") as stream:
        rows = list(csv.reader(stream))
    when = rows[0].index("time:timestamp")
    damaged = [rows[0]]
    for number, row in enumerate(rows[1:]):
        damaged.append(row)
        if number % 50 == 0:
            damaged.append([*row[:when], "not a time", *row[when + 1 :]])
    log = tmp_path / "damaged.csv"
    with log.open("w", newline="") as stream:
        csv.writer(stream).writerows(damaged)
    found = []
    for path in (HELPDESK, log):
        with EventLog(str(path)) as events:
            summary = events.summary({"Closed"})
            assert summary.in_order
            found.append(
                (summary.cases, summary.bad_rows["unreadable timestamp"], events.variants({"Closed"}, 5, True))
            )
    (cases, clean, variants), (damaged_cases, unreadable, damaged_variants) = found
    assert (clean, unreadable) == (0, 427)  # rows 0, 50, ... of 21,348
    assert damaged_cases == cases == 4580
    assert damaged_variants == variants
    assert variants[0] == (("Assign seriousness", "Take in charge ticket", "Resolve ticket", "Closed"), 2373)

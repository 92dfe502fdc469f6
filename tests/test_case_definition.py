"""One definition of a case, whatever the log holds: outcomes, lifecycles, intervals, or only an order.

The fixtures are tests/fixtures/logs/*.csv (see their README); each test says
exactly what its log must give, and that discover, drift and calibrate read
it alike: a journey discovered from a log has no drift against it, and
calibrate on it changes nothing.
"""

from __future__ import annotations

import pytest

from cxaudit import load_journey
from tests.conftest import FIXTURES

pytest.importorskip("duckdb")

LOGS = FIXTURES / "logs"
HOUR = 3600.0


def summary(name: str, outcomes: list[str]):
    from cxaudit.logs.read import read_log

    return read_log(str(LOGS / name), outcomes=outcomes)


def test_a_case_ends_at_its_first_outcome():
    log = summary("post-outcome.csv", ["Approved", "Declined"])
    assert log.follows == {
        ("Apply", "Approved"): 1,
        ("Apply", "Declined"): 1,
        ("Apply", "Validate"): 2,
        ("Validate", "Approved"): 1,
    }
    assert log.after_outcome == 3  # Validate and Archive after Approved, Validate after Declined
    assert "Archive" not in log.activities
    assert {a: info.ends for a, info in log.activities.items()} == {
        "Apply": 0,
        "Approved": 2,
        "Declined": 1,
        "Validate": 1,
    }
    assert log.activities["Apply"].mean_next_s == (1 + 3 + 2 + 6) / 4 * HOUR
    assert log.activities["Validate"].mean_next_s == 2 * HOUR
    assert log.case_times.mean == (1 + 3 + 4 + 6) / 4 * HOUR


def test_every_visit_counts_until_outcomes_are_known():
    log = summary("post-outcome.csv", [])
    assert log.after_outcome == 0
    assert log.follows[("Approved", "Validate")] == 1 and log.activities["Archive"].ends == 1


def test_lifecycle_rows_make_one_visit_per_completed_instance():
    log = summary("lifecycle.csv", ["Done"])
    assert log.follows == {("Fill form", "Review"): 1, ("Fill form", "Done"): 1, ("Review", "Done"): 1}
    assert {a: info.events for a, info in log.activities.items()} == {"Done": 2, "Fill form": 2, "Review": 1}
    assert log.lifecycle_left_out == 4  # three starts and a schedule
    # a visit begins at its start row: Fill form 00:00 -> Review 02:00 (case 1), -> Done 01:00 (case 2)
    assert log.activities["Fill form"].mean_next_s == 1.5 * HOUR
    assert log.activities["Review"].mean_next_s == 1.5 * HOUR
    assert log.case_times.mean == (3.5 + 1) / 2 * HOUR


def test_lifecycle_attributes_of_xes_are_read_too(tmp_path):
    import csv

    rows = list(csv.DictReader((LOGS / "lifecycle.csv").read_text(encoding="utf-8").splitlines()))
    xes = tmp_path / "lifecycle.xes"
    events = "".join(
        f'<trace><string key="concept:name" value="{case}"/>'
        + "".join(
            f'<event><string key="concept:name" value="{row["concept:name"]}"/>'
            f'<date key="time:timestamp" value="{row["time:timestamp"]}"/>'
            f'<string key="lifecycle:transition" value="{row["lifecycle:transition"]}"/></event>'
            for row in rows
            if row["case:concept:name"] == case
        )
        + "</trace>"
        for case in ("1", "2")
    )
    xes.write_text(f'<?xml version="1.0"?>\n<log xmlns="http://www.xes-standard.org/">{events}</log>\n')
    from cxaudit.logs.read import read_log

    from_xes = read_log(str(xes), outcomes=["Done"])
    from_csv = summary("lifecycle.csv", ["Done"])
    assert from_xes.follows == from_csv.follows and from_xes.activities == from_csv.activities
    assert from_xes.lifecycle_left_out == 4


def test_intervals_are_ordered_by_when_they_began():
    log = summary("interval.csv", ["Paid"])
    assert log.follows == {("Order", "Make delivery"): 1, ("Make delivery", "Paid"): 1, ("Order", "Paid"): 1}
    assert log.activities["Order"].mean_next_s == 0.75 * HOUR  # 1h and 30m to the next beginning
    assert log.activities["Make delivery"].mean_next_s == 1 * HOUR
    assert log.columns["start"] == "start_timestamp" and log.columns["timestamp"] == "end_timestamp"


def test_a_log_without_timestamps_is_read_in_file_order():
    log = summary("no-timestamps.csv", ["Done"])
    assert not log.timed and log.case_times is None
    assert log.follows == {("A", "B"): 1, ("B", "Done"): 1, ("A", "Done"): 1}
    assert log.activities["A"].ends == 1 and log.activities["A"].mean_next_s is None
    assert log.bad_rows == {"missing case": 0, "missing activity": 0, "unreadable timestamp": 0}


@pytest.mark.parametrize(
    ("name", "outcomes"),
    [
        ("post-outcome.csv", ["--success", "Approved", "--abandon", "Declined"]),
        ("lifecycle.csv", ["--success", "Done"]),
        ("interval.csv", ["--success", "Paid"]),
        ("no-timestamps.csv", ["--success", "Done"]),
    ],
)
def test_discover_drift_and_calibrate_read_a_log_alike(run_cli, tmp_path, name, outcomes):
    log = LOGS / name
    journey = tmp_path / "j.yaml"
    code, _, err = run_cli("discover", str(log), "-o", str(journey), *outcomes)
    assert code == 0, err
    load_journey(journey)
    assert run_cli("drift", str(journey), str(log), "--fail-on", "info") == (0, "No findings in 1 journey.\n", "")
    before = journey.read_text()
    code, _, err = run_cli("calibrate", str(journey), str(log), "--min-observations", "1")
    assert code == 0 and f"Wrote {journey}: 0 changes." in err, err
    assert journey.read_text() == before


def test_discover_says_what_it_left_out(run_cli, tmp_path):
    code, _, err = run_cli(
        "discover",
        str(LOGS / "post-outcome.csv"),
        "-o",
        str(tmp_path / "j.yaml"),
        "--success",
        "Approved",
        "--abandon",
        "Declined",
    )
    assert code == 0
    assert "3 visits after their case's first outcome were left out" in err
    assert "1 case ends on an activity that is not an outcome; it goes to 'ended_without_outcome' (abandon)" in err
    code, _, err = run_cli(
        "discover", str(LOGS / "no-timestamps.csv"), "-o", str(tmp_path / "n.yaml"), "--success", "Done"
    )
    assert "the log has no timestamps: cases were read in file order, and no duration was set" in err
    assert "    duration:" not in (tmp_path / "n.yaml").read_text()


def test_discover_without_an_outcome_lists_where_cases_end(run_cli, tmp_path):
    code, out, err = run_cli(
        "discover", str(LOGS / "post-outcome.csv"), "-o", str(tmp_path / "j.yaml"), "--success", "Aproved"
    )
    assert (code, out) == (2, "")
    assert err == (
        "cxaudit: --success 'Aproved' is not an activity of the log; did you mean 'Approved'?\n"
        "The log's 4 cases end with:\n"
        "  'Validate'          2 cases   50.0%\n"
        "  'Approved'          1 case    25.0%\n"
        "  'Archive'           1 case    25.0%\n"
        "The log's 4 cases start with:\n"
        "  'Apply'          4 cases  100.0%\n"
    )


def test_a_folder_or_a_glob_of_parquet_files_is_one_log(tmp_path, run_cli):
    import duckdb

    source = LOGS / "post-outcome.csv"
    lake = tmp_path / "lake"
    (lake / "2026").mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.execute(f"CREATE TABLE e AS SELECT * FROM read_csv('{source}')")
        half = connection.execute("SELECT count(*) // 2 FROM e").fetchone()[0]
        connection.execute(f"COPY (SELECT * FROM e LIMIT {half}) TO '{lake / 'a.parquet'}'")
        connection.execute(f"COPY (SELECT * FROM e OFFSET {half}) TO '{lake / '2026' / 'b.parquet'}'")
    from cxaudit.logs.read import read_log

    whole = summary("post-outcome.csv", ["Approved", "Declined"])
    for path in (lake, f"{lake}/**/*.parquet"):
        read = read_log(str(path), outcomes=["Approved", "Declined"])
        assert (read.follows, read.activities, read.after_outcome) == (
            whole.follows,
            whole.activities,
            whole.after_outcome,
        )
    code, _, err = run_cli("discover", str(tmp_path / "empty*.parquet"), "--success", "Approved")
    assert code == 2
    assert "no Parquet files there; name a .parquet file, a folder or a glob of them" in err
    code, _, err = run_cli("discover", "table:events", "--success", "Approved")
    assert code == 2
    assert "table:events: tables are read by a Spark session: add --engine spark" in err


def test_read_log_names_its_engine():
    from cxaudit.errors import UsageError
    from cxaudit.logs.read import read_log

    path = str(LOGS / "post-outcome.csv")
    assert read_log(path, outcomes=["Approved"], engine="duckdb") == read_log(path, outcomes=["Approved"])
    with pytest.raises(UsageError, match="unknown engine 'sqlite': use one of duckdb, spark"):
        read_log(path, engine="sqlite")


def test_an_unknown_engine_is_a_usage_error(run_cli):
    code, _, err = run_cli("discover", str(LOGS / "post-outcome.csv"), "--success", "Approved", "--engine", "sqlite")
    assert code == 2
    assert "'sqlite' is not one of duckdb, spark" in err

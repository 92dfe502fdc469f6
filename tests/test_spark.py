"""The Spark engine gives what the default engine gives, on a real local Spark session (no mocks).

Spark takes seconds to start, so one session serves each xdist worker's run
(giving the file to one worker, ``--dist loadfile``, made the suite slower),
and the logs are small.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from cxaudit.logs.engines.spark import _java_problem
from cxaudit.logs.read import EventLog
from tests.conftest import FIXTURES
from tests.test_eventlog import simulate_log
from tests.test_real_logs import HELPDESK

LOGS = FIXTURES / "logs"


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One session for the worker's run: a module-scoped one would be stopped and started again whenever
    another module's tests run in between."""
    if _java_problem() is not None:
        pytest.skip("no Java on this machine: Spark needs Java 17 or newer (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("cxaudit-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _summaries(path: str, outcomes: set[str], **columns: str):
    """The summary, variants and history counts of a log by each engine."""
    found = []
    for engine in ("duckdb", "spark"):
        with EventLog(path, engine=engine, **columns) as log:
            summary = dataclasses.replace(log.summary(outcomes), in_order=False)
            found.append((summary, log.variants(outcomes, 5), log.ngrams(outcomes, 2), log.per_case(outcomes)))
    return found


@pytest.mark.parametrize(
    ("name", "outcomes"),
    [
        ("post-outcome.csv", {"Approved", "Declined"}),
        ("lifecycle.csv", {"Done"}),
        ("interval.csv", {"Paid"}),
        ("no-timestamps.csv", {"Done"}),
        ("written-times.csv", {"Paid"}),  # its times found in their formats on each engine
    ],
)
def test_spark_summarises_the_case_fixtures_as_duckdb_does(spark, name, outcomes):
    duckdb, on_spark = _summaries(str(LOGS / name), outcomes)
    assert on_spark[0] == duckdb[0]
    assert on_spark[1:3] == duckdb[1:3]
    assert sorted(on_spark[3][0]) == sorted(duckdb[3][0])
    assert sorted(on_spark[3][1]) == sorted(duckdb[3][1])
    assert on_spark[3][2] == duckdb[3][2]


def test_a_folder_of_parquet_files_gives_the_journey_the_csv_gives(spark, tmp_path, run_cli):
    import duckdb

    simulate_log(tmp_path / "events.csv", 3000, seed=7)
    folder = tmp_path / "lake"
    folder.mkdir()
    with duckdb.connect() as connection:
        connection.execute(f"CREATE TABLE e AS SELECT * FROM read_csv('{tmp_path / 'events.csv'}')")
        half = connection.execute("SELECT count(*) // 2 FROM e").fetchone()[0]
        # a case may span the two files: its rows are put back in order by file, then place
        connection.execute(f"COPY (SELECT * FROM e LIMIT {half}) TO '{folder / 'part-0.parquet'}'")
        connection.execute(f"COPY (SELECT * FROM e OFFSET {half}) TO '{folder / 'part-1.parquet'}'")
    common = ("--success", "Order placed", "--abandon", "Customer gave up", "--history", "1", "--id", "shop", "-o")
    code, _, err = run_cli("discover", str(tmp_path / "events.csv"), *common, str(tmp_path / "csv.yaml"))
    assert code == 0, err
    code, _, err = run_cli("discover", str(folder), "--engine", "spark", *common, str(tmp_path / "lake.yaml"))
    assert code == 0, err
    lake, csv = (tmp_path / "lake.yaml").read_text(), (tmp_path / "csv.yaml").read_text()
    assert lake.split("\n", 1)[1] == csv.split("\n", 1)[1]


def test_a_table_of_the_session_is_a_log_and_history_splits_the_same(spark, tmp_path, run_cli):
    spark.read.csv(str(HELPDESK), header=True).createOrReplaceTempView("helpdesk_events")
    common = ("--success", "Closed", "--variants", "3", "--id", "helpdesk", "--name", "Helpdesk", "-o")
    code, _, err = run_cli("discover", str(HELPDESK), *common, str(tmp_path / "duckdb.yaml"))
    assert code == 0, err
    code, _, spark_err = run_cli(
        "discover", "table:helpdesk_events", "--engine", "spark", *common, str(tmp_path / "spark.yaml")
    )
    assert code == 0, spark_err
    # the same journey, but for the log's name in its first line
    spark_text = (tmp_path / "spark.yaml").read_text().split("\n", 1)
    duckdb_text = (tmp_path / "duckdb.yaml").read_text().split("\n", 1)
    assert spark_text[0] == "# Discovered by cxaudit from table:helpdesk_events: 4,580 cases, 21,329 visits."
    assert spark_text[1] == duckdb_text[1]
    assert "--history auto:" in spark_err
    # the engine's views are gone; the session's own table is left as it was
    names = {table.name for table in spark.catalog.listTables()}
    assert "helpdesk_events" in names
    assert not {name for name in names if name.startswith("cxaudit_")}


def test_calibrate_and_drift_on_spark_agree_with_the_log_the_journey_came_from(spark, tmp_path, run_cli):
    journey = tmp_path / "helpdesk.yaml"
    code, _, err = run_cli("discover", str(HELPDESK), "--success", "Closed", "--history", "1", "-o", str(journey))
    assert code == 0, err
    before = journey.read_text()
    code, _, err = run_cli("calibrate", str(journey), str(HELPDESK), "--engine", "spark")
    assert code == 0, err
    assert "Wrote" in err and ": 0 changes." in err
    assert journey.read_text() == before
    code, out, err = run_cli("drift", str(journey), str(HELPDESK), "--engine", "spark", "--format", "json")
    assert code == 0, err
    assert '"findings":[]' in out.replace(" ", "")


def test_an_unknown_table_is_named_with_the_tables_the_session_knows(spark, run_cli):
    spark.range(1).createOrReplaceTempView("helpdesk_log")
    code, _, err = run_cli("discover", "table:helpdesk_lgo", "--engine", "spark", "--success", "Closed")
    assert code == 2
    assert "the Spark session has no table 'helpdesk_lgo'; did you mean 'helpdesk_log'?" in err
    assert "helpdesk_log" in err.split("(tables:")[1]


def test_a_missing_column_is_named_on_spark(spark, run_cli):
    code, _, err = run_cli("discover", str(HELPDESK), "--engine", "spark", "--success", "Closed", "--case", "ticket")
    assert code == 2
    assert "the log has no column 'ticket' for the case" in err


def test_xes_on_spark_says_what_to_do(spark, run_cli, tmp_path):
    log = tmp_path / "events.xes"
    log.write_text("<log/>")
    code, _, err = run_cli("discover", str(log), "--engine", "spark", "--success", "Closed")
    assert code == 2
    assert "XES logs are read by --engine duckdb; write them as Parquet for Spark" in err


def test_without_pyspark_the_error_names_the_extra(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code, _, err = run_cli("discover", str(HELPDESK), "--engine", "spark", "--success", "Closed")
    assert code == 2
    assert "--engine spark needs pyspark, which is not installed: pip install 'cxaudit[spark]'" in err


def test_without_java_the_error_names_the_fix(tmp_path):
    # a new process, with no session running and no java to be found
    env = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "SPARK_HOME")}
    env["JAVA_HOME"] = str(tmp_path / "no-jdk")
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "discover", str(HELPDESK), "--engine", "spark", "--success", "Closed"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"--engine spark needs Java 17 or newer (JAVA_HOME={tmp_path / 'no-jdk'} has no bin/java)" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_configuration_picks_the_engine(tmp_path, run_cli):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.cxaudit.engine]\ndefault = "spark"\nmaster = "local[1]"\n')
    env_home = tmp_path / "no-jdk"
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "discover", str(HELPDESK), "--success", "Closed", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "JAVA_HOME": str(env_home)},
        check=False,
    )
    # spark was chosen by the configuration: it asks for Java before anything else
    assert done.returncode == 2
    assert "--engine spark needs Java" in done.stderr
    config.write_text('[tool.cxaudit.engine]\ndefault = "sparky"\nmastr = "local"\n')
    code, _, err = run_cli("discover", str(HELPDESK), "--success", "Closed", "--config", str(config))
    assert code == 2
    assert "'default' in [tool.cxaudit.engine] must be one of duckdb, spark, not 'sparky'" in err
    assert "unknown key 'mastr' in [tool.cxaudit.engine]; did you mean 'master'?" in err


def test_the_progress_bar_polls_the_engine_while_it_works():
    import threading

    from cxaudit.progress import Watch

    polled = threading.Event()

    def poll():
        polled.set()
        return (1, 2)

    with Watch("Spark", poll, shown=True):
        assert polled.wait(30)
    quiet = threading.Event()
    with Watch("Spark", lambda: quiet.set(), shown=False):
        pass
    assert not quiet.is_set()


def test_the_delimiter_of_a_csv_is_found_as_duckdb_finds_it(tmp_path):
    from cxaudit.logs.engines.spark import delimiter

    text = (LOGS / "post-outcome.csv").read_text()
    for mark in (";", "\t", "|", ","):
        path = tmp_path / "events.csv"
        path.write_text(text.replace(",", mark))
        assert delimiter(str(path)) == mark
    assert delimiter(str(HELPDESK)) == ","  # gzipped
    assert delimiter("hdfs://cluster/events.csv") == ","

"""Logs as exports write them: times other than ISO 8601 (found among the usual formats, or given with
--time-format), and text in an encoding other than UTF-8 (--encoding)."""

from __future__ import annotations

import csv
import datetime
import gzip
from pathlib import Path

import pytest

from cxaudit.errors import UsageError
from tests.conftest import FIXTURES

pytest.importorskip("duckdb")

HELPDESK = FIXTURES / "logs" / "helpdesk.csv.gz"


def one_case(path: Path, began: str, done: str) -> Path:
    path.write_text(f"case,activity,timestamp\nc1,A,{began}\nc1,Done,{done}\n")
    return path


def gap(path: Path, time_format: str | None = None) -> tuple[dict[str, str], float, int]:
    """The formats the log was read by, the time from A to Done, and the rows with an unreadable time."""
    from cxaudit.logs.read import EventLog

    with EventLog(str(path), time_format=time_format) as events:
        summary = events.summary({"Done"})
        return events.time_formats, summary.activities["A"].mean_next_s, summary.bad_rows["unreadable timestamp"]


@pytest.mark.parametrize(
    ("began", "done", "found", "seconds"),
    [
        ("31.01.2026 09:30", "01.02.2026 10:00", "%d.%m.%Y %H:%M", 88_200),
        ("31.01.2026 09:30:00.250", "01.02.2026 10:00:00.750", "%d.%m.%Y %H:%M:%S.%f", 88_200.5),
        ("01/31/2026 09:30:00", "02/01/2026 10:00:00", "%m/%d/%Y %H:%M:%S", 88_200),
        ("31.01.2026 09:30:00", "01.02.2026 10:00:00", None, 88_200),  # DuckDB's reader knows these itself
        ("31.01.2026", "01.02.2026", None, 86_400),
    ],
)
def test_times_in_a_usual_format_are_read_by_it(tmp_path, began, done, found, seconds):
    formats = {"timestamp": found} if found else {}
    assert gap(one_case(tmp_path / "log.csv", began, done)) == (formats, seconds, 0)


@pytest.mark.parametrize(
    ("began", "done", "found", "seconds"),
    [
        ("1769851800", "1769940000.5", "epoch", 88_200.5),
        ("1769851800000", "1769940000500", "epoch-ms", 88_200.5),
        ("1769851800000000", "1769940000500000", "epoch-us", 88_200.5),
    ],
)
def test_times_written_as_numbers_since_1970_are_read_in_their_unit(tmp_path, began, done, found, seconds):
    """Clickstream exports write times as seconds, milliseconds or microseconds since 1970 (here 31 January
    2026, 09:30 UTC, and the next day at 10:00:00.5)."""
    log = one_case(tmp_path / "log.csv", began, done)
    assert gap(log) == ({"timestamp": found}, seconds, 0)
    assert gap(log, found) == ({"timestamp": found}, seconds, 0)


def test_iso_times_need_no_format(tmp_path):
    assert gap(one_case(tmp_path / "log.csv", "2026-01-31T09:30:00Z", "2026-02-01T10:00:00Z")) == ({}, 88_200, 0)


def test_times_that_read_as_day_first_and_as_month_first_alike_are_asked_about(tmp_path):
    log = one_case(tmp_path / "log.csv", "01/02/2026 10:00", "03/02/2026 10:00")
    with pytest.raises(UsageError) as refused:
        gap(log)
    assert str(refused.value) == (
        "the times in column 'timestamp' read as '%d/%m/%Y %H:%M' or '%m/%d/%Y %H:%M' alike (2 of 2 values): "
        "say which with --time-format"
    )
    assert gap(log, "%d/%m/%Y %H:%M") == ({"timestamp": "%d/%m/%Y %H:%M"}, 2 * 86_400, 0)
    assert gap(log, "%m/%d/%Y %H:%M") == ({"timestamp": "%m/%d/%Y %H:%M"}, 59 * 86_400, 0)


def test_a_format_given_wins_over_what_the_reader_guessed(tmp_path):
    # DuckDB reads these as day first (31 cannot be a month); the user says month first: 31/03 is then unreadable
    log = tmp_path / "log.csv"
    log.write_text(
        "case,activity,timestamp\n"
        "c1,A,01/02/2026 10:00:00\nc1,Done,01/03/2026 10:00:00\nc2,A,31/03/2026 10:00:00\nc2,Done,31/03/2026 11:00:00\n"
    )
    assert gap(log)[1:] == ((28 * 86_400 + 3_600) / 2, 0)  # 1 February to 1 March, and an hour
    assert gap(log, "%m/%d/%Y %H:%M:%S") == ({"timestamp": "%m/%d/%Y %H:%M:%S"}, 86_400, 2)


def test_a_start_time_column_is_read_by_its_own_format(tmp_path):
    from cxaudit.logs.read import EventLog

    log = tmp_path / "log.csv"
    log.write_text(
        "case,activity,start_timestamp,timestamp\n"
        "c1,A,31.01.2026 09:00,2026-01-31T09:30:00Z\nc1,Done,01.02.2026 10:00,2026-02-01T10:00:00Z\n"
    )
    with EventLog(str(log)) as events:
        assert events.time_formats == {"start": "%d.%m.%Y %H:%M"}
        assert events.summary({"Done"}).activities["A"].mean_next_s == 90_000  # from when A began


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("%Q", "--time-format '%Q' cannot be read: Invalid Input Error: Failed to parse format specifier %Q"),
        (
            "dd.MM.yyyy",
            "--time-format 'dd.MM.yyyy' has no strptime codes; write one such as '%d.%m.%Y %H:%M', "
            "or epoch, epoch-ms or epoch-us for numbers since 1970",
        ),
    ],
)
def test_a_format_that_cannot_be_used_is_an_input_error(run_cli, tmp_path, given, said):
    log = one_case(tmp_path / "log.csv", "31.01.2026 09:30", "01.02.2026 10:00")
    code, out, err = run_cli(
        "discover", str(log), "--success", "Done", "-o", str(tmp_path / "j.yaml"), "--time-format", given
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"cxaudit: {said}")
    assert not (tmp_path / "j.yaml").exists()


def test_the_helpdesk_log_with_us_times_gives_the_journey_of_its_iso_times(run_cli, tmp_path):
    """The real helpdesk log, its times rewritten as a US spreadsheet writes them (10/09/2012 14:50:17)."""
    with gzip.open(HELPDESK, "rt", newline="") as stream:
        rows = list(csv.reader(stream))
    when = rows[0].index("time:timestamp")
    for row in rows[1:]:
        row[when] = datetime.datetime.fromisoformat(row[when]).strftime("%m/%d/%Y %H:%M:%S")
    american = tmp_path / "american.csv"
    with american.open("w", newline="") as stream:
        csv.writer(stream).writerows(rows)
    journeys = []
    for log in (HELPDESK, american):
        out = tmp_path / f"{log.stem}.yaml"
        code, _, err = run_cli(
            "discover", str(log), "--success", "Closed", "--history", "1", "--id", "helpdesk", "-o", str(out)
        )
        assert code == 0, err
        journeys.append(out.read_text().splitlines())
    iso, read = journeys
    note = "# the times in column 'time:timestamp' were read as '%m/%d/%Y %H:%M:%S'."
    assert note in read
    assert [line for line in read if line != note][1:] == iso[1:]  # every step, share, duration and count


def test_a_log_whose_times_are_written_as_spreadsheets_write_them_is_the_log_of_its_iso_times():
    from dataclasses import replace

    from cxaudit.logs.read import EventLog

    summaries = []
    for name in ("interval.csv", "written-times.csv"):
        with EventLog(str(FIXTURES / "logs" / name)) as events:
            summaries.append((events.time_formats, replace(events.summary({"Paid"}), file="", time_formats={})))
    (iso_formats, iso), (formats, written) = summaries
    assert iso_formats == {}
    assert formats == {"start": "%d.%m.%Y %H:%M", "timestamp": "%m/%d/%Y %I:%M %p"}
    assert written == iso


def test_a_latin_1_export_is_refused_at_its_line_and_read_with_its_encoding(run_cli, tmp_path):
    """Excel saves "CSV" in Western Europe as Latin-1 (Windows-1252): umlauts are single bytes there."""
    log = tmp_path / "export.csv"
    log.write_bytes(
        "case;activity;timestamp\n1;Antrag geprüft;2026-01-01 10:00:00\n1;Bestätigung;2026-01-01 11:00:00\n".encode(
            "latin-1"
        )
    )
    out = tmp_path / "j.yaml"
    code, _, err = run_cli("discover", str(log), "--success", "Bestätigung", "-o", str(out))
    assert (code, err) == (
        2,
        f"cxaudit: cannot read the event log {log}: it is not UTF-8 (line 2); save it as UTF-8, or give its "
        "encoding with --encoding latin-1 (Excel's CSV in Western Europe) or --encoding utf-16\n",
    )
    assert not out.exists()
    code, _, err = run_cli("discover", str(log), "--success", "Bestätigung", "-o", str(out), "--encoding", "latin-1")
    assert code == 0, err
    assert '    name: "Antrag geprüft"' in out.read_text(encoding="utf-8").splitlines()


def test_an_encoding_cxaudit_does_not_read_is_a_usage_error(run_cli, tmp_path):
    log = one_case(tmp_path / "log.csv", "2026-01-31T09:30:00Z", "2026-02-01T10:00:00Z")
    code, _, err = run_cli("discover", str(log), "--success", "Done", "--encoding", "cp1252")
    assert code == 2
    assert "'cp1252' is not one of utf-8, latin-1, utf-16" in err
    from cxaudit.logs.read import EventLog

    with pytest.raises(UsageError, match=r"^--encoding 'cp1252' is not one of utf-8, latin-1, utf-16$"):
        EventLog(str(log), encoding="cp1252")


@pytest.mark.parametrize(
    "header",
    [
        "Case ID,Activity,Resource,Start Timestamp,Complete Timestamp",  # Disco
        "CASE_KEY,ACTIVITY_EN,RESOURCE,START_TIME,EVENTTIME",  # Celonis
    ],
)
def test_the_columns_of_disco_and_celonis_exports_are_found_by_their_names(tmp_path, header):
    from cxaudit.logs.read import EventLog

    log = tmp_path / "export.csv"
    log.write_text(
        f"{header}\n"
        "1,Order,Ann,2026/01/01 00:00:00.000,2026/01/01 00:05:00.000\n"
        "1,Paid,Bob,2026/01/01 02:00:00.000,2026/01/01 02:01:00.000\n"
    )
    names = header.split(",")
    with EventLog(str(log)) as events:
        assert events.columns == {
            "case": names[0],
            "activity": names[1],
            "resource": names[2],
            "start": names[3],
            "timestamp": names[4],
            "lifecycle": None,
        }
        order = events.summary({"Paid"}).activities["Order"]
        assert (order.mean_next_s, order.resource) == (7_200, "Ann")  # from when Order began to when Paid did

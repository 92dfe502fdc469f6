"""`cxaudit check`: lines, exit codes, configuration, baselines and every output format."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from cxaudit.errors import ConfigError, JourneyError, Problem, UsageError
from tests.conftest import FIXTURES, JOURNEYS, ROOT

SARIF_SCHEMA = json.loads((FIXTURES / "schemas" / "sarif-schema-2.1.0.json").read_text())

DEAD_END = """cxaudit: 1
journey: {id: broken, name: Broken journey, volume: 100}
entry: apply
steps:
  apply: {name: Apply, owner: ops, next: {wait: 0.9, done: 0.1}}
  wait: {name: Wait for a decision, owner: ops}
  done: {type: success, name: Done}
"""

CLEAN = """cxaudit: 1
journey: {id: clean, name: Clean journey, volume: 100}
entry: apply
steps:
  apply: {name: Apply, owner: ops, next: {done: 0.95, lost: 0.05}}
  done: {type: success, name: Done}
  lost: {type: abandon, name: Gave up}
"""


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A copy of the example journeys in a fresh directory, with no configuration above it."""
    folder = tmp_path / "portfolio"
    shutil.copytree(ROOT / "journeys", folder / "journeys")
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_one_line_per_finding_and_exit_1_on_errors(run_cli, tmp_path):
    broken = write(tmp_path / "broken.yaml", DEAD_END)
    code, out, err = run_cli("check", str(broken))
    assert code == 1
    assert out.splitlines() == [
        f"{broken}:6:3: ST02 [error] 'Wait for a decision' has no next step: 90 customers per period (90.0% of all) "
        "are stuck there",
        "Found 1 finding (1 error) in 1 journey.",
    ]
    assert err == ""


def test_clean_journey_exits_0(run_cli, tmp_path):
    clean = write(tmp_path / "clean.yaml", CLEAN)
    assert run_cli("check", str(clean)) == (0, "No findings in 1 journey.\n", "")


@pytest.mark.parametrize(("level", "expected"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_levels(run_cli, level, expected):
    assert run_cli("check", str(JOURNEYS[0]), "--fail-on", level)[0] == expected


def test_broken_file_is_reported_and_the_others_still_checked(run_cli, tmp_path):
    bad = FIXTURES / "invalid" / "probability-sum.yaml"
    broken = write(tmp_path / "broken.yaml", DEAD_END)
    code, out, _ = run_cli("check", str(bad), str(broken))
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == f"{bad}:27:11: input error: probabilities of steps.cart.next sum to 0.9, not 1 (steps.cart.next)"
    assert lines[1].startswith(f"{broken}:6:3: ST02 [error]")
    assert lines[-1] == "Found 1 finding (1 error) in 1 journey; 1 file could not be read."


def test_quiet_statistics_and_show_source(run_cli, tmp_path):
    broken = write(tmp_path / "broken.yaml", DEAD_END)
    code, out, _ = run_cli("check", str(broken), "--quiet")
    assert code == 1 and len(out.splitlines()) == 1
    code, out, _ = run_cli("check", str(JOURNEYS[2]), "--statistics", "--quiet")
    assert out.splitlines()[:3] == [
        "    4  CT01  high-contact-step",
        "    4  FR02  drop-off-hotspot",
        "    3  CT02  unresolved-contact",
    ]
    code, out, _ = run_cli("check", str(broken), "--show-source")
    assert out.splitlines()[1:3] == [" 6 |   wait: {name: Wait for a decision, owner: ops}", "   |   ^"]


def test_select_ignore_and_fail_on_flags(run_cli):
    journey = str(JOURNEYS[2])
    _, out, _ = run_cli("check", journey, "--select", "CT01,CT02", "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"CT01", "CT02"}
    _, out, _ = run_cli("check", journey, "--select", "CT", "--ignore", "CT01", "--ignore", "high-contact-step", "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"CT02", "CT03"}
    code, _, err = run_cli("check", journey, "--select", "XX")
    assert code == 2
    assert err == "cxaudit: unknown rule 'XX' in --select\n"
    code, _, err = run_cli("check", journey, "--select", "FR2")
    assert err == "cxaudit: unknown rule 'FR2' in --select; did you mean 'FR02'?\n"


PYPROJECT = """[project]
name = "journeys"

[tool.cxaudit]
select = ["ST", "CT", "GT01"]
ignore = ["CT03"]
fail-on = "warning"

[tool.cxaudit.severity]
CT02 = "error"

[tool.cxaudit.rules.CT01]
min-share = 0.12

[tool.cxaudit.gates]
min-completion-rate = 0.9

[tool.cxaudit.per-path."journeys/legacy/**"]
ignore = ["CT"]
"""


def test_pyproject_configuration_is_discovered_and_applied(run_cli, portfolio):
    write(portfolio / "pyproject.toml", PYPROJECT)
    code, out, _ = run_cli("check", str(portfolio / "journeys" / "mobile-plan-change.yaml"), "-q")
    codes = [line.split()[1] for line in out.splitlines()]
    assert code == 1
    assert set(codes) == {"CT01", "CT02", "GT01"}
    assert codes.count("CT01") == 2  # only steps sending at least 12% to contacts
    assert all("[error]" in line for line in out.splitlines() if " CT02 " in line or " GT01 " in line)
    gate = next(line for line in out.splitlines() if " GT01 " in line)
    assert gate.endswith(
        "journeys/mobile-plan-change.yaml:6:1: GT01 [error] completion rate is 53.7%, below the minimum of 90.0% "
        "set by the gate min-completion-rate"
    )


def test_per_path_overrides(run_cli, portfolio):
    write(portfolio / "pyproject.toml", PYPROJECT)
    legacy = portfolio / "journeys" / "legacy" / "old.yaml"
    legacy.parent.mkdir()
    shutil.copy(JOURNEYS[1], legacy)
    _, out, _ = run_cli("check", str(legacy), "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"GT01"}


def test_closest_configuration_wins_and_yaml_beats_pyproject(run_cli, portfolio):
    write(portfolio / "pyproject.toml", PYPROJECT)
    write(portfolio / "journeys" / ".cxaudit.yaml", "select: [FR02]\n")
    _, out, _ = run_cli("check", str(portfolio / "journeys"), "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"FR02"}
    write(portfolio / "journeys" / "pyproject.toml", '[tool.cxaudit]\nselect = ["OW"]\n')
    _, out, _ = run_cli("check", str(portfolio / "journeys"), "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"FR02"}


def test_pyproject_without_a_cxaudit_table_is_skipped(run_cli, portfolio):
    write(portfolio / "pyproject.toml", PYPROJECT)
    write(portfolio / "journeys" / "pyproject.toml", '[project]\nname = "x"\n')
    _, out, _ = run_cli("check", str(portfolio / "journeys" / "web-checkout.yaml"), "-q")
    assert {line.split()[1] for line in out.splitlines()} <= {"ST01", "CT01", "CT02", "GT01"}


def test_explicit_config_overrides_discovery(run_cli, portfolio, tmp_path):
    write(portfolio / "pyproject.toml", PYPROJECT)
    other = write(tmp_path / "other.yaml", "select: [OW01]\n")
    _, out, _ = run_cli("check", str(portfolio / "journeys" / "web-checkout.yaml"), "--config", str(other), "-q")
    assert {line.split()[1] for line in out.splitlines()} == {"OW01"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[tool.cxaudit]\nselct = ["ST"]\n',
            "pyproject.toml:2:1: unknown key 'selct' in [tool.cxaudit]; did you mean 'select'?",
        ),
        (
            '[tool.cxaudit]\nselect = ["FR2"]\n',
            "pyproject.toml:2:1: unknown rule 'FR2' in 'select' of [tool.cxaudit]; did you mean 'FR02'?",
        ),
        (
            "[tool.cxaudit.rules.FR02]\nmin-shar = 0.2\n",
            "pyproject.toml:2:1: unknown option 'min-shar' of FR02 in [tool.cxaudit.rules.FR02]; did you mean 'min-share'?",
        ),
        (
            "[tool.cxaudit.rules.FR02]\nmin-share = 1.5\n",
            "pyproject.toml:2:1: FR02 option 'min-share' must be at least 0 and at most 1, not 1.5",
        ),
        (
            "[tool.cxaudit.rules.FR05]\nmax-duration = 'soon'\n",
            "pyproject.toml:2:1: FR05 option 'max-duration' must be seconds or a duration such as 30s, 3m, 2h, 1d, not 'soon'",
        ),
        (
            "[tool.cxaudit.rules.drop-off]\nmin-share = 0.2\n",
            "pyproject.toml:1:21: unknown rule 'drop-off' in [tool.cxaudit.rules]; did you mean 'drop-off-hotspot'?",
        ),
        (
            "[tool.cxaudit.gates]\nmin-completion = 0.9\n",
            "pyproject.toml:2:1: unknown gate 'min-completion' in [tool.cxaudit.gates]; did you mean 'min-completion-rate'?",
        ),
        (
            "[tool.cxaudit.gates]\nmin-completion-rate = 2\n",
            "pyproject.toml:2:1: gate 'min-completion-rate' must be at least 0 and at most 1, not 2",
        ),
        (
            '[tool.cxaudit]\nfail-on = "sometimes"\n',
            "pyproject.toml:2:1: 'fail-on' must be one of error, warning, info, never, not 'sometimes'",
        ),
        (
            '[tool.cxaudit.severity]\nFR02 = "loud"\n',
            "pyproject.toml:2:1: severity of FR02 must be error, warning or info, not 'loud'",
        ),
        ("[tool.cxaudit\n", "pyproject.toml:1:14: invalid TOML: Expected ']' at the end of a table declaration"),
    ],
)
def test_bad_configuration_is_exit_2_with_file_key_and_suggestion(run_cli, portfolio, text, expected):
    write(portfolio / "pyproject.toml", text)
    code, out, err = run_cli("check", str(portfolio / "journeys" / "web-checkout.yaml"))
    assert (code, out) == (2, "")
    assert err == f"cxaudit: {portfolio / expected}\n"
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"[tool.cxaudit]\nselect = ['ST']\n# caf\xe9\n",
            "pyproject.toml:3:6: byte 0xe9 is not UTF-8; save the file as UTF-8, as TOML requires",
        ),
        (
            b"\xff\xfe[tool.cxaudit]\n",
            "pyproject.toml:1:1: byte 0xff is not UTF-8; save the file as UTF-8, as TOML requires",
        ),
        (b'tool = "x"\n[tool.cxaudit]\n', "pyproject.toml:2:14: invalid TOML: Cannot overwrite a value"),
        (
            b"[tool.cxaudit]\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
            "pyproject.toml: invalid TOML: arrays or tables nested too deeply",
        ),
        (
            b"[tool.cxaudit]\nx = 1" + b"0" * 5000 + b"\n",
            "pyproject.toml: invalid TOML: a number of thousands of digits",
        ),
        (
            b"[tool.cxaudit.gates]\nmin-completion-rate = nan\n",
            "pyproject.toml:2:1: gate 'min-completion-rate' must be a finite number, not nan",
        ),
        (
            b"[tool.cxaudit.rules.FR02]\nmin-share = inf\n",
            "pyproject.toml:2:1: FR02 option 'min-share' must be a finite number, not inf",
        ),
        (
            b"[tool.cxaudit.gates]\nmin-completion-rate = 1" + b"0" * 400 + b"\n",
            "pyproject.toml:2:1: gate 'min-completion-rate' must be a finite number, not 100000000000000000000000000000000000000...",
        ),
    ],
    ids=["latin-1", "utf-16-bom", "tool-text", "deep", "digits", "nan", "inf", "huge"],
)
@pytest.mark.parametrize("given", [False, True], ids=["found", "given"])
def test_hostile_configuration_is_an_input_error(run_cli, portfolio, data, expected, given):
    (portfolio / "pyproject.toml").write_bytes(data)
    config = ["--config", str(portfolio / "pyproject.toml")] if given else []
    code, out, err = run_cli("check", str(portfolio / "journeys" / "web-checkout.yaml"), *config)
    assert (code, out, err) == (2, "", f"cxaudit: {portfolio / expected}\n")


def test_a_table_named_tool_that_is_not_one_is_refused(run_cli, portfolio):
    (portfolio / "pyproject.toml").write_text('tool = "x"\n')
    config = str(portfolio / "pyproject.toml")
    assert run_cli("check", str(JOURNEYS[0]), "--config", config) == (
        2,
        "",
        f"cxaudit: {config}: 'tool' must be a table ([tool.cxaudit] holds cxaudit's settings)\n",
    )


def test_yaml_configuration_errors_have_positions(run_cli, portfolio):
    write(portfolio / ".cxaudit.yaml", "select: [ST]\nrules:\n  FR02: {min-share: -1}\nfoo: 1\n")
    code, _, err = run_cli("check", str(portfolio / "journeys"))
    assert code == 2
    assert err.splitlines() == [
        f"cxaudit: {portfolio / '.cxaudit.yaml'}:3:10: FR02 option 'min-share' must be at least 0 and at most 1, not -1",
        f"cxaudit: {portfolio / '.cxaudit.yaml'}:4:1: unknown key 'foo' in the configuration",
    ]


def test_missing_config_file(run_cli):
    assert run_cli("check", str(JOURNEYS[0]), "--config", "nope.toml") == (
        2,
        "",
        "cxaudit: configuration file not found: nope.toml\n",
    )


def test_unused_suppression_is_reported(run_cli):
    _code, out, _ = run_cli("check", str(FIXTURES / "spec_example.yaml"), "--select", "FR03,SP01")
    assert out.splitlines()[0].endswith(
        ":34:3: SP01 [warning] ignore of FR03 on 'Enter card details' suppresses nothing: FR03 finds nothing there"
    )


def test_baseline_round_trip(run_cli, portfolio):
    journeys = portfolio / "journeys"
    baseline = portfolio / "baseline.json"
    code, _, err = run_cli("check", str(journeys), "--write-baseline", str(baseline), "--fail-on", "warning")
    assert code == 0 and err == "Wrote a baseline of 77 findings to " + str(baseline) + ".\n"
    text = baseline.read_text()
    data = json.loads(text)
    keys = [(f["journey"], f["code"], f["step"] or "", f["target"] or "") for f in data["findings"]]
    assert keys == sorted(keys) and len(keys) == 77
    run_cli("check", str(journeys), "--write-baseline", str(baseline))
    assert baseline.read_text() == text  # stable: diffs cleanly
    # updating a baseline in place keeps what it knew: it is read whole, then rewritten
    code, _, err = run_cli("check", str(journeys), "--baseline", str(baseline), "--write-baseline", str(baseline))
    assert code == 0 and err == "Wrote a baseline of 77 findings to " + str(baseline) + ".\n"
    assert baseline.read_text() == text

    assert run_cli("check", str(journeys), "--baseline", str(baseline), "--fail-on", "warning") == (
        0,
        "No findings in 3 journeys; 77 in the baseline.\n",
        "",
    )

    # reformatting a file (every line moves, keys reordered) changes nothing
    checkout = journeys / "web-checkout.yaml"
    data = yaml.safe_load(checkout.read_text())
    checkout.write_text(yaml.safe_dump(data, sort_keys=True, default_flow_style=False))
    assert run_cli("check", str(journeys), "--baseline", str(baseline), "--fail-on", "warning")[0] == 0

    # a new dead end is the only thing reported
    data["steps"]["guest_details"]["next"] = {
        "delivery": 0.87,
        "gift_wrap": 0.01,
        "guest_details": 0.04,
        "abandoned": 0.08,
    }
    data["steps"]["gift_wrap"] = {"name": "Choose gift wrapping", "owner": "ecommerce", "channel": "web", "effort": 1}
    checkout.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out, _ = run_cli("check", str(journeys), "--baseline", str(baseline), "--fail-on", "warning")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and " ST02 [error] 'Choose gift wrapping' has no next step" in lines[0]
    assert lines[1] == "Found 1 finding (1 error) in 3 journeys; 77 in the baseline."


@pytest.mark.parametrize(
    "text", ["[" * 100_000 + "]" * 100_000, '{"cxaudit_baseline": 1, "findings": [], "n": ' + "9" * 5000 + "}"]
)
def test_hostile_baseline_is_an_input_error(run_cli, tmp_path, text):
    bad = write(tmp_path / "b.json", text)
    assert run_cli("check", str(JOURNEYS[0]), "--baseline", str(bad)) == (
        2,
        "",
        f"cxaudit: {bad} is not a cxaudit baseline: it is not the JSON cxaudit writes\n",
    )


def test_bad_baseline(run_cli, tmp_path):
    bad = write(tmp_path / "b.json", '{"something": 1}')
    assert run_cli("check", str(JOURNEYS[0]), "--baseline", str(bad)) == (
        2,
        "",
        f"cxaudit: {bad} is not a cxaudit baseline (expected 'cxaudit_baseline': 1)\n",
    )
    assert run_cli("check", str(JOURNEYS[0]), "--baseline", str(tmp_path / "none.json"))[2] == (
        f"cxaudit: baseline file not found: {tmp_path / 'none.json'} (write one with --write-baseline)\n"
    )


def sarif_of(run_cli, *args):
    code, out, _err = run_cli("check", *args, "--format", "sarif")
    document = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    return code, document


def test_sarif_validates_and_points_at_the_step(run_cli, tmp_path):
    broken = write(tmp_path / "broken.yaml", DEAD_END)
    code, document = sarif_of(run_cli, str(broken), *map(str, JOURNEYS))
    assert code == 1
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:2] == ["ST01", "ST02"]
    assert all(r["help"]["text"] and r["helpUri"].endswith(f"#{r['id'].lower()}-{r['name']}") for r in rules)
    first = run["results"][0]
    assert first["ruleId"] == "ST02" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 3}
    from cxaudit.engine import fingerprint

    assert first["partialFingerprints"] == {"cxaudit/v1": fingerprint("broken", "ST02", "wait", None)}
    assert rules[first["ruleIndex"]]["id"] == "ST02"
    assert len(run["results"]) == 78


def test_sarif_carries_suppressions_and_input_errors(run_cli, tmp_path):
    suppressed = write(
        tmp_path / "s.yaml",
        DEAD_END.replace("owner: ops}\n  done", 'owner: ops, ignore: {ST02: "known, waiting for the vendor"}}\n  done'),
    )
    code, document = sarif_of(run_cli, str(suppressed), str(FIXTURES / "invalid" / "probability-sum.yaml"))
    assert code == 2
    run = document["runs"][0]
    assert run["results"][0]["suppressions"] == [{"kind": "inSource", "justification": "known, waiting for the vendor"}]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "probabilities of steps.cart.next sum to 0.9, not 1 (steps.cart.next)"
    assert run["invocations"][0]["executionSuccessful"] is False


def test_github_annotations(run_cli, tmp_path, monkeypatch):
    broken = write(
        tmp_path / "broken.yaml", DEAD_END.replace("name: Wait for a decision", 'name: "Wait\\n::error::fake, 100%"')
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = run_cli("check", str(broken))
    assert code == 1
    assert out.splitlines() == [
        f"::error file={broken},line=6,col=3,title=ST02 dead-end::'Wait%0A::error::fake, 100%25' has no next step: "
        "90 customers per period (90.0%25 of all) are stuck there. Fix: Add a `next` to 'wait' that leads customers "
        "on, or make it an outcome if the journey really ends there. Owner: ops.",
        "Found 1 finding (1 error) in 1 journey.",
    ]


def test_junit_parses_with_a_junit_consumer(run_cli, tmp_path):
    from junitparser import Failure, JUnitXml

    broken = write(tmp_path / "broken.yaml", DEAD_END)
    output = tmp_path / "report.xml"
    code, out, _ = run_cli("check", str(broken), str(JOURNEYS[2]), "--format", "junit", "-o", str(output))
    assert (code, out) == (1, "")
    xml = JUnitXml.fromfile(str(output))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"broken", "web-checkout"}
    assert suites["broken"].tests == 18 and suites["broken"].failures == 1
    assert suites["web-checkout"].failures == 22
    failing = [case for case in suites["broken"] if case.result]
    assert [case.name for case in failing] == ["ST02 dead-end"]
    assert isinstance(failing[0].result[0], Failure)


def test_markdown_summary_tables_keep_their_columns(run_cli):
    code, out, _ = run_cli("check", *map(str, JOURNEYS), "--format", "markdown")
    assert code == 0
    assert out.startswith("## cxaudit\n\n**77 findings** (77 warnings) in 3 journeys.\n")
    from tests.test_report import table_shapes

    shapes = table_shapes(out)
    assert [sorted(set(rows)) for rows in shapes] == [[5], [5]]
    assert [len(rows) for rows in shapes] == [51, 4]


def test_output_file_is_written_atomically_and_never_over_an_input(run_cli, tmp_path):
    broken = write(tmp_path / "broken.yaml", DEAD_END)
    target = tmp_path / "out.sarif"
    target.write_text("old")
    os.chmod(target, 0o640)
    code, out, _ = run_cli("check", str(broken), "--format", "sarif", "-o", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    code, _, err = run_cli("check", str(broken), "-o", str(broken))
    assert code == 2 and err == f"cxaudit: refusing to write {broken}: it is an input file\n"
    assert broken.read_text() == DEAD_END
    link = tmp_path / "link.txt"
    link.symlink_to(broken)
    code, _, err = run_cli("check", str(broken), "-o", str(link))
    assert code == 2 and broken.read_text() == DEAD_END


def test_output_to_a_pipe_or_a_device_is_streamed_not_replaced(tmp_path):
    import stat
    import subprocess
    import sys
    import threading

    broken = write(tmp_path / "broken.yaml", DEAD_END)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "check", str(broken), "--format", "sarif", "-o", str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    reader.join(timeout=120)
    assert done.returncode == 1, done.stderr
    assert json.loads(received[0])["version"] == "2.1.0"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "pipe"]
    # /dev/stdout (a link to the process's standard output) and /dev/null stay what they are
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "check", str(broken), "--format", "json", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and json.loads(done.stdout)["cxaudit"]
    before = os.stat("/dev/null")
    done = subprocess.run(
        [sys.executable, "-m", "cxaudit", "check", str(broken), "-o", "/dev/null"], capture_output=True, timeout=120
    )
    after = os.stat("/dev/null")
    assert done.returncode == 1 and stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_plain_lines_equal_the_coloured_ones_without_colour(tmp_path):
    import re

    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run
    from cxaudit.reporters.lint import LintReporter

    broken = write(tmp_path / "broken.yaml", DEAD_END)
    unreadable = write(tmp_path / "bad.yaml", "cxaudit: 1\njourney: {id: x, name: X, volumes: 1}\n")
    escapes = write(
        tmp_path / "escapes.yaml",
        "cxaudit: 1\njourney: {id: x, name: X}\nentry: a\nsteps:\n"
        '  a: {name: "A\\e[2J\\e[31m fake\\n::error::x\\t", next: {ok: 0.5, ko: 0.5}}\n'
        "  ok: {name: OK, type: success}\n  ko: {name: KO, type: abandon}\n",
    )
    files = [str(broken), str(unreadable), str(escapes), str(JOURNEYS[0])]
    report, _ = run(files, ConfigResolver(None, {}), keep_sources=True)
    assert report.problems and report.findings
    assert "A\\x1b[2J\\x1b[31m fake\\n::error::x " in LintReporter().render(report)
    for options in ({}, {"show_source": True}, {"quiet": True}):
        plain = LintReporter(**options).render(report)
        coloured = LintReporter(color=True, **options).render(report)
        assert "\x1b[" in coloured
        assert plain == re.sub(r"\x1b\[[0-9;]*m", "", coloured)


@pytest.mark.parametrize(
    ("output_format", "values"), [("text", False), ("github", False), ("json", True), ("sarif", True), ("junit", True)]
)
def test_fixes_are_valued_only_for_formats_that_show_more_than_findings(run_cli, monkeypatch, output_format, values):
    from cxaudit import engine

    calls = []
    first_order = engine._first_order
    monkeypatch.setattr(engine, "_first_order", lambda *args: calls.append(1) or first_order(*args))
    code, out, err = run_cli("check", str(ROOT / "journeys"), "-f", output_format)
    assert code == 0, err
    assert out
    assert bool(calls) is values


@pytest.mark.parametrize("reporter", ["lint:LintReporter", "github:GithubReporter"])
def test_findings_only_audits_read_the_same_in_the_formats_that_ask_for_them(reporter):
    """The lines are the same from a full audit and from a findings-only one (which check makes for these)."""
    import importlib

    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run

    module, _, name = reporter.partition(":")
    reporter_class = getattr(importlib.import_module(f"cxaudit.reporters.{module}"), name)
    assert reporter_class.findings_only is True
    paths = [str(ROOT / "journeys"), str(FIXTURES / "determinism")]
    full, _ = run(paths, ConfigResolver(None, {}))
    lean, _ = run(paths, ConfigResolver(None, {}), findings_only=True)
    assert any(f.impact.exact for f in full.findings)
    assert not any(f.impact.exact or f.impact.customers_kept for f in lean.findings)
    assert all(a.markov.steps and a.owners and a.path for a in full.audits)
    assert not any(a.markov.steps or a.markov.flows or a.owners or a.path for a in lean.audits)
    assert [a.metrics for a in lean.audits] == [a.metrics for a in full.audits]
    assert reporter_class().render(lean) == reporter_class().render(full)


@pytest.mark.parametrize(
    ("reporter", "findings_only"),
    [("lint:LintReporter", True), ("github:GithubReporter", True), ("json:JsonReporter", False)],
)
def test_a_pool_of_workers_reports_what_one_process_does(monkeypatch, reporter, findings_only):
    """Many files are checked by worker processes; what they send back renders the same."""
    import importlib

    from cxaudit.engine import run as run_module
    from cxaudit.engine.config import ConfigResolver

    module, _, name = reporter.partition(":")
    reporter_class = getattr(importlib.import_module(f"cxaudit.reporters.{module}"), name)
    paths = [str(ROOT / "journeys"), str(FIXTURES / "determinism")]
    resolver = ConfigResolver(None, {})
    monkeypatch.setattr(run_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(run_module, "PARALLEL_BYTES", 10**12)
    alone, alone_failing = run_module.run(paths, resolver, findings_only=findings_only)
    monkeypatch.setattr(run_module, "PARALLEL_BYTES", 1)
    pooled, pooled_failing = run_module.run(paths, resolver, findings_only=findings_only)
    # the workers' results: the factorisation, and for findings only the steps, stayed behind
    assert all(a.markov.chain is None for a in pooled.audits)
    assert all((a.markov.chain is None) is findings_only for a in alone.audits)
    assert all(bool(a.journey.steps) is not findings_only for a in pooled.audits)
    assert all(a.journey.steps for a in alone.audits)
    assert [a.journey.id for a in pooled.audits] == [a.journey.id for a in alone.audits]
    assert pooled_failing == alone_failing
    assert reporter_class().render(pooled) == reporter_class().render(alone)


@pytest.mark.parametrize("reporter", ["lint:LintReporter", "github:GithubReporter"])
@pytest.mark.parametrize(
    "options",
    [{}, {"quiet": True}, {"statistics": True}, {"show_source": True}, {"color": True}],
    ids=["plain", "quiet", "statistics", "source", "color"],
)
@pytest.mark.parametrize("pooled", [False, True], ids=["alone", "pooled"])
def test_findings_only_outputs_made_file_by_file_read_the_same(monkeypatch, tmp_path, reporter, options, pooled):
    """Each file's part of the output is made where the file is checked (in a worker when pooled):
    the output is the one made from the whole report, baseline, suppressions and unreadable files included."""
    import importlib

    from cxaudit.engine import run as run_module
    from cxaudit.engine.config import ConfigResolver

    module, _, name = reporter.partition(":")
    reporter_class = getattr(importlib.import_module(f"cxaudit.reporters.{module}"), name)
    write(tmp_path / "broken.yaml", "cxaudit: 1\njourney: {id: x\n")
    write(
        tmp_path / "suppressed.yaml",
        "cxaudit: 1\njourney: {id: j, name: J}\nentry: pay\nsteps:\n"
        "  pay: {name: Pay, next: {done: 0.5, pay: 0.5}, ignore: {FR03: retry loop accepted}}\n"
        "  done: {type: success, name: Done}\n",
    )
    paths = [str(ROOT / "journeys"), str(FIXTURES / "determinism"), str(tmp_path)]
    resolver = ConfigResolver(None, {})
    whole, whole_failing = run_module.run(paths, resolver, findings_only=True, keep_sources=True)
    baseline = frozenset(f.fingerprint for f in whole.findings[::3])
    whole, whole_failing = run_module.run(paths, resolver, findings_only=True, keep_sources=True, baseline=baseline)
    monkeypatch.setattr(run_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(run_module, "PARALLEL_BYTES", 1 if pooled else 10**12)
    made = reporter_class(**options)
    parted, parted_failing = run_module.run(
        paths, resolver, findings_only=True, keep_sources=True, baseline=baseline, file_output=made.file_part
    )
    assert parted.parts is not None and len(parted.parts) == len(parted.audits) == len(whole.audits)
    assert not parted.findings and not parted.sources  # the parts hold what the output shows
    assert whole.baselined and parted.baselined == whole.baselined
    assert whole.suppressed and whole.problems and parted.problems == whole.problems
    assert parted_failing == whole_failing
    assert made.render(parted) == reporter_class(**options).render(whole)


@pytest.mark.parametrize(
    "error",
    [
        JourneyError([Problem("b.yaml", 3, 1, "late"), Problem("a.yaml", 2, 5, "early", "steps.x")]),
        ConfigError.single("bad option", ".cxaudit.yaml", 4, 2, "rules.CT01"),
        UsageError("no such file or directory: x", "x"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_cross_from_worker_processes_whole(error):
    """A file a worker cannot read comes back as its error, pickled: every problem stays (it once broke the pool)."""
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert again.problems == error.problems
    assert str(again) == str(error)


def test_a_pool_reports_unreadable_files_and_a_bad_configuration(monkeypatch, tmp_path, run_cli):
    from cxaudit.engine import run as run_module

    monkeypatch.setattr(run_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(run_module, "PARALLEL_BYTES", 1)
    for number in range(3):
        write(tmp_path / f"j{number}.yaml", (ROOT / "journeys" / "web-checkout.yaml").read_text())
    write(tmp_path / "broken.yaml", "cxaudit: 1\njourney: {id: x\n")
    code, out, err = run_cli("check", "--quiet", str(tmp_path))
    assert code == 2, err
    assert out.splitlines()[0] == (
        f"{tmp_path / 'broken.yaml'}:3:1: input error: invalid YAML: "
        "a '{...}' mapping is not closed, or its items are not separated by ','"
    )
    write(tmp_path / ".cxaudit.yaml", "rules:\n  CT09: {}\n")
    code, out, err = run_cli("check", "--quiet", str(tmp_path))
    assert (code, out) == (2, "")
    assert "CT09" in err


def test_a_pool_is_used_from_enough_journey_text_in_two_files_or_more(monkeypatch, tmp_path):
    from cxaudit.engine import run as run_module
    from cxaudit.files import STDIN

    monkeypatch.setattr(run_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(run_module, "PARALLEL_BYTES", 100)
    small = [str(write(tmp_path / f"s{i}.yaml", "x" * 30)) for i in range(4)]
    large = [str(write(tmp_path / f"l{i}.yaml", "x" * 100)) for i in range(2)]
    missing = str(tmp_path / "missing.yaml")
    assert run_module._parallel(small[:3]) is False  # 90 bytes
    assert run_module._parallel(small) is True  # 120 bytes
    assert run_module._parallel(large[:1]) is False  # one file: nothing to share
    assert run_module._parallel(large) is True
    assert run_module._parallel([missing, *small[:3]]) is False  # a missing file counts for nothing
    assert run_module._parallel([*large, STDIN]) is False  # standard input is read by this process
    monkeypatch.setattr(run_module.os, "cpu_count", lambda: 1)
    assert run_module._parallel(large) is False


def _threads_after_a_dense_solve(start_worker: bool) -> int:
    import subprocess
    import sys

    script = (
        "import os\n"
        "from cxaudit.engine import run\n"
        + (
            "run._start_worker(run._Job(run.ConfigResolver(), False, False, False, None, None))\n"
            if start_worker
            else ""
        )
        + "import numpy as np\n"
        "np.linalg.solve(np.eye(400) * 2 + np.ones((400, 400)) / 400, np.ones(400))\n"
        "print(len(os.listdir('/proc/self/task')))\n"
    )
    from cxaudit.engine.run import BLAS_THREADS

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    return int(done.stdout)


def test_workers_run_their_linear_algebra_on_one_thread():
    """One worker per core: BLAS threads in each would fight over the cores (40 journeys of 200 steps
    took 1-20 s instead of 0.5 s)."""
    if not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2:
        pytest.skip("needs Linux's /proc and two cores")
    if _threads_after_a_dense_solve(start_worker=False) == 1:
        pytest.skip("numpy's BLAS runs on one thread here anyway")
    assert _threads_after_a_dense_solve(start_worker=True) == 1


def test_workers_start_fresh_when_numpy_is_loaded_already():
    """A forked child would inherit numpy's BLAS threads; a parent that has numpy loaded uses a fork server."""
    import multiprocessing
    import subprocess
    import sys

    import numpy  # noqa: F401  (loaded, as in a program that embeds cxaudit)

    from cxaudit.engine import run as run_module

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform")
    assert run_module._pool_context().get_start_method() == "forkserver"
    script = "from cxaudit.engine import run\nprint(run._pool_context())\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "None\n"  # the command line: numpy not loaded, the platform's own way


def test_the_command_line_forks_its_workers_and_prints_what_one_process_does():
    """The command line has not loaded numpy when the pool starts: workers are forked (Linux)."""
    import subprocess
    import sys

    paths = [str(ROOT / "journeys"), str(FIXTURES / "determinism")]
    script = (
        "import sys\n"
        "from cxaudit.engine import run\n"
        "run.PARALLEL_BYTES = int(sys.argv[1])\n"
        "original = run._pool_context\n"
        "run._pool_context = lambda: print('context', original(), file=sys.stderr) or original()\n"
        "from cxaudit.cli import main\n"
        "main(['check', '--fail-on', 'never', *sys.argv[2:]])\n"
    )
    pooled = subprocess.run([sys.executable, "-c", script, "1", *paths], capture_output=True, text=True)
    alone = subprocess.run([sys.executable, "-c", script, str(10**12), *paths], capture_output=True, text=True)
    assert (pooled.returncode, alone.returncode) == (0, 0), pooled.stderr + alone.stderr
    assert pooled.stderr == "context None\n" and alone.stderr == ""
    assert pooled.stdout == alone.stdout and "Found " in pooled.stdout


def test_checking_one_journey_loads_only_what_it_needs():
    """What pre-commit feels on every commit: one small journey is checked without SciPy,
    networkx or pydantic (typer from 0.29 on imports pydantic for every command it runs); PyYAML
    reads it."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom cxaudit.cli import main\n"
        f"try:\n    main(['check', '--quiet', {str(ROOT / 'journeys' / 'web-checkout.yaml')!r}])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('numpy', 'scipy', 'networkx', 'pydantic', 'yaml') if m in sys.modules)\n"
        "print(','.join(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1] == "numpy,yaml"

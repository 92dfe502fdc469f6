"""`cxaudit audit`, `rules` and `explain` as users run them."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from cxaudit.reporters.json import report_schema
from cxaudit.rules import RULES
from tests.conftest import FIXTURES, JOURNEYS, ROOT

DEAD_END = """cxaudit: 1
journey: {id: broken, name: Broken journey, volume: 100}
entry: apply
steps:
  apply: {name: Apply, next: {wait: 0.9, lost: 0.1}}
  wait: {name: Wait for a decision}
  lost: {type: abandon, name: Gave up}
"""


def test_published_report_schema_is_current():
    assert json.loads((ROOT / "docs" / "audit.schema.json").read_text()) == report_schema()
    jsonschema.Draft202012Validator.check_schema(report_schema())


def test_json_report_of_the_examples_validates_and_is_exact(run_cli):
    code, out, err = run_cli("audit", str(ROOT / "journeys"), "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    jsonschema.validate(report, report_schema())
    assert [j["journey"] for j in report["journeys"]] == ["bank-account-opening", "mobile-plan-change", "web-checkout"]
    for journey in report["journeys"]:
        m = journey["metrics"]
        assert m["completion_rate"] + m["abandonment_rate"] + m["stuck_rate"] == pytest.approx(1)
        assert [f["rank"] for f in journey["findings"] if f["rank"]] == list(range(1, len(journey["findings"]) + 1))


def test_json_report_of_the_spec_example(run_cli):
    code, out, _ = run_cli("audit", str(FIXTURES / "spec_example.yaml"), "-f", "json")
    assert code == 0
    journey = json.loads(out)["journeys"][0]
    assert journey["metrics"]["first_contact_resolution"] == pytest.approx(0.941772151898734, abs=1e-12)
    assert journey["path"]["steps"] == ["browse", "cart", "pay", "done"]
    steps = {s["id"]: s for s in journey["steps"]}
    assert steps["browse"]["expected_visits"] == pytest.approx(1.111111111111, abs=1e-12)
    assert set(journey["findings"][0]) == {
        "rank", "code", "name", "severity", "journey", "step", "target", "owner", "file", "line", "column",
        "message", "impact", "remediation", "fingerprint", "suppressed", "element",
    }  # fmt: skip
    assert journey["findings"][0]["element"] is None and steps["browse"]["element"] is None  # written in YAML


def test_json_output_is_deterministic(run_cli):
    first = run_cli("audit", str(ROOT / "journeys"), "-f", "json")[1]
    assert run_cli("audit", str(ROOT / "journeys"), "-f", "json")[1] == first


def test_json_output_does_not_depend_on_the_processs_string_hashing():
    """Python hashes strings differently in every process; no number may follow a set's order.

    These two journeys have contact steps whose repeat contacts go to several
    steps: summed in a set's order, their estimated value changed in the last
    digits from one run to the next.
    """
    import subprocess
    import sys

    files = sorted(str(p) for p in (FIXTURES / "determinism").glob("*.yaml"))
    outputs = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        done = subprocess.run(
            [sys.executable, "-m", "cxaudit", "audit", *files, "-f", "json"],
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_errors_fail_and_warnings_fail_only_when_asked(run_cli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEAD_END)
    code, out, _ = run_cli("audit", str(broken))
    assert code == 1
    assert "ST02 dead-end" in out
    assert run_cli("audit", str(broken), "--fail-on", "never")[0] == 0
    assert run_cli("audit", str(JOURNEYS[0]))[0] == 0
    assert run_cli("audit", str(JOURNEYS[0]), "--fail-on", "warning")[0] == 1


def test_bad_file_is_reported_and_the_others_still_audited(run_cli):
    bad = FIXTURES / "invalid" / "probability-sum.yaml"
    code, out, err = run_cli("audit", str(bad), str(JOURNEYS[0]), "-f", "json")
    assert code == 2
    assert err == f"{bad}:27:11: probabilities of steps.cart.next sum to 0.9, not 1 (steps.cart.next)\n"
    assert len(json.loads(out)["journeys"]) == 1


def test_bad_options_are_usage_errors(run_cli):
    code, _, err = run_cli("audit", str(JOURNEYS[0]), "--fail-on", "sometimes")
    assert code == 2 and "'sometimes' is not one of error, warning, info, never" in err
    code, _, err = run_cli("audit", str(JOURNEYS[0]), "--format", "xml")
    assert code == 2 and "'xml' is not one of text, json" in err


@pytest.mark.parametrize("width", [80, 160])
def test_text_report_fits_the_terminal(run_cli, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    from cxaudit.cli import main

    with pytest.raises(SystemExit) as done:
        main(["audit", str(ROOT / "journeys")])
    assert done.value.code == 0


def test_text_report_sections(run_cli, capsys, monkeypatch):
    from cxaudit.engine import audit
    from cxaudit.engine.report import Report
    from cxaudit.journey.load import load_journey
    from cxaudit.reporters.text import TextReporter

    audits = [audit(load_journey(p)) for p in JOURNEYS]
    for width in (80, 120, 200):
        text = TextReporter(width=width, top=5).render(Report(tuple(audits)))
        assert max(len(line) for line in text.splitlines()) <= width
        for heading in (
            "Remediation, most valuable first",
            "Contacts we caused, by the team whose step caused them",
            "Most probable path to success",
            "Portfolio",
        ):
            assert heading in text
        assert "\x1b" not in text
    assert text.rstrip().endswith("3 journeys, 77 findings (0 errors, 77 warnings, 0 info).")


def test_rules_lists_the_catalog(run_cli):
    code, out, _ = run_cli("rules")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Code", "Name", "Group", "Severity", "Finds"]
    assert [line.split()[0] for line in lines[1:] if line[:2].isupper() and line[2:4].isdigit()] == list(RULES)


def test_explain_prints_the_documentation(run_cli):
    code, out, _ = run_cli("explain", "FR02")
    assert code == 0
    assert out.startswith("FR02 drop-off-hotspot (friction, default severity warning)\n")
    for part in ("What it finds", "Why it hurts customers", "How to fix it", "Failing example", "Options"):
        assert part in out
    assert "min_share (default 0.1)" in out
    assert run_cli("explain", "dead-end")[1].startswith("ST02 dead-end")


def test_explain_unknown_rule(run_cli):
    assert run_cli("explain", "FR2") == (2, "", "cxaudit: unknown rule 'FR2'; did you mean 'FR02'?\n")


def test_the_collector_is_off_during_a_command_and_back_on_after(run_cli, monkeypatch):
    import gc

    import cxaudit.engine.run

    seen = []
    real = cxaudit.engine.run._one

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(cxaudit.engine.run, "_one", spy)
    assert gc.isenabled()
    code, _, _ = run_cli("audit", str(JOURNEYS[0]), "--format", "json")
    assert code == 0 and seen == [False]
    assert gc.isenabled()  # an embedding caller gets its collector back
    code, _, _ = run_cli("audit", "no-such-file.yaml")
    assert code == 2 and gc.isenabled()  # also after an error


def test_the_program_exits_quickly_with_all_its_output_and_its_code(tmp_path):
    """`cxaudit` ends with os._exit after flushing: nothing written may be lost, the exit code kept."""
    import subprocess
    import sys

    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}

    def program(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "cxaudit", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, env=buffered)

    done = program("audit", str(ROOT / "journeys"), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["journeys"]) == len(JOURNEYS)  # all of it, through a pipe
    missing = program("audit", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 2
    assert missing.stderr == f"cxaudit: no such file or directory: {tmp_path / 'missing.yaml'}\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEAD_END)
    assert program("check", str(broken)).returncode == 1
    explained = program("explain", "FR02")  # written without a flush of its own
    assert explained.returncode == 0
    assert explained.stdout.startswith("FR02 drop-off-hotspot")
    assert explained.stdout.endswith(RULES["FR02"].documentation() + "\n")


def test_the_program_exits_normally_under_a_tracer(monkeypatch):
    """Coverage and profilers write their results at exit: with one active, no os._exit."""
    import importlib
    import sys

    from cxaudit import cli

    app = importlib.import_module("cxaudit.cli.app")
    monkeypatch.setattr(app.os, "_exit", lambda code: pytest.fail(f"os._exit({code}) under a tracer"))
    monkeypatch.setattr(sys, "argv", ["cxaudit", "--version"])
    previous = sys.gettrace()
    sys.settrace(lambda *args: None)
    try:
        with pytest.raises(SystemExit) as exited:
            cli.entry()
    finally:
        sys.settrace(previous)
    assert exited.value.code == 0

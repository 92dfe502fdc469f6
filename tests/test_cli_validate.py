"""`cxaudit validate`, `cxaudit schema`, exit codes and error handling."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, JOURNEYS, ROOT

INVALID = FIXTURES / "invalid"


def test_valid_directory_exits_0(run_cli):
    code, out, err = run_cli("validate", str(ROOT / "journeys"))
    assert (code, out) == (0, "")
    assert err == f"{len(JOURNEYS)} files valid.\n"


def test_every_problem_of_every_file_is_printed_and_exit_is_2(run_cli):
    bad_sum = str(INVALID / "probability-sum.yaml")
    many = str(INVALID / "many-problems.yaml")
    code, out, err = run_cli("validate", bad_sum, str(JOURNEYS[0]), many)
    assert code == 2
    lines = out.splitlines()
    assert lines[0] == f"{bad_sum}:27:11: probabilities of steps.cart.next sum to 0.9, not 1 (steps.cart.next)"
    assert len(lines) == 1 + 9
    assert all(line.startswith(many) for line in lines[1:])
    assert err == "10 problems in 2 of 3 files.\n"


def test_quiet_prints_problems_only(run_cli):
    code, out, err = run_cli("validate", "-q", str(INVALID / "effort-range.yaml"))
    assert code == 2 and err == ""
    assert out.endswith("'effort' must be a whole number from 1 to 5, not 7 (steps.start.effort)\n")


def test_stdin(run_cli):
    text = (INVALID / "probability-sum.yaml").read_bytes()
    code, out, _ = run_cli("validate", "-", stdin=text)
    assert code == 2
    assert out == "<stdin>:27:11: probabilities of steps.cart.next sum to 0.9, not 1 (steps.cart.next)\n"
    code, out, _ = run_cli("validate", "-", stdin=JOURNEYS[0].read_bytes())
    assert (code, out) == (0, "")


def test_missing_path_is_a_usage_error(run_cli):
    code, out, err = run_cli("validate", "no/such/dir")
    assert (code, out, err) == (2, "", "cxaudit: no such file or directory: no/such/dir\n")


def test_directory_without_journeys(run_cli, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = run_cli("validate", str(tmp_path))
    assert code == 2
    assert err == f"cxaudit: no journey files (*.yaml, *.yml, *.bpmn) found in: {tmp_path}\n"


def test_directories_recurse_in_sorted_order_and_skip_hidden(run_cli, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "z.yml").write_text("")
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / ".git" / "x.yaml").write_text("")
    code, out, _ = run_cli("validate", str(tmp_path))
    assert code == 2
    assert [line.split(":")[0] for line in out.splitlines()] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b" / "z.yml"),
    ]


def test_unknown_option_is_a_usage_error(run_cli):
    code, _, err = run_cli("validate", "--bogus", "x")
    assert code == 2
    assert "No such option: --bogus" in err


def test_version(run_cli):
    from cxaudit import __version__

    assert run_cli("--version") == (0, f"cxaudit {__version__}\n", "")


def test_internal_error_is_one_line_and_debug_shows_traceback(run_cli, monkeypatch):
    import cxaudit.journey.load

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cxaudit.journey.load, "load_named", boom)
    code, out, err = run_cli("validate", str(JOURNEYS[0]))
    assert (code, out) == (3, "")
    assert err == (
        "cxaudit: internal error: RuntimeError: kaboom. This is a bug in cxaudit; "
        "run again with --debug for the traceback and report it.\n"
    )
    with pytest.raises(RuntimeError, match="kaboom"):
        from cxaudit.cli import main

        main(["--debug", "validate", str(JOURNEYS[0])])


def test_terminal_escapes_in_problems_are_neutralised(run_cli, tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text('cxaudit: 1\njourney: {id: j, name: J}\nentry: s\nsteps:\n  s: {name: S, owner: "\\e[2Jevil"}\n')
    code, out, _ = run_cli("validate", str(path))
    assert code == 2
    assert "\x1b" not in out


def test_schema_command_prints_the_schema(run_cli):
    from cxaudit.schema import journey_schema

    code, out, _ = run_cli("schema")
    assert code == 0
    assert json.loads(out) == journey_schema()


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "cxaudit", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("cxaudit ")


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\nfrom cxaudit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('numpy', 'scipy', 'networkx', 'yaml') if m in sys.modules)\n"
        "print(','.join(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1:] in ([], [""])

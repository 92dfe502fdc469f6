"""Rules of one's own: the plugin API, the entry-point group cxaudit.rules, and cxaudit.testing.

The example plugin of examples/cxaudit-example-plugin is registered the way
pip registers an installed package (a dist-info directory with its entry
points on the path) and run by cxaudit in a process of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from cxaudit.rules import BUILT_IN_RULES
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "cxaudit-example-plugin"
JOURNEY = """cxaudit: 1
journey: {id: j, name: J}
entry: a
steps:
  a: {name: Fill the form, next: {b: 1}}
  b: {name: Sign, next: {done: 1}, ignore: {AC01: "signed on paper, on purpose"}}
  done: {name: Done, type: success}
"""


def register(tmp_path, entry_points: str, name: str = "cxaudit-example-plugin"):
    """An environment in which a package of that name is installed with those entry points."""
    site = tmp_path / "site"
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[cxaudit.rules]\n{entry_points}\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(site), str(ROOT)])}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.pop("CXAUDIT_NO_PLUGINS", None)
    return env


def cxaudit(env, *args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxaudit", *args], env=env, capture_output=True, text=True, cwd=cwd, check=False
    )


def test_the_built_in_rules_are_registered_as_a_plugin_registers_its_own():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["cxaudit.rules"]
    assert declared == {code: f"{rule.__module__}:{rule.__name__}" for code, rule in BUILT_IN_RULES.items()}


def test_a_plugin_rule_is_a_rule_like_the_built_ins(tmp_path):
    env = register(tmp_path, "AC01 = cxaudit_example_plugin:NoChannel")
    journey = tmp_path / "j.yaml"
    journey.write_text(JOURNEY)
    listed = cxaudit(env, "rules")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:4] for line in listed.stdout.splitlines() if line.startswith("AC01")] == [
        ["AC01", "no-channel", "plugin", "info"]
    ]
    found = cxaudit(env, "check", str(journey), "--select", "AC01")
    assert found.stdout.splitlines() == [
        f"{journey}:5:3: AC01 [info] 'Fill the form' names no channel, and 100% of customers reach it "
        "(its transitions add up to 1)",
        "Found 1 finding (1 info) in 1 journey; 1 suppressed.",
    ]  # 'Sign' ignores AC01 in the file
    assert found.returncode == 0
    failing = cxaudit(env, "check", str(journey), "--select", "AC01", "--fail-on", "info")
    assert failing.returncode == 1
    assert "AC01" not in cxaudit(env, "check", str(journey), "--ignore", "AC01").stdout
    sarif = cxaudit(env, "check", str(journey), "--format", "sarif")
    assert '"id": "AC01"' in sarif.stdout and '"ruleId": "AC01"' in sarif.stdout
    explained = cxaudit(env, "explain", "no-channel")
    assert explained.stdout.startswith("AC01 no-channel (plugin, default severity info)\n")
    assert "min_reach (default 0): share of entering customers who must reach the step" in explained.stdout
    assert len(list((tmp_path / "cache" / "cxaudit").glob("entry-points-*.json"))) == 1  # read next time


def test_a_plugin_author_tests_a_rule_with_yaml_cases(tmp_path):
    env = register(tmp_path, "AC01 = cxaudit_example_plugin:NoChannel")
    script = (
        "from cxaudit.testing import assert_case, load_cases\n"
        f"cases = load_cases({str(EXAMPLE / 'tests' / 'AC01.yaml')!r})\n"
        "for case in cases:\n    assert_case(case)\n"
        "case = cases[0]\n"
        "wrong = type(case)(**{**case.__dict__, 'expect': [{'step': 'a', 'line': 6}]})\n"
        "try:\n    assert_case(wrong)\nexcept AssertionError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("AC01 a_step_without_a_channel_fails: expected [{'step': 'a', 'line': 6}], found ")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("XX01 = no_such_module:Rule", "cannot be loaded: ModuleNotFoundError: No module named 'no_such_module'"),
        ("XX01 = cxaudit.fmt:count", "is not a rule: subclass cxaudit.plugins.Rule"),
        ("AC09 = cxaudit_example_plugin:NoChannel", "has the code AC01, which another plugin rule has"),
    ],
)
def test_a_broken_plugin_is_named_and_exits_2(tmp_path, entry, problem):
    env = register(tmp_path, entry + ("\nAC01 = cxaudit_example_plugin:NoChannel" if entry.startswith("AC09") else ""))
    journey = tmp_path / "j.yaml"
    journey.write_text(JOURNEY)
    done = cxaudit(env, "check", str(journey))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("cxaudit: the plugin rule '")
    assert "of cxaudit-example-plugin (" in done.stderr and problem in done.stderr
    assert "Traceback" not in done.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_text(JOURNEY.replace(', ignore: {AC01: "signed on paper, on purpose"}', ""))
    assert cxaudit({**env, "CXAUDIT_NO_PLUGINS": "1"}, "check", str(plain)).returncode == 0  # cxaudit alone

"""The GitHub Action (action.yml): its shell steps run as written, on a repository with a pull request's change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from cxaudit.reporters.changes import MARKER
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="the action's steps need git and bash"
)

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {step.get("id"): step for step in ACTION["runs"]["steps"]}


def _run_step(step: dict, cwd, inputs: dict[str, str], extra: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Run a composite step's bash script with its env, the action's inputs filled in."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    for key, value in step.get("env", {}).items():
        for name, given in inputs.items():
            value = value.replace("${{ inputs." + name + " }}", given)
        env[key] = value
    env.update(extra)  # what GitHub would fill in (the base commit)
    output = cwd / "github-output"
    output.write_text("")
    env["GITHUB_OUTPUT"] = str(output)
    env["GITHUB_STEP_SUMMARY"] = str(cwd / "summary.md")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True)
    assert "Traceback" not in done.stderr
    written = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, written


@pytest.fixture
def pull_request(tmp_path):
    repo = tmp_path / "repo"
    (repo / "journeys").mkdir(parents=True)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "config", "user.email", "test@example.com"], check=True)
    subprocess.run([*git, "config", "user.name", "test"], check=True)
    for source in ROOT.joinpath("journeys").glob("*.yaml"):
        shutil.copy(source, repo / "journeys" / source.name)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    base = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    bank = repo / "journeys" / "bank-account-opening.yaml"
    bank.write_text(
        bank.read_text().replace("{id_upload: 0.80, abandoned: 0.20}", "{id_upload: 0.92, abandoned: 0.08}")
    )
    subprocess.run([*git, "commit", "-qam", "fewer give up at the upload"], check=True)
    # the action fetches the base from origin: the repository is its own origin here
    subprocess.run([*git, "remote", "add", "origin", str(repo)], check=True)
    return repo, base


def test_the_check_step_writes_sarif_a_summary_and_its_exit_code(pull_request):
    repo, _ = pull_request
    inputs = {"paths": "journeys/", "fail-on": "warning", "config": ""}
    code, outputs = _run_step(STEPS["check"], repo, inputs, {"GITHUB_ACTIONS": "true"})
    assert code == 0  # the step records the exit code; the last step fails the job on it
    assert outputs["exit-code"] == "1"  # the example journeys have warnings
    sarif = json.loads((repo / "cxaudit.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert (repo / "summary.md").read_text().strip()
    inputs["fail-on"] = "never"
    assert _run_step(STEPS["check"], repo, inputs, {})[1]["exit-code"] == "0"


def test_the_compare_step_writes_the_comment_the_script_finds_by_its_marker(pull_request):
    repo, base = pull_request
    inputs = {"paths": "journeys/", "config": ""}
    code, _ = _run_step(STEPS["compare"], repo, inputs, {"BASE": base})
    assert code == 0
    comment = (repo / "cxaudit-compare.md").read_text()
    assert comment.startswith(MARKER + "\n")
    assert "| Current account opening (`journeys/bank-account-opening.yaml`) | modified |" in comment
    script = next(step for step in ACTION["runs"]["steps"] if step.get("uses", "").startswith("actions/github-script"))
    assert f'const marker = "{MARKER}";' in script["with"]["script"]
    assert "cxaudit-compare.md" in script["with"]["script"]


def test_the_action_declares_its_public_inputs():
    assert set(ACTION["inputs"]) >= {"paths", "fail-on", "config", "comment"}
    assert ACTION["runs"]["using"] == "composite"

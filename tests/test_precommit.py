"""The shipped pre-commit hook, run by the real pre-commit against a repository of journeys."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import JOURNEYS, ROOT

BROKEN = "cxaudit: 1\njourney: {id: b, name: B}\nentry: a\nsteps:\n  a: {name: A, next: {w: 0.5, d: 0.5}}\n  w: {name: W}\n  d: {name: D, type: success}\n"


def pre_commit() -> list[str] | None:
    if shutil.which("git") is None:
        return None
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


def snapshot(repo: Path, env: dict[str, str]) -> str:
    """A repository holding this checkout's files as they are now, committed; its commit.

    What pre-commit's try-repo does, kept here so that the hook is installed
    once, by a ``.pre-commit-config.yaml`` as users write it, and then used by
    both runs (pre-commit keeps an environment per repository and revision).
    """
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
    ).stdout.decode("utf-8")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a deleted file is still listed until the deletion is committed
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "snapshot"], cwd=repo, check=True, env=env)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


@pytest.mark.slow
@pytest.mark.skipif(pre_commit() is None, reason="pre-commit or git not installed")
def test_pre_commit_hook_fails_on_a_dead_end_and_passes_on_clean_journeys(tmp_path: Path):
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "NO_COLOR": "1",
    }
    env.pop("GITHUB_ACTIONS", None)
    hooks = tmp_path / "cxaudit"
    rev = snapshot(hooks, env)
    repo = tmp_path / "repo"
    (repo / "journeys").mkdir(parents=True)
    shutil.copy(JOURNEYS[2], repo / "journeys" / "checkout.yaml")
    (repo / "journeys" / "broken.yaml").write_text(BROKEN)
    (repo / "ci.yaml").write_text("not: a journey\n")  # outside journeys/: the hook's pattern skips it
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_uri()}\n    rev: {rev}\n    hooks:\n      - id: cxaudit\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    command = [*pre_commit(), "run", "--all-files"]

    failed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "journeys/broken.yaml:6:3: ST02 [error] 'W' has no next step" in failed.stdout
    assert "ci.yaml" not in failed.stdout

    (repo / "journeys" / "broken.yaml").unlink()
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    passed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.fullmatch(r"cxaudit\.+Passed\n", passed.stdout), passed.stdout  # the hook ran, on the journeys

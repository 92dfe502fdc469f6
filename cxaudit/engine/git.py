"""git, as compare uses it: a file at a revision, and what changed between two."""

from __future__ import annotations

import subprocess

from cxaudit.errors import UsageError


def run_git(directory: str, *args: str) -> tuple[bytes, str | None]:
    """What git printed, and the last line of its complaint when it failed."""
    try:
        done = subprocess.run(["git", "-C", directory, *args], capture_output=True, timeout=120, check=False)
    except FileNotFoundError:
        raise UsageError("--rev needs git, and git is not installed") from None
    if done.returncode == 0:
        return done.stdout, None
    reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return done.stdout, reason[-1] if reason else "unknown error"


def git(directory: str, *args: str) -> str:
    """What git printed (text); an error when it failed."""
    out, failed = run_git(directory, *args)
    if failed is not None:
        raise UsageError(f"git {args[0]} failed: {failed}")
    return out.decode("utf-8", "surrogateescape")


def git_show(directory: str, revision: str, name: str, shown: str) -> bytes:
    """The file ``name`` (relative to ``directory``; ``./`` for its own folder) at ``revision``.

    Raises
    ------
    UsageError
        git is missing, or cannot show the file there (``shown`` names it).
    """
    out, failed = run_git(directory, "show", f"{revision}:{name}")
    if failed is not None:
        raise UsageError(f"git cannot show {shown} at {revision}: {failed}")
    return out

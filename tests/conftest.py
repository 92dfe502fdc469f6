from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Bounded by default so the suite stays fast; `pytest --hypothesis-profile=long` digs deeper.
settings.register_profile("default", max_examples=60, deadline=None, derandomize=True)  # same examples in every CI run
settings.register_profile("long", max_examples=5000, deadline=None)
settings.load_profile("default")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
JOURNEYS = sorted((ROOT / "journeys").glob("*.yaml"))


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run ``cxaudit ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from cxaudit.cli import main

    def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
        monkeypatch.setenv("COLUMNS", "100")
        if stdin is not None:
            import io
            import sys

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        out, err = capsys.readouterr()
        return exited.value.code, out, err

    return run


# Run by hand with atheris (see docs/reliability.md), not collected by pytest.
collect_ignore = ["fuzz/fuzz_loader.py"]

from __future__ import annotations

from pathlib import Path

import pytest

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

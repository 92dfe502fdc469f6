"""Mutation fuzzing of the loader and the CLI: every input ends in exit 0, 1 or 2, with a message, quickly.

Bounded for CI (CXAUDIT_FUZZ_ROUNDS sets how many mutations, 300 by default).
"""

from __future__ import annotations

import io
import os
import random
import sys

import pytest

from cxaudit.cli import main
from tests.conftest import FIXTURES, JOURNEYS
from tests.fuzz.mutate import mutate

ROUNDS = int(os.environ.get("CXAUDIT_FUZZ_ROUNDS", "300"))
SEEDS = [*JOURNEYS, FIXTURES / "spec_example.yaml"]


def run(args: list[str], data: bytes, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return done.value.code, out, err


@pytest.mark.parametrize("command", [["validate", "-"], ["check", "-", "--format", "sarif"], ["audit", "-"]])
def test_mutated_journeys_never_crash_or_hang(command, capsys, monkeypatch):
    rng = random.Random(f"{command[0]}-20261122")
    for round_ in range(ROUNDS // 3):
        seed = SEEDS[round_ % len(SEEDS)].read_bytes()
        data = seed
        for _ in range(rng.randint(1, 3)):
            data = mutate(data, rng)
        code, out, err = run(command, data, capsys, monkeypatch)
        assert code in (0, 1, 2), (code, err, data[:200])
        assert "Traceback" not in out + err and "internal error" not in err, (err, data[:300])
        if code == 2:
            assert (out + err).strip(), data[:200]

"""Instructions a file: what a worker of `cxaudit check` executes per journey, against `yaml.load`.

Wall-clock times on a shared machine drift by tens of percent within
minutes; instruction counts do not. This script runs valgrind's cachegrind
on one process that checks journeys as a pool worker does (the benchmark's
30-step journeys, `check`'s text output), once with 20 files and once with
20 + N, and prints the difference per file; the same for a process that
only does `yaml.load` (CSafeLoader) on the files, P5's floor. Needs
valgrind (`apt install valgrind`); several minutes for N = 100.

    python benchmarks/instructions.py            # N = 100
    python benchmarks/instructions.py --files 50
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

WORKER = """
import gc, sys
from cxaudit.engine.config import ConfigResolver
from cxaudit.reporters.lint import LintReporter
from cxaudit.engine.run import _check, _Job
files = sys.argv[2:]
reporter = LintReporter(quiet=True)
job = _Job(ConfigResolver(None, {}), False, False, True, None, reporter.file_part)
gc.disable()
for name in files[: int(sys.argv[1])]:
    _check(name, job)
"""

FLOOR = """
import sys, yaml
for name in sys.argv[2:][: int(sys.argv[1])]:
    with open(name, encoding="utf-8") as f:
        yaml.load(f, Loader=yaml.CSafeLoader)
"""


def instructions(script: Path, count: int, files: list[str]) -> int:
    """Instructions valgrind counts for ``script`` run on the first ``count`` files."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run(
        [*valgrind, sys.executable, str(script), str(count), *files],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100, help="journeys counted (after 20 to warm up)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        for i in range(20 + args.files):
            path = folder / f"j{i:04d}.yaml"
            path.write_text(generate(30, seed=i), encoding="utf-8")
            files.append(str(path))
        for label, code in (("cxaudit check, per file", WORKER), ("yaml.load, per file", FLOOR)):
            script = folder / "count.py"
            script.write_text(code)
            base = instructions(script, 20, files)
            more = instructions(script, 20 + args.files, files)
            print(f"{label:<26}{(more - base) / args.files:>14,.0f} instructions")


if __name__ == "__main__":
    main()

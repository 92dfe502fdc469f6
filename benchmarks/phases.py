"""Where P1's time goes: each phase of `cxaudit audit --format json` on a large journey, against P1's floor.

    python benchmarks/phases.py                  # 10,000 steps, 5 runs
    python benchmarks/phases.py --steps 100000 --runs 3

Each run is a fresh process, so imports are as cold as in the command. The
phases, in the order the command does them: importing the command line,
reading and validating the journey (PyYAML's C composer, then cxaudit's
values and model), importing numpy and SciPy's sparse solver (a chain of more
than 400 steps is solved sparsely), auditing (structure, the exact chain,
every rule, ranking and valuing the fixes), and writing the JSON. The floor
is P1's: a fresh process running ``yaml.load`` (CSafeLoader) of the file.
Each figure is the median of the runs; the floor is measured in turns with
them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate
from run import PYTHON, compile_package

PHASES = """import gc, json, sys, time
started = time.perf_counter()
marks = {}
def mark(name):
    global started
    now = time.perf_counter()
    marks[name] = now - started
    started = now
gc.disable()  # as the command runs
import cxaudit.cli.app
mark("import the command line")
from cxaudit.journey.load import load_journey
journey = load_journey(sys.argv[1])
mark("read and validate the journey")
import numpy, scipy.sparse.linalg
mark("import numpy and SciPy's sparse solver")
from cxaudit.engine import audit
from cxaudit.engine.report import Report
result = audit(journey)
mark("audit: structure, chain, rules, fixes")
from cxaudit.reporters.json import JsonReporter
JsonReporter().render(Report(audits=[result]))
mark("write the JSON")
print(json.dumps(marks))
"""
FLOOR = """import sys, yaml
with open(sys.argv[1], encoding="utf-8") as stream:
    yaml.load(stream, Loader=yaml.CSafeLoader)
"""


def timed(command: list[str]) -> tuple[float, str]:
    """Wall time and standard output of one process."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_package()
    with tempfile.TemporaryDirectory() as tmp:
        journey = Path(tmp) / "journey.yaml"
        journey.write_text(generate(args.steps), encoding="utf-8")
        ours_script, floor_script = Path(tmp) / "phases.py", Path(tmp) / "floor.py"
        ours_script.write_text(PHASES)
        floor_script.write_text(FLOOR)
        timed([PYTHON, str(floor_script), str(journey)])  # warm-up of the file and the interpreter
        floors, totals, phases = [], [], {}
        for _ in range(args.runs):
            floors.append(timed([PYTHON, str(floor_script), str(journey)])[0])
            total, said = timed([PYTHON, str(ours_script), str(journey)])
            totals.append(total)
            for name, seconds in json.loads(said).items():
                phases.setdefault(name, []).append(seconds)
    floor = statistics.median(floors)
    print(f"{args.steps:,} steps; floor (yaml.load, whole process): {floor:.3f} s, median of {args.runs}")
    print(f"{'phase':<45} {'seconds':>8} {'of floor':>9}")
    for name, samples in phases.items():
        seconds = statistics.median(samples)
        print(f"{name:<45} {seconds:8.3f} {seconds / floor:9.2f}")
    total = statistics.median(totals)
    print(f"{'whole process (interpreter start included)':<45} {total:8.3f} {total / floor:9.2f}")


if __name__ == "__main__":
    main()

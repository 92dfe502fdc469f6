"""`cxaudit discover` on a large Parquet log, on each engine, against a bare GROUP BY of the same engine.

    python benchmarks/engines.py                          # 10,000,000 events, both engines, 3 runs
    python benchmarks/engines.py --events 1000000 --runs 5 --engine duckdb

The log is the one of benchmarks/logs.py (1,000,000 cases of 10 events over
40 activities), written as Parquet. Each engine's floor is one process
counting the log's activities on that engine: DuckDB's
``SELECT activity, count(*) ... GROUP BY``, and a local Spark session's
``DataFrame.groupBy(activity).count()`` (the JVM's start in both Spark
commands). For DuckDB, two parts of the work that any discovery has to do
(counting the cases, and counting the directly-follows pairs) are each
measured alone against the same floor. Peak memory is that of the whole process tree, the JVM
included, sampled every 50 ms from /proc (Linux).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from logs import make_log
from run import PYTHON

FLOORS = {
    "duckdb": """import sys, duckdb
query = 'SELECT "concept:name", count(*) FROM read_parquet(' + repr(sys.argv[1]) + ') GROUP BY ALL'
duckdb.sql(query).fetchall()
""",
    "spark": """import os, sys
from pyspark.sql import SparkSession
session = (SparkSession.builder.master("local[*]").config("spark.ui.showConsoleProgress", "false")
           .config("spark.sql.shuffle.partitions", str(2 * os.cpu_count())).getOrCreate())
session.read.parquet(sys.argv[1]).groupBy("concept:name").count().collect()
session.stop()
""",
}
TARGETS = {"duckdb": 2.0, "spark": None}
"""The ratio each engine should stay within (issue 25 sets DuckDB's; Spark's is recorded)."""
PIECES = {
    "duckdb": {
        "counting the cases": """import sys, duckdb
log = "read_parquet(" + repr(sys.argv[1]) + ")"
duckdb.sql('SELECT count(DISTINCT "case:concept:name") FROM ' + log).fetchall()
""",
        "counting the directly-follows pairs in file order": """import sys, duckdb
log = "read_parquet(" + repr(sys.argv[1]) + ")"
following = 'CASE WHEN lead("case:concept:name") OVER () = "case:concept:name" THEN lead("concept:name") OVER () END'
pairs = 'SELECT "concept:name", ' + following + ' AS following FROM ' + log
duckdb.sql("SELECT *, count(*) FROM (" + pairs + ") GROUP BY ALL").fetchall()
""",
    },
    "spark": {},
}
"""Parts of the work any discovery has to do, each alone against the same floor: no design goes below them."""


def _tree_rss(root: int) -> int:
    """The resident memory (KiB) of ``root`` and every process under it, now."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total


def run_tree(command: list[str]) -> tuple[float, int]:
    """Wall time and the process tree's peak resident memory (KiB) of one run."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        if process.returncode not in (0, 1):
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{' '.join(command)} failed with {process.returncode}: " + "\n".join(said))
    return elapsed, peak


def measure_pair(ours: list[str], floor: list[str], runs: int) -> tuple[tuple, tuple]:
    """Both commands in turns (floor, ours, ...) after a warm-up each: median time, spread, peak memory."""
    run_tree(floor)
    run_tree(ours)
    samples: dict[int, list[tuple[float, int]]] = {0: [], 1: []}
    for _ in range(runs):
        samples[1].append(run_tree(floor))
        samples[0].append(run_tree(ours))

    def summary(pairs: list[tuple[float, int]]) -> tuple[float, float, int]:
        times = [elapsed for elapsed, _ in pairs]
        return statistics.median(times), max(times) - min(times), max(peak for _, peak in pairs)

    return summary(samples[0]), summary(samples[1])


def write_parquet(path: Path, events: int) -> None:
    import duckdb

    csv = path.with_suffix(".csv")
    make_log(csv, events)
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{path}' (FORMAT parquet)")
    csv.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=sorted(FLOORS), action="append", help="(default: both)")
    parser.add_argument("--write-log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_log:
        write_parquet(args.write_log, args.events)
        return
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "events.parquet"
        # made in a child process, so that its memory is not counted in the peaks below
        subprocess.run([PYTHON, __file__, "--write-log", str(log), "--events", str(args.events)], check=True)
        print(f"log: {args.events:,} events, {log.stat().st_size / 1024**2:,.0f} MiB of Parquet")
        for engine in args.engine or sorted(FLOORS):
            floor_script = Path(tmp) / f"floor_{engine}.py"
            floor_script.write_text(FLOORS[engine])
            discover = [PYTHON, "-m", "cxaudit", "discover", str(log), "--engine", engine, "-o", str(Path(tmp) / "j")]
            discover += ["--success", "Done", "--abandon", "Gave up", "--history", "1"]
            floor_command = [PYTHON, str(floor_script), str(log)]
            ours, floor = measure_pair(discover, floor_command, args.runs)
            ratio = ours[0] / floor[0]
            target = TARGETS[engine]
            verdict = "recorded" if target is None else f"target <= {target}: {'PASS' if ratio <= target else 'FAIL'}"
            print(f"{engine}: discover {ours[0]:.2f}s ±{ours[1]:.2f}, peak {ours[2] / 1024:,.0f} MiB")
            print(f"{engine}: floor    {floor[0]:.2f}s ±{floor[1]:.2f}, peak {floor[2] / 1024:,.0f} MiB")
            print(f"{engine}: ratio {ratio:.2f} ({verdict}); memory ratio {ours[2] / floor[2]:.2f}")
            for n, (what, script) in enumerate(PIECES[engine].items()):
                piece_script = Path(tmp) / f"piece_{engine}_{n}.py"
                piece_script.write_text(script)
                piece, again = measure_pair([PYTHON, str(piece_script), str(log)], floor_command, args.runs)
                print(f"{engine}: {what} alone {piece[0]:.2f}s, floor {again[0]:.2f}s: ratio {piece[0] / again[0]:.2f}")


if __name__ == "__main__":
    main()

"""`cxaudit discover` on a large generated event log, against DuckDB counting the same file.

    python benchmarks/logs.py                 # 10,000,000 events, 3 runs each
    python benchmarks/logs.py --events 1000000 --runs 5
    python benchmarks/logs.py --by-time      # the events in time order, cases interleaved
    python benchmarks/logs.py --history auto # history-aware discovery (compare with --history 1)

The log is made by DuckDB itself (a journey of 40 activities walked by
random cases) and written as CSV: each case's events together, as most
exports list them, or with --by-time in time order with the cases
interleaved, as an event stream lists them (discover then sorts them by
case). The floor is one process running `SELECT activity, count(*) ...
GROUP BY activity` over the same file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PYTHON, measure_pair

FLOOR = """import sys, duckdb
query = 'SELECT "concept:name", count(*) FROM read_csv(' + repr(sys.argv[1]) + ') GROUP BY ALL'
duckdb.sql(query).fetchall()
"""


def make_log(path: Path, events: int, by_time: bool = False) -> None:
    import duckdb

    per_case = 10
    cases = events // per_case
    duckdb.sql(
        f"""
        COPY (
            SELECT 'c' || (i // {per_case}) AS "case:concept:name",
                   CASE WHEN i % {per_case} = {per_case} - 1
                        THEN (CASE WHEN hash(i) % 4 = 0 THEN 'Gave up' ELSE 'Done' END)
                        ELSE 'Step ' || ((i % {per_case}) * 4 + hash(i // {per_case}) % 4)
                   END AS "concept:name",
                   TIMESTAMP '2026-01-01' + to_seconds((i // {per_case}) * 2 + (i % {per_case}) * 30)
                       AS "time:timestamp",
                   'team ' || (i % {per_case}) AS "org:resource"
            FROM range({cases * per_case}) t(i)
            {'ORDER BY "time:timestamp", "case:concept:name"' if by_time else ""}
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--by-time", action="store_true", help="events in time order, cases interleaved")
    parser.add_argument("--history", default="1", help="discover's --history (1: first order; auto; N)")
    parser.add_argument("--write-log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_log:
        make_log(args.write_log, args.events, args.by_time)
        return
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "events.csv"
        # Made in a child process: a process started from this one counts this
        # one's memory at the start in its own peak (Linux), so DuckDB's memory
        # from making the log would show up in both peaks measured below.
        subprocess.run(
            [PYTHON, __file__, "--write-log", str(log), "--events", str(args.events)]
            + (["--by-time"] if args.by_time else []),
            check=True,
        )
        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        out = Path(tmp) / "discovered.yaml"
        order = "in time order, cases interleaved" if args.by_time else "each case's events together"
        print(f"log: {args.events:,} events, {log.stat().st_size / 1024**2:,.0f} MiB of CSV, {order}")
        ours, floor = measure_pair(
            [
                PYTHON,
                "-m",
                "cxaudit",
                "discover",
                str(log),
                "-o",
                str(out),
                "--success",
                "Done",
                "--abandon",
                "Gave up",
                "--history",
                args.history,
            ],
            [PYTHON, str(floor_script), str(log)],
            args.runs,
        )
        ratio = ours[0] / floor[0]
        print(f"discover --history {args.history}: {ours[0]:.2f}s ±{ours[1]:.2f}, peak {ours[2] / 1024:,.0f} MiB")
        print(f"DuckDB GROUP BY:  {floor[0]:.2f}s ±{floor[1]:.2f}, peak {floor[2] / 1024:,.0f} MiB")
        print(
            f"ratio {ratio:.2f} (target <= 3): {'PASS' if ratio <= 3 else 'FAIL'}; "
            f"peak memory {'PASS' if ours[2] < 2 * 1024**2 else 'FAIL'} (target < 2 GiB)"
        )


if __name__ == "__main__":
    main()

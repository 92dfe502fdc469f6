"""Measure cxaudit against floors measured in the same run, and print PASS/FAIL per target.

    python benchmarks/run.py                 # every target, 5 runs each (several minutes)
    python benchmarks/run.py --quick         # 3 runs, no 100,000-step journey
    python benchmarks/run.py --runs 7 --only P3 P4

Each target compares whole processes (interpreter start included), run one
after the other on this machine, and reports the median, the spread
(max - min) and the ratio of medians. Timings are wall-clock; the machine's
details are printed first.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

PYTHON = sys.executable
NAIVE_LOAD = (
    "import sys, yaml\nfor p in sys.argv[1:]:\n    yaml.load(open(p, encoding='utf-8'), Loader=yaml.CSafeLoader)\n"
)
TYPER_VERSION = (
    "import typer\napp = typer.Typer()\n"
    "def v(value: bool):\n    if value:\n        print('x 1')\n        raise typer.Exit()\n"
    "@app.command()\ndef main(version: bool = typer.Option(False, '--version', callback=v, is_eager=True)):\n    pass\n"
    "app()\n"
)
HELP_IMPORTS = (
    "import sys\nfrom cxaudit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
    "print(sorted(m for m in ('numpy', 'scipy', 'networkx') if m in sys.modules), file=sys.stderr)"
)
TYPER_IMPORTS = (
    "import typer, yaml, networkx\napp = typer.Typer()\n@app.command()\ndef main(path: str):\n    pass\napp()\n"
)


def compile_package() -> None:
    """Byte-compile cxaudit, as ``pip install`` does, so no process compiles its sources.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on the
    development machine) would otherwise compile every module in every
    process, about 30 ms that no installed copy pays; the floors' libraries
    are compiled already.
    """
    import compileall

    import cxaudit

    folder = Path(cxaudit.__file__).parent
    compileall.compile_dir(str(folder), quiet=1)
    print(f"bytecode of {folder} compiled (PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})")


def run_once(command: list[str]) -> tuple[float, int]:
    """Wall time and peak memory (KiB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed with {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss


def measure(command: list[str], runs: int) -> tuple[float, float, int]:
    """Median time, spread, and the largest peak memory over ``runs`` runs."""
    times, peaks = [], []
    for _ in range(runs):
        elapsed, peak = run_once(command)
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(times) - min(times), max(peaks)


def measure_pair(ours: list[str], floor: list[str], runs: int) -> tuple[tuple, tuple]:
    """Both commands measured in turns (floor, ours, floor, ours, ...), after one warm-up run each.

    This machine's speed drifts by tens of percent within minutes; taking
    the two in turns puts both medians in the same minutes, so the ratio
    compares like with like.
    """
    run_once(floor)
    run_once(ours)
    samples: dict[int, list[tuple[float, int]]] = {0: [], 1: []}
    for _ in range(runs):
        samples[1].append(run_once(floor))
        samples[0].append(run_once(ours))

    def summary(pairs: list[tuple[float, int]]) -> tuple[float, float, int]:
        times = [elapsed for elapsed, _ in pairs]
        return statistics.median(times), max(times) - min(times), max(peak for _, peak in pairs)

    return summary(samples[0]), summary(samples[1])


def row(target: str, what: str, ours: tuple, floor: tuple, limit: float, key: int = 0) -> tuple:
    ratio = ours[key] / floor[key]
    verdict = "PASS" if ratio <= limit else "FAIL"
    return target, what, ours, floor, ratio, limit, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 runs, no 100,000-step journey")
    parser.add_argument("--only", nargs="*", default=None, help="targets to run (P1 P2 ...)")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    only = set(args.only or ["P1", "P2", "P3", "P4", "P5", "P6"])
    cxaudit = [PYTHON, "-m", "cxaudit"]

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    print(f"python: {platform.python_version()}; runs per measurement: {runs}")
    import numpy
    import yaml

    print(f"pyyaml {yaml.__version__} (libyaml: {yaml.__with_libyaml__}), numpy {numpy.__version__}")
    compile_package()
    print()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = [10_000] if args.quick else [10_000, 100_000]
        files = {}
        for size in sizes:
            files[size] = folder / f"journey-{size}.yaml"
            files[size].write_text(generate(size), encoding="utf-8")
        small = folder / "small.yaml"
        small.write_text(generate(20, seed=3), encoding="utf-8")
        portfolio = folder / "portfolio"
        portfolio.mkdir()
        for i in range(1000):
            (portfolio / f"j{i:04d}.yaml").write_text(generate(30, seed=i), encoding="utf-8")
        naive = folder / "naive.py"
        naive.write_text(NAIVE_LOAD)
        typer_version = folder / "typer_version.py"
        typer_version.write_text(TYPER_VERSION)
        typer_imports = folder / "typer_imports.py"
        typer_imports.write_text(TYPER_IMPORTS)

        audits = {}
        if only & {"P1", "P2", "P6"}:
            for size in sizes:
                ours, floor = measure_pair(
                    [*cxaudit, "audit", "--format", "json", str(files[size])],
                    [PYTHON, str(naive), str(files[size])],
                    runs,
                )
                audits[size] = ours
                limit = 1.0 if size == 10_000 else 0.5  # issue 24: at most a plain yaml.load
                if "P1" in only:
                    rows.append(row("P1", f"audit --format json, {size:,} steps / yaml.load", ours, floor, limit))
                if "P6" in only and size == 100_000:
                    rows.append(row("P6", "peak memory, audit 100,000 steps / yaml.load", ours, floor, 2.0, key=2))
        if "P2" in only and len(audits) == 2:
            ratio = audits[100_000][0] / audits[10_000][0]
            rows.append(
                (
                    "P2",
                    "audit time 100,000 steps / 10,000 steps",
                    audits[100_000],
                    audits[10_000],
                    ratio,
                    11.0,
                    "PASS" if ratio <= 11 else "FAIL",
                )
            )
        if "P3" in only:
            ours, floor = measure_pair([*cxaudit, "--version"], [PYTHON, str(typer_version), "--version"], runs * 2)
            rows.append(row("P3", "cxaudit --version / a typer app's --version", ours, floor, 1.3))
            help_imports = (
                subprocess.run(
                    [
                        PYTHON,
                        "-c",
                        HELP_IMPORTS,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                .stderr.strip()
                .splitlines()[-1]
            )
            print(f"P3 --help loads heavy modules: {help_imports}")
        if "P4" in only:
            ours, floor = measure_pair(
                [*cxaudit, "check", str(small)], [PYTHON, str(typer_imports), str(small)], runs * 2
            )
            rows.append(row("P4", "check, one 20-step journey / typer app importing yaml, networkx", ours, floor, 1.3))
        if "P5" in only:
            ours, floor = measure_pair(
                [*cxaudit, "check", "--quiet", str(portfolio)],
                [PYTHON, str(naive), *sorted(map(str, portfolio.iterdir()))],
                runs,
            )
            rows.append(row("P5", "check, 1,000 journeys of 30 steps / yaml.load of all", ours, floor, 1.5))

    header = ("target", "what", "ours (median, spread)", "floor (median, spread)", "ratio", "target")
    print(f"{header[0]:<7}{header[1]:<66}{header[2]:>24}{header[3]:>25}{header[4]:>8}{header[5]:>8}  result")
    for target, what, ours, floor, ratio, limit, verdict in rows:
        if target == "P6":
            ours_text = f"{ours[2] / 1024:,.0f} MiB"
            floor_text = f"{floor[2] / 1024:,.0f} MiB"
        else:
            ours_text = f"{ours[0]:.3f}s ±{ours[1]:.3f}"
            floor_text = f"{floor[0]:.3f}s ±{floor[1]:.3f}"
        bound = "<=" + format(limit, "g")
        print(f"{target:<7}{what:<66}{ours_text:>24}{floor_text:>25}{ratio:>8.2f}{bound:>8}  {verdict}")


if __name__ == "__main__":
    main()

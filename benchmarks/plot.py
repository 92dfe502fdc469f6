"""Time against journey size, log-log, for cxaudit audit and a plain yaml.load (PNG).

pip install matplotlib
python benchmarks/plot.py benchmarks/growth.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate
from run import NAIVE_LOAD, PYTHON, measure

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/growth.png")
    ours, floor = [], []
    with tempfile.TemporaryDirectory() as tmp:
        naive = Path(tmp) / "naive.py"
        naive.write_text(NAIVE_LOAD)
        for size in SIZES:
            path = Path(tmp) / f"j{size}.yaml"
            path.write_text(generate(size))
            ours.append(measure([PYTHON, "-m", "cxaudit", "audit", "--format", "json", str(path)], 3)[0])
            floor.append(measure([PYTHON, str(naive), str(path)], 3)[0])
            print(f"{size:>8,} steps: audit {ours[-1]:7.2f}s   yaml.load {floor[-1]:7.2f}s", flush=True)
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    axes.loglog(SIZES, ours, "o-", label="cxaudit audit --format json (whole process)")
    axes.loglog(SIZES, floor, "s--", label="yaml.load(CSafeLoader) only (whole process)")
    linear = [ours[0] * size / SIZES[0] for size in SIZES]
    axes.loglog(SIZES, linear, ":", color="grey", label="linear growth from the first point")
    axes.set_xlabel("steps in the journey")
    axes.set_ylabel("seconds (median of 3)")
    axes.set_title("Time against journey size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()

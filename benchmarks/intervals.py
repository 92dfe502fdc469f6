"""What the 95% intervals of a journey learned from a log cost: audit with them against audit without.

    python benchmarks/intervals.py            # the helpdesk log, first order and history auto, 5 runs each

Each journey is discovered from the helpdesk log of ../shared/data (or the
suite's gzipped copy). Each command is a whole process auditing it with
``--format json``; the floor is the same audit with the intervals turned off
(``AuditConfig(intervals=False)``), so the ratio is the posterior's cost.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PYTHON, measure_pair

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT.parent / "shared" / "data" / "helpdesk.csv", ROOT / "tests" / "fixtures" / "logs" / "helpdesk.csv.gz")
AUDIT = """import sys
from cxaudit import load_journey
from cxaudit.engine import AuditConfig, audit
from cxaudit.engine.report import Report
from cxaudit.reporters.json import JsonReporter
audits = (audit(load_journey(sys.argv[1]), AuditConfig(intervals=sys.argv[2] == "on")),)
JsonReporter().render(Report(audits=audits))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = next(path for path in SOURCES if path.exists())
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "audit.py"
        script.write_text(AUDIT)
        for history in ("1", "auto"):
            journey = Path(tmp) / f"helpdesk-{history}.yaml"
            subprocess.run(
                [PYTHON, "-m", "cxaudit", "discover", str(source), "-o", str(journey), "--success", "Closed",
                 "--history", history],
                check=True,
                capture_output=True,
            )  # fmt: skip
            steps = journey.read_text().count("\n    name: ")
            ours, floor = measure_pair(
                [PYTHON, str(script), str(journey), "on"], [PYTHON, str(script), str(journey), "off"], args.runs
            )
            print(
                f"--history {history} ({steps} steps): with intervals {ours[0]:.2f}s ±{ours[1]:.2f}, "
                f"without {floor[0]:.2f}s ±{floor[1]:.2f}: ratio {ours[0] / floor[0]:.2f}"
            )


if __name__ == "__main__":
    main()

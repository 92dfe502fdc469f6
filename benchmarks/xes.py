"""Reading a log as XES against reading the same log as CSV, and against DuckDB only reading the XES's lines.

    python benchmarks/xes.py                  # the helpdesk log repeated 20 times, 5 runs each
    python benchmarks/xes.py --copies 5 --runs 3

The log is the helpdesk log of ../shared/data (or the suite's gzipped copy),
its cases repeated with new ids, written as CSV and as XES the way ProM
writes it: one element a line, every column an attribute. Each command is a
whole process (`read_log` of one file). The second floor is DuckDB reading
the XES file's lines and counting them, parsing nothing: no XES reader
built on DuckDB's reader can be faster than that.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PYTHON, measure_pair

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT.parent / "shared" / "data" / "helpdesk.csv", ROOT / "tests" / "fixtures" / "logs" / "helpdesk.csv.gz")
READ = "import sys\nfrom cxaudit.logs.read import read_log\nread_log(sys.argv[1])\n"
LINES = """import sys, duckdb
duckdb.sql("SELECT count(*) FROM read_csv(" + repr(sys.argv[1]) + ", columns = {'line': 'VARCHAR'}, "
           "header = false, delim = '\\x1f', quote = '', escape = '', auto_detect = false)").fetchall()
"""


def write_logs(folder: Path, copies: int) -> tuple[Path, Path]:
    source = next(path for path in SOURCES if path.exists())
    with (gzip.open if source.suffix == ".gz" else open)(source, "rt", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    cases: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        cases.setdefault(row["case:concept:name"], []).append(row)
    csv_path, xes_path = folder / "log.csv", folder / "log.xes"
    with open(csv_path, "w", newline="", encoding="utf-8") as flat, open(xes_path, "w", encoding="utf-8") as xes:
        writer = csv.writer(flat)
        writer.writerow(columns)
        xes.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
        )
        for copy in range(copies):
            for case, events in cases.items():
                name = f"{case}-{copy}"
                xes.write(f'\t<trace>\n\t\t<string key="concept:name" value={quoteattr(name)}/>\n')
                for event in events:
                    writer.writerow([name, *(event[column] for column in columns[1:])])
                    xes.write("\t\t<event>\n")
                    for column in columns[1:]:
                        tag = "date" if column == "time:timestamp" else "string"
                        xes.write(f"\t\t\t<{tag} key={quoteattr(column)} value={quoteattr(event[column])}/>\n")
                    xes.write("\t\t</event>\n")
                xes.write("\t</trace>\n")
        xes.write("</log>\n")
    return csv_path, xes_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, xes_path = write_logs(folder, args.copies)
        (folder / "read.py").write_text(READ)
        (folder / "lines.py").write_text(LINES)
        read = [PYTHON, str(folder / "read.py")]
        mib = 1024**2
        print(f"CSV {csv_path.stat().st_size / mib:,.0f} MiB, XES {xes_path.stat().st_size / mib:,.0f} MiB")
        xes, flat = measure_pair([*read, str(xes_path)], [*read, str(csv_path)], args.runs)
        _, lines = measure_pair([*read, str(xes_path)], [PYTHON, str(folder / "lines.py"), str(xes_path)], args.runs)
        ratio = xes[0] / flat[0]
        print(f"read_log XES:          {xes[0]:.2f}s ±{xes[1]:.2f}, peak {xes[2] / 1024:,.0f} MiB")
        print(f"read_log CSV:          {flat[0]:.2f}s ±{flat[1]:.2f}, peak {flat[2] / 1024:,.0f} MiB")
        print(f"DuckDB XES lines only: {lines[0]:.2f}s ±{lines[1]:.2f}, peak {lines[2] / 1024:,.0f} MiB")
        print(f"ratio XES/CSV {ratio:.2f} (target <= 1.5): {'PASS' if ratio <= 1.5 else 'FAIL'}")
        print(f"ratio lines only/CSV {lines[0] / flat[0]:.2f}; XES/lines only {xes[0] / lines[0]:.2f}")


if __name__ == "__main__":
    main()

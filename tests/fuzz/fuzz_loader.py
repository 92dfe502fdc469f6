"""Coverage-guided fuzzing of the loader and the engine with atheris (run by hand, for as long as you like).

    pip install atheris
    python tests/fuzz/fuzz_loader.py -atheris_runs=0 -max_total_time=1800 tests/fuzz/corpus

Any exception other than cxaudit's own JourneyError is a crash: atheris stops
and writes the input to crash-*; add it as a regression test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from cxaudit.engine import audit
    from cxaudit.engine.report import Report
    from cxaudit.errors import JourneyError
    from cxaudit.journey.load import loads_journey
    from cxaudit.reporters.json import JsonReporter
    from cxaudit.reporters.sarif import SarifReporter


def one_input(data: bytes) -> None:
    try:
        journey = loads_journey(data, name="fuzz.yaml")
    except JourneyError as error:
        assert error.problems and all(p.message for p in error.problems)
        return
    try:
        result = audit(journey)
    except JourneyError:
        return
    report = Report((result,))
    JsonReporter().render(report)
    SarifReporter().render(report)


def main() -> None:
    corpus = Path(__file__).parent / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        root = Path(__file__).resolve().parents[2]
        for path in [
            *sorted((root / "journeys").glob("*.yaml")),
            *sorted((root / "tests/fixtures/invalid").glob("*.yaml")),
        ]:
            (corpus / path.name).write_bytes(path.read_bytes())
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""One run over many files: load, configure, audit, apply the baseline.

The library side of ``cxaudit audit`` and ``cxaudit check``: it reads files
and returns a :class:`~cxaudit.report.Report`; it never prints. A file that
cannot be read is recorded as problems and the other files are still
audited; a configuration error stops the run (every file would be judged
by the wrong rules).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from cxaudit.config import ConfigResolver
from cxaudit.errors import JourneyError
from cxaudit.loader import paused_gc
from cxaudit.model import Severity
from cxaudit.report import Report

T = TypeVar("T")
STDIN = "-"
STDIN_NAME = "<stdin>"


def _identity(items: Sequence[T], _description: str) -> Iterable[T]:
    return items


def run(
    paths: list[str],
    resolver: ConfigResolver,
    *,
    pure: bool = False,
    baseline: frozenset[str] | None = None,
    keep_sources: bool = False,
    progress: Callable[[Sequence[str], str], Iterable[str]] = _identity,
) -> tuple[Report, bool]:
    """Audit every journey file under ``paths``.

    Returns the report and whether any finding is at or above the fail level
    of its file's configuration (``error`` unless configured).

    Raises
    ------
    UsageError
        A path does not exist, or holds no journey file.
    ConfigError
        A configuration file is wrong.
    """
    from cxaudit.files import journey_files

    files = journey_files(paths)
    audits = []
    problems = []
    sources: dict[str, list[str]] = {}
    baselined = 0
    failing = False
    for name in progress(files, "Checking journeys"):
        settings = resolver.for_path(name)
        with paused_gc():
            outcome = _one(name, settings, pure, keep_sources, sources)
        if isinstance(outcome, JourneyError):
            problems.extend(outcome.problems)
            continue
        result = outcome
        if baseline:
            kept = tuple(f for f in result.findings if f.fingerprint not in baseline)
            baselined += len(result.findings) - len(kept)
            result = replace(result, findings=kept)
        level = settings.fail_on or "error"
        if level != "never":
            threshold = Severity.parse(level)
            failing = failing or any(f.severity >= threshold for f in result.active)
        audits.append(result)
    report = Report(tuple(audits), tuple(problems), baselined, len(files), sources)
    return report, failing


def _one(name: str, settings: Any, pure: bool, keep_sources: bool, sources: dict[str, list[str]]) -> Any:
    """Load and audit one file; a JourneyError is returned, not raised."""
    from cxaudit.engine import audit
    from cxaudit.loader import load_journey, loads_journey

    try:
        if name == STDIN:
            data = sys.stdin.buffer.read()
            journey = loads_journey(data, name=STDIN_NAME, pure=pure)
            if keep_sources:
                sources[STDIN_NAME] = data.decode("utf-8", "replace").splitlines()
        else:
            journey = load_journey(name if "\n" not in name else os.path.abspath(name), name=name, pure=pure)
            if keep_sources:
                with open(name, encoding="utf-8", errors="replace") as stream:
                    sources[name] = stream.read().splitlines()
        return audit(journey, settings.for_file(name))
    except JourneyError as error:
        return error

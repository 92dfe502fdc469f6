"""One run over many files: load, configure, audit, apply the baseline.

The library side of ``cxaudit audit`` and ``cxaudit check``: it reads files
and returns a :class:`~cxaudit.report.Report`; it never prints. A file that
cannot be read is recorded as problems and the other files are still
audited; a configuration error stops the run (every file would be judged
by the wrong rules).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from cxaudit.config import ConfigResolver
from cxaudit.errors import JourneyError
from cxaudit.files import STDIN
from cxaudit.loader import STDIN_NAME, paused_gc
from cxaudit.model import Severity
from cxaudit.report import Report

T = TypeVar("T")


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
    findings_only: bool = False,
) -> tuple[Report, bool]:
    """Audit every journey file under ``paths``.

    Returns the report and whether any finding is at or above the fail level
    of its file's configuration (``error`` unless configured).
    ``findings_only=True`` audits for an output that shows only the findings
    (see :func:`cxaudit.engine.audit`).

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
    for name, outcome, lines in _outcomes(files, resolver, pure, keep_sources, progress, findings_only):
        if lines is not None:
            sources[STDIN_NAME if name == STDIN else name] = lines
        if isinstance(outcome, JourneyError):
            problems.extend(outcome.problems)
            continue
        result = outcome
        settings = resolver.for_path(name)
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


_LOGS: dict[str, Any] = {}


def _drift_log(path: str) -> Any:
    """The summary of a configured event log, read once per run."""
    if path not in _LOGS:
        from cxaudit.eventlog import read_log

        _LOGS[path] = read_log(path)
    return _LOGS[path]


YOUNG_OBJECTS = 50_000
"""Objects made since the last collection above which a file's end collects them."""

PARALLEL_FILES = 40
"""From this many files on, a pool of processes checks them, one per core."""


def _outcomes(
    files: list[str],
    resolver: ConfigResolver,
    pure: bool,
    keep_sources: bool,
    progress: Callable[[Sequence[str], str], Iterable[str]],
    findings_only: bool = False,
) -> Iterator[tuple[str, Any, list[str] | None]]:
    """(file, audit or JourneyError, source lines) for every file, in order."""
    workers = min(os.cpu_count() or 1, 8)
    if len(files) < PARALLEL_FILES or workers < 2 or STDIN in files:
        last = len(files) - 1
        for number, name in enumerate(progress(files, "Checking journeys")):
            yield name, *_one(name, resolver, pure, keep_sources, collect=number < last, findings_only=findings_only)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, min(64, len(files) // (workers * 4)))
    job = (resolver.explicit_path, resolver.cli, pure, keep_sources, findings_only)
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=job) as pool:
        results = pool.map(_work, files, chunksize=chunk)
        for name in progress(files, "Checking journeys"):
            yield name, *next(results)


_WORKER: dict[str, Any] = {}


def _start_worker(
    explicit: str | None, cli: dict[str, Any], pure: bool, keep_sources: bool, findings_only: bool = False
) -> None:
    import gc

    # A worker builds and drops one journey's objects after another; reference
    # counting frees them, and the few in cycles go at the end of a file
    # (``_one``). Automatic collections would only walk everything alive again
    # and again. The process is ours.
    gc.disable()
    _WORKER.update(
        resolver=ConfigResolver(explicit, cli), pure=pure, keep_sources=keep_sources, findings_only=findings_only
    )


def _work(name: str) -> tuple[Any, list[str] | None]:
    outcome, lines = _one(
        name, _WORKER["resolver"], _WORKER["pure"], _WORKER["keep_sources"], findings_only=_WORKER["findings_only"]
    )
    if isinstance(outcome, JourneyError):
        return outcome, lines
    # What the parent never reads stays behind: the factorisation always, and
    # for a findings-only output the journey's steps and catalogs too (those
    # outputs read its id, name and file at most; the steps were half of the
    # pickling of a small journey's result).
    journey = outcome.journey
    if _WORKER["findings_only"]:
        journey = replace(journey, entry=(), channels={}, owners={}, steps={})
    return replace(outcome, journey=journey, markov=replace(outcome.markov, chain=None)), lines


def _one(
    name: str,
    resolver: ConfigResolver,
    pure: bool,
    keep_sources: bool,
    collect: bool = True,
    findings_only: bool = False,
) -> tuple[Any, list[str] | None]:
    """Load and audit one file; a JourneyError is returned, not raised.

    ``collect=False`` leaves the file's reference cycles to the collector
    (or to the end of the process): for the last file of a run, where a
    collection would only walk the live report data once more (0.4 s after
    a 100,000-step journey) to free what few cycles the file left.
    """
    from cxaudit.engine import audit
    from cxaudit.loader import load_named

    lines = None
    settings = resolver.for_path(name)
    try:
        with paused_gc():
            try:
                journey, data = load_named(name, pure=pure, limits=settings.limits)
                if keep_sources:
                    lines = data.decode("utf-8", "replace").splitlines()
                log = _drift_log(settings.drift_log) if settings.drift_log else None
                return audit(journey, settings.for_file(name), log=log, findings_only=findings_only), lines
            except JourneyError as error:
                return error, lines
    finally:
        # The collector was paused (or is off, in the command line and its
        # workers), and a networkx graph that a rule asked for holds the
        # journey in a reference cycle (networkx caches views of a graph on
        # the graph; the audit itself makes none). Collect the young objects
        # once enough have piled up: a small file's garbage waits for a few
        # more files, a large one is freed at once.
        if collect and gc.get_count()[0] > YOUNG_OBJECTS:
            gc.collect(0)

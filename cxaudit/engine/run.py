"""One run over many files: load, configure, audit, apply the baseline.

The library side of ``cxaudit audit`` and ``cxaudit check``: it reads files
and returns a :class:`~cxaudit.engine.report.Report`; it never prints. A file that
cannot be read is recorded as problems and the other files are still
audited; a configuration error stops the run (every file would be judged
by the wrong rules).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from cxaudit.engine.config import ConfigResolver
from cxaudit.engine.report import Report
from cxaudit.errors import JourneyError
from cxaudit.files import STDIN
from cxaudit.journey.load import STDIN_NAME, paused_gc
from cxaudit.model import fails

if TYPE_CHECKING:
    from cxaudit.engine import JourneyAudit
    from cxaudit.engine.config import Settings

T = TypeVar("T")


def _identity(items: Sequence[T], _description: str) -> Iterable[T]:
    return items


def run(
    paths: list[str],
    resolver: ConfigResolver,
    *,
    pure_yaml: bool = False,
    baseline: frozenset[str] | None = None,
    keep_sources: bool = False,
    progress: Callable[[Sequence[str], str], Iterable[str]] = _identity,
    findings_only: bool = False,
    file_output: Callable[[JourneyAudit, list[str] | None], Any] | None = None,
) -> tuple[Report, bool]:
    """Audit every journey file under ``paths``.

    Returns the report and whether any finding is at or above the fail level
    of its file's configuration (``error`` unless configured).
    ``findings_only=True`` audits for an output that shows only the findings
    (see :func:`cxaudit.engine.audit`).

    ``file_output`` is for such an output too: a function (picklable, such as a
    reporter's bound ``file_part``) that makes one audit's part of it, from
    the audit with the baseline applied and the file's lines (None unless
    ``keep_sources``). It runs where the file is checked, in a worker process
    when there are many files: the report's ``parts`` then hold what the
    output shows, and its audits no findings and its ``sources`` no lines
    (they are neither sent back nor kept). Sending 50 findings a file back
    and rebuilding them in the parent was a quarter of checking 1,000 small
    journeys.

    Raises
    ------
    UsageError
        A path does not exist, or holds no journey file.
    ConfigError
        A configuration file is wrong.
    """
    from cxaudit.files import journey_files

    files = journey_files(paths)
    job = _Job(resolver, pure_yaml, keep_sources, findings_only, baseline, file_output)
    audits = []
    problems = []
    parts = []
    sources: dict[str, list[str]] = {}
    baselined = 0
    failing = False
    for name, checked in _outcomes(files, job, progress):
        if checked.lines is not None:
            sources[STDIN_NAME if name == STDIN else name] = checked.lines
        if isinstance(checked.outcome, JourneyError):
            problems.extend(checked.outcome.problems)
            continue
        baselined += checked.baselined
        failing = failing or checked.failing
        audits.append(checked.outcome)
        parts.append(checked.file_output)
    # the portfolio's currency is the configuration's of the first file (or --config's)
    exchange = resolver.for_path(files[0] if files else ".").exchange
    report = Report(
        tuple(audits),
        tuple(problems),
        baselined,
        len(files),
        sources,
        exchange,
        tuple(parts) if file_output is not None else None,
    )
    return report, failing


@dataclass(frozen=True)
class _Job:
    """How every file of a run is checked (sent to each worker once)."""

    resolver: ConfigResolver
    pure_yaml: bool
    keep_sources: bool
    findings_only: bool
    baseline: frozenset[str] | None
    file_output: Callable[[JourneyAudit, list[str] | None], Any] | None


@dataclass(frozen=True, slots=True)
class _Checked:
    """One file checked: its audit (or why it could not be read) and what the run adds up."""

    outcome: Any
    """The :class:`~cxaudit.engine.JourneyAudit`, or the :class:`~cxaudit.errors.JourneyError`."""
    lines: list[str] | None = None
    """The file's lines, for the report's ``sources``."""
    failing: bool = False
    baselined: int = 0
    file_output: Any = None


_LOGS: dict[str, Any] = {}


def _drift_log(path: str) -> Any:
    """The summary of a configured event log, read once per run."""
    if path not in _LOGS:
        from cxaudit.logs.read import EventLog

        _LOGS[path] = EventLog(path)  # open for the run: each journey's outcomes give its summary
    return _LOGS[path]


YOUNG_OBJECTS = 50_000
"""Objects made since the last collection above which a file's end collects them."""

PARALLEL_BYTES = 400_000
"""From this much journey text on (in two files or more), a pool of processes
checks the files, one per core. Starting the workers has a cost (they fork
and import the audit's modules): the pool pays from about 80 journeys
of 30 steps (5 KB each), or from two journeys of a few thousand steps for
the findings' formats (a full JSON report of those, which the workers send
back whole, about breaks even)."""


def _workers() -> int:
    """Processes of a pool: one per core, at most 8."""
    return min(os.cpu_count() or 1, 8)


def _parallel(files: list[str]) -> bool:
    """Whether a pool of workers would check ``files`` sooner than one process."""
    if len(files) < 2 or STDIN in files or _workers() < 2:
        return False
    total = 0
    for name in files:
        try:
            total += os.path.getsize(name)
        except OSError:  # reported when the file is read
            continue
        if total >= PARALLEL_BYTES:
            return True
    return False


def _outcomes(
    files: list[str], job: _Job, progress: Callable[[Sequence[str], str], Iterable[str]]
) -> Iterator[tuple[str, _Checked]]:
    """Each file and what checking it gave, in order."""
    if not _parallel(files):
        last = len(files) - 1
        for number, name in enumerate(progress(files, "Checking journeys")):
            yield name, _check(name, job, collect=number < last)
        return
    from concurrent.futures import ProcessPoolExecutor

    workers = _workers()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=_start_worker, initargs=(job,)
    ) as pool:
        batches = [pool.submit(_work_batch, batch) for batch in _batches(files, workers)]
        results = (checked for batch in batches for checked in batch.result())
        for name in progress(files, "Checking journeys"):
            yield name, next(results)


LARGEST_BATCH = 64
SMALLEST_BATCH = 4


def _batches(files: list[str], workers: int) -> list[list[str]]:
    """The files in consecutive batches for the workers, smaller and smaller.

    Each batch is a quarter of the files left per worker, at most
    :data:`LARGEST_BATCH` and at least :data:`SMALLEST_BATCH` (guided
    scheduling): few round trips while much is left, and no worker left
    alone with a large last batch while the others wait (with batches of
    64 throughout, one worker ran on alone at the end of a portfolio).

    >>> [len(batch) for batch in _batches([str(i) for i in range(100)], 2)]
    [12, 11, 9, 8, 7, 6, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1]
    """
    batches = []
    start = 0
    while start < len(files):
        size = max(SMALLEST_BATCH, min(LARGEST_BATCH, (len(files) - start) // (workers * 4)))
        batches.append(files[start : start + size])
        start += size
    return batches


_WORKER: dict[str, Any] = {}

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
"""What sets the threads of numpy's linear algebra library, read when numpy loads it."""


def _pool_context() -> Any:
    """The workers' start method: the platform's (a fork on Linux), unless numpy is loaded.

    A worker runs its linear algebra on one thread (:func:`_start_worker`),
    which it can only ask for before numpy loads its BLAS library; a process
    forked after the parent loaded numpy (a program that embeds cxaudit) has
    it loaded already, so such a parent starts fresh workers from a fork server.
    """
    import multiprocessing
    import sys

    if "numpy" in sys.modules and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return None


def _start_worker(job: _Job) -> None:
    import gc

    # One worker runs on each core: BLAS threads in each of them would only
    # fight over the cores (dense solves on two threads in each of two
    # workers ran many times slower than on one).
    os.environ.update(dict.fromkeys(BLAS_THREADS, "1"))
    # A worker builds and drops one journey's objects after another; reference
    # counting frees them, and the few in cycles go at the end of a file
    # (``_one``). Automatic collections would only walk everything alive again
    # and again. The process is ours.
    gc.disable()
    _WORKER["job"] = job


def _work_batch(names: list[str]) -> list[_Checked]:
    return [_work(name) for name in names]


def _work(name: str) -> _Checked:
    job: _Job = _WORKER["job"]
    checked = _check(name, job)
    outcome = checked.outcome
    if isinstance(outcome, JourneyError):
        return checked
    # What the parent never reads stays behind: the factorisation always, and
    # for a findings-only output the journey's steps and catalogs too (those
    # outputs read its id, name and file at most; the steps were half of the
    # pickling of a small journey's result).
    journey = outcome.journey
    if job.findings_only:
        journey = replace(journey, entry=(), channels={}, owners={}, steps={})
    outcome = replace(outcome, journey=journey, markov=replace(outcome.markov, chain=None))
    return replace(checked, outcome=outcome)


def _check(name: str, job: _Job, collect: bool = True) -> _Checked:
    """Check one file: audit it, apply the baseline, judge it against the fail level, make its part."""
    settings = job.resolver.for_path(name)
    outcome, lines = _one(name, settings, job.pure_yaml, job.keep_sources, collect, job.findings_only)
    if isinstance(outcome, JourneyError):
        return _Checked(outcome, lines)
    baselined = 0
    if job.baseline:
        kept = tuple(f for f in outcome.findings if f.fingerprint not in job.baseline)
        baselined = len(outcome.findings) - len(kept)
        outcome = replace(outcome, findings=kept)
    failing = fails(outcome.active, settings.fail_on or "error")
    if job.file_output is None:
        return _Checked(outcome, lines, failing, baselined)
    output = job.file_output(outcome, lines)
    return _Checked(replace(outcome, findings=()), None, failing, baselined, output)


def _one(
    name: str,
    settings: Settings,
    pure_yaml: bool,
    keep_sources: bool,
    collect: bool = True,
    findings_only: bool = False,
) -> tuple[Any, list[str] | None]:
    """Load and audit one file by its ``settings``; a JourneyError is returned, not raised.

    ``collect=False`` leaves the file's reference cycles to the collector
    (or to the end of the process): for the last file of a run, where a
    collection would only walk the live report data once more to free what
    few cycles the file left.
    """
    from cxaudit.engine import audit
    from cxaudit.journey.load import load_named

    lines = None
    try:
        with paused_gc():
            try:
                journey, data = load_named(name, pure_yaml=pure_yaml, limits=settings.limits)
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

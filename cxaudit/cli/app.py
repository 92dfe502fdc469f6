"""The ``cxaudit`` command: the app, the options its commands share, and running it.

The commands live in the modules beside this one (``journeys``, ``logs``,
``catalog``), one per group; each parses its options, calls the library and
prints, nothing more. Heavy modules (networkx, numpy, scipy, the loader) are
imported inside the commands that need them, so ``cxaudit --help`` and
``--version`` start fast. Annotations are evaluated when the modules load (no
``from __future__ import annotations``): typer reads every command's
signature before it runs any, and string annotations would be compiled and
evaluated again for each one.
"""

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cxaudit import __version__, exitcodes
from cxaudit.errors import CxauditError
from cxaudit.model import FAIL_LEVELS

if TYPE_CHECKING:
    from cxaudit.engine.config import Settings

EPILOG = "Exit codes: 0 clean, 1 findings at or above the fail level, 2 input, config or usage error, 3 internal error."

app = typer.Typer(
    name="cxaudit",
    help="Audit customer journeys: find where customers get stuck, drop out or have to contact you, "
    "what it costs, and who owns the fix.",
    epilog=EPILOG,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"cxaudit {__version__}\n")
        raise typer.Exit(exitcodes.CLEAN)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
) -> None:
    """Audit customer journeys written as YAML graphs."""


def _stdout_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _problem_text(problem):  # type: ignore[no-untyped-def]
    from rich.text import Text

    from cxaudit.textsafe import clean

    text = Text()
    text.append(clean(problem.where), style="bold")
    text.append(": ")
    text.append(clean(problem.message), style="red")
    if problem.path:
        text.append(f" ({clean(problem.path)})", style="dim")
    return text


PURE_OPTION = typer.Option(
    "--pure-yaml", help="Read with PyYAML's pure-Python parser instead of libyaml; same results, slower."
)


def _one_of(choices) -> object:  # type: ignore[no-untyped-def]
    """An option callback accepting only ``choices`` (a tuple, or a callable giving one)."""

    def check(value: str | None) -> str | None:
        allowed = choices() if callable(choices) else choices
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(allowed)}")
        return value

    return check


def _choice(command: str) -> object:
    """A callback accepting the output formats of ``command`` (from the reporter table, imported when used)."""

    def names() -> tuple[str, ...]:
        from cxaudit.reporters import formats

        return formats(command)

    return _one_of(names)


_fail_level = _one_of(FAIL_LEVELS)
_graph_format = _one_of(("mermaid", "dot"))


def _is_terminal(stream) -> bool:  # type: ignore[no-untyped-def]
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _width() -> int:
    if _is_terminal(sys.stdout):
        return _stdout_console().width
    try:
        return int(os.environ.get("COLUMNS", "") or 100)
    except ValueError:
        return 100


def _write(text: str, output: str | None, inputs: list[str]) -> None:
    """The report to stdout, or atomically to a file that is not an input."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from cxaudit.atomic import write_atomic

    write_atomic(output, text, inputs=_input_files(inputs))


def _input_files(paths: list[str]) -> list[str]:
    from cxaudit.files import journey_files

    try:
        return journey_files(paths)
    except CxauditError:
        return list(paths)


def _color(output: str | None, output_format: str) -> bool:
    """Colour for text written to a terminal, unless NO_COLOR is set."""
    return output_format == "text" and output is None and _is_terminal(sys.stdout) and "NO_COLOR" not in os.environ


def _say_left_out(summary: Any) -> None:
    """The rows of a log that were left out, by reason, and columns that were not found."""
    from cxaudit import fmt

    err = _stderr_console()
    for reason, count in summary.bad_rows.items():
        if count:
            err.print(f"{fmt.counted(count, 'row')} left out: {reason}", highlight=False)


def _log_progress(output: str | None) -> bool:
    """DuckDB's progress bar: on a terminal, not in CI, not when the result goes to stdout."""
    return output not in (None, "-") and _is_terminal(sys.stdout) and not os.environ.get("CI")


def _finish(problems: tuple, failing: bool) -> NoReturn:  # type: ignore[type-arg]
    """Exit 2 when a file could not be read, else 1 when a finding fails the run, else 0."""
    if problems:
        raise typer.Exit(exitcodes.INPUT_ERROR)
    raise typer.Exit(exitcodes.FINDINGS if failing else exitcodes.CLEAN)


CONFIG_OPTION = typer.Option(
    "--config", help="Configuration file (pyproject.toml or .cxaudit.yaml); default: discovered upward from each file."
)
SELECT_OPTION = typer.Option(
    "--select", help="Rules to run (codes, prefixes like FR, names, ALL); replaces the file's."
)
IGNORE_OPTION = typer.Option("--ignore", help="Rules not to run; adds to the file's. Comma-separated or repeated.")
FAIL_ON_OPTION = typer.Option(
    "--fail-on",
    help="Exit 1 when a finding is at least this severe: error (default), warning, info, never.",
    callback=_fail_level,
)
CASE_OPTION = typer.Option("--case", help="The log's column of the case id.")
ACTIVITY_OPTION = typer.Option("--activity", help="The log's column of the activity.")
TIMESTAMP_OPTION = typer.Option(
    "--timestamp", help="The log's column of the timestamp (when the activity was done); without one, file order."
)
START_OPTION = typer.Option("--start", help="The log's column of the time an activity began (start_timestamp).")
TIME_FORMAT_OPTION = typer.Option(
    "--time-format",
    help="How the log writes its times when not as ISO 8601, in strptime codes: '%d.%m.%Y %H:%M', "
    "'%m/%d/%Y %I:%M %p'; or epoch, epoch-ms, epoch-us (numbers since 1970). Without it, the usual formats "
    "are tried and the one that reads the times is used.",
)
LIFECYCLE_OPTION = typer.Option(
    "--lifecycle", help="The log's column of the lifecycle transition (start, complete...): a visit is a completion."
)
MAP_OPTION = typer.Option(
    "--map", help="A mapping file (YAML): success, abandon, contact, and steps (activity -> step id)."
)
ENCODING_OPTION = typer.Option(
    "--encoding",
    help="The text log's encoding: utf-8 (default), latin-1 (Excel's CSV in Western Europe) or utf-16.",
    callback=_one_of(("utf-8", "latin-1", "utf-16")),
)
ENGINE_OPTION = typer.Option(
    "--engine",
    help="Where the log is aggregated: duckdb (in this process) or spark (a Spark session; the log may then "
    "also be table:NAME). Default: the configuration's \\[tool.cxaudit.engine] default, else duckdb.",
    callback=_one_of(("duckdb", "spark")),
)


def _engine(given: str | None, config: str | None, near: str, settings: "Settings | None" = None) -> dict[str, object]:
    """The engine and its settings for a log command: --engine, else the configuration's, else duckdb.

    The configuration is ``settings`` when the command has read it already, else --config, else the one
    found up from ``near`` (a journey file; - for here).
    """
    if settings is None:
        from cxaudit.engine.config import ConfigResolver

        settings = ConfigResolver(config).for_path(near)
    table = dict(settings.engine)
    return {"engine": given or table.get("default", "duckdb"), "engine_settings": table}


def _audit_one(path: str, config: str | None, pure_yaml: bool):  # type: ignore[no-untyped-def]
    """Load and audit a single journey (for graph and compare)."""
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run

    report, _ = run([path], ConfigResolver(config), pure_yaml=pure_yaml)
    if report.problems:
        from cxaudit.errors import JourneyError

        raise JourneyError(list(report.problems))
    return report.audits[0]


def _fail(message: str, code: int) -> NoReturn:
    from cxaudit.textsafe import clean

    sys.stderr.write(f"cxaudit: {clean(message, keep_newlines=True)}\n")  # a message's own lines stay lines
    sys.exit(code)


class Terminated(BaseException):
    """SIGTERM arrived: stop like an interrupt (temporary files are removed on the way out)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its code; never shows a bare traceback.

    Automatic cyclic garbage collection is off while a command runs: a run
    builds millions of objects (journeys, metrics, report data) that reference
    counting frees, and the collector would walk the live ones again and again
    (for a large JSON report, several times as long as building its data).
    The few objects in cycles (networkx caches views on a graph, which a rule
    may ask for) are collected at the end of each file by the run. It is
    switched back on before returning, for embedding callers.
    """
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        _main(argv)
    finally:
        if collecting:
            gc.enable()


def entry() -> NoReturn:
    """The ``cxaudit`` program (and ``python -m cxaudit``): :func:`main`, then a quick exit.

    When the command is done, its output is flushed and the process ends with
    ``os._exit`` instead of Python tearing down numpy's and SciPy's modules
    and freeing the run's objects one by one, which takes a noticeable share
    of a large audit's time (mypy ends the same way). Nothing is
    left to do by then: files are written atomically and closed, worker
    processes joined, temporary files removed. Under a tracer or profiler
    (coverage, cProfile) the ordinary exit is kept, for them to write their
    results.
    """
    try:
        main()
    except SystemExit as done:
        code = done.code
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)
    if code is None:
        code = exitcodes.CLEAN
    elif not isinstance(code, int):  # sys.exit("message"), as Python would show it
        sys.stderr.write(f"{code}\n")
        code = 1
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more to write
            stream.flush()
    os._exit(code)


def _main(argv: list[str] | None) -> NoReturn:
    import contextlib
    import signal

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("CXAUDIT_DEBUG") == "1"
    # Not in the main thread (an embedding application), signals are left alone.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        # Without standalone mode, typer returns the code of a typer.Exit.
        code = app(args=args, prog_name="cxaudit", standalone_mode=False)
    except typer.Exit as done:
        code = done.exit_code
    except typer.TyperException as usage:
        show = getattr(usage, "show", None)
        if show is not None:
            show()
        else:
            sys.stderr.write(f"Error: {usage.format_message()}\n")
        sys.exit(exitcodes.INPUT_ERROR)
    except typer.Abort:
        _fail("interrupted", 130)
    except CxauditError as error:
        if debug:
            raise
        for problem in error.problems[:-1]:
            sys.stderr.write(f"cxaudit: {problem}\n")
        _fail(str(error.problems[-1]), exitcodes.INPUT_ERROR)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Terminated:
        _fail("terminated", 143)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(exitcodes.CLEAN)
    except Exception as error:
        if debug:
            raise
        _fail(
            f"internal error: {type(error).__name__}: {error}. "
            "This is a bug in cxaudit; run again with --debug for the traceback and report it.",
            exitcodes.INTERNAL_ERROR,
        )
    if code == 130:  # typer turns Ctrl-C into a silent exit 130
        _fail("interrupted", 130)
    sys.exit(code if isinstance(code, int) else exitcodes.CLEAN)

"""The ``cxaudit`` command: parse, build, call, write, exit.

Heavy modules (networkx, numpy, scipy, the loader) are imported inside the
commands that need them, so ``cxaudit --help`` and ``--version`` start fast.
Annotations are evaluated when the module loads (no ``from __future__ import
annotations``): typer reads every command's signature before it runs any, and
string annotations would be compiled and evaluated again for each one.
"""

import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from cxaudit import __version__, exitcodes
from cxaudit.errors import CxauditError

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
    "--pure-yaml", help="Read with PyYAML's pure-Python parser only (no line reader, no libyaml); same results."
)


@app.command(
    epilog="Examples:\n\n  cxaudit validate journeys/\n\n  cxaudit validate checkout.yaml bank.yaml\n\n"
    "  cat checkout.yaml | cxaudit validate -\n\n" + EPILOG
)
def validate(
    paths: Annotated[
        list[str], typer.Argument(help="Journey files or directories (searched for *.yaml, *.yml); - for stdin.")
    ],
    pure: Annotated[bool, PURE_OPTION] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only, no summary.")] = False,
) -> None:
    """Check journey files against the format; print every problem as file:line:col: message (path).

    Exit 0 when every file is valid, 2 otherwise.
    """
    from cxaudit.files import journey_files
    from cxaudit.loader import load_named

    files = journey_files(paths)
    out = _stdout_console()
    bad = 0
    problems = 0
    for name in files:
        try:
            load_named(name, pure=pure)
        except CxauditError as exc:
            bad += 1
            problems += len(exc.problems)
            for problem in exc.problems:
                out.print(_problem_text(problem))
    if not quiet:
        err = _stderr_console()
        noun = "file" if len(files) == 1 else "files"
        if bad:
            err.print(
                f"{problems} problem{'s' if problems != 1 else ''} in {bad} of {len(files)} {noun}.",
                style="bold red",
            )
        else:
            err.print(f"{len(files)} {noun} valid.", style="green")
    raise typer.Exit(exitcodes.INPUT_ERROR if bad else exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit schema > journey.schema.json\n\n"
    "Then put this first line in a journey file for editor hovers and checks:\n\n"
    "  # yaml-language-server: $schema=./journey.schema.json"
)
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of the journey format."""
    from cxaudit.schema import render_schema

    sys.stdout.write(render_schema())


FAIL_LEVELS = ("error", "warning", "info", "never")


def _one_of(choices) -> object:  # type: ignore[no-untyped-def]
    """An option callback accepting only ``choices`` (a tuple, or a callable giving one)."""

    def check(value: str | None) -> str | None:
        allowed = choices() if callable(choices) else choices
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(allowed)}")
        return value

    return check


def _choice(table_name: str) -> object:
    """A callback accepting the formats of one reporter table (imported when used)."""

    def formats() -> tuple[str, ...]:
        from cxaudit import reporters

        return tuple(getattr(reporters, table_name))

    return _one_of(formats)


_fail_level = _one_of(FAIL_LEVELS)
_compare_format = _one_of(("text", "json", "markdown"))
BACKTEST_FORMATS = ("text", "json", "markdown", "sarif")
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
    err = _stderr_console()
    for reason, count in summary.bad_rows.items():
        if count:
            err.print(f"{count:,} rows left out: {reason}", highlight=False)


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
LIFECYCLE_OPTION = typer.Option(
    "--lifecycle", help="The log's column of the lifecycle transition (start, complete...): a visit is a completion."
)
MAP_OPTION = typer.Option(
    "--map", help="A mapping file (YAML): success, abandon, contact, and steps (activity -> step id)."
)


@app.command(
    epilog="Examples:\n\n  cxaudit audit journeys/\n\n  cxaudit audit checkout.yaml --top 0\n\n"
    "  cxaudit audit journeys/ --format json -o audit.json\n\n  cxaudit audit journeys/ --fail-on warning\n\n" + EPILOG
)
def audit(
    paths: Annotated[list[str], typer.Argument(help="Journey files or directories; - for stdin.")],
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="text (for people) or json (every number).", callback=_choice("AUDIT_REPORTERS")
        ),
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    top: Annotated[int, typer.Option("--top", help="Findings shown per journey in text; 0 shows all.", min=0)] = 10,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Audit journeys: exact metrics, ranked remediation, who caused the contacts, the path to success.

    Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 when a file cannot be read.
    """
    from cxaudit.config import ConfigResolver
    from cxaudit.progress import progress
    from cxaudit.reporters import AUDIT_REPORTERS, get_reporter
    from cxaudit.run import run

    resolver = ConfigResolver(config, {"fail_on": fail_on})
    report, failing = run(paths, resolver, pure=pure, progress=progress)
    if report.problems:  # rich only when there is something to show
        err = _stderr_console()
        for problem in report.problems:
            err.print(_problem_text(problem))
    color = _color(output, output_format)
    reporter = get_reporter(output_format, AUDIT_REPORTERS)(color=color, width=_width(), top=top)
    if report.audits or output_format == "json":
        _write(reporter.render(report), output, paths)
    _finish(report.problems, failing)


@app.command(
    epilog="Examples:\n\n  cxaudit check journeys/\n\n  cxaudit check journeys/ --format sarif -o cxaudit.sarif\n\n"
    "  cxaudit check journeys/ --select ST,CT --fail-on warning\n\n"
    "  cxaudit check journeys/ --write-baseline .cxaudit-baseline.json\n\n"
    "  cxaudit check journeys/ --baseline .cxaudit-baseline.json\n\n" + EPILOG
)
def check(
    paths: Annotated[list[str], typer.Argument(help="Journey files or directories; - for stdin.")],
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="text, json, sarif, github, junit or markdown; github by default under GitHub Actions.",
            callback=_choice("CHECK_REPORTERS"),
        ),
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    select: Annotated[list[str] | None, SELECT_OPTION] = None,
    ignore: Annotated[list[str] | None, IGNORE_OPTION] = None,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", help="Report and fail only on findings not in this baseline.")
    ] = None,
    write_baseline: Annotated[
        str | None, typer.Option("--write-baseline", help="Record the current findings as the baseline, and exit 0.")
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Count findings per rule instead of listing them.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only, no summary.")] = False,
    show_source: Annotated[
        bool, typer.Option("--show-source", help="Show the offending line under each finding.")
    ] = False,
    pure: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Check journeys like a linter: one line per finding (file:line:col: CODE [severity] message).

    Exit 0 when nothing is at or above the fail level, 1 when something is, 2 on input, config or usage errors.
    """
    from cxaudit.baseline import load_baseline, render_baseline
    from cxaudit.config import ConfigResolver
    from cxaudit.progress import progress
    from cxaudit.reporters import CHECK_REPORTERS, get_reporter
    from cxaudit.run import run

    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    resolver = ConfigResolver(config, {"select": select, "ignore": ignore, "fail_on": fail_on})
    known = load_baseline(baseline) if baseline else None
    reporter_class = get_reporter(output_format, CHECK_REPORTERS)
    color = _color(output, output_format)
    reporter = reporter_class(color=color, width=_width(), quiet=quiet, statistics=statistics, show_source=show_source)
    # A findings-only output is made file by file where the files are checked
    # (a baseline to write needs the findings themselves).
    part = getattr(reporter, "file_part", None) if not write_baseline else None
    report, failing = run(
        paths,
        resolver,
        pure=pure,
        # A baseline being written records every current finding, those the old one knew too.
        baseline=None if write_baseline else known,
        keep_sources=show_source,
        progress=progress,
        findings_only=getattr(reporter_class, "findings_only", False),
        part=part,
    )
    if write_baseline:
        from cxaudit.atomic import write_atomic

        current = [f for a in report.audits for f in a.active]
        write_atomic(write_baseline, render_baseline(current), inputs=_input_files(paths))
        for problem in report.problems:
            _stderr_console().print(_problem_text(problem))
        _stderr_console().print(f"Wrote a baseline of {len(current)} findings to {write_baseline}.")
        raise typer.Exit(exitcodes.INPUT_ERROR if report.problems else exitcodes.CLEAN)
    _write(reporter.render(report), output, paths)
    _finish(report.problems, failing)


def _audit_one(path: str, config: str | None, pure: bool):  # type: ignore[no-untyped-def]
    """Load and audit a single journey (for graph and compare)."""
    from cxaudit.config import ConfigResolver
    from cxaudit.run import run

    report, _ = run([path], ConfigResolver(config), pure=pure)
    if report.problems:
        from cxaudit.errors import JourneyError

        raise JourneyError(list(report.problems))
    return report.audits[0]


@app.command(
    epilog="Examples:\n\n  cxaudit report journeys/ -o portfolio.md\n\n"
    "  cxaudit report journeys/web-checkout.yaml -o checkout.html\n\n  cxaudit report checkout.yaml -o -\n\n" + EPILOG
)
def report(
    paths: Annotated[list[str], typer.Argument(help="Journey files or directories; - for stdin.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="The report file (.md or .html); - for standard output.")
    ] = "-",
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="markdown or html; default from the file's extension.",
            callback=_choice("REPORT_REPORTERS"),
        ),
    ] = None,
    timestamp: Annotated[
        bool, typer.Option("--timestamp", help="Say when the report was made (off: reports diff cleanly).")
    ] = False,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = "never",
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Write a report people read: executive summary, top fixes and their worth, contacts by team, journey map.

    One journey makes one document; several make a portfolio ranked by value at risk.
    """
    from cxaudit.config import ConfigResolver
    from cxaudit.progress import progress
    from cxaudit.reporters import REPORT_REPORTERS, get_reporter
    from cxaudit.run import run

    if output_format is None:
        output_format = "html" if output.lower().endswith((".html", ".htm")) else "markdown"
    stamp = None
    if timestamp:
        import datetime

        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    resolver = ConfigResolver(config, {"fail_on": fail_on})
    result, failing = run(paths, resolver, pure=pure, progress=progress)
    for problem in result.problems:
        _stderr_console().print(_problem_text(problem))
    if result.audits:
        _write(get_reporter(output_format, REPORT_REPORTERS)(timestamp=stamp).render(result), output, paths)
        if output != "-":
            _stderr_console().print(
                f"Wrote {output} ({len(result.audits)} journey{'s' if len(result.audits) != 1 else ''})."
            )
    _finish(result.problems, failing)


@app.command(
    epilog="Examples:\n\n  cxaudit compare checkout-v1.yaml checkout-v2.yaml\n\n"
    "  cxaudit compare journeys/web-checkout.yaml --rev main..HEAD\n\n"
    "  cxaudit compare journeys/web-checkout.yaml --rev HEAD~3..   (against the working tree)\n\n"
    "  cxaudit compare before.yaml after.yaml --format json\n\n" + EPILOG
)
def compare(
    before: Annotated[str, typer.Argument(help="The journey before the change (or the only file, with --rev).")],
    after: Annotated[str | None, typer.Argument(help="The journey after the change.")] = None,
    rev: Annotated[str | None, typer.Option("--rev", help="Compare one file at two git revisions, A..B.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text, json or markdown.", callback=_compare_format)
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the comparison to this file.")] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Before and after: every metric, contacts avoided, customers kept, findings fixed and introduced."""
    from cxaudit.compare import Comparison, git_versions
    from cxaudit.config import ConfigResolver
    from cxaudit.engine import audit as run_audit
    from cxaudit.errors import UsageError
    from cxaudit.loader import loads_journey
    from cxaudit.reporters.comparison import COMPARE_REPORTERS

    if rev is not None:
        if after is not None:
            raise UsageError("with --rev, give one file: cxaudit compare FILE --rev A..B")
        (old_text, old_name), (new_text, new_name) = git_versions(before, rev)
        settings = ConfigResolver(config).for_path(before)
        audits = [
            run_audit(loads_journey(text, name=name, pure=pure), settings.for_file(before))
            for text, name in ((old_text, old_name), (new_text, new_name))
        ]
        comparison = Comparison(*audits)
    else:
        if after is None:
            raise UsageError("compare needs two files (BEFORE AFTER), or one file and --rev A..B")
        comparison = Comparison(_audit_one(before, config, pure), _audit_one(after, config, pure))
    reporter = COMPARE_REPORTERS[output_format](color=_color(output, output_format), width=_width())
    _write(reporter.render(comparison), output, [before] + ([after] if after else []))
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit graph journeys/web-checkout.yaml > checkout.mmd\n\n"
    "  cxaudit graph journeys/web-checkout.yaml --format dot | dot -Tsvg > checkout.svg\n\n" + EPILOG
)
def graph(
    path: Annotated[str, typer.Argument(help="A journey file; - for stdin.")],
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="mermaid or dot.", callback=_graph_format)
    ] = "mermaid",
    max_steps: Annotated[
        int, typer.Option("--max-steps", help="Above this many steps, draw only the part that matters.", min=1)
    ] = 60,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the diagram to this file.")] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Print the journey diagram alone (Mermaid or Graphviz DOT), marked like the report's."""
    from cxaudit import diagram

    result = _audit_one(path, config, pure)
    render = diagram.mermaid if output_format == "mermaid" else diagram.dot
    _write(render(result, max_steps), output, [path])
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n"
    "  cxaudit discover events.csv -o journey.yaml --success 'Order placed' --abandon 'Basket abandoned'\n\n"
    "  cxaudit discover events.parquet -o j.yaml --success Done --contact '^(Call|Chat)' --period week\n\n"
    "  cxaudit discover events.xes   (lists the activities cases end with, to choose --success from)\n\n"
    "Columns named case:concept:name, concept:name, time:timestamp, org:resource, lifecycle:transition and "
    "start_timestamp (or case_id, activity, timestamp, resource) are found by themselves.\n\n" + EPILOG
)
def discover(
    log: Annotated[str, typer.Argument(help="The event log: .csv, .csv.gz, .parquet, .xes or .xes.gz.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The journey file to write; - for stdout.")] = "-",
    success: Annotated[list[str] | None, typer.Option("--success", help="An activity that ends a case well.")] = None,
    abandon: Annotated[list[str] | None, typer.Option("--abandon", help="An activity where customers give up.")] = None,
    decline: Annotated[
        list[str] | None,
        typer.Option("--decline", help="An activity where the organisation decides no (declined, rejected)."),
    ] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="A regular expression for activities that are contacts.")
    ] = None,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    mapping: Annotated[str | None, MAP_OPTION] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="The column of the resource (owner).")] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    period: Annotated[
        str,
        typer.Option(
            "--period",
            help="day, week, month, quarter or year: the period of volume.",
            callback=_one_of(("day", "week", "month", "quarter", "year")),
        ),
    ] = "month",
    min_share: Annotated[
        float, typer.Option("--min-share", help="Drop transitions rarer than this share of their step.", min=0, max=1)
    ] = 0.0,
    unfinished: Annotated[
        str,
        typer.Option(
            "--unfinished",
            help="What cases that end on another activity count as: abandon (default) or success.",
            callback=_one_of(("abandon", "success")),
        ),
    ] = "abandon",
    journey_id: Annotated[
        str | None, typer.Option("--id", help="The journey id (default: from the file name).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="The journey name.")] = None,
) -> None:
    """Discover a journey from an event log: one step per activity, probabilities from what customers did.

    A case ends at its first --success or --abandon activity; without --success, the activities cases end and
    start with are listed to choose from.
    """
    import re as _re

    from cxaudit.discover import discover as run_discover
    from cxaudit.discover import ends_and_starts, outcome_problem
    from cxaudit.errors import UsageError
    from cxaudit.loader import loads_journey
    from cxaudit.logs.mapping import ActivityMap, load_activity_map
    from cxaudit.logs.read import EventLog

    given = load_activity_map(mapping) if mapping else ActivityMap()
    success = [*given.success, *(success or [])]
    abandon = [*given.abandon, *(abandon or [])]
    decline = [*given.decline, *(decline or [])]
    contact = contact or given.contact
    if contact:
        try:
            _re.compile(contact)
        except _re.error as exc:
            raise UsageError(f"--contact is not a regular expression: {exc}") from None
    with EventLog(
        log,
        case=case,
        activity=activity,
        timestamp=timestamp,
        resource=resource,
        start=start,
        lifecycle=lifecycle,
        progress=_log_progress(output),
    ) as events:
        names = events.activity_names()
        if not success or any(name not in names for name in (*success, *abandon, *decline)):
            whole = events.summary(())  # every case to its last visit: where cases end, to choose from
            raise UsageError(f"{outcome_problem(whole, success, abandon, decline)}\n{ends_and_starts(whole)}")
        summary = events.summary([*success, *abandon, *decline])
    err = _stderr_console()
    _say_left_out(summary)
    found = run_discover(
        summary,
        success=success,
        abandon=abandon,
        decline=decline,
        contact=contact,
        journey_id=journey_id,
        name=name,
        period=period,
        min_share=min_share,
        unfinished=unfinished,
    )
    loads_journey(found.text, name=output)  # the journey must pass its own validation
    for note in found.notes:
        err.print(note)
    _write(found.text, output, [log])
    if output != "-":
        err.print(f"Wrote {output}: {len(summary.activities)} activities from {summary.cases:,} cases.")
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit drift journeys/web-checkout.yaml events.csv\n\n"
    "  cxaudit drift checkout.yaml events.parquet --format sarif -o drift.sarif --fail-on warning\n\n" + EPILOG
)
def drift(
    journey: Annotated[str, typer.Argument(help="The journey file.")],
    log: Annotated[str, typer.Argument(help="The event log: .csv, .csv.gz, .parquet, .xes or .xes.gz.")],
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="text, json, sarif, github, junit or markdown.", callback=_choice("CHECK_REPORTERS")
        ),
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = "warning",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only, no summary.")] = False,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    mapping: Annotated[str | None, MAP_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
) -> None:
    """Compare a journey with what customers did in an event log: DR01-DR05, as findings.

    Exit 1 when a finding is at least --fail-on (warning by default), 2 on input errors.
    """
    from cxaudit.config import ConfigResolver
    from cxaudit.engine import AuditConfig
    from cxaudit.engine import audit as run_audit
    from cxaudit.loader import load_journey
    from cxaudit.logs.mapping import load_activity_map
    from cxaudit.logs.read import EventLog
    from cxaudit.model import Severity
    from cxaudit.report import Report
    from cxaudit.reporters import CHECK_REPORTERS, get_reporter

    settings = ConfigResolver(config).for_path(journey)
    base = settings.for_file(journey)
    current = load_journey(journey, limits=settings.limits)
    explicit = load_activity_map(mapping).steps if mapping else None
    drift_rules = frozenset({"DR01", "DR02", "DR03", "DR04", "DR05"})
    with EventLog(
        log,
        case=case,
        activity=activity,
        timestamp=timestamp,
        start=start,
        lifecycle=lifecycle,
        progress=_log_progress(output),
    ) as events:
        result = run_audit(
            current,
            AuditConfig(select=drift_rules, severity=base.severity, options=base.options),
            log=events,
            activity_map=explicit,
        )
    report = Report((result,), files=1)
    color = _color(output, output_format)
    _write(
        get_reporter(output_format, CHECK_REPORTERS)(color=color, width=_width(), quiet=quiet).render(report),
        output,
        [journey, log],
    )
    failing = fail_on != "never" and any(f.severity >= Severity.parse(fail_on) for f in result.active)
    _finish((), failing)


@app.command(
    epilog="Examples:\n\n  cxaudit calibrate journeys/web-checkout.yaml events.csv\n\n"
    "  cxaudit calibrate checkout.yaml events.parquet -o checkout-calibrated.yaml\n\n" + EPILOG
)
def calibrate(
    journey: Annotated[str, typer.Argument(help="The journey file (updated in place unless -o is given).")],
    log: Annotated[str, typer.Argument(help="The event log: .csv, .csv.gz, .parquet, .xes or .xes.gz.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the calibrated journey here.")] = None,
    min_observations: Annotated[
        int, typer.Option("--min-observations", help="Steps seen fewer times keep their values.", min=1)
    ] = 30,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    mapping: Annotated[str | None, MAP_OPTION] = None,
) -> None:
    """Update a journey's probabilities, durations and volume from an event log, keeping its comments and layout."""
    from cxaudit.atomic import write_atomic
    from cxaudit.calibrate import calibrate as run_calibrate
    from cxaudit.discover import log_notes
    from cxaudit.errors import UsageError
    from cxaudit.loader import decode, load_named, loads_journey, read_source
    from cxaudit.logs.mapping import load_activity_map
    from cxaudit.logs.read import EventLog

    current, data = load_named(journey)  # the journey is read once: what is calibrated is what was loaded
    text = decode(data, journey)
    explicit = load_activity_map(mapping).steps if mapping else None
    with EventLog(
        log,
        case=case,
        activity=activity,
        timestamp=timestamp,
        start=start,
        lifecycle=lifecycle,
        progress=_log_progress(output),
    ) as events:
        result = run_calibrate(text, current, events, min_observations=min_observations, activity_map=explicit)
    target = output or journey
    loads_journey(result.text, name=target)  # never write a journey that does not load
    if target == journey and read_source(journey) != data:
        raise UsageError(f"{journey} changed while the log was read; nothing was written: run calibrate again")
    err = _stderr_console()
    _say_left_out(result.log)
    for note in log_notes(result.log):
        err.print(note, highlight=False)
    for change in result.changes:
        err.print(change, highlight=False)
    for kept in result.kept:
        err.print(f"kept: {kept}", highlight=False)
    if target == "-":
        sys.stdout.write(result.text)
    else:
        write_atomic(target, result.text, inputs=[log])
        err.print(f"Wrote {target}: {len(result.changes)} changes.")
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit backtest journeys/checkout.yaml events.csv\n\n"
    "  cxaudit backtest checkout.yaml events.parquet --format sarif -o backtest.sarif\n\n"
    "Exit codes: 0 every figure within its interval, 1 a figure outside, 2 input, configuration or usage "
    "error, 3 internal error."
)
def backtest(
    journey: Annotated[str, typer.Argument(help="The journey file.")],
    log: Annotated[str, typer.Argument(help="The event log: .csv, .csv.gz, .parquet, .xes or .xes.gz.")],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="text, json, markdown or sarif.", callback=_one_of(BACKTEST_FORMATS)),
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    confidence: Annotated[
        float,
        typer.Option("--confidence", help="Of the prediction intervals, for all figures together.", min=0.5, max=0.999),
    ] = 0.95,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    mapping: Annotated[str | None, MAP_OPTION] = None,
) -> None:
    """Set a journey's predictions against what a log's customers did: outcome shares, repeats, visits, times.

    Each figure has a prediction interval for a log of that size; a figure outside it fails the backtest.
    """
    from cxaudit.analysis.backtest import backtest as run_backtest
    from cxaudit.loader import load_journey
    from cxaudit.logs.mapping import load_activity_map
    from cxaudit.logs.read import EventLog
    from cxaudit.reporters.backtest import BACKTEST_REPORTERS

    current = load_journey(journey)
    explicit = load_activity_map(mapping).steps if mapping else None
    with EventLog(
        log,
        case=case,
        activity=activity,
        timestamp=timestamp,
        start=start,
        lifecycle=lifecycle,
        progress=_log_progress(output),
    ) as events:
        result = run_backtest(current, events, confidence=confidence, activity_map=explicit)
    _write(BACKTEST_REPORTERS[output_format]().render(result), output, [journey, log])
    raise typer.Exit(exitcodes.CLEAN if result.passed else exitcodes.FINDINGS)


import_app = typer.Typer(help="Import models from other tools as journeys.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command(
    "bpmn",
    epilog="Examples:\n\n  cxaudit import bpmn onboarding.bpmn -o journeys/onboarding.yaml\n\n"
    "  cxaudit import bpmn collaboration.bpmn --process Process_2 -o journeys/claims.yaml\n\n"
    "  cxaudit check models/   (checks .bpmn files directly)\n\n" + EPILOG,
)
def import_bpmn(
    model: Annotated[str, typer.Argument(help="A BPMN 2.0 XML file.")],
    output: Annotated[str, typer.Option("--output", "-o", help="The journey file to write; - for stdout.")] = "-",
    abandon_pattern: Annotated[
        str | None, typer.Option("--abandon-pattern", help="End events whose name matches are abandon outcomes.")
    ] = None,
    decline_pattern: Annotated[
        str | None,
        typer.Option("--decline-pattern", help="End events whose name matches are decline outcomes (a decision)."),
    ] = None,
    customer_pattern: Annotated[
        str | None, typer.Option("--customer-pattern", help="The pool whose message flows make contact steps.")
    ] = None,
    process: Annotated[
        str | None,
        typer.Option("--process", help="The id of the process to import (default: the largest one nothing calls)."),
    ] = None,
) -> None:
    """Write a BPMN model as a journey (v1): tasks become steps, gateways become shares, lanes owners."""
    from cxaudit import bpmn
    from cxaudit.emit import journey_yaml
    from cxaudit.loader import loads_journey, read_source

    parsed = bpmn.parse(read_source(model), model)
    journey = bpmn.to_journey(
        parsed,
        abandon_pattern=abandon_pattern or bpmn.DEFAULT_ABANDON,
        decline_pattern=decline_pattern or bpmn.DEFAULT_DECLINE,
        customer_pattern=customer_pattern or bpmn.DEFAULT_CUSTOMER,
        process_id=process,
    )
    text = journey_yaml(journey, header=[f"Imported by cxaudit from {model}; shares at gateways are assumed."])
    loads_journey(text, name=output)  # what is written must load
    err = _stderr_console()
    for problem in parsed.problems:
        err.print(_problem_text(problem))
    _write(text, output, [model])
    if output != "-":
        err.print(f"Wrote {output}: {len(journey.steps)} steps.")
    raise typer.Exit(exitcodes.CLEAN)


@app.command(name="rules", epilog="Examples:\n\n  cxaudit rules\n\n  cxaudit explain FR02")
def rules_command() -> None:
    """List the rule catalog: code, name, group, default severity, what it finds."""
    from rich.table import Table

    from cxaudit.rules import RULES

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Code", "Name", "Group", "Severity", "Finds"):
        table.add_column(column, no_wrap=column != "Finds")
    for code, rule in RULES.items():
        table.add_row(code, rule.name, rule.group, rule.severity.label, rule.summary())
    _stdout_console().print(table)


@app.command(epilog="Examples:\n\n  cxaudit explain FR02\n\n  cxaudit explain drop-off-hotspot")
def explain(code: Annotated[str, typer.Argument(help="A rule code (FR02) or name (drop-off-hotspot).")]) -> None:
    """Print a rule's documentation: what it finds, why it hurts, how to fix it, examples, options."""
    from cxaudit.errors import UsageError
    from cxaudit.rules import find_rule

    try:
        rule = find_rule(code)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    header = f"{rule.code} {rule.name} ({rule.group}, default severity {rule.severity.label})"
    sys.stdout.write(header + "\n" + "=" * len(header) + "\n\n" + rule.documentation() + "\n")


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
    (a 100,000-step JSON report: 1.8 s of collection to build 0.3 s of data).
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
    and freeing the run's objects one by one: 50-100 ms after a 10,000-step
    audit, 0.2 s after 100,000 steps (mypy ends the same way). Nothing is
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

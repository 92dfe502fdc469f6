"""Commands on event logs: discover, drift, calibrate, backtest."""

import sys
from typing import Annotated

import typer

from cxaudit import exitcodes, fmt
from cxaudit.cli.app import (
    ACTIVITY_OPTION,
    CASE_OPTION,
    CONFIG_OPTION,
    ENCODING_OPTION,
    ENGINE_OPTION,
    EPILOG,
    FAIL_ON_OPTION,
    LIFECYCLE_OPTION,
    MAP_OPTION,
    START_OPTION,
    TIME_FORMAT_OPTION,
    TIMESTAMP_OPTION,
    _choice,
    _color,
    _engine,
    _finish,
    _log_progress,
    _one_of,
    _say_left_out,
    _stderr_console,
    _width,
    _write,
    app,
)

LOG_HELP = (
    "The event log: .csv, .csv.gz, .parquet (a file, a folder or a glob of them), .xes or .xes.gz; "
    "with --engine spark also table:NAME."
)


def _history_option(value: str) -> str:
    if value != "auto" and not (value.isdigit() and 1 <= int(value) <= 9):
        raise typer.BadParameter(f"'{value}' is not auto or a whole number from 1 to 9")
    return value


@app.command(
    epilog="Examples:\n\n"
    "  cxaudit discover events.csv -o journey.yaml --success 'Order placed' --abandon 'Basket abandoned'\n\n"
    "  cxaudit discover events.parquet -o j.yaml --success Done --contact '^(Call|Chat)' --period week\n\n"
    "  cxaudit discover events.xes   (lists the activities cases end with, to choose --success from)\n\n"
    "  cxaudit discover 'lake/events/*.parquet' --engine spark -o j.yaml --success Done\n\n"
    "Columns named case:concept:name, concept:name, time:timestamp, org:resource, lifecycle:transition and "
    "start_timestamp (or case_id, activity, timestamp, resource) are found by themselves.\n\n" + EPILOG
)
def discover(
    log: Annotated[str, typer.Argument(help=LOG_HELP)],
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
    time_format: Annotated[str | None, TIME_FORMAT_OPTION] = None,
    encoding: Annotated[str, ENCODING_OPTION] = "utf-8",
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
    history: Annotated[
        str,
        typer.Option(
            "--history",
            help="1: a step per activity; N: a step per activity and the N-1 activities before it; "
            "auto (default): the N from 1 to 3 that predicts the log best (lowest AIC), said on stderr.",
            callback=_history_option,
        ),
    ] = "auto",
    variants: Annotated[
        int,
        typer.Option(
            "--variants",
            min=0,
            max=100,
            help="How many of the log's most common paths to write (journey 'variants'); 0 for none.",
        ),
    ] = 5,
    engine: Annotated[str | None, ENGINE_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
) -> None:
    """Discover a journey from an event log: a step per activity (and history), probabilities from what customers did.

    A case ends at its first --success or --abandon activity; without --success, the activities cases end and
    start with are listed to choose from.
    """
    import re as _re

    from rich.markup import escape

    from cxaudit.errors import UsageError
    from cxaudit.journey.load import loads_journey
    from cxaudit.logs.discover import discover as run_discover
    from cxaudit.logs.discover import ends_and_starts, outcome_problem
    from cxaudit.logs.history import split_for_discovery
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
        time_format=time_format,
        encoding=encoding,
        progress=_log_progress(output),
        **_engine(engine, config, "-"),
    ) as events:
        names = events.activity_names()
        if not success or any(name not in names for name in (*success, *abandon, *decline)):
            whole = events.summary(())  # every case to its last visit: where cases end, to choose from
            raise UsageError(f"{outcome_problem(whole, success, abandon, decline)}\n{ends_and_starts(whole)}")
        outcomes = frozenset([*success, *abandon, *decline])
        states, choice = split_for_discovery(events, outcomes, None if history == "auto" else int(history))
        summary = events.summary(outcomes)
        common = events.variants(outcomes, variants, summary.in_order) if variants else []
    err = _stderr_console()
    if choice is not None:
        err.print(escape(f"--history auto: {choice.reason()}"))
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
        states=states,
        variants=common,
    )
    loads_journey(found.text, name=output)  # the journey must pass its own validation
    for note in found.notes:
        err.print(note)
    _write(found.text, output, [log])
    if output != "-":
        steps = len(summary.activities)
        err.print(f"Wrote {output}: {fmt.counted(steps, 'step')} from {fmt.cases(summary.cases)}.")
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit drift journeys/web-checkout.yaml events.csv\n\n"
    "  cxaudit drift checkout.yaml events.parquet --format sarif -o drift.sarif --fail-on warning\n\n" + EPILOG
)
def drift(
    journey: Annotated[str, typer.Argument(help="The journey file.")],
    log: Annotated[str, typer.Argument(help=LOG_HELP)],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="text, json, sarif, github, junit or markdown.", callback=_choice("check")),
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = "warning",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings only, no summary.")] = False,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    time_format: Annotated[str | None, TIME_FORMAT_OPTION] = None,
    encoding: Annotated[str, ENCODING_OPTION] = "utf-8",
    mapping: Annotated[str | None, MAP_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    engine: Annotated[str | None, ENGINE_OPTION] = None,
) -> None:
    """Compare a journey with what customers did in an event log: DR01-DR05, as findings.

    Exit 1 when a finding is at least --fail-on (warning by default), 2 on input errors.
    """
    from cxaudit.engine import AuditConfig
    from cxaudit.engine import audit as run_audit
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.report import Report
    from cxaudit.journey.load import load_journey
    from cxaudit.logs.mapping import load_activity_map
    from cxaudit.logs.read import EventLog
    from cxaudit.model import fails
    from cxaudit.reporters import get_reporter

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
        time_format=time_format,
        encoding=encoding,
        progress=_log_progress(output),
        **_engine(engine, config, journey, settings),
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
        get_reporter("check", output_format)(color=color, width=_width(), quiet=quiet).render(report),
        output,
        [journey, log],
    )
    failing = fails(result.active, fail_on or "warning")
    _finish((), failing)


@app.command(
    epilog="Examples:\n\n  cxaudit calibrate journeys/web-checkout.yaml events.csv\n\n"
    "  cxaudit calibrate checkout.yaml events.parquet -o checkout-calibrated.yaml\n\n"
    "  cxaudit calibrate checkout.yaml table:events --engine spark\n\n" + EPILOG
)
def calibrate(
    journey: Annotated[str, typer.Argument(help="The journey file (updated in place unless -o is given).")],
    log: Annotated[str, typer.Argument(help=LOG_HELP)],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the calibrated journey here.")] = None,
    min_observations: Annotated[
        int, typer.Option("--min-observations", help="Steps seen fewer times keep their values.", min=1)
    ] = 30,
    case: Annotated[str | None, CASE_OPTION] = None,
    activity: Annotated[str | None, ACTIVITY_OPTION] = None,
    timestamp: Annotated[str | None, TIMESTAMP_OPTION] = None,
    start: Annotated[str | None, START_OPTION] = None,
    lifecycle: Annotated[str | None, LIFECYCLE_OPTION] = None,
    time_format: Annotated[str | None, TIME_FORMAT_OPTION] = None,
    encoding: Annotated[str, ENCODING_OPTION] = "utf-8",
    mapping: Annotated[str | None, MAP_OPTION] = None,
    engine: Annotated[str | None, ENGINE_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
) -> None:
    """Update a journey's probabilities, durations and volume from an event log, keeping its comments and layout."""
    from cxaudit.atomic import write_atomic
    from cxaudit.errors import UsageError
    from cxaudit.journey.load import decode, load_named, loads_journey, read_source
    from cxaudit.logs.calibrate import calibrate as run_calibrate
    from cxaudit.logs.discover import log_notes
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
        time_format=time_format,
        encoding=encoding,
        progress=_log_progress(output),
        **_engine(engine, config, journey),
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
        err.print(f"Wrote {target}: {fmt.counted(len(result.changes), 'change')}.")
    raise typer.Exit(exitcodes.CLEAN)


@app.command(
    epilog="Examples:\n\n  cxaudit backtest journeys/checkout.yaml events.csv\n\n"
    "  cxaudit backtest checkout.yaml events.parquet --format sarif -o backtest.sarif\n\n"
    "Exit codes: 0 every figure within its interval, 1 a figure outside, 2 input, configuration or usage "
    "error, 3 internal error."
)
def backtest(
    journey: Annotated[str, typer.Argument(help="The journey file.")],
    log: Annotated[str, typer.Argument(help=LOG_HELP)],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="text, json, markdown or sarif.", callback=_choice("backtest")),
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
    time_format: Annotated[str | None, TIME_FORMAT_OPTION] = None,
    encoding: Annotated[str, ENCODING_OPTION] = "utf-8",
    mapping: Annotated[str | None, MAP_OPTION] = None,
    engine: Annotated[str | None, ENGINE_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
) -> None:
    """Set a journey's predictions against what a log's customers did: outcome shares, repeats, visits, times.

    Each figure has a prediction interval for a log of that size; a figure outside it fails the backtest.
    """
    from cxaudit.analysis.backtest import backtest as run_backtest
    from cxaudit.journey.load import load_journey
    from cxaudit.logs.mapping import load_activity_map
    from cxaudit.logs.read import EventLog
    from cxaudit.reporters import get_reporter

    current = load_journey(journey)
    explicit = load_activity_map(mapping).steps if mapping else None
    with EventLog(
        log,
        case=case,
        activity=activity,
        timestamp=timestamp,
        start=start,
        lifecycle=lifecycle,
        time_format=time_format,
        encoding=encoding,
        progress=_log_progress(output),
        **_engine(engine, config, journey),
    ) as events:
        result = run_backtest(current, events, confidence=confidence, activity_map=explicit)
    _write(get_reporter("backtest", output_format)().render(result), output, [journey, log])
    raise typer.Exit(exitcodes.CLEAN if result.passed else exitcodes.FINDINGS)

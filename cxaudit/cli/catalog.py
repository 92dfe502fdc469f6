"""Commands on other tools' models and on the rule catalog: import bpmn, rules, explain."""

import sys
from typing import Annotated

import typer

from cxaudit import exitcodes
from cxaudit.cli.app import (
    EPILOG,
    _problem_text,
    _stderr_console,
    _stdout_console,
    _write,
    app,
)

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
    from cxaudit.journey.load import loads_journey, read_source
    from cxaudit.journey.write import journey_yaml

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

    from cxaudit.rules import RULES, summary_of

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("Code", "Name", "Group", "Severity", "Finds"):
        table.add_column(column, no_wrap=column != "Finds")
    for code, rule in RULES.items():
        table.add_row(code, rule.name, rule.group, rule.severity.label, summary_of(rule))
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

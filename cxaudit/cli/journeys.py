"""Commands on journey files: validate, schema, audit, check, report, compare, graph."""

import os
import sys
from typing import Annotated

import typer

from cxaudit import exitcodes
from cxaudit.cli.app import (
    CONFIG_OPTION,
    EPILOG,
    FAIL_ON_OPTION,
    IGNORE_OPTION,
    PURE_OPTION,
    SELECT_OPTION,
    _audit_one,
    _choice,
    _color,
    _finish,
    _graph_format,
    _input_files,
    _problem_text,
    _stderr_console,
    _stdout_console,
    _width,
    _write,
    app,
)
from cxaudit.errors import CxauditError


@app.command(
    epilog="Examples:\n\n  cxaudit validate journeys/\n\n  cxaudit validate checkout.yaml bank.yaml\n\n"
    "  cat checkout.yaml | cxaudit validate -\n\n" + EPILOG
)
def validate(
    paths: Annotated[
        list[str], typer.Argument(help="Journey files or directories (searched for *.yaml, *.yml); - for stdin.")
    ],
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only, no summary.")] = False,
) -> None:
    """Check journey files against the format; print every problem as file:line:col: message (path).

    Exit 0 when every file is valid, 2 otherwise.
    """
    from cxaudit.files import journey_files
    from cxaudit.journey.load import load_named

    files = journey_files(paths)
    out = _stdout_console()
    bad = 0
    problems = 0
    for name in files:
        try:
            load_named(name, pure_yaml=pure_yaml)
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


@app.command(
    epilog="Examples:\n\n  cxaudit audit journeys/\n\n  cxaudit audit checkout.yaml --top 0\n\n"
    "  cxaudit audit journeys/ --format json -o audit.json\n\n  cxaudit audit journeys/ --fail-on warning\n\n" + EPILOG
)
def audit(
    paths: Annotated[list[str], typer.Argument(help="Journey files or directories; - for stdin.")],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="text (for people) or json (every number).", callback=_choice("audit")),
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    top: Annotated[int, typer.Option("--top", help="Findings shown per journey in text; 0 shows all.", min=0)] = 10,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Audit journeys: exact metrics, ranked remediation, who caused the contacts, the path to success.

    Exit 0 when no finding is at or above --fail-on, 1 when one is, 2 when a file cannot be read.
    """
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run
    from cxaudit.progress import progress
    from cxaudit.reporters import get_reporter

    resolver = ConfigResolver(config, {"fail_on": fail_on})
    report, failing = run(paths, resolver, pure_yaml=pure_yaml, progress=progress)
    if report.problems:  # rich only when there is something to show
        err = _stderr_console()
        for problem in report.problems:
            err.print(_problem_text(problem))
    color = _color(output, output_format)
    reporter = get_reporter("audit", output_format)(color=color, width=_width(), top=top)
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
            callback=_choice("check"),
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
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Check journeys like a linter: one line per finding (file:line:col: CODE [severity] message).

    Exit 0 when nothing is at or above the fail level, 1 when something is, 2 on input, config or usage errors.
    """
    from cxaudit.engine.baseline import load_baseline, render_baseline
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run
    from cxaudit.progress import progress
    from cxaudit.reporters import get_reporter

    if output_format is None:
        output_format = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    resolver = ConfigResolver(config, {"select": select, "ignore": ignore, "fail_on": fail_on})
    known = load_baseline(baseline) if baseline else None
    reporter_class = get_reporter("check", output_format)
    color = _color(output, output_format)
    reporter = reporter_class(color=color, width=_width(), quiet=quiet, statistics=statistics, show_source=show_source)
    # A findings-only output is made file by file where the files are checked
    # (a baseline to write needs the findings themselves).
    file_output = getattr(reporter, "file_part", None) if not write_baseline else None
    report, failing = run(
        paths,
        resolver,
        pure_yaml=pure_yaml,
        # A baseline being written records every current finding, those the old one knew too.
        baseline=None if write_baseline else known,
        keep_sources=show_source,
        progress=progress,
        findings_only=getattr(reporter_class, "findings_only", False),
        file_output=file_output,
    )
    if write_baseline:
        from cxaudit import fmt
        from cxaudit.atomic import write_atomic

        current = [f for a in report.audits for f in a.active]
        write_atomic(write_baseline, render_baseline(current), inputs=_input_files(paths))
        for problem in report.problems:
            _stderr_console().print(_problem_text(problem))
        _stderr_console().print(f"Wrote a baseline of {fmt.counted(len(current), 'finding')} to {write_baseline}.")
        raise typer.Exit(exitcodes.INPUT_ERROR if report.problems else exitcodes.CLEAN)
    _write(reporter.render(report), output, paths)
    _finish(report.problems, failing)


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
            callback=_choice("report"),
        ),
    ] = None,
    timestamp: Annotated[
        bool, typer.Option("--timestamp", help="Say when the report was made (off: reports diff cleanly).")
    ] = False,
    fail_on: Annotated[str | None, FAIL_ON_OPTION] = "never",
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Write a report people read: executive summary, top fixes and their worth, contacts by team, journey map.

    One journey makes one document; several make a portfolio ranked by value at risk.
    """
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.engine.run import run
    from cxaudit.progress import progress
    from cxaudit.reporters import get_reporter

    if output_format is None:
        output_format = "html" if output.lower().endswith((".html", ".htm")) else "markdown"
    stamp = None
    if timestamp:
        import datetime

        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    resolver = ConfigResolver(config, {"fail_on": fail_on})
    result, failing = run(paths, resolver, pure_yaml=pure_yaml, progress=progress)
    for problem in result.problems:
        _stderr_console().print(_problem_text(problem))
    if result.audits:
        _write(get_reporter("report", output_format)(timestamp=stamp).render(result), output, paths)
        if output != "-":
            _stderr_console().print(
                f"Wrote {output} ({len(result.audits)} journey{'s' if len(result.audits) != 1 else ''})."
            )
    _finish(result.problems, failing)


@app.command(
    epilog="Examples:\n\n  cxaudit compare checkout-v1.yaml checkout-v2.yaml\n\n"
    "  cxaudit compare journeys/web-checkout.yaml --rev main..HEAD\n\n"
    "  cxaudit compare journeys/web-checkout.yaml --rev HEAD~3..   (against the working tree)\n\n"
    "  cxaudit compare before.yaml after.yaml --format json\n\n"
    "  cxaudit compare --rev origin/main..HEAD journeys/ --format markdown   (a pull request's comment)\n\n" + EPILOG
)
def compare(
    paths: Annotated[
        list[str],
        typer.Argument(help="BEFORE AFTER: two journey files; with --rev, one file, or journey files and directories."),
    ],
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev",
            help="Git revisions A..B (A.. for A and the working tree): one file at both, or every journey "
            "added, removed or modified under the paths.",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text, json or markdown.", callback=_choice("compare"))
    ] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the comparison to this file.")] = None,
    config: Annotated[str | None, CONFIG_OPTION] = None,
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Before and after: every metric, contacts avoided, customers kept, findings fixed and introduced.

    With --rev and directories or several paths: every journey a change touches, a year and in one currency
    (the configuration's \\[tool.cxaudit.portfolio] rates); --format markdown is a pull-request comment.
    """
    import os

    from cxaudit.engine import audit as run_audit
    from cxaudit.engine.compare import Comparison, git_versions
    from cxaudit.engine.config import ConfigResolver
    from cxaudit.errors import UsageError
    from cxaudit.journey.load import loads_journey

    inputs = list(paths)
    if rev is not None and (len(paths) > 1 or os.path.isdir(paths[0])):
        from cxaudit.engine.changes import compare_revisions

        comparison = compare_revisions(paths, rev, ConfigResolver(config), pure_yaml=pure_yaml)
    elif rev is not None:
        (old_text, old_name), (new_text, new_name) = git_versions(paths[0], rev)
        settings = ConfigResolver(config).for_path(paths[0])
        audits = [
            run_audit(loads_journey(text, name=name, pure_yaml=pure_yaml), settings.for_file(paths[0]))
            for text, name in ((old_text, old_name), (new_text, new_name))
        ]
        comparison = Comparison(*audits)
    else:
        if len(paths) != 2:
            raise UsageError(
                "compare needs two files (BEFORE AFTER), or --rev A..B with one file, or with journey files and "
                "directories"
            )
        comparison = Comparison(_audit_one(paths[0], config, pure_yaml), _audit_one(paths[1], config, pure_yaml))
    from cxaudit.reporters import get_reporter

    reporter = get_reporter("compare", output_format)(color=_color(output, output_format), width=_width())
    _write(reporter.render(comparison), output, inputs)
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
    pure_yaml: Annotated[bool, PURE_OPTION] = False,
) -> None:
    """Print the journey diagram alone (Mermaid or Graphviz DOT), marked like the report's."""
    from cxaudit import diagram

    result = _audit_one(path, config, pure_yaml)
    render = diagram.mermaid if output_format == "mermaid" else diagram.dot
    _write(render(result, max_steps), output, [path])
    raise typer.Exit(exitcodes.CLEAN)

"""``crm rules``: the process file this database runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crm_tui.cli.common import counted, print_json, workspace

app = typer.Typer(
    help="Check the process file, point the database at one, explain routing.",
    no_args_is_help=True,
)


@app.command("check")
def check(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="A process file to check (default: this database's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print every problem of the process file with its line; exit 1 if any
    but warnings (routing naming people who are not active users)."""
    from crm_tui.services.rules import check_file

    ws = workspace(ctx)
    path, problems = check_file(ws, file)
    errors = [p for p in problems if not p.warning]
    warnings = len(problems) - len(errors)
    if as_json:
        print_json(
            {
                "file": str(path),
                "problems": [
                    {"line": p.line, "message": p.message, "warning": p.warning}
                    for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            warning = "warning: " if problem.warning else ""
            typer.echo(warning + problem.render(str(path)))
        if not problems:
            typer.echo(f"{path}: no problems.")
        if warnings:
            # A new database has no team yet, and the default file names the
            # demo's: say what to do rather than fail the install's own file.
            found = f"{counted(len(errors), 'error')} and " if errors else ""
            typer.echo(
                f"{path}: {found or 'no errors, '}{counted(warnings, 'warning')}"
                ": routing passes over people who are not active users, and "
                "their leads go to the next rule or wait unowned in the inbox. "
                "Add them with `crm users add NAME`, or edit the file's routing."
            )
    if errors:
        raise typer.Exit(1)


@app.command("use")
def use(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The process file to run.")],
) -> None:
    """Make this database run FILE (a manager's change; the path is kept).

    A file that does not load, or that removes a stage deals are in, is
    refused with every such problem, one a line, and nothing changes."""
    from crm_tui.services.rules import ProcessRefused, use_process

    ws = workspace(ctx)
    try:
        problems = use_process(ws, file)
    except ProcessRefused as refused:
        for line in refused.problems:
            typer.echo(line, err=True)
        typer.echo(f"crm: {refused}", err=True)
        raise typer.Exit(1) from refused
    for problem in problems:
        typer.echo(f"warning: {problem.render(file.name)}", err=True)
    typer.echo(f"This database runs {file.resolve()} now.")


@app.command("explain")
def explain(
    ctx: typer.Context,
    lead_id: Annotated[int, typer.Argument(help="The lead's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which routing rule takes the lead, and why the rules before it did not."""
    from crm_tui.services.rules import explain as explain_lead

    ws = workspace(ctx)
    found = explain_lead(ws, lead_id)
    if as_json:
        print_json(found.as_json())
        return
    company = f" ({found.company})" if found.company else ""
    typer.echo(f"Lead #{found.lead_id} {found.name}{company}")
    owner = found.owner or "nobody"
    recorded = f"routed by {found.routed_by!r}" if found.routed_by else "not routed"
    typer.echo(f"Owner now: {owner}; on arrival it was {recorded}.")
    typer.echo("Under today's rules:")
    for number, attempt in enumerate(found.tried, start=1):
        typer.echo(f"  {number}. {attempt.rule}: no, {attempt.why_not}")
    decision = found.decision
    if decision.rule is None:
        typer.echo("  No rule takes it: it stays unowned in the inbox.")
    else:
        number = len(found.tried) + 1
        typer.echo(f"  {number}. {decision.rule}: yes, {decision.reason}")

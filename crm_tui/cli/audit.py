"""``crm audit``: is the event log intact, and does every row match it?"""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli.common import print_json, workspace


def audit(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Report events altered or deleted, and rows changed without an event.

    Exits 1 when something was tampered with, so a nightly job can alert.
    """
    from crm_tui.ledger import audit as run_audit

    ws = workspace(ctx)
    with ws.read() as session:
        report = run_audit(session)
    if as_json:
        print_json(report.as_json())
    elif report.clean:
        typer.echo(
            f"The event log is intact: {report.events:,} events, and every row "
            f"matches its latest event. Head: {report.head}"
        )
    else:
        for line in report.findings():
            typer.echo(f"crm: {line}", err=True)
    if report.before_seal and not as_json:
        typer.echo(
            f"{report.before_seal:,} events predate the seal (an upgraded "
            "database); they and the rows they made are not checked.",
            err=True,
        )
    if not report.clean:
        raise typer.Exit(1)

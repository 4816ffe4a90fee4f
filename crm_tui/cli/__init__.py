"""The ``crm`` command.

Plain commands (``crm import``, ``crm leads list``, ``crm report``) must
start fast and work without a terminal, so this module imports only Typer;
each command imports the core it needs, and only ``crm`` with no command
loads the Textual app.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli import (
    accounts,
    audit,
    audits,
    capture,
    deals,
    demo,
    exports,
    handoffs,
    imports,
    leads,
    reports,
    rules,
    safety,
    users,
)
from crm_tui.cli.common import CrmGroup, Options, fail_cleanly

app = typer.Typer(
    cls=CrmGroup,
    help="A keyboard-first CRM for small sales teams.",
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(leads.app, name="leads")
app.add_typer(users.app, name="users")
app.add_typer(deals.app, name="deals")
app.add_typer(deals.tasks_app, name="tasks")
app.add_typer(imports.app, name="import")
app.add_typer(demo.app, name="demo")
app.add_typer(handoffs.app, name="handoffs")
app.add_typer(accounts.app, name="accounts")
app.add_typer(audits.merge_app, name="merge")
app.command("report")(reports.report)
app.command("audit")(audits.audit)
app.command("export")(exports.export)
app.command("backup")(safety.backup)
app.command("restore")(safety.restore)
app.command("check")(audit.audit)
app.add_typer(rules.app, name="rules")
app.command("capture")(capture.capture)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CRM_DB",
            help="Database file or URL (default: crm.db in your user data folder).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="CRM_USER",
            help="Who is at the keyboard (default: your login name).",
        ),
    ] = None,
    demo_db: Annotated[
        bool,
        typer.Option("--demo", help="Open a copy of the demo database."),
    ] = False,
) -> None:
    """Without a command, open the app on the inbox."""
    options = Options(db=db, user=user, demo=demo_db)
    ctx.obj = options
    if ctx.invoked_subcommand is None:
        from crm_tui.cli.tui import run_app

        run_app(options)


def main() -> None:
    """The console script: every failure a person can act on is one line."""
    with fail_cleanly():
        app()


if __name__ == "__main__":  # pragma: no cover
    main()

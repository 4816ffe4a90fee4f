"""``crm users``: the team."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli.common import print_json, workspace

app = typer.Typer(help="Add, list and deactivate users.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name they log in with.")],
    role: Annotated[str, typer.Option(help="rep, manager or admin.")] = "rep",
    email: Annotated[str | None, typer.Option(help="Their e-mail.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    territory: Annotated[
        list[str] | None, typer.Option(help="A territory they cover (repeatable).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="A language they speak (repeatable).")
    ] = None,
    time_zone: Annotated[str, typer.Option(help="Their IANA time zone.")] = "UTC",
) -> None:
    """Add a user."""
    from crm_tui.services.users import add_user

    ws = workspace(ctx)
    user = add_user(
        ws,
        name,
        role,
        email=email,
        display_name=display_name,
        territories=territory,
        languages=language,
        time_zone=time_zone,
    )
    typer.echo(f"Added {user.name} ({user.role}).")


@app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List users."""
    from crm_tui.queries.users import user_list

    ws = workspace(ctx)
    with ws.read() as session:
        users = user_list(session)
    if as_json:
        print_json(users)
        return
    for user in users:
        flag = "" if user["active"] else "  (inactive)"
        typer.echo(f"{user['name']:<20} {user['role']:<8} {user['email'] or ''}{flag}")


@app.command("deactivate")
def deactivate(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Who.")]
) -> None:
    """Deactivate a user: they keep their history but get no new leads."""
    from crm_tui.services.users import retire_user

    ws = workspace(ctx)
    retire_user(ws, name)
    typer.echo(f"Deactivated {name}.")

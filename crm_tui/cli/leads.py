"""``crm leads``: list, show and claim leads."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli import triage
from crm_tui.cli.common import print_json, workspace

app = typer.Typer(
    help="List, show, claim, assign, touch, qualify, nurture and disqualify leads.",
    no_args_is_help=True,
)


@app.command("list")
def list_leads(
    ctx: typer.Context,
    unowned: Annotated[bool, typer.Option(help="Only leads nobody owns.")] = False,
    owner: Annotated[str | None, typer.Option(help="Only this user's leads.")] = None,
    breached: Annotated[
        bool, typer.Option(help="Only open leads past their response SLA.")
    ] = False,
    status: Annotated[
        str | None, typer.Option(help="Only leads in this status.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List leads, oldest first."""
    from crm_tui.queries.leads import lead_list
    from crm_tui.services.catchup import catch_up

    ws = workspace(ctx)
    catch_up(ws)
    with ws.read() as session:
        leads = lead_list(
            session,
            unowned=unowned,
            owner=owner,
            limit=limit,
            breached_at=ws.clock.now() if breached else None,
            status=status,
        )
    if as_json:
        print_json(leads)
        return
    for lead in leads:
        company = (lead["company"] or "")[:24]
        source = (lead["source"] or "")[:16]
        typer.echo(
            f"{lead['id']:>7}  {lead['name'][:28]:<28} {company:<24}"
            f" {source:<16} {lead['owner'] or '-'}"
        )


@app.command("show")
def show(
    ctx: typer.Context,
    lead_id: Annotated[int, typer.Argument(help="The lead's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one lead with its history."""
    from crm_tui.errors import NotFound
    from crm_tui.queries.leads import lead_detail, lead_public
    from crm_tui.services.catchup import catch_up
    from crm_tui.timestamps import local_time, readable, user_zone

    ws = workspace(ctx)
    catch_up(ws)
    with ws.read() as session:
        detail = lead_detail(session, lead_id)
        zone = user_zone(session, ws.user_id)
    if detail is None:
        raise NotFound(f"There is no lead #{lead_id}.")
    public = lead_public(detail.lead, detail.owner)
    if as_json:
        public["history"] = [
            {
                "at": h.at.isoformat(),
                "who": h.who,
                "action": h.action,
                "changes": h.changes,
            }
            for h in detail.history
        ]
        print_json(public)
        return
    # Times in the rep's own time zone; --json keeps UTC for scripts.
    now = ws.clock.now()
    for key, value in public.items():
        if value not in (None, {}, ""):
            typer.echo(f"{key:>18}: {readable(value, zone, now)}")
    typer.echo("")
    for h in detail.history:
        typer.echo(f"{local_time(h.at, zone, now):<21} {h.who or '-':<12} {h.action}")


@app.command("claim")
def claim(
    ctx: typer.Context,
    lead_id: Annotated[int, typer.Argument(help="The lead's number.")],
) -> None:
    """Become the owner of an unowned lead."""
    from crm_tui.services.leads import claim_lead

    ws = workspace(ctx)
    lead = claim_lead(ws, lead_id)
    typer.echo(f"You own lead #{lead.id} ({lead.name}) now.")


triage.register(app)

"""``crm deals`` and ``crm tasks``: the pipeline from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli.common import print_json, workspace
from crm_tui.errors import CrmError

app = typer.Typer(help="List, show, create and move deals.", no_args_is_help=True)
tasks_app = typer.Typer(
    help="Your tasks: list them and mark them done.", no_args_is_help=True
)


def parse_sets(pairs: list[str] | None) -> dict[str, str]:
    """``["field=value", ...]`` as a dict, refusing malformed pairs."""
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrmError(f'--set takes "field=value", not {pair!r}')
        values[name.strip()] = value.strip()
    return values


@app.command("list")
def list_deals(
    ctx: typer.Context,
    stage: Annotated[
        str | None, typer.Option(help="Only this stage (name or key).")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only this user's deals.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List deals in board order: stage by stage, top card first."""
    from crm_tui.queries.deals import deal_list

    ws = workspace(ctx)
    with ws.read() as session:
        deals = deal_list(session, ws.process, stage=stage, owner=owner, limit=limit)
    if as_json:
        print_json(deals)
        return
    for deal in deals:
        amount = deal["amount"] or "-"
        account = (deal["account"] or "-")[:20]
        typer.echo(
            f"{deal['id']:>7}  {deal['title'][:30]:<30} {account:<20}"
            f" {amount:>12}  {deal['stage'][:22]:<22} {deal['owner'] or '-'}"
        )


@app.command("show")
def show(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(help="The deal's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one deal with its open tasks and timeline."""
    from crm_tui.errors import NotFound
    from crm_tui.events import plain
    from crm_tui.queries.deals import deal_detail

    ws = workspace(ctx)
    with ws.read() as session:
        detail = deal_detail(session, deal_id)
    if detail is None:
        raise NotFound(f"There is no deal #{deal_id}.")
    deal = detail.deal
    public = {
        "id": deal.id,
        "title": deal.title,
        "account": detail.account,
        "owner": detail.owner,
        "stage": ws.process.stage(deal.stage).name,
        "amount": plain(deal.amount),
        "close_on": plain(deal.close_on),
        "decision_on": plain(deal.decision_on),
        "next_meeting_at": plain(deal.next_meeting_at),
        "lost_reason": deal.lost_reason,
        "lost_note": deal.lost_note,
        "needs_handoff": deal.needs_handoff,
        "stage_entered_at": plain(deal.stage_entered_at),
        "open_tasks": [
            {"id": t.id, "kind": t.kind, "title": t.title, "due_at": plain(t.due_at)}
            for t in detail.open_tasks
        ],
        "timeline": [
            {"at": plain(e.at), "who": e.who, "what": e.what, "detail": e.detail}
            for e in detail.timeline
        ],
    }
    if as_json:
        print_json(public)
        return
    from crm_tui.timestamps import local_time, readable, user_zone

    # Times in the rep's own time zone; --json keeps UTC for scripts.
    with ws.read() as session:
        zone = user_zone(session, ws.user_id)
    now = ws.clock.now()
    for key, value in public.items():
        if key not in ("open_tasks", "timeline") and value not in (None, ""):
            typer.echo(f"{key:>17}: {readable(value, zone, now)}")
    for task in detail.open_tasks:
        due = local_time(task.due_at, zone, now)
        typer.echo(f"  task #{task.id} due {due}  {task.title}")
    typer.echo("")
    for entry in detail.timeline:
        at = local_time(entry.at, zone, now)
        typer.echo(f"{at:<21} {entry.who or '-':<14} {entry.what}")


@app.command("new")
def new(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What the deal is called.")],
    stage: Annotated[str | None, typer.Option(help="Start in this stage.")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help='A field the stage needs: "field=value".'),
    ] = None,
) -> None:
    """Create a deal that you own."""
    from crm_tui.services.deals import create_deal

    ws = workspace(ctx)
    deal = create_deal(ws, title=title, stage=stage, values=parse_sets(sets))
    typer.echo(f"Created deal #{deal.id} in {ws.process.stage(deal.stage).name}.")


@app.command("move")
def move(
    ctx: typer.Context,
    deal_id: Annotated[int, typer.Argument(help="The deal's number.")],
    stage: Annotated[str, typer.Argument(help="The stage, by name or key.")],
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help='Set a field the move needs: "field=value" (repeatable).'
        ),
    ] = None,
) -> None:
    """Move a deal to a stage; refused, naming what is missing, when a gate is
    not met."""
    from crm_tui.services.deals import GateMissing, move_deal

    ws = workspace(ctx)
    try:
        deal = move_deal(ws, deal_id, stage, parse_sets(sets))
    except GateMissing as missing:
        hint = " ".join(f"--set {n.field}=…" for n in missing.needs)
        raise CrmError(f"{missing} Give it with: {hint}") from missing
    typer.echo(f"Deal #{deal.id} is in {ws.process.stage(deal.stage).name} now.")


@tasks_app.command("list")
def list_tasks(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your open tasks: overdue, today, upcoming."""
    from crm_tui.events import plain
    from crm_tui.queries.deals import my_tasks

    ws = workspace(ctx)
    with ws.read() as session:
        rows = my_tasks(session, ws.process, ws.user_id, ws.clock.now())
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "title": r.title,
                    "due_at": plain(r.due_at),
                    "when": r.when,
                    "deal_id": r.deal_id,
                    "deal": r.deal,
                }
                for r in rows
            ]
        )
        return
    from crm_tui.timestamps import local_time, user_zone, zone_label

    # Due times in the rep's own time zone, as `deals show` prints them;
    # --json keeps UTC for scripts.
    with ws.read() as session:
        zone = user_zone(session, ws.user_id)
    now = ws.clock.now()
    due = f"Due ({zone_label(zone)})"
    typer.echo(f"{'Task':>7}  {'When':<9} {due:<21}  {'Title':<40} Deal")
    for r in rows:
        typer.echo(
            f"{r.id:>7}  {r.when:<9} {local_time(r.due_at, zone, now):<21}"
            f"  {r.title[:40]:<40} {r.deal or ''}"
        )


@tasks_app.command("done")
def done(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(help="The task's number.")],
    outcome: Annotated[str, typer.Option(help="How it went.", prompt=True)],
) -> None:
    """Mark a task done, with its outcome."""
    from crm_tui.services.deals import complete_task

    ws = workspace(ctx)
    task = complete_task(ws, task_id, outcome)
    typer.echo(f"Done: {task.title}.")

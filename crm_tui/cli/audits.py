"""``crm audit`` and ``crm merge``: the data's health, and fixing duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from crm_tui.cli.common import print_json, workspace

if TYPE_CHECKING:
    from crm_tui.audits.checks import Audit


def audit(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Duplicates, stale deals, deals without a next step, leads past their
    SLA, hand-offs waiting, broken rules and field usage."""
    from crm_tui.audits.checks import run_audit

    ws = workspace(ctx)
    with ws.read() as session:
        found = run_audit(session, ws.process, ws.clock.now())
    if as_json:
        print_json(found.as_json())
        return
    _print_text(found)


def _print_text(found: Audit) -> None:
    typer.echo(f"{found.problems} things to fix")
    if found.duplicates:
        typer.echo(f"\nDuplicate leads ({len(found.duplicates)})")
        for pair in found.duplicates:
            typer.echo(f"  #{pair.keep} and #{pair.other}: {'; '.join(pair.reasons)}")
    for title, items in (
        ("Stale deals", found.stale_deals),
        ("Deals without a next step", found.no_next_step),
        ("Leads past their SLA", found.past_sla),
        ("Hand-offs waiting too long", found.handoffs_waiting),
        ("Broken rules", found.broken_rules),
    ):
        if items:
            typer.echo(f"\n{title} ({len(items)})")
            for item in items:
                ref = f"#{item.entity_id} " if item.entity_id is not None else ""
                typer.echo(f"  {ref}{item.title}: {item.why}")
    rarely = [u for u in found.field_usage if u.total and (u.share or 0) < 0.05]
    if rarely:
        typer.echo("\nFields filled on fewer than 5% of records")
        typer.echo("  " + ", ".join(f"{u.table}.{u.field}" for u in rarely))


merge_app = typer.Typer(
    help="Merge duplicate leads, or undo a merge.", no_args_is_help=True
)


@merge_app.command("leads")
def merge_leads_command(
    ctx: typer.Context,
    survivor: Annotated[int, typer.Argument(help="The lead that stays.")],
    other: Annotated[int, typer.Argument(help="The duplicate merged into it.")],
    take: Annotated[
        list[str] | None,
        typer.Option(
            "--take",
            help="A field whose value comes from the duplicate (repeatable); "
            "by default the survivor keeps its values and fills its blanks.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Merge a duplicate lead into the one that stays."""
    from crm_tui.services.merge import merge_leads

    ws = workspace(ctx)
    done = merge_leads(ws, survivor, other, set(take) if take else None)
    if as_json:
        print_json(vars(done))
        return
    moved = ", ".join(f"{n} {k}" for k, n in done.moved.items() if n) or "nothing"
    typer.echo(
        f"Merged lead #{other} into #{survivor} (merge #{done.event_id}); "
        f"moved {moved}. Undo: crm merge undo {done.event_id}"
    )


@merge_app.command("undo")
def undo_merge_command(
    ctx: typer.Context,
    merge: Annotated[int, typer.Argument(help="The merge's number.")],
) -> None:
    """Put two merged leads back as they were."""
    from crm_tui.services.merge import undo_merge

    ws = workspace(ctx)
    done = undo_merge(ws, merge)
    typer.echo(f"Lead #{done.other_id} is separate from #{done.survivor_id} again.")

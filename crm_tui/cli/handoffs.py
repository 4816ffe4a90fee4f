"""``crm handoffs``: the hand-off checklist after a won deal, for scripts."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli.common import print_json, workspace

app = typer.Typer(
    help="Hand-offs after a won deal: list, show, fill, submit, accept, send back.",
    no_args_is_help=True,
)

HandoffId = Annotated[int, typer.Argument(help="The hand-off's number.")]


@app.command("list")
def list_handoffs(
    ctx: typer.Context,
    mine: Annotated[
        bool, typer.Option(help="Only those waiting for me (to submit or accept).")
    ] = False,
    accepted: Annotated[bool, typer.Option(help="Include accepted hand-offs.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hand-offs waiting (to submit, to accept, sent back), longest first."""
    from crm_tui.queries.handoffs import WAITING, handoff_rows

    ws = workspace(ctx)
    statuses = (*WAITING, "accepted") if accepted else WAITING
    with ws.read() as session:
        rows = handoff_rows(
            session, statuses=statuses, for_user_id=ws.user_id if mine else None
        )
    now = ws.clock.now()
    if as_json:
        print_json([row.public(now) for row in rows])
        return
    for row in rows:
        hours = int((now - row.waiting_since).total_seconds() // 3600)
        waited = f"{hours // 24}d" if hours >= 24 else f"{hours}h"
        typer.echo(
            f"{row.id:>5}  {row.status_label:<10} {waited:>5}"
            f"  {row.deal[:34]:<34} {row.closing_rep or '-':<10}"
            f" → {row.next_owner or '-'}"
            + (f"  missing {row.missing}" if row.missing else "")
        )


@app.command("show")
def show(
    ctx: typer.Context,
    handoff_id: HandoffId,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything in one hand-off: deal, checklist, question, history."""
    from crm_tui.errors import NotFound
    from crm_tui.queries.handoffs import STATUS_LABELS, handoff_detail

    ws = workspace(ctx)
    with ws.read() as session:
        detail = handoff_detail(session, handoff_id)
    if detail is None:
        raise NotFound(f"There is no hand-off #{handoff_id}.")
    if as_json:
        print_json(detail.public())
        return
    handoff = detail.handoff
    typer.echo(
        f"Hand-off #{handoff.id} · {detail.deal.title} · "
        f"{STATUS_LABELS[handoff.status]} · closing rep {detail.closing_rep or '-'}"
    )
    if handoff.question and handoff.status == "sent_back":
        typer.echo(f"Question: {handoff.question}")
    for item in detail.items:
        mark = "✗" if item.missing else "✓" if item.text else "·"
        typer.echo(f"  {mark} {item.key:<22} {item.text or '(empty)'}")


@app.command("fill")
def fill(
    ctx: typer.Context,
    handoff_id: HandoffId,
    key: Annotated[str, typer.Argument(help="The checklist item's key.")],
    value: Annotated[
        str, typer.Argument(help="What to write; an empty string clears it.")
    ],
) -> None:
    """Fill one checklist item (dates as dates, users by name, people as
    "Name (role); Name (role)"). Put -- before a value that starts with -."""
    from crm_tui.services.handoffs import fill_item

    handoff = fill_item(workspace(ctx), handoff_id, key, value)
    typer.echo(f"Hand-off #{handoff.id}: {key} written.")


@app.command("submit")
def submit(ctx: typer.Context, handoff_id: HandoffId) -> None:
    """Submit the hand-off to its next owner; refused while items are empty."""
    from crm_tui.services.handoffs import submit_handoff

    handoff = submit_handoff(workspace(ctx), handoff_id)
    typer.echo(f"Hand-off #{handoff.id} submitted.")


@app.command("accept")
def accept(ctx: typer.Context, handoff_id: HandoffId) -> None:
    """Accept a submitted hand-off: owners set, onboarding task created."""
    from crm_tui.services.handoffs import accept_handoff

    accepted = accept_handoff(workspace(ctx), handoff_id)
    task = (
        f"; the onboarding task is {accepted.onboarding_owner}'s"
        if accepted.onboarding_owner
        else ""
    )
    typer.echo(f"Hand-off #{accepted.handoff.id} accepted{task}.")


@app.command("send-back")
def send_back(
    ctx: typer.Context,
    handoff_id: HandoffId,
    question: Annotated[str, typer.Argument(help="What the closing rep must answer.")],
) -> None:
    """Send a submitted hand-off back to the closing rep with a question."""
    from crm_tui.services.handoffs import send_back_handoff

    handoff = send_back_handoff(workspace(ctx), handoff_id, question)
    typer.echo(f"Hand-off #{handoff.id} sent back.")

"""``crm accounts``: customers after the sale: health, renewals, upsells."""

from __future__ import annotations

from typing import Annotated

import typer

from crm_tui.cli.common import counted, print_json, workspace

app = typer.Typer(
    help="Accounts after the sale: health, at-risk list, renewals and upsells.",
    no_args_is_help=True,
)

AccountId = Annotated[int, typer.Argument(help="The account's number.")]


@app.command("list")
def list_accounts(
    ctx: typer.Context,
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Only accounts at risk.")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Accounts with their health, soonest renewal first."""
    from crm_tui.queries.accounts import account_health
    from crm_tui.services.retention import today

    ws = workspace(ctx)
    with ws.read() as session:
        rows = account_health(
            session,
            today=today(ws),
            rules=ws.process.retention.rules,
            at_risk=at_risk,
            limit=limit,
        )
    if as_json:
        print_json([row.public() for row in rows])
        return
    for row in rows:
        renewal = f"{row.renewal_on:%Y-%m-%d}" if row.renewal_on else "-"
        typer.echo(
            f"{row.id:>5}  {row.name[:30]:<30} {renewal:<10} {row.status:<8}"
            f" {row.relationship_owner or '-':<10} {row.because or ''}"
        )


@app.command("renewal-tasks")
def renewal_tasks(ctx: typer.Context) -> None:
    """Create the renewal tasks that are due (the app does this on start)."""
    from crm_tui.services.retention import create_due_renewal_tasks

    created = create_due_renewal_tasks(workspace(ctx))
    typer.echo(f"{counted(len(created), 'renewal task')} created.")


@app.command("follow-on")
def follow_on(
    ctx: typer.Context,
    account_id: AccountId,
    kind: Annotated[str, typer.Option(help="renewal or upsell")] = "renewal",
    amount: Annotated[str | None, typer.Option(help="Expected value.")] = None,
) -> None:
    """Open a renewal or upsell deal on the account."""
    from crm_tui.errors import CrmError
    from crm_tui.normalize import InvalidValue, parse_amount
    from crm_tui.services.retention import open_follow_on_deal

    value = None
    if amount is not None:
        try:
            value = parse_amount(amount)
        except InvalidValue as exc:
            raise CrmError(f"{exc}.") from exc
    if kind not in ("renewal", "upsell"):
        raise CrmError(f"A follow-on deal is a renewal or an upsell, not {kind!r}.")
    deal = open_follow_on_deal(
        workspace(ctx),
        account_id,
        "renewal" if kind == "renewal" else "upsell",
        amount=value,
    )
    typer.echo(f"Deal #{deal.id} opened: {deal.title}.")


@app.command("onboarded")
def onboarded(ctx: typer.Context, account_id: AccountId) -> None:
    """Mark the account's onboarding complete."""
    from crm_tui.services.retention import complete_onboarding

    account = complete_onboarding(workspace(ctx), account_id)
    typer.echo(f"{account.name}: onboarding completed.")


@app.command("signals")
def signals(
    ctx: typer.Context,
    account_id: AccountId,
    usage: Annotated[str | None, typer.Option(help="low, medium, high ...")] = None,
    expansion: Annotated[
        bool | None,
        typer.Option("--expansion/--no-expansion", help="Interest in buying more."),
    ] = None,
) -> None:
    """Record an account's usage indicator or expansion interest."""
    from crm_tui.services.retention import update_health_signals

    account = update_health_signals(
        workspace(ctx), account_id, usage=usage, expansion_interest=expansion
    )
    typer.echo(
        f"{account.name}: usage {account.usage or '-'}, expansion interest "
        f"{'yes' if account.expansion_interest else 'no'}."
    )


@app.command("issue")
def issue(
    ctx: typer.Context,
    account_id: AccountId,
    title: Annotated[str, typer.Argument(help="What is wrong.")],
) -> None:
    """Log a support issue on the account."""
    from crm_tui.services.retention import open_support_issue

    opened = open_support_issue(workspace(ctx), account_id, title)
    typer.echo(f"Support issue #{opened.id} opened.")


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    issue_id: Annotated[int, typer.Argument(help="The support issue's number.")],
) -> None:
    """Mark a support issue resolved."""
    from crm_tui.services.retention import resolve_support_issue

    resolve_support_issue(workspace(ctx), issue_id)
    typer.echo(f"Support issue #{issue_id} resolved.")


@app.command("keep")
def keep(
    ctx: typer.Context,
    promise_id: Annotated[int, typer.Argument(help="The promise's number.")],
) -> None:
    """Mark a promise from the hand-off as kept."""
    from crm_tui.services.retention import keep_promise

    keep_promise(workspace(ctx), promise_id)
    typer.echo(f"Promise #{promise_id} kept.")


@app.command("rates")
def rates(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Renewal and upsell rates: the share of closed ones that were won."""
    from crm_tui.queries.accounts import follow_on_rates

    ws = workspace(ctx)
    with ws.read() as session:
        found = follow_on_rates(session, ws.process)
    if as_json:
        print_json(found)
        return
    for kind, rate in found.items():
        share = f"{rate['rate']:.0%}" if rate["rate"] is not None else "-"
        typer.echo(f"{kind:<8} {share:>5}  ({rate['won']} won of {rate['closed']})")

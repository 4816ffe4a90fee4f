"""``crm leads`` triage commands: what the inbox keys do, for scripts.

Each takes one or more lead numbers and prints one line per lead; it exits 1
when any lead was refused.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from crm_tui.cli.common import print_json, workspace

if TYPE_CHECKING:
    from crm_tui.services.triage import Outcome

Ids = Annotated[list[int], typer.Argument(help="Lead numbers.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Answer = Annotated[
    list[str] | None,
    typer.Option(
        "--answer",
        "-a",
        help="A qualification answer as dimension=choice (repeatable), "
        "e.g. fit=strong.",
    ),
]


def report(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "done": [{"id": i, "message": m} for i, m in outcome.done.items()],
                "refused": [
                    {"id": i, "message": str(e)} for i, e in outcome.refused.items()
                ],
            }
        )
    else:
        for message in outcome.done.values():
            typer.echo(message)
        for error in outcome.refused.values():
            typer.echo(f"crm: {error}", err=True)
    if outcome.refused:
        raise typer.Exit(1)


def _answers(pairs: list[str] | None) -> dict[str, str]:
    from crm_tui.errors import NotValid

    answers = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise NotValid(f"{pair!r} is not dimension=choice.")
        answers[name.strip()] = value.strip()
    return answers


def register(app: typer.Typer) -> None:
    """Add the triage commands to ``crm leads``."""

    @app.command("assign")
    def assign(
        ctx: typer.Context,
        lead_ids: Ids,
        to: Annotated[str, typer.Option("--to", help="The user to give them to.")],
        reason: Annotated[
            str, typer.Option(help="Why (needed to take a lead from its owner).")
        ] = "",
        as_json: Json = False,
    ) -> None:
        """Give leads to a user; reassigning another rep's lead is a
        manager's, with a reason."""
        from crm_tui.services.triage import assign_leads

        report(assign_leads(workspace(ctx), lead_ids, to, reason), as_json)

    @app.command("touch")
    def touch(
        ctx: typer.Context,
        lead_ids: Ids,
        kind: Annotated[str, typer.Option(help="call, email or meeting.")],
        outcome: Annotated[str, typer.Option(help="What came of it.")],
        note: Annotated[str | None, typer.Option(help="A note.")] = None,
        as_json: Json = False,
    ) -> None:
        """Log a call, e-mail or meeting; the first one stops the SLA clock."""
        from crm_tui.services.triage import touch_leads

        report(touch_leads(workspace(ctx), lead_ids, kind, outcome, note), as_json)

    @app.command("qualify")
    def qualify(
        ctx: typer.Context,
        lead_ids: Ids,
        answer: Answer = None,
        as_json: Json = False,
    ) -> None:
        """Qualify leads (every dimension answered): each becomes an account,
        a contact and a deal in the first stage."""
        from crm_tui.services.convert import qualify_leads

        outcome, _ = qualify_leads(workspace(ctx), lead_ids, _answers(answer))
        report(outcome, as_json)

    @app.command("nurture")
    def nurture(
        ctx: typer.Context,
        lead_ids: Ids,
        until: Annotated[
            str, typer.Option("--until", help="The revisit date, YYYY-MM-DD.")
        ],
        answer: Answer = None,
        as_json: Json = False,
    ) -> None:
        """Nurture leads until a revisit date, when they return to their owner."""
        from crm_tui.errors import NotValid
        from crm_tui.services.triage import nurture_leads

        try:
            revisit = date.fromisoformat(until)
        except ValueError as exc:
            raise NotValid(f"{until!r} is not a date like 2027-01-31.") from exc
        outcome = nurture_leads(workspace(ctx), lead_ids, revisit, _answers(answer))
        report(outcome, as_json)

    @app.command("disqualify")
    def disqualify(
        ctx: typer.Context,
        lead_ids: Ids,
        reason: Annotated[str, typer.Option(help="A disqualify reason code.")],
        answer: Answer = None,
        as_json: Json = False,
    ) -> None:
        """Disqualify leads with a reason code from the process file."""
        from crm_tui.services.triage import disqualify_leads

        outcome = disqualify_leads(workspace(ctx), lead_ids, reason, _answers(answer))
        report(outcome, as_json)

    @app.command("add")
    def add(
        ctx: typer.Context,
        pairs: Annotated[
            list[str],
            typer.Argument(metavar="FIELD=VALUE...", help="The lead's fields."),
        ],
        as_json: Json = False,
    ) -> None:
        """Type in a lead (name=..., email=..., source=...); it is routed."""
        from crm_tui.cli.capture import parse_fields, report_arrival
        from crm_tui.services.arrival import create_leads

        ws = workspace(ctx)
        [(lead_id, arrival)] = create_leads(ws, [parse_fields(pairs, None)])
        report_arrival(lead_id, arrival, as_json)

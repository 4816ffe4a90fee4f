"""``crm capture``: one line for a web form, chat or mail hook to hand a new
lead to the CRM, routed on arrival."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from crm_tui.cli.common import print_json, workspace


def parse_fields(pairs: list[str] | None, stdin_text: str | None) -> dict[str, Any]:
    """Fields from ``field=value`` pairs, else from a JSON object on stdin."""
    from crm_tui.errors import NotValid

    fields: dict[str, Any] = {}
    if stdin_text and stdin_text.strip():
        try:
            loaded = json.loads(stdin_text)
        except json.JSONDecodeError as exc:
            raise NotValid(f"stdin is not a JSON object: {exc}.") from exc
        if not isinstance(loaded, dict):
            raise NotValid("stdin must hold one JSON object of lead fields.")
        fields.update(loaded)
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise NotValid(f"{pair!r} is not field=value.")
        fields[name.strip()] = value
    if not fields:
        raise NotValid("Give the lead as field=value pairs or a JSON object on stdin.")
    return fields


def capture(
    ctx: typer.Context,
    pairs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FIELD=VALUE]...",
            help="Lead fields: name, email, phone, company, source, country, "
            "product_interest, ... (others are kept as extra fields).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Capture a lead from a form, chat or mail hook; JSON on stdin works too."""
    from crm_tui.services.arrival import create_leads

    stdin_text = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    fields = parse_fields(pairs, stdin_text)
    ws = workspace(ctx)
    [(lead_id, arrival)] = create_leads(ws, [fields], how="captured")
    report_arrival(lead_id, arrival, as_json)


def report_arrival(lead_id: int, arrival: Any, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "id": lead_id,
                "owner": arrival.owner,
                "routed_by": arrival.rule,
                "reason": arrival.reason,
            }
        )
    elif arrival.owner:
        typer.echo(f"Lead #{lead_id} → {arrival.owner} ({arrival.rule}).")
    else:
        typer.echo(f"Lead #{lead_id} is in the inbox: {arrival.reason}.")

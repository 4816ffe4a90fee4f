"""``crm report``: the manager's figures for a period, as text, JSON or CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from crm_tui.cli.common import counted, print_json, workspace


def report(
    ctx: typer.Context,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--from", formats=["%Y-%m-%d"], help="First day (default: 30 days ago)."
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(
            "--to", formats=["%Y-%m-%d"], help="Last day, included (default: today)."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Split by owner, source, territory or product."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the table to this CSV file.")
    ] = None,
    bom: Annotated[
        bool, typer.Option("--bom", help="Start the CSV with a UTF-8 BOM (Excel).")
    ] = False,
) -> None:
    """Response time, SLA, conversion, follow-ups, time in stage, win,
    renewal and upsell rates, for a period (days in the team's time zone)."""
    from crm_tui.errors import CrmError
    from crm_tui.export import write_csv
    from crm_tui.reports.facts import SPLITS
    from crm_tui.reports.report import Dates, build_report, csv_table, today_for

    if by is not None and by not in SPLITS:
        raise CrmError(f"--by must be one of: {', '.join(SPLITS)}.")
    ws = workspace(ctx)
    now = ws.clock.now()
    last = end.date() if end else today_for(ws.process, now)
    first = start.date() if start else Dates.last_days(30, last).first
    if first > last:
        raise CrmError("--from must not be after --to.")
    with ws.read() as session:
        found = build_report(session, ws.process, Dates(first, last), now, by)
    if csv_file is not None:
        header, rows = csv_table(found)
        write_csv(csv_file, header, rows, bom)
        typer.echo(f"Wrote {counted(len(rows), 'row')} to {csv_file}.", err=as_json)
    if as_json:
        print_json(found.as_json())
    elif csv_file is None:
        _print_text(found.as_json())


def _print_text(data: dict[str, Any]) -> None:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    def num(value: float | None, unit: str = "") -> str:
        return "—" if value is None else f"{value:.1f}{unit}"

    typer.echo(f"Report {data['from']} to {data['to']}")
    rt = data["response_time"]
    typer.echo(
        f"  Response time     median {num(rt['median_hours'], 'h')}, "
        f"p90 {num(rt['p90_hours'], 'h')} (business hours from arrival, "
        f"{rt['answered']} answered)"
    )
    sla = data["within_sla"]
    typer.echo(
        f"  Within SLA        {pct(sla['share'])} "
        f"({sla['on_time']} on time, {sla['missed']} missed)"
    )
    ltd = data["lead_to_deal"]
    typer.echo(
        f"  Lead to deal      {pct(ltd['rate'])} ({ltd['hits']} of {ltd['total']})"
    )
    fu = data["follow_up_completion"]
    typer.echo(
        f"  Follow-ups on time {pct(fu['rate'])} ({fu['hits']} of {fu['total']})"
    )
    win = data["win_rate"]
    typer.echo(
        f"  Win rate          {pct(win['rate'])} ({win['won']} won, {win['lost']} lost)"
    )
    for key, label in (
        ("renewal_rate", "Renewal rate"),
        ("upsell_rate", "Upsell rate"),
    ):
        r = data[key]
        typer.echo(f"  {label:<17} {pct(r['rate'])} ({r['hits']} of {r['total']})")
    typer.echo("  Conversion by stage")
    for step in data["conversion_by_stage"]:
        typer.echo(
            f"    {step['stage']:>22} → {step['next_stage']:<22} {pct(step['rate']):>5}"
            f"  ({step['advanced']} of {step['reached']})"
        )
    typer.echo("  Average days in stage")
    for key, spent in data["avg_days_in_stage"].items():
        deals = counted(spent["deals"], "deal")
        typer.echo(f"    {key:>22}  {num(spent['days']):>6}  ({deals})")

"""``crm import``: bring in another CRM's exports."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crm_tui.cli.common import counted, print_json, workspace
from crm_tui.errors import CrmError

if TYPE_CHECKING:
    from crm_tui.importing.leads import ImportReport, Progress, RowNote

app = typer.Typer(help="Import CSV exports from another CRM.", no_args_is_help=True)


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["Column=field", ...]`` as a dict, refusing malformed pairs."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise CrmError(f'--map takes "Column=field", not {pair!r}')
        mapping[column.strip()] = target.strip()
    return mapping


@app.command("leads")
def import_leads_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The CSV file.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help='Map a column to a field: "Column=field" (repeatable).'
        ),
    ] = None,
    region: Annotated[
        str, typer.Option(help="Country code for phone numbers without one.")
    ] = "US",
    again: Annotated[
        bool,
        typer.Option("--again", help="Import a file that was imported before."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import leads from a CSV export (HubSpot, Salesforce, Pipedrive, Zoho ...)."""
    from crm_tui.importing.leads import import_leads

    ws = workspace(ctx)
    show_bar = not as_json and sys.stderr.isatty()
    with _progress(show_bar, file.name) as progress:
        report = import_leads(
            ws,
            file,
            overrides=parse_mapping(mapping),
            default_region=region.upper(),
            progress=progress,
            again=again,
        )
    if as_json:
        print_json(report.as_json())
    else:
        print_summary(report)


class _progress:
    """A Rich progress bar on a terminal; nothing when piped or with --json."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label

    def __enter__(self) -> Progress | None:
        if not self.enabled:
            return None
        from rich.progress import Progress as Bar

        self.bar = Bar(transient=True)
        self.bar.start()
        task = self.bar.add_task(f"Importing {self.label}", total=None)

        def advance(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return advance

    def __exit__(self, *_: object) -> None:
        if self.enabled:
            self.bar.stop()


# A summary shows this many rejected rows; `crm import show` has them all.
REJECTIONS_SHOWN = 20


def rejected_lines(notes: Sequence[RowNote], batch_id: int) -> list[str]:
    """The first rejected rows, and how to see the rest."""
    lines = [f"  {note.reason}" for note in notes[:REJECTIONS_SHOWN]]
    if len(notes) > REJECTIONS_SHOWN:
        lines.append(
            f"  …and {counted(len(notes) - REJECTIONS_SHOWN, 'more rejected row')}; "
            f"see them all with: crm import show {batch_id} --outcome rejected"
        )
    return lines


@app.command("show")
def show_import_command(
    ctx: typer.Context,
    batch: Annotated[int, typer.Argument(help="The import's number.")],
    outcome: Annotated[
        str | None,
        typer.Option(help="Only rows that were rejected, duplicate or updated."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a past import: its counts and every row that did not simply
    create a record, with the reason."""
    from crm_tui.queries.imports import OUTCOMES, import_batch

    if outcome is not None and outcome not in OUTCOMES:
        raise CrmError(f"--outcome is one of {', '.join(OUTCOMES)}, not {outcome!r}")
    ws = workspace(ctx)
    with ws.read() as session:
        found = import_batch(session, batch, outcome)
    if as_json:
        print_json(found)
        return
    typer.echo(
        f"Import #{found['batch']} of {found['file']} ({found['kind']}, "
        f"{found['started_at'][:16].replace('T', ' ')}): "
        f"{counted(found['read'], 'row')} read = {found['created']} created + "
        f"{found['updated']} updated + {counted(found['duplicates'], 'duplicate')}"
        f" + {found['rejected']} rejected"
    )
    for row in found["rows"]:
        typer.echo(f"  {row['outcome']}: {row['reason']}")


def print_summary(report: ImportReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{report.file}[/]: {counted(report.read, 'row')} read = "
        f"[green]{report.created} created[/] + {report.updated} updated + "
        f"[yellow]{counted(len(report.duplicates), 'duplicate')}[/] + "
        f"[red]{len(report.rejections)} rejected[/]"
    )
    columns = Table("Column", "Goes to", title="Columns", title_justify="left")
    for column, target in report.columns:
        columns.add_row(column, target)
    console.print(columns)
    if report.unknown_owners:
        console.print("Owners that match no user (their leads are in the inbox):")
        for owner, count in report.unknown_owners.most_common():
            console.print(f"  {owner}: {counted(count, 'lead')}")
    if report.rejections:
        console.print("[red]Rejected rows:[/]")
        for line in rejected_lines(report.rejections, report.batch_id):
            console.print(line, markup=False)
    if report.duplicates:
        linked = (
            "1 duplicate row was linked to the lead it matches"
            if len(report.duplicates) == 1
            else f"{len(report.duplicates)} duplicate rows were linked to the leads "
            "they match"
        )
        console.print(
            f"{linked}; see them with: crm import show {report.batch_id} "
            "--outcome duplicate"
        )


@app.command("deals")
def import_deals_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The opportunities CSV file.")],
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help='Map a stage of the file to ours: "Won=Closed won" (repeatable).',
        ),
    ] = None,
    stage_map: Annotated[
        Path | None,
        typer.Option(help='A file of "Their stage=Our stage" lines.'),
    ] = None,
    teams: Annotated[
        Path | None,
        typer.Option(
            help="Agents, managers, regions (default: sales_teams.csv beside FILE)."
        ),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(help="Accounts (default: accounts.csv beside FILE)."),
    ] = None,
    products: Annotated[
        Path | None,
        typer.Option(help="Products (default: products.csv beside FILE)."),
    ] = None,
    again: Annotated[
        bool,
        typer.Option("--again", help="Import a file that was imported before."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import deals (opportunities) with their team, accounts and products."""
    from crm_tui.importing.deals import (
        import_deals,
        parse_stage_map,
        read_stage_map_file,
        sibling,
    )

    ws = workspace(ctx)
    pairs = read_stage_map_file(stage_map) if stage_map else []
    mapping = parse_stage_map(pairs + list(stage or []), ws.process)
    show_bar = not as_json and sys.stderr.isatty()
    with _progress(show_bar, file.name) as progress:
        report = import_deals(
            ws,
            file,
            stage_map=mapping,
            teams=teams or sibling(file, "sales_teams.csv"),
            accounts=accounts or sibling(file, "accounts.csv"),
            products=products or sibling(file, "products.csv"),
            progress=progress,
            again=again,
        )
    if as_json:
        print_json(report.as_json())
        return
    summary = report.as_json()
    typer.echo(
        f"{report.file}: {counted(report.read, 'row')} read = {report.created} "
        f"created + {report.updated} updated + "
        f"{counted(len(report.duplicates), 'duplicate')} + "
        f"{len(report.rejections)} rejected"
    )
    for name, count in report.stages.items():
        typer.echo(f"  {name}: {count}")
    typer.echo(
        f"{counted(len(report.users_created), 'user')} and "
        f"{counted(report.accounts_created, 'account')} created; "
        f"{counted(report.rows_without_account, 'deal has', 'deals have')} "
        "no account."
    )
    for alias, found in summary["products_read_as"].items():
        rows = counted(found["rows"], "row")
        typer.echo(f"  product {alias!r} read as {found['product']!r} ({rows})")
    for name, count in report.unknown_products.items():
        typer.echo(f"  unknown product {name!r}: {counted(count, 'row')}")
    for name, count in report.unknown_accounts.items():
        typer.echo(
            f"  account {name!r} is not in the accounts file: {counted(count, 'row')}"
        )
    if report.lost_not_recorded:
        typer.echo(
            f"  {counted(report.lost_not_recorded, 'lost deal')} had no reason: "
            "'not recorded'"
        )
    for line in rejected_lines(report.rejections, report.batch_id):
        typer.echo(line)

"""``crm export``: leads, deals or accounts as CSV a spreadsheet opens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crm_tui.cli.common import counted, workspace


def export(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="leads, deals or accounts.")],
    file: Annotated[Path, typer.Argument(help="The CSV file to write.")],
    bom: Annotated[
        bool, typer.Option("--bom", help="Start with a UTF-8 BOM (for Excel).")
    ] = False,
) -> None:
    """Write every lead, deal or account to a CSV file. Cells a spreadsheet
    would run as formulas are written with a leading apostrophe."""
    from crm_tui.errors import CrmError
    from crm_tui.export import TABLES, export_table

    if table not in TABLES:
        raise CrmError(f"Export leads, deals or accounts, not {table!r}.")
    ws = workspace(ctx)
    with ws.read() as session:
        count = export_table(session, table, file, bom)
    typer.echo(f"Wrote {counted(count, table.removesuffix('s'))} to {file}.")

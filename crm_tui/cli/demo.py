"""``crm demo``: the demo database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The demo database.", no_args_is_help=True)


@app.command("build")
def build(
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write it (default: crm.db.example)."),
    ] = None,
) -> None:
    """Rebuild the demo database from data/demo."""
    from crm_tui.config import EXAMPLE_DB
    from crm_tui.demo import build_demo

    target = out or EXAMPLE_DB
    report = build_demo(target)
    typer.echo(
        f"Wrote {target}: {report.created} leads, {len(report.duplicates)} "
        f"duplicates and {len(report.rejections)} rejected rows as a real file has."
    )

"""``crm backup`` and ``crm restore``: a consistent copy while others work,
and putting one back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crm_tui.cli.common import options

if TYPE_CHECKING:
    from sqlalchemy import Engine


def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="Where to write the copy.")],
) -> None:
    """Copy the database to FILE; colleagues keep working meanwhile."""
    from crm_tui.backup import backup_sqlite, check_backup
    from crm_tui.errors import CrmError

    engine = _engine(ctx)
    if target.exists():
        raise CrmError(f"{target} already exists; choose a new name.")
    backup_sqlite(engine, target)
    check_backup(target)
    typer.echo(f"Backed up to {target} ({target.stat().st_size:,} bytes).")


def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A backup made by crm backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask (for scripts).")
    ] = False,
) -> None:
    """Replace the database with a backup, after asking. The current file
    is copied aside first."""
    from crm_tui.backup import check_backup, restore_sqlite
    from crm_tui.files import sqlite_path
    from crm_tui.schema import ensure_schema

    # A damaged database is what a restore is for: do not insist it is whole.
    engine = _engine(ctx, whole=False)
    check_backup(source)
    live = sqlite_path(engine)
    if not yes and not typer.confirm(
        f"Replace {live} with {source}? Changes made since that backup are "
        "set aside (kept in a copy), and colleagues' apps will show the backup",
        default=False,
    ):
        typer.echo("Nothing restored.")
        raise typer.Exit(1)
    aside = restore_sqlite(engine, source)
    ensure_schema(engine)
    typer.echo(f"Restored {live} from {source}; the file it replaced is {aside}.")


def _engine(ctx: typer.Context, *, whole: bool = True) -> Engine:
    from crm_tui.cli.common import ensure_demo_copy
    from crm_tui.config import database_url
    from crm_tui.files import check_whole
    from crm_tui.storage import make_engine

    opts = options(ctx)
    url = database_url(str(ensure_demo_copy()) if opts.demo else opts.db)
    engine = make_engine(url)
    if whole:
        check_whole(engine)
    return engine

"""What every command shares: the global options, opening the workspace,
printing JSON, and turning failures into one readable line."""

from __future__ import annotations

import inspect
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from crm_tui.errors import CrmError

if TYPE_CHECKING:
    from crm_tui.workspace import Workspace


@dataclass(frozen=True)
class Options:
    db: str | None
    user: str | None
    demo: bool = False


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 deal``, ``2 deals``: a count as a person says it."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural or noun + 's'}"


def options(ctx: typer.Context) -> Options:
    found = ctx.find_object(Options)
    return found if found is not None else Options(db=None, user=None)


def workspace(ctx: typer.Context) -> Workspace:
    """The workspace the global options point at, migrated and ready."""
    from crm_tui.open import open_workspace

    opts = options(ctx)
    if opts.demo:
        ws = open_workspace(str(ensure_demo_copy()), opts.user or demo_user())
    else:
        ws = open_workspace(opts.db, opts.user)
    introduce(ws)
    return ws


def introduce(ws: Workspace) -> None:
    """Check the user at the keyboard is known; tell the first one they are
    now the admin."""
    for warning in ws.warnings:
        typer.echo(f"crm: warning: {warning}", err=True)
    user = ws.identify()
    ws._user_id = user.id
    if ws.became_admin:
        typer.echo(
            f"crm: {user.name}, you are the first user of this database, "
            "so you are its admin.",
            err=True,
        )


def demo_user() -> str:
    from crm_tui.config import DEMO_USER

    return DEMO_USER


def ensure_demo_copy() -> Any:
    """The demo database in the user data folder, made the first time:
    copied from ``crm.db.example`` when that was built in the last few
    hours, else built afresh from ``data/`` (a few seconds). The demo's
    late and due-soon leads are set relative to when it was built, so an
    old copy would show every lead late."""
    from crm_tui.config import EXAMPLE_DB, demo_db_path

    target = demo_db_path()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if _built_lately(EXAMPLE_DB):
            shutil.copyfile(EXAMPLE_DB, target)
        else:
            from crm_tui.demo import build_demo

            typer.echo("Building the demo for today (a few seconds)…", err=True)
            build_demo(target)
    return target


# How old the example may be and still make a believable demo inbox.
DEMO_FRESH_FOR = timedelta(hours=6)


def _built_lately(example: Path) -> bool:
    """Whether ``example``'s newest event is recent enough to copy."""
    import sqlite3

    if not example.exists():
        return False
    with closing(sqlite3.connect(f"file:{example}?mode=ro", uri=True)) as conn:
        (newest,) = conn.execute("SELECT max(at) FROM event").fetchone()
    if newest is None:
        return False
    built = datetime.fromisoformat(newest)
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    return datetime.now(UTC) - built < DEMO_FRESH_FOR


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


class CrmGroup(TyperGroup):
    """The root command group: failures a person can act on become one
    line, whichever command raised them, and every command's help reads
    cleanly (see ``tidy_help``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tidy_help(self)

    def invoke(self, ctx: Any) -> Any:
        with fail_cleanly():
            return super().invoke(ctx)


def tidy_help(command: TyperGroup | TyperCommand) -> None:
    """Make ``command``'s help, and its sub-commands', read as a person
    expects: Typer shows a flag's type (``--demo <bool>``), and its rich
    help keeps each line break of a docstring, so a sentence broke where
    the source line did. Flags get an empty metavar, and the lines of each
    paragraph are joined for the terminal to wrap."""
    # Each command caches its help option, so making it here lets it lose
    # its type too.
    help_option = command.get_help_option(typer.Context(command))
    for param in (*command.params, help_option):
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = param.metavar or ""
    if command.help:
        command.help = _joined_paragraphs(command.help)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            if isinstance(sub, TyperGroup | TyperCommand):
                tidy_help(sub)


def _joined_paragraphs(text: str) -> str:
    shown, cut, hidden = inspect.cleandoc(text).partition("\f")
    paragraphs = [
        # A paragraph marked \b keeps its lines, as Click's own help does.
        part if part.startswith("\b") else " ".join(part.split())
        for part in shown.split("\n\n")
    ]
    return "\n\n".join(paragraphs) + cut + hidden


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Print a CRM or database failure as one line and exit non-zero."""
    try:
        yield
    except CrmError as exc:
        typer.echo(f"crm: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3")):
            raise
        from crm_tui.storage import translate

        problem = translate(exc)
        if problem is exc:
            raise
        typer.echo(f"crm: {problem}", err=True)
        sys.exit(1)

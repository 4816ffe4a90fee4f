"""Consistent copies of a SQLite database, taken while others work on it,
and putting one back."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from crm_tui.errors import DatabaseProblem

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0


def _file_of(engine: Engine) -> Path:
    from crm_tui.files import sqlite_path

    path = sqlite_path(engine)
    if path is None:
        raise DatabaseProblem(
            "Only a SQLite file is backed up by crm; on PostgreSQL use pg_dump "
            "and pg_restore."
        )
    return path


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Copy the live database to ``target`` with SQLite's backup API, which
    gives a consistent snapshot even while colleagues keep writing."""
    source = sqlite3.connect(_file_of(engine), timeout=BUSY_TIMEOUT_S)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def check_backup(path: Path) -> str:
    """The schema revision of the crm database in ``path``; refuses a file
    that is missing, damaged, not a crm database, or from a newer crm-tui."""
    from crm_tui.schema import known_revisions

    if not path.is_file():
        raise DatabaseProblem(f"{path} does not exist.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            whole = conn.execute("PRAGMA quick_check").fetchone()
            if whole != ("ok",):
                raise DatabaseProblem(f"{path.name} is damaged: {whole[0]}.")
            tables = {
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
            if not {"alembic_version", "lead", "event", "user"} <= tables:
                raise DatabaseProblem(f"{path.name} is not a crm database.")
            (revision,) = conn.execute(
                "SELECT version_num FROM alembic_version"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseProblem(f"{path.name} is not a crm database ({exc}).") from exc
    if revision not in known_revisions():
        raise DatabaseProblem(
            f"{path.name} was made by a newer version of crm-tui (schema "
            f"{revision}); upgrade crm-tui to restore it."
        )
    return str(revision)


def aside_name(path: Path, why: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return path.with_name(f"{path.name}.{why}.{stamp}.bak")


def restore_sqlite(engine: Engine, source: Path) -> Path:
    """Put the backup ``source`` in place of the live database, through the
    backup API so that colleagues' open connections see the whole of it at
    once. The file it replaces is copied aside first; returns that copy."""
    check_backup(source)
    live = _file_of(engine)
    aside = aside_name(live, "before-restore")
    backup_sqlite(engine, aside)
    engine.dispose()
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(live, timeout=BUSY_TIMEOUT_S)
        try:
            backup.backup(target)
        finally:
            target.close()
    finally:
        backup.close()
    log.warning("restored %s from %s; the old file is at %s", live, source, aside)
    return aside

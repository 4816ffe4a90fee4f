"""Bringing a database's schema to the version this code expects.

A new database is created by the migrations (never ``create_all``). An older
one is copied aside first, then migrated. One made by a newer crm-tui is
refused: this code would not know what its tables mean.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from crm_tui.errors import DatabaseProblem
from crm_tui.storage import translate

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every schema revision this code can read (and migrate from)."""
    script = ScriptDirectory.from_config(_config())
    return {r.revision for r in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the schema, or refuse a database from the future."""
    try:
        current = current_revision(engine)
    except DatabaseError as exc:
        raise translate(exc) from exc
    head = head_revision()
    if current == head:
        return
    if current is not None and current not in known_revisions():
        raise DatabaseProblem(
            "This database was made by a newer version of crm-tui "
            f"(schema {current}); upgrade crm-tui to open it."
        )
    if current is not None:
        _backup_before_migrating(engine, current)
    upgrade(engine)


def upgrade(engine: Engine, target: str = "head") -> None:
    config = _config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, target)
    except DatabaseError as exc:
        raise translate(exc) from exc
    log.info("schema at %s", target)


def _backup_before_migrating(engine: Engine, current: str) -> None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    from crm_tui.backup import aside_name, backup_sqlite

    backup = aside_name(Path(database), current)

    backup_sqlite(engine, backup)
    log.warning("migrating %s; the old file was copied to %s", database, backup)

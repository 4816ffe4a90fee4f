"""Bringing a database's schema to the version this code expects.

A new database is created by the migrations (never ``create_all``). An older
one is copied aside first, then migrated. One made by a newer crm-tui is
refused: this code would not know what its tables mean.

Opening a database that is already up to date is the common case, and it
is on the way to the first painted screen: it reads the stored revision
with one query and the head from the migration files' text, without
importing Alembic (a quarter of a second). Anything else goes through
Alembic itself.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError

from crm_tui.errors import DatabaseProblem
from crm_tui.storage import translate

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

_REVISION = re.compile(r"^revision(?:: *str)? *= *[\"'](\w+)[\"']", re.MULTILINE)
_DOWN = re.compile(
    r"^down_revision(?::[^=]*)? *= *(?:[\"'](\w+)[\"']|(None))", re.MULTILINE
)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


@cache
def quick_head() -> str | None:
    """The head revision read from the migration files' text, or None when
    they are not all in the plain one-parent form (then ask Alembic)."""
    parents: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        parents[revision.group(1)] = down.group(1)
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


def known_revisions() -> set[str]:
    """Every schema revision this code can read (and migrate from)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return {r.revision for r in script.walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None when it has none)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = conn.execute(text("SELECT version_num FROM alembic_version"))
        found = [row[0] for row in versions]
    if len(found) > 1:
        raise DatabaseProblem(
            "The database's schema has more than one version; it was not made "
            "by crm-tui."
        )
    return found[0] if found else None


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the schema, or refuse a database from the future."""
    try:
        current = current_revision(engine)
    except DatabaseError as exc:
        raise translate(exc) from exc
    if current is not None and current == quick_head():
        return
    if current == head_revision():
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
    from alembic import command

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

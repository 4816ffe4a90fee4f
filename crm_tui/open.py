"""Opening a workspace from what the user typed: one place, used by the CLI
and the app, that turns a path into a ready, migrated database."""

from __future__ import annotations

from crm_tui.clock import Clock, SystemClock
from crm_tui.config import current_user, database_url
from crm_tui.schema import ensure_schema
from crm_tui.storage import make_engine
from crm_tui.workspace import Workspace


def open_workspace(
    db: str | None, user: str | None, clock: Clock | None = None
) -> Workspace:
    engine = make_engine(database_url(db))
    ensure_schema(engine)
    return Workspace(engine, current_user(user), clock or SystemClock())

"""Opening a workspace from what the user typed: one place, used by the CLI
and the app, that turns a path into a ready, migrated database."""

from __future__ import annotations

from crm_tui.clock import Clock, SystemClock
from crm_tui.config import current_user, database_url
from crm_tui.files import check_whole, is_read_only, start_warnings
from crm_tui.schema import ensure_schema
from crm_tui.storage import make_engine
from crm_tui.workspace import Workspace


def open_workspace(
    db: str | None,
    user: str | None,
    clock: Clock | None = None,
    *,
    check: bool = True,
) -> Workspace:
    """The workspace on ``db`` for ``user``, its schema brought up to date.

    A damaged file is refused here, unless ``check`` is false: the app then
    checks it itself once the inbox is on screen (``check_whole`` reads
    every page, a second and a half on a million leads)."""
    engine = make_engine(database_url(db))
    if check:
        check_whole(engine)
    ensure_schema(engine)
    ws = Workspace(engine, current_user(user), clock or SystemClock())
    ws.unchecked = not check
    ws.read_only = is_read_only(engine)
    ws.warnings = start_warnings(engine)
    return ws

"""Live refresh: when anyone commits to the database, open screens reload.

The app polls ``crm_tui.live`` about twice a second in a short thread worker
and, on a change, calls ``refresh_data()`` on every screen in its stack that
has one (the ``LiveScreen`` protocol). A screen's refresh must reload in a
worker and keep what the rep is doing: the cursor's row, typed input, an
open form.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.message import Message

POLL_SECONDS = 0.5


class DatabaseChanged(Message):
    """Someone (another rep, or this app) committed to the database."""


@runtime_checkable
class LiveScreen(Protocol):
    def refresh_data(self) -> None:
        """Reload what the screen shows, keeping the rep's place."""

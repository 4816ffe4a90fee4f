"""What every screen of the app shares: how an unexpected failure reads."""

from __future__ import annotations

import logging
from typing import TypeVar

from textual import events, on
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from crm_tui.errors import CrmError

log = logging.getLogger(__name__)

ResultType = TypeVar("ResultType")


class CrmScreen(Screen[ResultType]):
    """A screen whose failed workers become an error notification, not a crash.

    Workers catch the errors a rep can act on themselves; this is the net for
    the rest (a damaged file, a bug), so the app stays up and says what broke.
    """

    @on(events.Mount)
    def _banner_when_read_only(self) -> None:
        ws = getattr(self.app, "ws", None)
        if ws is not None and ws.read_only:
            self.mount(
                Static(
                    "Read-only: this database cannot be changed from here. "
                    "You can look; claims and edits are refused.",
                    classes="read-only-banner",
                )
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, CrmError):
            self.notify(str(error), severity="error")
            return
        log.exception("%s failed", event.worker.name, exc_info=error)
        self.notify(
            f"{type(error).__name__}: {error}",
            title="Something went wrong",
            severity="error",
            timeout=10,
        )

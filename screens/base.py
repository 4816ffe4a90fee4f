"""What every screen of the app shares: how an unexpected failure reads."""

from __future__ import annotations

import logging
from typing import TypeVar

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from crm_tui.errors import CrmError

log = logging.getLogger(__name__)

ResultType = TypeVar("ResultType")


class CrmScreen(Screen[ResultType]):
    """A screen whose failed workers become an error notification, not a crash.

    Workers catch the errors a rep can act on themselves; this is the net for
    the rest (a damaged file, a bug), so the app stays up and says what broke.
    """

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

"""Messages the thread workers post back to the UI thread.

They are past-tense events: the worker reports what happened, the screen
decides what the rep sees.
"""

from __future__ import annotations

from textual.message import Message


class LeadClaimed(Message):
    """The user at the keyboard now owns the lead."""

    def __init__(self, lead_id: int, name: str) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.name = name


class ClaimFailed(Message):
    """The claim did not happen; ``reason`` is a one-line message for the rep.

    A lead that failed to claim is never in the inbox any more: someone else
    owns it, or it no longer exists.
    """

    def __init__(self, lead_id: int, reason: str) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.reason = reason


class LeadsActed(Message):
    """A triage action ran on some leads: ``done`` maps lead ids to what the
    rep should read, ``refused`` to why not."""

    def __init__(
        self, verb: str, done: dict[int, str], refused: dict[int, str]
    ) -> None:
        super().__init__()
        self.verb = verb
        self.done = done
        self.refused = refused

    @property
    def ids(self) -> list[int]:
        return [*self.done, *self.refused]

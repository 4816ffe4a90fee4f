"""The inbox: unowned new leads for a rep to claim and triage, breaching
leads on top, then the oldest first (the list itself is ``TriageScreen``)."""

from __future__ import annotations

from screens.triage import LeadTable, TriageScreen

__all__ = ["InboxScreen", "LeadTable"]


class InboxScreen(TriageScreen):
    """The unowned leads: where a rep picks up new work (c claims)."""

    SCOPE = "inbox"
    TITLE_TEXT = "Inbox"
    NOUN = ("unowned lead", "unowned leads")
    EMPTY = "Inbox zero: no unowned leads."

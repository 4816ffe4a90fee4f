"""My leads: the open leads the rep owns, late ones first, including
nurtured leads whose revisit date has come."""

from __future__ import annotations

from screens.triage import TriageScreen


class MyLeadsScreen(TriageScreen):
    """The rep's own open leads, to touch, qualify, nurture or disqualify."""

    SCOPE = "mine"
    TITLE_TEXT = "My leads"
    NOUN = ("open lead", "open leads")
    EMPTY = "No open leads of yours: claim some from the inbox (i)."

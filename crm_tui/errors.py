"""Errors a person can act on.

Each one carries a message meant to be shown as it is, on one line, by the
CLI or in a notification; none of them should ever surface as a traceback.
"""

from __future__ import annotations


class CrmError(Exception):
    """Something the user asked for could not be done, and why."""


class NotFound(CrmError):
    """The record asked for does not exist."""


class AlreadyTaken(CrmError):
    """Someone else got there first (a claim, an edit)."""


class StaleEdit(CrmError):
    """The record changed since this edit started from it."""


class UnknownUser(CrmError):
    """The person at the keyboard is not a user of this database."""


class NotAllowed(CrmError):
    """The user's role does not allow this action."""


class DatabaseProblem(CrmError):
    """The database file cannot be used as it is: locked, read-only, newer,
    damaged."""


class ProcessError(CrmError):
    """``process.toml`` is broken."""


class NotValid(CrmError):
    """A value the process does not know, or an action that does not fit
    the record as it is."""


class FieldNotValid(NotValid):
    """One field of a form holds a value that does not fit; ``field`` names
    it, so a form can stay open on it with everything else as typed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

"""Making a task, for every service that sets one up: a stage's follow-up,
a hand-off's onboarding, a renewal coming due, one a rep adds by hand.
Each is a row and its "created" event in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from crm_tui.events import add_created, plain
from crm_tui.models import Task


def create_task(
    session: Session,
    *,
    kind: str,
    title: str,
    due_at: datetime,
    owner_id: int | None,
    at: datetime,
    by: int | None,
    deal_id: int | None = None,
    lead_id: int | None = None,
    account_id: int | None = None,
    reason: str | None = None,
) -> Task:
    """Add a task and its event; ``by`` is None when the process made it
    with nobody at the keyboard (a renewal coming due)."""
    task = Task(
        kind=kind,
        title=title,
        due_at=due_at,
        owner_id=owner_id,
        deal_id=deal_id,
        lead_id=lead_id,
        account_id=account_id,
        created_at=at,
    )
    changes: dict[str, object] = {
        "title": [None, title],
        "due_at": [None, plain(due_at)],
        "deal_id": [None, deal_id],
        "lead_id": [None, lead_id],
    }
    if reason is not None:
        changes["reason"] = [None, reason]
    add_created(session, task, entity="task", at=at, by=by, changes=changes)
    return task

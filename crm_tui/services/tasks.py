"""Making a task, for every service that sets one up: a stage's follow-up,
a hand-off's onboarding, a renewal coming due, one a rep adds by hand.
Each is a row and its "created" event in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from crm_tui.events import add_created, plain, record
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


def mark_done(
    session: Session, task_id: int, *, outcome: str, at: datetime, by: int | None
) -> bool:
    """Mark an open task done and log it; False when it was done already
    (someone else finished it first)."""
    result = session.execute(
        update(Task)
        .where(col(Task.id) == task_id, col(Task.done_at).is_(None))
        .values(done_at=at, outcome=outcome, version=col(Task.version) + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return False
    record(
        session,
        at=at,
        user_id=by,
        entity="task",
        entity_id=task_id,
        action="completed",
        changes={"done_at": [None, plain(at)], "outcome": [None, outcome]},
    )
    return True

"""Writing leads: claiming them, for now; qualification and routing build on
this module's pattern of one transaction per action with its event."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from crm_tui.errors import AlreadyTaken, NotFound
from crm_tui.events import record
from crm_tui.models import Lead, User
from crm_tui.workspace import Workspace


def claim_lead(ws: Workspace, lead_id: int) -> Lead:
    """Make the user at the keyboard the lead's owner.

    The claim is one conditional update: of two reps pressing "claim" at the
    same instant, exactly one gets the lead and the other is told who did.
    """
    user_id = ws.user_id

    def claim(session: Session) -> Lead:
        now = ws.clock.now()
        result = session.execute(
            update(Lead)
            .where(col(Lead.id) == lead_id, col(Lead.owner_id).is_(None))
            .values(
                owner_id=user_id,
                status="working",
                updated_at=now,
                version=Lead.version + 1,
            )
        )
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise NotFound(f"There is no lead #{lead_id}.")
        if result.rowcount == 0:  # type: ignore[attr-defined]
            owner = session.get(User, lead.owner_id)
            who = "you" if lead.owner_id == user_id else owner.name if owner else "?"
            raise AlreadyTaken(f"Lead #{lead_id} is already claimed by {who}.")
        session.refresh(lead)
        record(
            session,
            at=now,
            user_id=user_id,
            entity="lead",
            entity_id=lead_id,
            action="claimed",
            changes={"owner": [None, ws.user_name], "status": ["new", "working"]},
        )
        return lead

    return ws.write(claim)

"""Writing leads: claiming them, for now; qualification and routing build on
this module's pattern of one transaction per action with its event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from crm_tui.errors import AlreadyTaken, NotFound
from crm_tui.models import Event, Lead, User
from crm_tui.rules.lead_fields import BASIC_FIELDS as BASIC_FIELDS
from crm_tui.rules.lead_fields import clean_lead_changes
from crm_tui.services.edits import apply_edit
from crm_tui.workspace import Workspace

_leads = Lead.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]

# Built once: a rep claims leads all day, several reps at once, and building
# a statement costs more than running it.
_CLAIM = (
    update(_leads)
    .where(_leads.c.id == bindparam("lead_id"), _leads.c.owner_id.is_(None))
    .values(
        owner_id=bindparam("user_id"),
        status="working",
        updated_at=bindparam("now"),
        version=_leads.c.version + 1,
    )
    .returning(_leads.c.id, _leads.c.name, _leads.c.status)
)
_OWNER_OF = (
    select(_users.c.id, _users.c.name)
    .select_from(_leads.outerjoin(_users, _users.c.id == _leads.c.owner_id))
    .where(_leads.c.id == bindparam("lead_id"))
)
_CLAIMED_EVENT = insert(Event.__table__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ClaimedLead:
    id: int
    name: str
    status: str


def claim_lead(ws: Workspace, lead_id: int) -> ClaimedLead:
    """Make the user at the keyboard the lead's owner.

    The claim is one conditional update: of two reps pressing "claim" at the
    same instant, exactly one gets the lead and the other is told who did.
    """
    user_id = ws.user_id

    def claim(session: Session) -> ClaimedLead:
        now = ws.clock.now()
        conn = session.connection()
        params = {"lead_id": lead_id, "user_id": user_id, "now": now}
        row = conn.execute(_CLAIM, params).first()
        if row is None:
            owner = conn.execute(_OWNER_OF, {"lead_id": lead_id}).first()
            if owner is None:
                raise NotFound(f"There is no lead #{lead_id}.")
            who = "you" if owner.id == user_id else owner.name or "?"
            raise AlreadyTaken(f"Lead #{lead_id} is already claimed by {who}.")
        conn.execute(
            _CLAIMED_EVENT,
            {
                "at": now,
                "user_id": user_id,
                "entity": "lead",
                "entity_id": lead_id,
                "action": "claimed",
                "changes": {
                    "owner": [None, ws.user_name],
                    "status": ["new", "working"],
                },
                "batch_id": None,
            },
        )
        return ClaimedLead(row.id, row.name, row.status)

    return ws.write(claim)


def edit_lead(
    ws: Workspace, lead_id: int, *, version: int, changes: dict[str, Any]
) -> dict[str, list[Any]]:
    """Change a lead's basic fields, from the version the rep started from.

    A colleague's change in between raises ``Conflict`` (nothing written);
    e-mail and phone are checked and normalized as an import would.
    """
    values = clean_lead_changes(changes)
    user_id = ws.user_id

    def edit(session: Session) -> dict[str, list[Any]]:
        return apply_edit(
            session,
            Lead,
            "lead",
            lead_id,
            expected_version=version,
            changes=values,
            at=ws.clock.now(),
            user_id=user_id,
        )

    return ws.write(edit)

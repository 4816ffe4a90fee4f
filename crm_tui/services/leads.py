"""Writing leads: claiming them, for now; qualification and routing build on
this module's pattern of one transaction per action with its event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from crm_tui.errors import AlreadyTaken, CrmError, NotFound
from crm_tui.events import record
from crm_tui.models import Lead, User
from crm_tui.normalize import (
    InvalidValue,
    clean,
    email_match_key,
    normalize_email,
    normalize_phone,
)
from crm_tui.services.edits import apply_edit
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


# The fields a rep edits on the lead page; the rest come from rules and imports.
BASIC_FIELDS = ("name", "company", "title", "email", "phone", "territory")


def edit_lead(
    ws: Workspace, lead_id: int, *, version: int, changes: dict[str, Any]
) -> dict[str, list[Any]]:
    """Change a lead's basic fields, from the version the rep started from.

    A colleague's change in between raises ``Conflict`` (nothing written);
    e-mail and phone are checked and normalized as an import would.
    """
    unknown = set(changes) - set(BASIC_FIELDS)
    if unknown:
        raise CrmError(f"These lead fields are not edited here: {sorted(unknown)}")
    values = {key: clean(value) for key, value in changes.items()}
    if values.get("name") is None and "name" in values:
        raise CrmError("A lead needs a name.")
    email, phone = values.get("email"), values.get("phone")
    try:
        if email:
            values["email"] = normalize_email(email)
        if phone:
            values["phone"] = normalize_phone(phone, None).e164
    except InvalidValue as error:
        raise CrmError(str(error).capitalize() + ".") from error
    if "email" in values:
        values["email_key"] = email_match_key(values["email"] or "") or None
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

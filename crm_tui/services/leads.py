"""Writing leads: claiming them, for now; qualification and routing build on
this module's pattern of one transaction per action with its event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlmodel import Session

from crm_tui import ledger
from crm_tui.errors import AlreadyTaken, NotFound
from crm_tui.models import Lead, User
from crm_tui.prepared import Prepared
from crm_tui.process import Process
from crm_tui.rules.lead_fields import BASIC_FIELDS as BASIC_FIELDS
from crm_tui.rules.lead_fields import clean_lead_changes
from crm_tui.services.edits import apply_edit
from crm_tui.workspace import Workspace

_leads = Lead.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]

# Built once and run on the driver's cursor (crm_tui.prepared): a rep claims
# leads all day, several reps at once, and each statement of a claim runs
# while the claimer holds the write lock. It returns the whole row, which
# the event's seal fingerprints without reading the lead again.
_CLAIM = Prepared(
    update(_leads)
    .where(_leads.c.id == bindparam("lead_id"), _leads.c.owner_id.is_(None))
    .values(
        owner_id=bindparam("user_id"),
        status="working",
        updated_at=bindparam("now"),
        version=_leads.c.version + 1,
    )
    .returning(*_leads.c)
)
_OWNER_OF = Prepared(
    select(_leads.c.owner_id, _users.c.name)
    .select_from(_leads.outerjoin(_users, _users.c.id == _leads.c.owner_id))
    .where(_leads.c.id == bindparam("lead_id"))
)


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
    # A lead a colleague already took is refused from a plain read, so the
    # "no" does not queue for the write lock behind the colleague's claims
    # (nothing hands a lead back to the inbox, so taken stays taken). A read
    # that finds the lead free decides nothing: the conditional update does.
    with ws.engine.connect() as conn:
        _refuse_if_taken(conn, lead_id, user_id)

    def claim(session: Session) -> ClaimedLead:
        now = ws.clock.now()
        conn = session.connection()
        params = {"lead_id": lead_id, "user_id": user_id, "now": now}
        claimed = _CLAIM.rows(conn, params)
        if not claimed:
            _refuse_if_taken(conn, lead_id, user_id)
            raise AssertionError(f"lead #{lead_id} is free but was not claimed")
        row = dict(zip(_CLAIM.columns(conn), claimed[0], strict=True))
        ledger.append(
            conn,
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
            },
            row,
        )
        return ClaimedLead(row["id"], row["name"], row["status"])

    return ws.write(claim)


def _refuse_if_taken(conn: Connection, lead_id: int, user_id: int) -> None:
    """Raise what a rep is told when the lead is not there to claim."""
    found = _OWNER_OF.rows(conn, {"lead_id": lead_id})
    if not found:
        raise NotFound(f"There is no lead #{lead_id}.")
    owner_id, name = found[0]
    if owner_id is not None:
        who = "you" if owner_id == user_id else name or "?"
        raise AlreadyTaken(f"Lead #{lead_id} is already claimed by {who}.")


def edit_lead(
    ws: Workspace, lead_id: int, *, version: int, changes: dict[str, Any]
) -> dict[str, list[Any]]:
    """Change a lead's basic fields, from the version the rep started from.

    A colleague's change in between raises ``Conflict`` (nothing written);
    e-mail and phone are checked and normalized as an import would. A new
    country brings the territory the process gives it, as on arrival,
    unless the same edit sets the territory too.
    """
    values = clean_lead_changes(changes)
    user_id = ws.user_id
    process = ws.process

    def edit(session: Session) -> dict[str, list[Any]]:
        current = session.get(Lead, lead_id)
        if current is not None:
            _follow_country(values, current, process)
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


def _follow_country(values: dict[str, Any], lead: Lead, process: Process) -> None:
    """Give ``values`` the new country's territory when the country changes:
    a lead moved to Norway and left in North America goes to the wrong
    team's pool and reports."""
    if values.get("country", lead.country) == lead.country:
        return
    if values.get("territory", lead.territory) != lead.territory:
        return  # the rep chose the territory in the same edit
    values["territory"] = process.territory_of(values["country"])

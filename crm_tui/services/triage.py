"""Working a lead from the inbox: assign, touch, nurture, disqualify, and
each of them for several leads at once.

Every action checks before it writes, so a refusal leaves nothing behind;
the bulk forms run all leads in one transaction, each in a savepoint, and
report which leads were done and why the others were not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col

from crm_tui.errors import AlreadyTaken, CrmError, NotAllowed, NotFound, NotValid
from crm_tui.events import record
from crm_tui.models import Activity, Lead, User
from crm_tui.process import Process, TouchKind
from crm_tui.rules.qualification import (
    DISQUALIFIED,
    NURTURE,
    OPEN_STATUSES,
    check_answers,
    check_revisit,
    pick,
    pick_choice,
    team_today,
)
from crm_tui.services.roles import RANKS, require_role
from crm_tui.services.users import find_user
from crm_tui.workspace import Workspace

LeadAction = Callable[[Session, Lead], str]


@dataclass
class Outcome:
    """What a bulk action did: ``done`` lead ids with what the rep sees,
    ``refused`` lead ids with the reason."""

    done: dict[int, str] = field(default_factory=dict)
    refused: dict[int, CrmError] = field(default_factory=dict)

    def raise_if_refused(self) -> None:
        """For one lead: its refusal, raised as the error it was."""
        if self.refused and not self.done:
            raise next(iter(self.refused.values()))


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    role: str
    now: datetime

    @property
    def is_manager(self) -> bool:
        return RANKS.get(self.role, 0) >= RANKS["manager"]


def for_each_lead(
    ws: Workspace, lead_ids: Sequence[int], act: Callable[[Session, Lead, Actor], str]
) -> Outcome:
    """Run ``act`` on every lead in one write transaction; a lead it refuses
    is rolled back alone and the others go ahead."""
    user_id = ws.user_id

    def work(session: Session) -> Outcome:
        me = session.get(User, user_id)
        assert me is not None
        actor = Actor(user_id, me.name, me.role, ws.clock.now())
        outcome = Outcome()
        for lead_id in dict.fromkeys(lead_ids):
            savepoint = session.begin_nested()
            try:
                lead = session.get(Lead, lead_id)
                if lead is None:
                    raise NotFound(f"There is no lead #{lead_id}.")
                outcome.done[lead_id] = act(session, lead, actor)
            except CrmError as exc:
                savepoint.rollback()
                outcome.refused[lead_id] = exc
            else:
                savepoint.commit()
        return outcome

    return ws.write(work)


def _bump(session: Session, lead: Lead, at: datetime, **values: object) -> None:
    """Write ``values`` to the lead, provided nobody changed it since it was
    read in this transaction (on a server database, a colleague may have)."""
    result = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead.id, col(Lead.version) == lead.version)
        .values(**values, updated_at=at, version=Lead.version + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise AlreadyTaken(f"Lead #{lead.id} changed meanwhile; try again.")
    session.refresh(lead)


def _owner_name(session: Session, owner_id: int | None) -> str | None:
    owner = session.get(User, owner_id) if owner_id else None
    return owner.name if owner else None


def _must_be_open(lead: Lead, doing: str) -> None:
    if lead.status not in OPEN_STATUSES and lead.status != NURTURE:
        raise NotValid(f"Lead #{lead.id} is {lead.status}; it cannot be {doing}.")


def _may_work(lead: Lead, actor: Actor, doing: str) -> None:
    """A rep works unowned leads and their own; a manager works any."""
    if lead.owner_id in (None, actor.id) or actor.is_manager:
        return
    raise NotAllowed(
        f"Lead #{lead.id} belongs to someone else; only its owner or a manager "
        f"can {doing} it."
    )


# -- claim ----------------------------------------------------------------


def claim_leads(ws: Workspace, lead_ids: Sequence[int]) -> Outcome:
    """Claim several unowned leads for the user at the keyboard."""

    def claim(session: Session, lead: Lead, actor: Actor) -> str:
        if lead.owner_id is not None:
            who = _owner_name(session, lead.owner_id)
            who = "you" if lead.owner_id == actor.id else who
            raise AlreadyTaken(f"Lead #{lead.id} is already claimed by {who}.")
        status = "working" if lead.status == "new" else lead.status
        before = lead.status
        _bump(session, lead, actor.now, owner_id=actor.id, status=status)
        record(
            session,
            at=actor.now,
            user_id=actor.id,
            entity="lead",
            entity_id=lead.id or 0,
            action="claimed",
            changes={"owner": [None, actor.name], "status": [before, status]},
        )
        return f"You own {lead.name} now."

    return for_each_lead(ws, lead_ids, claim)


# -- assign ---------------------------------------------------------------


def assign_leads(
    ws: Workspace, lead_ids: Sequence[int], user_name: str, reason: str = ""
) -> Outcome:
    """Give leads to a user. Anyone may hand out an unowned lead or their
    own; taking a lead from its owner is a manager's reassignment and needs
    a reason."""
    reason = reason.strip()

    def assign(session: Session, lead: Lead, actor: Actor) -> str:
        target = find_user(session, user_name)
        if not target.active:
            raise NotValid(f"{target.name} is inactive and gets no leads.")
        if lead.owner_id == target.id:
            return f"{lead.name} is already {target.name}'s."
        reassigning = lead.owner_id not in (None, actor.id)
        if reassigning:
            require_role(session, actor.id, "manager", "reassign another rep's lead")
            if not reason:
                raise NotValid("Reassigning a lead needs a reason.")
        _must_be_open(lead, "assigned")
        before = _owner_name(session, lead.owner_id)
        status = "working" if lead.status == "new" else lead.status
        _bump(
            session, lead, actor.now, owner_id=target.id, status=status, routed_by=None
        )
        changes: dict[str, object] = {"owner": [before, target.name]}
        if reason:
            changes["reason"] = reason
        record(
            session,
            at=actor.now,
            user_id=actor.id,
            entity="lead",
            entity_id=lead.id or 0,
            action="assigned",
            changes=changes,
        )
        return f"{lead.name} is {target.name}'s now."

    return for_each_lead(ws, lead_ids, assign)


# -- touch ----------------------------------------------------------------


def touch_leads(
    ws: Workspace,
    lead_ids: Sequence[int],
    kind: str,
    outcome: str,
    note: str | None = None,
) -> Outcome:
    """Log a call, e-mail or meeting with its outcome. The first touch stops
    the lead's response clock; touching an unowned lead claims it."""
    process = ws.process
    touch_kind = _touch_kind(process, kind)
    result = pick(outcome, touch_kind.outcomes, f"{touch_kind.label.lower()} outcome")

    def touch(session: Session, lead: Lead, actor: Actor) -> str:
        _may_work(lead, actor, "log a touch on")
        values: dict[str, object] = {}
        changes: dict[str, object] = {"kind": touch_kind.key, "outcome": result}
        if lead.owner_id is None:
            values.update(owner_id=actor.id)
            changes["owner"] = [None, actor.name]
        if lead.status == "new":
            values.update(status="working")
            changes["status"] = ["new", "working"]
        first = lead.first_response_at is None
        if first:
            values.update(first_response_at=actor.now)
            changes["first_response_at"] = [None, actor.now.isoformat()]
        _bump(session, lead, actor.now, **values)
        session.add(
            Activity(
                kind=touch_kind.key,
                outcome=result,
                note=note,
                user_id=actor.id,
                lead_id=lead.id,
                occurred_at=actor.now,
            )
        )
        record(
            session,
            at=actor.now,
            user_id=actor.id,
            entity="lead",
            entity_id=lead.id or 0,
            action="touched",
            changes=changes,
        )
        what = f"{touch_kind.label} ({result})"
        return f"{what} logged on {lead.name}" + (": first response" if first else ".")

    return for_each_lead(ws, lead_ids, touch)


def _touch_kind(process: Process, kind: str) -> TouchKind:
    keys = [t.key for t in process.touches]
    labels = {t.label.casefold(): t.key for t in process.touches}
    key = labels.get(kind.casefold()) or pick(kind.replace("-", ""), keys, "touch")
    return next(t for t in process.touches if t.key == key)


# -- nurture and disqualify ------------------------------------------------


def nurture_leads(
    ws: Workspace,
    lead_ids: Sequence[int],
    revisit_on: date,
    answers: dict[str, str] | None = None,
) -> Outcome:
    """Put leads in the Nurture bucket until ``revisit_on`` (a team date),
    when they come back to their owner."""
    process = ws.process
    checked = check_answers(answers or {}, process.qualification, complete=False)
    check_revisit(revisit_on, team_today(ws.clock.now(), process.team.zone))

    def nurture(session: Session, lead: Lead, actor: Actor) -> str:
        _may_work(lead, actor, "nurture")
        _must_be_open(lead, "nurtured")
        changes = _bucket_changes(lead, NURTURE, None, "nurture")
        changes["revisit_on"] = [_iso(lead.revisit_on), revisit_on.isoformat()]
        changes.update({k: [None, v] for k, v in checked.items()})
        values: dict[str, object] = {
            "bucket": NURTURE,
            "reason": None,
            "status": "nurture",
            "revisit_on": revisit_on,
        }
        if lead.owner_id is None:
            values["owner_id"] = actor.id
            changes["owner"] = [None, actor.name]
        _bump(session, lead, actor.now, **values)
        _record(session, actor, lead, "nurtured", changes)
        return f"{lead.name} comes back on {revisit_on:%a %d %b %Y}."

    return for_each_lead(ws, lead_ids, nurture)


def disqualify_leads(
    ws: Workspace,
    lead_ids: Sequence[int],
    reason: str,
    answers: dict[str, str] | None = None,
) -> Outcome:
    """Disqualify leads with a reason code from the process."""
    process = ws.process
    code = pick_choice(
        reason, process.qualification.disqualify_reasons, "disqualify reason"
    )
    checked = check_answers(answers or {}, process.qualification, complete=False)

    def disqualify(session: Session, lead: Lead, actor: Actor) -> str:
        _may_work(lead, actor, "disqualify")
        _must_be_open(lead, "disqualified")
        changes = _bucket_changes(lead, DISQUALIFIED, code.key, "disqualified")
        changes.update({k: [None, v] for k, v in checked.items()})
        values: dict[str, object] = {
            "bucket": DISQUALIFIED,
            "reason": code.key,
            "status": "disqualified",
            "revisit_on": None,
        }
        if lead.owner_id is None:
            values["owner_id"] = actor.id
            changes["owner"] = [None, actor.name]
        _bump(session, lead, actor.now, **values)
        _record(session, actor, lead, "disqualified", changes)
        return f"{lead.name} disqualified: {code.label}."

    return for_each_lead(ws, lead_ids, disqualify)


def _bucket_changes(
    lead: Lead, bucket: str, reason: str | None, status: str
) -> dict[str, object]:
    changes: dict[str, object] = {
        "bucket": [lead.bucket, bucket],
        "status": [lead.status, status],
    }
    if reason != lead.reason:
        changes["reason"] = [lead.reason, reason]
    return changes


def _record(
    session: Session, actor: Actor, lead: Lead, action: str, changes: dict[str, object]
) -> None:
    record(
        session,
        at=actor.now,
        user_id=actor.id,
        entity="lead",
        entity_id=lead.id or 0,
        action=action,
        changes=changes,
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None

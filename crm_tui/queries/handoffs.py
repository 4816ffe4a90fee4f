"""Read models for hand-offs: the lists of those waiting, and one in full.

Only hand-offs not yet accepted wait, and a team has a handful of those at a
time, so the lists are bounded by ``limit`` rather than paged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Account, Deal, Event, Handoff, HandoffItem, User
from crm_tui.queries.leads import HistoryEntry, history
from crm_tui.rules.handoff import shown

WAITING = ("open", "sent_back", "submitted")
STATUS_LABELS = {
    "open": "to submit",
    "sent_back": "sent back",
    "submitted": "to accept",
    "accepted": "accepted",
}


@dataclass(frozen=True)
class HandoffRow:
    id: int
    deal_id: int
    deal: str
    account: str | None
    status: str
    closing_rep: str | None
    next_owner: str | None
    question: str | None
    waiting_since: datetime
    missing: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def public(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "deal_id": self.deal_id,
            "deal": self.deal,
            "account": self.account,
            "status": self.status,
            "closing_rep": self.closing_rep,
            "next_owner": self.next_owner,
            "question": self.question,
            "waiting_since": self.waiting_since.isoformat(),
            "waiting_hours": round((now - self.waiting_since).total_seconds() / 3600),
            "missing": self.missing,
        }


def handoff_rows(
    session: Session,
    *,
    statuses: tuple[str, ...] = WAITING,
    for_user_id: int | None = None,
    limit: int = 500,
) -> list[HandoffRow]:
    """Hand-offs in ``statuses``, longest waiting first.

    With ``for_user_id``: only that user's queue, the hand-offs waiting for
    them: to submit or sent back when they closed the deal, to accept when
    they are the next owner.
    """
    closing = aliased(User)
    next_owner = aliased(User)
    sent_back_at = (
        select(func.max(Event.at))
        .where(
            col(Event.entity) == "handoff",
            col(Event.entity_id) == Handoff.id,
            col(Event.action) == "sent_back",
        )
        .scalar_subquery()
    )
    missing = (
        select(func.count())
        .where(
            col(HandoffItem.handoff_id) == Handoff.id,
            col(HandoffItem.required).is_(True),
            or_(col(HandoffItem.value).is_(None), col(HandoffItem.value) == ""),
        )
        .scalar_subquery()
    )
    # Waiting since the hand-off came to whoever must act now.
    since = case(
        (col(Handoff.status) == "submitted", col(Handoff.submitted_at)),
        (col(Handoff.status) == "sent_back", sent_back_at),
        (col(Handoff.status) == "accepted", col(Handoff.accepted_at)),
        else_=col(Handoff.created_at),
    )
    query = (
        select(
            col(Handoff.id),
            col(Handoff.deal_id),
            func.coalesce(col(Deal.title), ""),
            col(Account.name),
            col(Handoff.status),
            col(closing.name),
            col(next_owner.name),
            col(Handoff.question),
            since,
            missing,
        )
        .join(Deal, col(Deal.id) == Handoff.deal_id)
        .outerjoin(Account, col(Account.id) == Handoff.account_id)
        .outerjoin(closing, col(closing.id) == Handoff.closing_user_id)
        .outerjoin(next_owner, col(next_owner.id) == Handoff.next_owner_id)
        .where(col(Handoff.status).in_(statuses))
        .order_by(since, col(Handoff.id))
        .limit(limit)
    )
    if for_user_id is not None:
        query = query.where(
            or_(
                and_(
                    col(Handoff.status).in_(("open", "sent_back")),
                    col(Handoff.closing_user_id) == for_user_id,
                ),
                and_(
                    col(Handoff.status) == "submitted",
                    col(Handoff.next_owner_id) == for_user_id,
                ),
            )
        )
    rows = []
    for row in session.execute(query):
        values = list(row)
        # SQLite hands back the CASE as naive text-ish datetime; make it aware.
        values[8] = _aware(values[8])
        rows.append(HandoffRow(*values))
    return rows


def _aware(value: Any) -> datetime:
    from crm_tui.clock import as_utc

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return as_utc(value)


@dataclass(frozen=True)
class ItemView:
    key: str
    label: str
    kind: str
    required: bool
    value: str | None
    text: str  # the value as a person reads it

    @property
    def missing(self) -> bool:
        return self.required and not (self.value or "").strip()


@dataclass(frozen=True)
class HandoffDetail:
    handoff: Handoff
    deal: Deal
    account: Account | None
    closing_rep: str | None
    next_owner: str | None
    items: list[ItemView]
    history: list[HistoryEntry]

    @property
    def missing(self) -> list[ItemView]:
        return [item for item in self.items if item.missing]

    def public(self) -> dict[str, Any]:
        handoff = self.handoff
        return {
            "id": handoff.id,
            "status": handoff.status,
            "version": handoff.version,
            "deal": {
                "id": self.deal.id,
                "title": self.deal.title,
                "amount": str(self.deal.amount) if self.deal.amount else None,
                "close_on": self.deal.close_on,
            },
            "account": self.account.name if self.account else None,
            "closing_rep": self.closing_rep,
            "next_owner": self.next_owner,
            "question": handoff.question,
            "submitted_at": handoff.submitted_at,
            "accepted_at": handoff.accepted_at,
            "items": [
                {
                    "key": i.key,
                    "label": i.label,
                    "kind": i.kind,
                    "required": i.required,
                    "value": i.text or None,
                }
                for i in self.items
            ],
            "missing": [i.key for i in self.missing],
            "history": [
                {"at": h.at, "who": h.who, "action": h.action, "changes": h.changes}
                for h in self.history
            ],
        }


def handoff_detail(session: Session, handoff_id: int) -> HandoffDetail | None:
    """A hand-off with its deal, account, checklist and history: everything
    the next owner reads before accepting."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        return None
    deal = session.get(Deal, handoff.deal_id)
    assert deal is not None
    account = session.get(Account, handoff.account_id) if handoff.account_id else None
    items = session.execute(
        select(HandoffItem)
        .where(col(HandoffItem.handoff_id) == handoff_id)
        .order_by(col(HandoffItem.id))
    ).scalars()
    return HandoffDetail(
        handoff=handoff,
        deal=deal,
        account=account,
        closing_rep=_name(session, handoff.closing_user_id),
        next_owner=_name(session, handoff.next_owner_id),
        items=[
            ItemView(
                i.key, i.label, i.kind, i.required, i.value, shown(i.kind, i.value)
            )
            for i in items
        ],
        history=history(session, "handoff", handoff_id),
    )


def handoff_id_for_deal(session: Session, deal_id: int) -> int | None:
    return session.execute(
        select(col(Handoff.id)).where(col(Handoff.deal_id) == deal_id)
    ).scalar_one_or_none()


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else None

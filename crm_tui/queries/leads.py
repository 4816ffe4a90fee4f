"""Read models for leads: the inbox, lists for scripts, one lead in full.

The inbox pages by keyset on ``(created_at, id)``, which the partial index
``ix_lead_inbox`` serves directly: the thousandth page costs what the first
one does, however many leads the team has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Event, Lead, User

PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxRow:
    id: int
    name: str
    company: str | None
    source: str | None
    territory: str | None
    country: str | None
    email: str | None
    phone: str | None
    created_at: datetime

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.created_at, self.id)


_INBOX_COLUMNS = (
    col(Lead.id),
    col(Lead.name),
    col(Lead.company),
    col(Lead.source),
    col(Lead.territory),
    col(Lead.country),
    col(Lead.email),
    col(Lead.phone),
    col(Lead.created_at),
)


def _in_inbox() -> ColumnElement[bool]:
    # Must match the partial index's WHERE clause word for word.
    return and_(col(Lead.owner_id).is_(None), col(Lead.status) == "new")


# What a typed phone number may hold besides digits.
_PHONE_TEXT = re.compile(r"\+?[\d\s().\-]+")
# Fewer digits than this are a year, a house number or a price, not a phone.
PHONE_SEARCH_DIGITS = 6


def phone_digits(text: str) -> str | None:
    """The digits to look for in stored E.164 numbers when ``text`` reads
    as a phone number (``+1 (415) 555-0123``, ``020 7946 0958``), else None.

    A national number's trunk ``0`` and an ``00`` international prefix are
    dropped: E.164 keeps neither.
    """
    text = text.strip()
    if not _PHONE_TEXT.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < PHONE_SEARCH_DIGITS:
        return None
    if text.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return digits.removeprefix("0")


def matches(text: str) -> ColumnElement[bool]:
    """Leads whose name, company or e-mail contains ``text``, whose ID in the
    system they were imported from is ``text`` (a rep pastes the old CRM's
    lead number), or whose phone contains it when it reads as a number."""
    typed = text.strip()
    like = f"%{typed}%"
    conditions = [
        col(Lead.name).ilike(like),
        col(Lead.company).ilike(like),
        col(Lead.email).ilike(like),
        col(Lead.external_id) == typed,
    ]
    digits = phone_digits(text)
    if digits is not None:
        conditions.append(col(Lead.phone).like(f"%{digits}%"))
        conditions.append(col(Lead.mobile).like(f"%{digits}%"))
    return or_(*conditions)


Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _in_inbox_matching(query: Query, search: str | None) -> Query:
    query = query.where(_in_inbox())
    if search and search.strip():
        query = query.where(matches(search))
    return query


def inbox_page(
    session: Session,
    *,
    after: tuple[datetime, int] | None = None,
    search: str | None = None,
    limit: int = PAGE_SIZE,
) -> list[InboxRow]:
    """The next ``limit`` unowned new leads, oldest first, after ``after``."""
    query = _in_inbox_matching(select(*_INBOX_COLUMNS), search)
    if after is not None:
        query = query.where(tuple_(col(Lead.created_at), col(Lead.id)) > tuple_(*after))
    query = query.order_by(col(Lead.created_at), col(Lead.id)).limit(limit)
    return [InboxRow(*row) for row in session.execute(query)]


def inbox_count(session: Session, search: str | None = None) -> int:
    query = _in_inbox_matching(select(func.count()).select_from(Lead), search)
    return int(session.execute(query).scalar_one())


def lead_list(
    session: Session,
    *,
    unowned: bool = False,
    owner: str | None = None,
    limit: int | None = None,
    breached_at: datetime | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Leads as plain objects for scripts (``crm leads list --json``)."""
    owner_user = aliased(User)
    query = (
        select(Lead, col(owner_user.name))
        .outerjoin(owner_user, col(owner_user.id) == Lead.owner_id)
        .order_by(col(Lead.created_at), col(Lead.id))
    )
    if unowned:
        query = query.where(col(Lead.owner_id).is_(None))
    if owner is not None:
        query = query.where(col(owner_user.name) == owner)
    if breached_at is not None:
        query = query.where(breached(breached_at))
    if status is not None:
        query = query.where(col(Lead.status) == status)
    if limit is not None:
        query = query.limit(limit)
    return [
        lead_public(lead, owner_name) for lead, owner_name in session.execute(query)
    ]


def breached(now: datetime) -> ColumnElement[bool]:
    """Open leads past their response SLA with no touch yet."""
    return and_(
        col(Lead.first_response_at).is_(None),
        col(Lead.sla_due_at) < now,
        col(Lead.status).in_(("new", "working")),
    )


def not_breached(now: datetime) -> ColumnElement[bool]:
    """Exactly the leads ``breached`` leaves out, a lead with no SLA clock
    yet included (SQL's NOT of a comparison with NULL would drop it)."""
    return or_(
        col(Lead.first_response_at).is_not(None),
        col(Lead.sla_due_at).is_(None),
        col(Lead.sla_due_at) >= now,
        col(Lead.status).not_in(("new", "working")),
    )


def lead_public(lead: Lead, owner_name: str | None) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.name,
        "company": lead.company,
        "email": lead.email,
        "phone": lead.phone,
        "phone_ext": lead.phone_ext,
        "mobile": lead.mobile,
        "mobile_ext": lead.mobile_ext,
        "title": lead.title,
        "source": lead.source,
        "country": lead.country,
        "territory": lead.territory,
        "owner": owner_name,
        "status": lead.status,
        "bucket": lead.bucket,
        "reason": lead.reason,
        "routed_by": lead.routed_by,
        "revisit_on": lead.revisit_on.isoformat() if lead.revisit_on else None,
        "sla_due_at": _iso(lead.sla_due_at),
        "first_response_at": _iso(lead.first_response_at),
        "created_at": _iso(lead.created_at),
        "external_id": lead.external_id,
        "extra": lead.extra,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str | None
    action: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class LeadDetail:
    lead: Lead
    owner: str | None
    history: list[HistoryEntry]


def lead_detail(session: Session, lead_id: int) -> LeadDetail | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    return LeadDetail(
        lead, owner.name if owner else None, history(session, "lead", lead_id)
    )


def history(session: Session, entity: str, entity_id: int) -> list[HistoryEntry]:
    """Every event of one record, oldest first, with who did it. A lead's
    history includes that of the leads merged into it."""
    ids: Any = [entity_id]
    if entity == "lead":
        merged = select(col(Lead.id)).where(col(Lead.merged_into_id) == entity_id)
        ids = select(literal(entity_id)).union_all(merged)
    query = (
        select(col(Event.at), col(User.name), col(Event.action), col(Event.changes))
        .outerjoin(User, col(User.id) == Event.user_id)
        .where(col(Event.entity) == entity, col(Event.entity_id).in_(ids))
        .order_by(col(Event.id))
    )
    return [HistoryEntry(*row) for row in session.execute(query)]

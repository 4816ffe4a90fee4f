"""Read models for the lead lists a rep triages: the inbox (unowned new
leads), "my leads" (the rep's open leads) and the team's breaches.

Breaching leads rise to the top without giving up keyset paging: a list is
read in two sections, each keyset-paged on its own order. First the
breached leads, most overdue first on ``(sla_due_at, id)``; then the rest,
oldest first on ``(created_at, id)`` (the inbox's partial index). The
breaches list is the first section alone, over the whole team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Lead, User
from crm_tui.queries.leads import PAGE_SIZE, breached, matches, not_breached

Scope = Literal["inbox", "mine", "breaches"]
Section = Literal["breached", "rest"]

_OWNER = aliased(User)


@dataclass(frozen=True)
class TriageRow:
    id: int
    name: str
    company: str | None
    source: str | None
    territory: str | None
    country: str | None
    owner: str | None
    status: str
    sla_due_at: datetime | None
    first_response_at: datetime | None
    created_at: datetime
    revisit_on: Any = None


_COLUMNS = (
    col(Lead.id),
    col(Lead.name),
    col(Lead.company),
    col(Lead.source),
    col(Lead.territory),
    col(Lead.country),
    col(_OWNER.name),
    col(Lead.status),
    col(Lead.sla_due_at),
    col(Lead.first_response_at),
    col(Lead.created_at),
    col(Lead.revisit_on),
)


def in_scope(scope: Scope, user_id: int, now: datetime) -> ColumnElement[bool]:
    if scope == "inbox":
        # Word for word the inbox index's WHERE clause.
        return and_(col(Lead.owner_id).is_(None), col(Lead.status) == "new")
    if scope == "mine":
        return and_(
            col(Lead.owner_id) == user_id, col(Lead.status).in_(("new", "working"))
        )
    return breached(now)


Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _query(
    query: Query, scope: Scope, user_id: int, now: datetime, search: str | None
) -> Query:
    query = query.outerjoin(_OWNER, col(_OWNER.id) == Lead.owner_id).where(
        in_scope(scope, user_id, now)
    )
    if search and search.strip():
        query = query.where(matches(search))
    return query


def triage_page(
    session: Session,
    scope: Scope,
    section: Section,
    *,
    user_id: int,
    now: datetime,
    after: tuple[datetime, int] | None = None,
    search: str | None = None,
    limit: int = PAGE_SIZE,
) -> list[TriageRow]:
    """The next page of one section of a list (see the module)."""
    query = _query(select(*_COLUMNS), scope, user_id, now, search)
    if section == "breached":
        key = (col(Lead.sla_due_at), col(Lead.id))
        query = query.where(breached(now))
    else:
        key = (col(Lead.created_at), col(Lead.id))
        query = query.where(not_breached(now))
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    query = query.order_by(*key).limit(limit)
    return [TriageRow(*row) for row in session.execute(query)]


# Counts stop here: "10,000+ unowned leads" tells a rep all they need, and
# counting a million rows on every load would not be at once.
COUNT_CAP = 10_000


def triage_counts(
    session: Session,
    scope: Scope,
    *,
    user_id: int,
    now: datetime,
    search: str | None = None,
    cap: int = COUNT_CAP,
) -> tuple[int, int]:
    """How many leads the list holds, and how many of them are breached;
    each counted up to ``cap`` + 1 (more than ``cap`` reads as "cap+")."""

    def capped(*where: ColumnElement[bool]) -> int:
        rows = select(literal(1)).select_from(Lead).where(*where)
        if search and search.strip():
            rows = rows.where(matches(search))
        query = select(func.count()).select_from(rows.limit(cap + 1).subquery())
        return int(session.execute(query).scalar_one())

    scoped = in_scope(scope, user_id, now)
    return capped(scoped), capped(scoped, breached(now))


def triage_rows(
    session: Session, scope: Scope, *, user_id: int, now: datetime, ids: list[int]
) -> list[TriageRow]:
    """The rows of ``ids`` that are still in the list (after an action)."""
    query = _query(select(*_COLUMNS), scope, user_id, now, None).where(
        col(Lead.id).in_(ids)
    )
    return [TriageRow(*row) for row in session.execute(query)]


def section_key(row: TriageRow, section: Section) -> tuple[datetime, int]:
    if section == "breached":
        assert row.sla_due_at is not None
        return (row.sla_due_at, row.id)
    return (row.created_at, row.id)


def team_users(session: Session) -> list[tuple[str, str]]:
    """Active users as (name, display name), for the assign list."""
    query = (
        select(col(User.name), col(User.display_name))
        .where(col(User.active).is_(True))
        .order_by(col(User.name))
    )
    return [(name, display or name) for name, display in session.execute(query)]

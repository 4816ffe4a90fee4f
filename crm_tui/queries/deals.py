"""Read models for the pipeline: board columns, deal lists, one deal with its
timeline, a rep's day, and the deals that need attention.

A board column is read a page at a time by keyset on ``(position, id)``
within its stage, which the ``ix_deal_board`` index serves directly: the top
of a column with 50,000 deals costs what a column of ten does. Per-card facts
(next step, last touch) are fetched for the page's deals only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Account, Activity, Deal, Event, Task, User
from crm_tui.process import Process
from crm_tui.rules.stages import Flags, deal_flags

CARD_PAGE = 12


@dataclass(frozen=True)
class BoardFilter:
    """Which deals the board shows: one owner's (or everyone's), matching a text."""

    owner_id: int | None = None
    text: str = ""

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.owner_id is not None:
            conditions.append(col(Deal.owner_id) == self.owner_id)
        if self.text.strip():
            like = f"%{self.text.strip()}%"
            # An alias, so the board's own join of Account is not correlated.
            account = aliased(Account)
            on_account = exists().where(
                col(account.id) == col(Deal.account_id), col(account.name).ilike(like)
            )
            conditions.append(or_(col(Deal.title).ilike(like), on_account))
        return conditions


@dataclass(frozen=True)
class ColumnTotals:
    count: int
    amount: Decimal


def column_totals(session: Session, flt: BoardFilter) -> dict[str, ColumnTotals]:
    """Each stage's true count and total amount under the filter."""
    query = (
        select(col(Deal.stage), func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .where(*flt.where())
        .group_by(col(Deal.stage))
    )
    return {
        stage: ColumnTotals(int(count), Decimal(str(total)))
        for stage, count, total in session.execute(query)
    }


@dataclass(frozen=True)
class Card:
    """One deal as its card on the board shows it."""

    id: int
    title: str
    account: str | None
    amount: Decimal | None
    owner: str | None
    stage: str
    position: float
    stage_entered_at: datetime
    decision_on: date | None
    version: int
    next_meeting_at: datetime | None
    next_step: str | None = None
    next_step_at: datetime | None = None
    last_touch: datetime | None = None
    flags: Flags = Flags()

    @property
    def key(self) -> tuple[float, int]:
        return (self.position, self.id)


def _card_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(Deal.id),
            col(Deal.title),
            col(Account.name),
            col(Deal.amount),
            col(User.name),
            col(Deal.stage),
            col(Deal.position),
            col(Deal.stage_entered_at),
            col(Deal.decision_on),
            col(Deal.version),
            col(Deal.next_meeting_at),
        )
        .outerjoin(Account, col(Account.id) == col(Deal.account_id))
        .outerjoin(User, col(User.id) == col(Deal.owner_id))
    )


def column_page(
    session: Session,
    process: Process,
    stage: str,
    flt: BoardFilter,
    now: datetime,
    *,
    after: tuple[float, int] | None = None,
    limit: int = CARD_PAGE,
) -> list[Card]:
    """The next ``limit`` cards of a column, top first, after ``after``."""
    query = _card_query().where(col(Deal.stage) == stage, *flt.where())
    if after is not None:
        query = query.where(tuple_(col(Deal.position), col(Deal.id)) > tuple_(*after))
    query = query.order_by(col(Deal.position), col(Deal.id)).limit(limit)
    cards = [Card(*row) for row in session.execute(query)]
    return with_next_steps(session, process, cards, now)


def deal_card(
    session: Session, process: Process, deal_id: int, now: datetime
) -> Card | None:
    """One deal as its card shows it (after a move, to show it in place)."""
    rows = session.execute(_card_query().where(col(Deal.id) == deal_id))
    cards = [Card(*row) for row in rows]
    return with_next_steps(session, process, cards, now)[0] if cards else None


def with_next_steps(
    session: Session, process: Process, cards: list[Card], now: datetime
) -> list[Card]:
    """The cards with their next step, last touch and flags filled in."""
    ids = [c.id for c in cards]
    if not ids:
        return cards
    steps = next_steps(session, ids)
    touches = last_activity(session, ids)
    done = []
    for card in cards:
        stage = process.stage(card.stage)
        title, due = steps.get(card.id, (None, None))
        meeting = card.next_meeting_at
        if meeting is not None and meeting > now and (due is None or due <= now):
            # A booked meeting with the buyer is a next step too.
            title, due = "Meeting with the buyer", meeting
        if stage.closed:
            # A closed deal sells no more: the meeting it booked while open
            # (or a task left behind) is not a step anyone will take.
            title, due = None, None
        touch = max(
            [t for t in (card.stage_entered_at, touches.get(card.id)) if t is not None]
        )
        flags = deal_flags(
            stage,
            next_step_at=due if due is not None and due > now else None,
            decision_on=card.decision_on,
            last_touch=touch,
            now=now,
        )
        done.append(
            _replace(
                card, next_step=title, next_step_at=due, last_touch=touch, flags=flags
            )
        )
    return done


def _replace(card: Card, **changes: Any) -> Card:
    from dataclasses import replace

    return replace(card, **changes)


def next_steps(
    session: Session, deal_ids: Iterable[int]
) -> dict[int, tuple[str, datetime]]:
    """Each deal's earliest open task: (title, due)."""
    ids = list(deal_ids)
    first_due = (
        select(col(Task.deal_id), func.min(Task.due_at).label("due"))
        .where(col(Task.deal_id).in_(ids), col(Task.done_at).is_(None))
        .group_by(col(Task.deal_id))
        .subquery()
    )
    query = (
        select(col(Task.deal_id), col(Task.title), col(Task.due_at))
        .join(
            first_due,
            and_(
                col(Task.deal_id) == first_due.c.deal_id,
                col(Task.due_at) == first_due.c.due,
            ),
        )
        .where(col(Task.done_at).is_(None))
    )
    found: dict[int, tuple[str, datetime]] = {}
    for deal_id, title, due in session.execute(query):
        found.setdefault(deal_id, (title, due))
    return found


def last_activity(session: Session, deal_ids: Iterable[int]) -> dict[int, datetime]:
    query = (
        select(col(Activity.deal_id), func.max(Activity.occurred_at))
        .where(col(Activity.deal_id).in_(list(deal_ids)))
        .group_by(col(Activity.deal_id))
    )
    return {deal_id: _aware(at) for deal_id, at in session.execute(query)}


def _aware(value: Any) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back naive strings.
    from crm_tui.clock import as_utc

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


# -- Lists for scripts ---------------------------------------------------------------


def deal_list(
    session: Session,
    process: Process,
    *,
    stage: str | None = None,
    owner: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Deals as plain objects (``crm deals list --json``), board order."""
    next_step = (
        select(func.min(Task.due_at))
        .where(col(Task.deal_id) == col(Deal.id), col(Task.done_at).is_(None))
        .correlate(Deal)
        .scalar_subquery()
    )
    query = (
        select(Deal, col(Account.name), col(User.name), next_step)
        .outerjoin(Account, col(Account.id) == col(Deal.account_id))
        .outerjoin(User, col(User.id) == col(Deal.owner_id))
        .order_by(col(Deal.stage), col(Deal.position), col(Deal.id))
    )
    if stage is not None:
        query = query.where(col(Deal.stage) == process.stage(stage).key)
    if owner is not None:
        query = query.where(col(User.name) == owner)
    if limit is not None:
        query = query.limit(limit)
    names = {s.key: s.name for s in process.stages}
    return [
        {
            "id": deal.id,
            "title": deal.title,
            "account": account,
            "amount": str(deal.amount) if deal.amount is not None else None,
            "stage": names.get(deal.stage, deal.stage),
            "stage_key": deal.stage,
            "owner": owner_name,
            "next_step_at": _aware(due).isoformat() if due is not None else None,
            "close_on": deal.close_on.isoformat() if deal.close_on else None,
            "decision_on": deal.decision_on.isoformat() if deal.decision_on else None,
            "lost_reason": deal.lost_reason,
            "needs_handoff": deal.needs_handoff,
            "product": deal.product,
            "external_id": deal.external_id,
        }
        for deal, account, owner_name, due in session.execute(query)
    ]


# -- One deal ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str | None
    what: str  # "moved", "call", "task completed" ...
    detail: dict[str, Any] | str


@dataclass(frozen=True)
class DealDetail:
    deal: Deal
    account: str | None
    owner: str | None
    open_tasks: list[Task]
    timeline: list[TimelineEntry]


def deal_detail(session: Session, deal_id: int) -> DealDetail | None:
    deal = session.get(Deal, deal_id)
    if deal is None:
        return None
    account = session.get(Account, deal.account_id) if deal.account_id else None
    owner = session.get(User, deal.owner_id) if deal.owner_id else None
    open_tasks = list(
        session.execute(
            select(Task)
            .where(col(Task.deal_id) == deal_id, col(Task.done_at).is_(None))
            .order_by(col(Task.due_at), col(Task.id))
        ).scalars()
    )
    return DealDetail(
        deal,
        account.name if account else None,
        owner.name if owner else None,
        open_tasks,
        timeline(session, deal_id),
    )


def timeline(session: Session, deal_id: int) -> list[TimelineEntry]:
    """Everything that happened to a deal, oldest first: its own events
    (created, moved, edited), its tasks' events and its activities."""
    entries: list[TimelineEntry] = []
    deal_events = (
        select(col(Event.at), col(User.name), col(Event.action), col(Event.changes))
        .outerjoin(User, col(User.id) == col(Event.user_id))
        .where(col(Event.entity) == "deal", col(Event.entity_id) == deal_id)
    )
    for at, who, action, changes in session.execute(deal_events):
        entries.append(TimelineEntry(at, who, action, changes))
    task_ids = select(col(Task.id)).where(col(Task.deal_id) == deal_id)
    task_events = (
        select(col(Event.at), col(User.name), col(Event.action), col(Task.title))
        .join(Task, col(Task.id) == col(Event.entity_id))
        .outerjoin(User, col(User.id) == col(Event.user_id))
        .where(col(Event.entity) == "task", col(Event.entity_id).in_(task_ids))
    )
    for at, who, action, title in session.execute(task_events):
        entries.append(TimelineEntry(at, who, f"task {action}", title))
    activities = (
        select(Activity, col(User.name))
        .outerjoin(User, col(User.id) == col(Activity.user_id))
        .where(col(Activity.deal_id) == deal_id)
    )
    for activity, who in session.execute(activities):
        text = " · ".join(t for t in (activity.outcome, activity.note) if t)
        entries.append(TimelineEntry(activity.occurred_at, who, activity.kind, text))
    entries.sort(key=lambda e: e.at)
    return entries


# -- A rep's day ---------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    id: int
    kind: str
    title: str
    due_at: datetime
    deal_id: int | None
    deal: str | None
    lead_id: int | None
    when: str  # overdue, today, upcoming


MY_DAY_LIMIT = 300


def my_tasks(
    session: Session, process: Process, user_id: int, now: datetime
) -> list[TaskRow]:
    """A user's open tasks, most urgent first, each marked overdue, today or
    upcoming (today in the team's time zone). At most ``MY_DAY_LIMIT``."""
    zone = process.team.zone
    today_ends = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone
    )
    query = (
        select(
            col(Task.id),
            col(Task.kind),
            col(Task.title),
            col(Task.due_at),
            col(Task.deal_id),
            col(Deal.title),
            col(Task.lead_id),
        )
        .outerjoin(Deal, col(Deal.id) == col(Task.deal_id))
        .where(col(Task.owner_id) == user_id, col(Task.done_at).is_(None))
        .order_by(col(Task.due_at), col(Task.id))
        .limit(MY_DAY_LIMIT)
    )
    rows = []
    for task_id, kind, title, due, deal_id, deal, lead_id in session.execute(query):
        when = "overdue" if due < now else "today" if due < today_ends else "upcoming"
        rows.append(TaskRow(task_id, kind, title, due, deal_id, deal, lead_id, when))
    return rows


def flagged_deals(
    session: Session,
    process: Process,
    now: datetime,
    *,
    owner_id: int | None = None,
    limit: int = 200,
) -> list[Card]:
    """Open deals (of one owner, or all) that lack a next step or a decision
    date, or have stalled; oldest in their stage first."""
    open_keys = [s.key for s in process.open_stages]
    query = _card_query().where(col(Deal.stage).in_(open_keys))
    if owner_id is not None:
        query = query.where(col(Deal.owner_id) == owner_id)
    query = query.order_by(col(Deal.stage_entered_at), col(Deal.id))
    found: list[Card] = []
    # Read in pages so a rep with thousands of deals still gets an answer.
    offset = 0
    while len(found) < limit:
        rows = [Card(*r) for r in session.execute(query.offset(offset).limit(500))]
        if not rows:
            break
        offset += len(rows)
        found.extend(
            c for c in with_next_steps(session, process, rows, now) if c.flags.any
        )
    return found[:limit]


def stalled_deals(
    session: Session,
    process: Process,
    now: datetime,
    *,
    owner_id: int | None = None,
    limit: int = 500,
) -> list[Card]:
    """Open deals with no activity (nor stage change) for longer than their
    stage allows, for a reviewed bulk move. Filtered in SQL per stage."""
    conditions = []
    for stage in process.open_stages:
        if stage.parked or stage.stalled_after_days is None:
            continue
        cutoff = now - timedelta(days=stage.stalled_after_days)
        touched = exists().where(
            col(Activity.deal_id) == col(Deal.id), col(Activity.occurred_at) >= cutoff
        )
        conditions.append(
            and_(
                col(Deal.stage) == stage.key,
                col(Deal.stage_entered_at) < cutoff,
                ~touched,
            )
        )
    if not conditions:
        return []
    query = _card_query().where(or_(*conditions))
    if owner_id is not None:
        query = query.where(col(Deal.owner_id) == owner_id)
    query = query.order_by(col(Deal.stage_entered_at), col(Deal.id)).limit(limit)
    cards = [Card(*row) for row in session.execute(query)]
    return with_next_steps(session, process, cards, now)

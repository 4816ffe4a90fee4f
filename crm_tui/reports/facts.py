"""The queries that feed the reports: leads, deals with their stage history
from the event log, and tasks, each as a plain fact tagged with the group it
falls in for the chosen split (owner, source, territory or product).

Each query reads narrow columns in one pass; nothing here loads whole rows
of tables the report does not need.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Account, Deal, Event, ImportBatch, Lead, Task, User
from crm_tui.process import Process
from crm_tui.reports.hours import business_hours_between
from crm_tui.reports.metrics import (
    NO_GROUP,
    DealFact,
    LeadFact,
    Period,
    StageVisit,
    TaskFact,
)

Split = Literal["owner", "source", "territory", "product"]
SPLITS: tuple[Split, ...] = ("owner", "source", "territory", "product")


def _groups(*values: object) -> tuple[str, ...]:
    """The groups a fact falls in: every non-empty value, once each."""
    found: list[str] = []
    for value in values:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            text = str(item).strip() if item is not None else ""
            if text and text not in found:
                found.append(text)
    return tuple(found) or (NO_GROUP,)


def real_leads() -> Any:
    """Leads that count as leads: not merged into another, and not
    disqualified as a duplicate of one."""
    return and_(
        col(Lead.merged_into_id).is_(None),
        or_(
            col(Lead.status) != "disqualified",
            col(Lead.reason).is_(None),
            col(Lead.reason) != "duplicate",
        ),
    )


def lead_facts(
    session: Session, process: Process, period: Period, by: Split | None
) -> list[LeadFact]:
    """The leads created in the period, with their business-hours response
    from arrival: an imported lead arrived with its import, as its SLA clock
    says (``services.catchup``), whatever creation date the old CRM gave it."""
    owner = aliased(User)
    has_deal = exists().where(col(Deal.lead_id) == Lead.id)
    query = (
        select(
            col(Lead.id),
            col(Lead.created_at),
            col(Lead.first_response_at),
            col(Lead.sla_due_at),
            col(Lead.status),
            has_deal,
            col(owner.name),
            col(Lead.source),
            col(Lead.territory),
            col(Lead.product_interest),
            col(ImportBatch.started_at),
        )
        .outerjoin(owner, col(owner.id) == Lead.owner_id)
        .outerjoin(ImportBatch, col(ImportBatch.id) == Lead.import_batch_id)
        .where(
            col(Lead.created_at) >= period.start,
            col(Lead.created_at) < period.end,
            real_leads(),
        )
    )
    calendar, zone = process.business_hours, process.team.zone
    facts = []
    for row in session.execute(query):
        lead_id, created, answered, due, status, dealt = row[:6]
        split = dict(zip(SPLITS, row[6:10], strict=True))
        arrived = row[10] or created
        facts.append(
            LeadFact(
                id=lead_id,
                created_at=created,
                first_response_at=answered,
                sla_due_at=due,
                response_hours=(
                    business_hours_between(arrived, answered, calendar, zone)
                    if answered is not None
                    else None
                ),
                converted=bool(dealt) or status == "converted",
                groups=_groups(split[by]) if by else (NO_GROUP,),
            )
        )
    return facts


def stage_entries(
    session: Session, before: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """Every deal's stage entries from the event log, oldest first: each
    event whose changes set ``stage`` to a new value."""
    query = (
        select(col(Event.entity_id), col(Event.at), col(Event.changes))
        .where(col(Event.entity) == "deal", col(Event.at) < before)
        .order_by(col(Event.entity_id), col(Event.id))
    )
    entries: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for deal_id, at, changes in session.execute(query):
        stage = (changes or {}).get("stage")
        if isinstance(stage, list) and len(stage) == 2 and stage[1] != stage[0]:
            if stage[1] is not None:
                entries[deal_id].append((at, str(stage[1])))
    return entries


def visits(
    created_at: datetime, current: str, entries: list[tuple[datetime, str]]
) -> tuple[StageVisit, ...]:
    """A deal's stays in stages. The first stay starts at the deal's
    creation, whatever the time of its first event; a deal with no stage
    events (imported bare) has one stay, in its current stage."""
    if not entries:
        return (StageVisit(current, created_at, None),)
    found: list[StageVisit] = []
    for n, (at, stage) in enumerate(entries):
        start = created_at if n == 0 else at
        end = entries[n + 1][0] if n + 1 < len(entries) else None
        found.append(StageVisit(stage, start, end))
    return tuple(found)


def deal_facts(
    session: Session, process: Process, period: Period, by: Split | None
) -> list[DealFact]:
    """Every deal created before the period ends, with its stage history."""
    outcomes = {s.key: s.closed for s in process.stages if s.closed}
    owner = aliased(User)
    query = (
        select(
            col(Deal.id),
            col(Deal.kind),
            col(Deal.account_id),
            col(Deal.created_at),
            col(Deal.stage),
            col(Deal.closed_at),
            col(Deal.extra),
            col(owner.name),
            col(Lead.source),
            col(Account.territory),
            col(Lead.territory),
            col(Deal.product),
        )
        .outerjoin(owner, col(owner.id) == Deal.owner_id)
        .outerjoin(Lead, col(Lead.id) == Deal.lead_id)
        .outerjoin(Account, col(Account.id) == Deal.account_id)
        .where(col(Deal.created_at) < period.end)
    )
    entries = stage_entries(session, period.end)
    facts = []
    for row in session.execute(query):
        deal_id, kind, account_id, created, stage, closed_at, extra = row[:7]
        owner_name, source, account_territory, lead_territory, product = row[7:]
        extra = extra or {}
        split: dict[str, object] = {
            "owner": owner_name,
            "source": source or extra.get("source"),
            "territory": account_territory or lead_territory,
            # A deal of several products counts once in each product's row.
            "product": [product, *(extra.get("products") or [])],
        }
        history = visits(created, stage, entries.get(deal_id, []))
        outcome = outcomes.get(stage)
        facts.append(
            DealFact(
                id=deal_id,
                kind=kind,
                account_id=account_id,
                created_at=created,
                visits=history,
                outcome=outcome,
                closed_at=(closed_at or history[-1].start) if outcome else None,
                groups=_groups(split[by]) if by else (NO_GROUP,),
            )
        )
    return facts


def task_facts(session: Session, period: Period, by: Split | None) -> list[TaskFact]:
    """The tasks due in the period, grouped by their owner, or by the source,
    territory or product of the lead or deal they are for."""
    owner = aliased(User)
    query = (
        select(
            col(Task.id),
            col(Task.due_at),
            col(Task.done_at),
            col(owner.name),
            col(Lead.source),
            col(Lead.territory),
            col(Deal.product),
            col(Lead.product_interest),
        )
        .outerjoin(owner, col(owner.id) == Task.owner_id)
        .outerjoin(Deal, col(Deal.id) == Task.deal_id)
        .outerjoin(
            Lead,
            or_(
                col(Lead.id) == Task.lead_id,
                and_(col(Task.lead_id).is_(None), col(Lead.id) == Deal.lead_id),
            ),
        )
        .where(col(Task.due_at) >= period.start, col(Task.due_at) < period.end)
    )
    facts = []
    for row in session.execute(query):
        task_id, due, done, owner_name, source, territory, product, interest = row
        split = {
            "owner": owner_name,
            "source": source,
            "territory": territory,
            "product": product or interest,
        }
        facts.append(
            TaskFact(task_id, due, done, _groups(split[by]) if by else (NO_GROUP,))
        )
    return facts

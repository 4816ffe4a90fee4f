"""The tables of the CRM.

Every mutable row carries a ``version`` that each write bumps, so that an
edit started from an older version is caught instead of overwriting a
colleague's change. Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from crm_tui.clock import UtcDateTime


def _utc(**kwargs: Any) -> Any:
    """A timezone-aware UTC timestamp column."""
    return Field(sa_type=UtcDateTime, **kwargs)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class User(SQLModel, table=True):
    """Someone who works the CRM: a rep, a manager or an admin."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    display_name: str = ""
    email: str | None = Field(default=None, index=True)
    role: str = "rep"
    active: bool = True
    time_zone: str = "UTC"
    territories: list[str] = Field(default_factory=list, sa_type=JSON)
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    manager_id: int | None = Field(default=None, foreign_key="user.id")
    region: str | None = None
    created_at: datetime = _utc()
    version: int = 1


INBOX = "owner_id IS NULL AND status = 'new'"
OWNED = "owner_id IS NOT NULL"
WAITING = "first_response_at IS NULL"
NO_CLOCK = "sla_due_at IS NULL AND first_response_at IS NULL"
NURTURED = "status = 'nurture'"


def _partial(name: str, columns: list[str], where: str) -> Index:
    """An index over the rows matching ``where`` only.

    The migrations create it so on SQLite and PostgreSQL alike. Only the
    SQLite clause is named here: naming a dialect's option loads that
    dialect, and PostgreSQL's costs every start on a file a seventh of a
    second; the models are compared with what the migrations built, where
    a PostgreSQL index's clause is not looked at."""
    return Index(name, *columns, sqlite_where=text(where))


class Lead(SQLModel, table=True):
    """A person who may buy, before anyone has qualified them."""

    __table_args__ = (
        # The inbox: unowned new leads, oldest first. Partial, so it stays
        # small however many leads have been worked.
        _partial("ix_lead_inbox", ["created_at", "id"], INBOX),
        # Breached leads first on the lists (most overdue on top): leads
        # waiting for a first answer, by due time; then the two questions
        # the catch-up asks on every load.
        _partial("ix_lead_breached", ["sla_due_at", "id"], WAITING),
        _partial("ix_lead_no_clock", ["id"], NO_CLOCK),
        _partial("ix_lead_revisit", ["revisit_on"], NURTURED),
        # Owned leads only: without planner statistics SQLite would take it
        # for the inbox's "owner_id IS NULL" and sort every unowned lead.
        _partial("ix_lead_owner", ["owner_id", "status"], OWNED),
        Index("ix_lead_email_key", "email_key"),
        Index("ix_lead_phone", "phone"),
        Index("ix_lead_external", "source_system", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = ""
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    email: str | None = None
    # The normalized (trimmed, lower-cased) e-mail duplicates are matched on.
    email_key: str | None = None
    phone: str | None = None  # E.164
    phone_ext: str | None = None
    mobile: str | None = None  # E.164
    mobile_ext: str | None = None
    source: str | None = None
    country: str | None = None
    state: str | None = None
    city: str | None = None
    postal_code: str | None = None
    street: str | None = None
    website: str | None = None
    industry: str | None = None
    territory: str | None = None
    language: str | None = None
    segment: str | None = None
    product_interest: str | None = None
    status: str = Field(default="new")
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    bucket: str | None = None
    reason: str | None = None
    revisit_on: date | None = None
    routed_by: str | None = None
    sla_due_at: datetime | None = _utc(default=None)
    first_response_at: datetime | None = _utc(default=None)
    source_system: str | None = None
    external_id: str | None = None
    extra: dict[str, Any] = _json()
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    merged_into_id: int | None = Field(default=None, foreign_key="lead.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    version: int = 1


class Account(SQLModel, table=True):
    """A company we sell to, or already serve."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    domain: str | None = Field(default=None, index=True)
    industry: str | None = None
    country: str | None = None
    territory: str | None = None
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    relationship_owner_id: int | None = Field(default=None, foreign_key="user.id")
    implementation_owner_id: int | None = Field(default=None, foreign_key="user.id")
    service_owner_id: int | None = Field(default=None, foreign_key="user.id")
    onboarding_completed_at: datetime | None = _utc(default=None)
    renewal_on: date | None = None
    usage: str | None = None
    expansion_interest: bool = False
    # The renewal date a renewal task was last created for, so that each
    # renewal gets exactly one, however often the check runs.
    renewal_task_for: date | None = None
    extra: dict[str, Any] = _json()
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    version: int = 1


class Contact(SQLModel, table=True):
    """A person at an account."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    name: str = ""
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    role: str | None = None
    created_at: datetime = _utc()
    version: int = 1


class Deal(SQLModel, table=True):
    """An opportunity moving through the pipeline's stages."""

    __table_args__ = (Index("ix_deal_board", "stage", "position", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = ""
    kind: str = "new"  # new, renewal, upsell
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    stage: str = ""
    position: float = 0.0
    amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    currency: str = "USD"
    product: str | None = None
    close_on: date | None = None
    decision_on: date | None = None
    next_meeting_at: datetime | None = _utc(default=None)
    lost_reason: str | None = None
    lost_note: str | None = None
    needs_handoff: bool = False
    stage_entered_at: datetime = _utc()
    closed_at: datetime | None = _utc(default=None)
    source_system: str | None = None
    external_id: str | None = None
    extra: dict[str, Any] = _json()
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    version: int = 1


class Task(SQLModel, table=True):
    """Something someone must do by a time: call, e-mail, meeting, demo ..."""

    __table_args__ = (Index("ix_task_open", "owner_id", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "call"
    title: str = ""
    due_at: datetime = _utc()
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    done_at: datetime | None = _utc(default=None)
    outcome: str | None = None
    created_at: datetime = _utc()
    version: int = 1


class Activity(SQLModel, table=True):
    """A touch that happened: a call, an e-mail, a meeting, a note."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "call"
    outcome: str | None = None
    note: str | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    occurred_at: datetime = _utc()


class Handoff(SQLModel, table=True):
    """A won deal passed from the closing rep to the people who deliver."""

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", unique=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    status: str = "open"  # open, submitted, sent_back, accepted
    closing_user_id: int | None = Field(default=None, foreign_key="user.id")
    next_owner_id: int | None = Field(default=None, foreign_key="user.id")
    question: str | None = None
    submitted_at: datetime | None = _utc(default=None)
    accepted_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    version: int = 1


class HandoffItem(SQLModel, table=True):
    """One line of a hand-off checklist and what the closing rep wrote."""

    __table_args__ = (UniqueConstraint("handoff_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: int = Field(foreign_key="handoff.id", index=True)
    key: str
    label: str = ""
    kind: str = "text"  # text, date, contacts, user
    required: bool = True
    value: str | None = None
    updated_at: datetime | None = _utc(default=None)


class SupportIssue(SQLModel, table=True):
    """A problem a customer raised after the sale; open ones weigh on health."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    title: str = ""
    opened_at: datetime = _utc()
    resolved_at: datetime | None = _utc(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1


class Promise(SQLModel, table=True):
    """Something the closing rep promised the customer, written down at the
    hand-off and open until someone marks it kept."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    handoff_id: int | None = Field(default=None, foreign_key="handoff.id")
    text: str = ""
    created_at: datetime = _utc()
    kept_at: datetime | None = _utc(default=None)
    version: int = 1


class ImportBatch(SQLModel, table=True):
    """One run of an import: which file, who ran it, and how its rows fared."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = "leads"
    file_name: str = ""
    file_hash: str = ""
    user_id: int | None = Field(default=None, foreign_key="user.id")
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(default=None)
    read: int = 0
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    columns: dict[str, Any] = _json()
    undone_at: datetime | None = _utc(default=None)


class ImportRow(SQLModel, table=True):
    """A row of an import that did not simply create a record."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="importbatch.id", index=True)
    row: int
    outcome: str  # rejected, duplicate, updated
    reason: str = ""
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    data: dict[str, Any] = _json()  # the row as the file had it


class Event(SQLModel, table=True):
    """The append-only log: who changed what, when, from which value to which."""

    __table_args__ = (Index("ix_event_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    entity: str  # lead, deal, account, contact, task, handoff, user, import
    entity_id: int
    action: str  # created, claimed, updated, moved, ...
    changes: dict[str, Any] = _json()  # field -> [old, new]
    batch_id: int | None = Field(default=None, foreign_key="importbatch.id")
    # The seal (crm_tui.ledger), set as the write that made the event
    # commits: its place in the hash chain, that hash, and the hash of the
    # row the event is about as the write left it.
    chain_seq: int | None = Field(default=None, unique=True, index=True)
    chain_hash: str | None = None
    row_hash: str | None = None


class PoolCursor(SQLModel, table=True):
    """Where a round-robin pool stands, kept in the database so that every
    rep's app rotates the same way."""

    pool: str = Field(primary_key=True)
    position: int = 0


class Setting(SQLModel, table=True):
    """Small facts about this database, such as which process file it runs."""

    key: str = Field(primary_key=True)
    value: str = ""

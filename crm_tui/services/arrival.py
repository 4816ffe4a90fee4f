"""New leads arriving: typed in, captured by a hook, or imported. Each is
routed (``crm_tui.rules.routing``) and given its response clock
(``crm_tui.rules.sla``) before it is written.

Routing works on a batch of lead rows at once: the team, the named accounts
the batch may match and the pool positions are read once, every row is
routed in memory, and the pool positions are written back, all inside the
caller's write transaction. That transaction holds SQLite's write lock, so
two apps routing at once take turns and never hand out the same turn of a
pool twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import Session, col

from crm_tui.errors import NotValid
from crm_tui.events import record
from crm_tui.models import Account, Event, Lead, PoolCursor, User
from crm_tui.normalize import (
    InvalidValue,
    clean,
    country_name,
    country_region,
    email_match_key,
    normalize_email,
    normalize_phone,
)
from crm_tui.process import Process
from crm_tui.rules.routing import (
    Decision,
    LeadFacts,
    Member,
    NamedAccount,
    NamedAccounts,
    Router,
    company_key,
    domain_of,
)
from crm_tui.rules.sla import lead_due_at
from crm_tui.workspace import Workspace

FILE_OWNER = "owner in the file"
_IN_LIST = 500


def team_members(session: Session) -> dict[str, Member]:
    return {
        user.name: Member(user.id, user.name, user.active)
        for user in session.execute(select(User)).scalars()
        if user.id is not None
    }


def load_router(
    session: Session, process: Process, facts: Sequence[LeadFacts]
) -> Router:
    """A router with the team, the pool positions (locked on servers that
    lock rows) and the named accounts ``facts`` may match."""
    _ensure_cursors(session, list(process.routing.pools))
    cursors = {
        cursor.pool: cursor.position
        for cursor in session.execute(select(PoolCursor).with_for_update()).scalars()
    }
    named = load_named_accounts(session, facts)
    return Router(process.routing, team_members(session), cursors, named)


def _ensure_cursors(session: Session, pools: list[str]) -> None:
    """Every pool has its cursor row before it is locked: ``FOR UPDATE``
    locks nothing that does not exist, and two servers' first routings
    would both insert it."""
    if not pools:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    else:
        return
    session.execute(
        upsert(PoolCursor)
        .values([{"pool": pool, "position": 0} for pool in pools])
        .on_conflict_do_nothing()
    )


def load_named_accounts(session: Session, facts: Iterable[LeadFacts]) -> NamedAccounts:
    """The owned accounts whose domain or name one of the leads carries."""
    domains = {d for f in facts if (d := domain_of(f.email, f.website))}
    names = {company_key(f.company) for f in facts if f.company}
    found = NamedAccounts()
    owned = col(Account.owner_id).is_not(None)
    for keys, column in ((sorted(domains), col(Account.domain)), (sorted(names), None)):
        for start in range(0, len(keys), _IN_LIST):
            part = keys[start : start + _IN_LIST]
            where = (
                column.in_(part)
                if column is not None
                else func.lower(col(Account.name)).in_(part)
            )
            query = (
                select(col(Account.name), col(Account.domain), col(Account.owner_id))
                .where(owned, where)
                .order_by(col(Account.id))
            )
            for name, domain, owner_id in session.execute(query):
                account = NamedAccount(name, owner_id)
                if domain:
                    found.by_domain.setdefault(domain.casefold(), account)
                found.by_name.setdefault(company_key(name), account)
    return found


def save_cursors(session: Session, router: Router) -> None:
    for pool in sorted(router.moved):
        position = router.cursors[pool]
        result = session.execute(
            update(PoolCursor)
            .where(col(PoolCursor.pool) == pool)
            .values(position=position)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            session.execute(insert(PoolCursor).values(pool=pool, position=position))
    router.moved.clear()


@dataclass(frozen=True)
class Arrival:
    """How one new lead was placed: by whom, by which rule, and why."""

    rule: str | None
    owner: str | None
    reason: str


def place(
    session: Session,
    process: Process,
    rows: Sequence[dict[str, Any]],
    now: datetime,
    *,
    channel: str | None = None,
) -> list[Arrival]:
    """Route lead rows (column dicts about to be inserted) and set their
    owner, status, ``routed_by`` and ``sla_due_at`` in place.

    A row that already names its owner (an import's owner column) keeps it:
    the file wins over routing. ``channel`` is the source the response SLA is
    taken from when it is not the lead's own (imports answer by the import
    SLA, counted from the import).
    """
    territories: dict[str | None, str | None] = {}
    for row in rows:
        # A lead without a territory gets its country's, before routing, so
        # territory rules see it.
        if not row.get("territory"):
            country = row.get("country")
            if country not in territories:
                territories[country] = process.territory_of(country)
            row["territory"] = territories[country]
    facts = [LeadFacts.of(row) for row in rows]
    router = load_router(session, process, facts)
    by_id = {m.id: m for m in router.team.values()}
    zone = process.team.zone
    arrivals = []
    # Every row of a batch arrives at ``now``: one due time per source.
    due: dict[str | None, datetime | None] = {}
    for row, lead in zip(rows, facts, strict=True):
        source = channel or row.get("source")
        if source not in due:
            due[source] = lead_due_at(
                source, now, process.sla, process.business_hours, zone
            )
        row["sla_due_at"] = due[source]
        if row.get("owner_id") is not None:
            owner = by_id.get(row["owner_id"])
            row["routed_by"] = FILE_OWNER
            row["status"] = "working"
            arrivals.append(
                Arrival(
                    FILE_OWNER,
                    owner.name if owner else None,
                    "the file names the owner",
                )
            )
            continue
        decision: Decision = router.route(lead)
        if decision.owner is None:
            row["status"] = "new"
            arrivals.append(Arrival(None, None, decision.reason))
            continue
        row["owner_id"] = decision.owner.id
        row["status"] = "working"
        row["routed_by"] = decision.rule
        arrivals.append(Arrival(decision.rule, decision.owner.name, decision.reason))
    save_cursors(session, router)
    return arrivals


def arrival_events(
    arrivals: Sequence[Arrival],
    lead_ids: Sequence[int],
    *,
    at: datetime,
    user_id: int | None,
    batch_id: int | None = None,
) -> list[dict[str, Any]]:
    """The "assigned" events of routed leads, for one bulk insert."""
    return [
        {
            "at": at,
            "user_id": user_id,
            "entity": "lead",
            "entity_id": lead_id,
            "action": "assigned",
            "changes": {
                "owner": [None, arrival.owner],
                "routed_by": [None, arrival.rule],
                "reason": arrival.reason,
            },
            "batch_id": batch_id,
        }
        for arrival, lead_id in zip(arrivals, lead_ids, strict=True)
        if arrival.rule is not None
    ]


# Fields a typed-in or captured lead may carry.
LEAD_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "phone",
    "mobile",
    "source",
    "country",
    "state",
    "city",
    "website",
    "industry",
    "territory",
    "language",
    "segment",
    "product_interest",
)


def create_leads(
    ws: Workspace,
    leads: Sequence[Mapping[str, Any]],
    *,
    how: str = "typed in",
) -> list[tuple[int, Arrival]]:
    """Add new leads, routed on arrival, in one transaction."""
    rows = [_lead_row(fields) for fields in leads]
    user_id = ws.user_id

    def add(session: Session) -> list[tuple[int, Arrival]]:
        now = ws.clock.now()
        for row in rows:
            row.update(created_at=now, updated_at=now, version=1)
        arrivals = place(session, ws.process, rows, now)
        ids = []
        for row in rows:
            lead = Lead(**row)
            session.add(lead)
            session.flush()
            assert lead.id is not None
            ids.append(lead.id)
            record(
                session,
                at=now,
                user_id=user_id,
                entity="lead",
                entity_id=lead.id,
                action="created",
                changes={"source": [None, row.get("source")], "how": how},
            )
        events = arrival_events(arrivals, ids, at=now, user_id=user_id)
        if events:
            session.execute(insert(Event), events)
        return list(zip(ids, arrivals, strict=True))

    return ws.write(add)


def _lead_row(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A lead row from typed or captured fields, cleaned the way the
    importer cleans a file's rows."""
    unknown = sorted(set(fields) - set(LEAD_FIELDS))
    row: dict[str, Any] = {
        k: clean(str(v)) for k, v in fields.items() if k in LEAD_FIELDS and v
    }
    row["extra"] = {k: fields[k] for k in unknown}
    try:
        if row.get("email"):
            row["email"] = normalize_email(row["email"])
            row["email_key"] = email_match_key(row["email"])
        region = country_region(row.get("country"))
        if row.get("country"):
            row["country"] = country_name(row["country"]) or row["country"]
        for key in ("phone", "mobile"):
            if row.get(key):
                phone = normalize_phone(row[key], region)
                row[key] = phone.e164
                if phone.extension:
                    row[f"{key}_ext"] = phone.extension
    except InvalidValue as exc:
        raise NotValid(f"The lead's {str(exc).rstrip('.')}.") from exc
    if not row.get("name"):
        parts = [row.get("first_name"), row.get("last_name")]
        row["name"] = (
            " ".join(p for p in parts if p)
            or row.get("company")
            or row.get("email")
            or row.get("phone")
            or ""
        )
    if not row["name"]:
        raise NotValid("A lead needs at least a name, a company, an e-mail or a phone.")
    return row

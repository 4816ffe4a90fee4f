"""The audit: what the person who owns the system's health should fix.

Duplicate leads, stale deals, deals with no next step, leads past their SLA,
hand-offs waiting too long, process rules that no longer match the team or
the data, and fields nobody fills. Each finding names the record and says
why, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, func, not_, or_, select
from sqlmodel import Session, col

from crm_tui.audits.definitions import Definition, definitions
from crm_tui.audits.duplicates import DuplicatePair, LeadKeys, find_duplicates
from crm_tui.models import (
    Account,
    Activity,
    Deal,
    Event,
    Handoff,
    Lead,
    Task,
    User,
)
from crm_tui.normalize import country_region
from crm_tui.process import Process
from crm_tui.rules.gate_fields import GATE_FIELDS
from crm_tui.rules.lead_fields import LEAD_LABELS
from crm_tui.rules.sla import clock_text

# Lead statuses that no longer wait for a first touch.
DONE_STATUSES = ("converted", "disqualified", "nurture", "nurtured", "merged")

# A stage nobody entered for this long, while others were, is suspect.
UNUSED_STAGE_DAYS = 90

# A required field needs this many deals before "always the same" means
# anything.
PLACEHOLDER_MIN_DEALS = 5

# The fields whose use is counted, under the names a rep knows them by (a
# deal's gate fields as the gate form asks for them). A column not named
# here is bookkeeping no person fills in: ids from a source system, the
# times a rule sets, the marker of an account's renewal task.
USAGE_LABELS: dict[str, dict[str, str]] = {
    "lead": LEAD_LABELS,
    "deal": {
        "title": "Title",
        "kind": "Kind",
        "account_id": "Account",
        "contact_id": "Contact",
        "lead_id": "Lead",
        "owner_id": "Owner",
        "stage": "Stage",
        **{name: spec.label for name, spec in GATE_FIELDS.items()},
        "currency": "Currency",
        "product": "Product",
    },
    "account": {
        "name": "Name",
        "domain": "Domain",
        "industry": "Industry",
        "country": "Country",
        "territory": "Territory",
        "owner_id": "Owner",
        "relationship_owner_id": "Relationship owner",
        "implementation_owner_id": "Implementation owner",
        "service_owner_id": "Service owner",
        "onboarding_completed_at": "Onboarding completed",
        "renewal_on": "Renewal date",
        "usage": "Usage",
        "expansion_interest": "Expansion interest",
    },
}


@dataclass(frozen=True)
class Finding:
    entity: str  # lead, deal, handoff, rule, stage, field
    entity_id: int | None
    title: str
    why: str


@dataclass(frozen=True)
class FieldUsage:
    table: str
    field: str
    label: str  # what a rep calls the field
    filled: int
    total: int

    @property
    def share(self) -> float | None:
        return self.filled / self.total if self.total else None


@dataclass
class Audit:
    duplicates: list[DuplicatePair] = field(default_factory=list)
    stale_deals: list[Finding] = field(default_factory=list)
    no_next_step: list[Finding] = field(default_factory=list)
    past_sla: list[Finding] = field(default_factory=list)
    handoffs_waiting: list[Finding] = field(default_factory=list)
    broken_rules: list[Finding] = field(default_factory=list)
    field_usage: list[FieldUsage] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """How many things need fixing (field usage and definitions are
        information, not problems)."""
        return (
            len(self.duplicates)
            + len(self.stale_deals)
            + len(self.no_next_step)
            + len(self.past_sla)
            + len(self.handoffs_waiting)
            + len(self.broken_rules)
        )

    def as_json(self) -> dict[str, Any]:
        def findings(items: list[Finding]) -> list[dict[str, Any]]:
            return [vars(item) for item in items]

        return {
            "problems": self.problems,
            "duplicates": [vars(pair) for pair in self.duplicates],
            "stale_deals": findings(self.stale_deals),
            "no_next_step": findings(self.no_next_step),
            "past_sla": findings(self.past_sla),
            "handoffs_waiting": findings(self.handoffs_waiting),
            "broken_rules": findings(self.broken_rules),
            "field_usage": [
                {**vars(usage), "share": usage.share} for usage in self.field_usage
            ],
            "definitions": [vars(item) for item in self.definitions],
        }


def run_audit(session: Session, process: Process, now: datetime) -> Audit:
    return Audit(
        duplicates=duplicate_leads(session),
        stale_deals=stale_deals(session, process, now),
        no_next_step=no_next_step(session, process, now),
        past_sla=past_sla(session, now),
        handoffs_waiting=handoffs_waiting(session, process, now),
        broken_rules=broken_rules(session, process, now),
        field_usage=field_usage(session),
        definitions=definitions(process),
    )


def duplicate_leads(session: Session) -> list[DuplicatePair]:
    query = select(
        col(Lead.id),
        col(Lead.name),
        col(Lead.company),
        col(Lead.email_key),
        col(Lead.phone),
        col(Lead.mobile),
    ).where(col(Lead.merged_into_id).is_(None))
    keys = (
        LeadKeys(
            lead_id,
            name or "",
            company,
            email_key,
            tuple(p for p in (phone, mobile) if p),
        )
        for lead_id, name, company, email_key, phone, mobile in session.execute(query)
    )
    return find_duplicates(keys)


def _open_stage_keys(process: Process) -> list[str]:
    return [stage.key for stage in process.open_stages]


def stale_deals(session: Session, process: Process, now: datetime) -> list[Finding]:
    """Open deals with no activity for longer than their stage allows."""
    limits = {
        s.key: s.stalled_after_days for s in process.open_stages if s.stalled_after_days
    }
    last_activity = (
        select(col(Activity.deal_id), func.max(Activity.occurred_at).label("last"))
        .where(col(Activity.deal_id).is_not(None))
        .group_by(col(Activity.deal_id))
        .subquery()
    )
    query = (
        select(
            col(Deal.id),
            col(Deal.title),
            col(Deal.stage),
            col(Deal.stage_entered_at),
            last_activity.c.last,
        )
        .outerjoin(last_activity, last_activity.c.deal_id == Deal.id)
        .where(col(Deal.stage).in_(list(limits)))
        .order_by(col(Deal.id))
    )
    found = []
    for deal_id, title, stage, entered, last in session.execute(query):
        # The activity subquery comes back without the UTC decorator.
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        touched = max(entered, last) if last is not None else entered
        idle = (now - touched).days
        if idle > limits[stage]:
            found.append(
                Finding(
                    "deal",
                    deal_id,
                    title,
                    f"no activity for {idle} days in {stage} "
                    f"(stalled after {limits[stage]})",
                )
            )
    return found


def no_next_step(session: Session, process: Process, now: datetime) -> list[Finding]:
    """Open deals with neither an open task nor a meeting ahead."""
    open_task = (
        select(col(Task.id))
        .where(col(Task.deal_id) == Deal.id, col(Task.done_at).is_(None))
        .exists()
    )
    query = (
        select(col(Deal.id), col(Deal.title), col(Deal.stage))
        .where(
            col(Deal.stage).in_(_open_stage_keys(process)),
            not_(open_task),
            or_(col(Deal.next_meeting_at).is_(None), col(Deal.next_meeting_at) < now),
        )
        .order_by(col(Deal.id))
    )
    return [
        Finding("deal", deal_id, title, f"no open task or meeting ahead in {stage}")
        for deal_id, title, stage in session.execute(query)
    ]


def past_sla(session: Session, now: datetime) -> list[Finding]:
    """Leads whose first touch is overdue."""
    query = (
        select(col(Lead.id), col(Lead.name), col(Lead.sla_due_at), col(User.name))
        .outerjoin(User, col(User.id) == Lead.owner_id)
        .where(
            col(Lead.sla_due_at) < now,
            col(Lead.first_response_at).is_(None),
            col(Lead.merged_into_id).is_(None),
            col(Lead.status).not_in(DONE_STATUSES),
        )
        .order_by(col(Lead.sla_due_at))
    )
    found = []
    for lead_id, name, due, owner in session.execute(query):
        # As the lists say it ("12m late", "1h05m late"), not "0h overdue".
        late = clock_text(due, now)
        who = f"owner {owner}" if owner else "nobody owns it"
        found.append(Finding("lead", lead_id, name, f"first touch {late}, {who}"))
    return found


def handoffs_waiting(
    session: Session, process: Process, now: datetime
) -> list[Finding]:
    """Hand-offs not accepted within ``[handoff] waiting_too_long_days``."""
    days = process.handoff.waiting_too_long_days
    since = func.coalesce(Handoff.submitted_at, Handoff.created_at)
    query = (
        select(
            col(Handoff.id),
            col(Deal.title),
            col(Handoff.status),
            col(Handoff.submitted_at),
            col(Handoff.created_at),
        )
        .join(Deal, col(Deal.id) == Handoff.deal_id)
        .where(col(Handoff.status) != "accepted", since < now - timedelta(days))
        .order_by(col(Handoff.id))
    )
    found = []
    for handoff_id, title, status, submitted, created in session.execute(query):
        waited = (now - (submitted or created)).days
        found.append(
            Finding(
                "handoff",
                handoff_id,
                title,
                f"{status} for {waited} days (too long after {days})",
            )
        )
    return found


def broken_rules(session: Session, process: Process, now: datetime) -> list[Finding]:
    found = _routing_problems(session, process)
    found += _unused_stages(session, process, now)
    found += _placeholder_fields(session, process)
    return found


def _distinct(session: Session, column: Any) -> set[str]:
    rows = session.execute(select(column).where(column.is_not(None)).distinct())
    return {str(value).casefold() for (value,) in rows}


def _routing_problems(session: Session, process: Process) -> list[Finding]:
    users = dict(session.execute(select(col(User.name), col(User.active))).all())
    found: list[Finding] = []

    def check_user(name: str, where: str) -> None:
        if name not in users:
            found.append(Finding("rule", None, where, f"names unknown user {name!r}"))
        elif not users[name]:
            found.append(Finding("rule", None, where, f"names inactive user {name!r}"))

    for pool, members in process.routing.pools.items():
        for member in members:
            check_user(member, f"pool {pool}")
        if members and all(users.get(m) is not True for m in members):
            found.append(
                Finding("rule", None, f"pool {pool}", "has no active member left")
            )
    # Values are checked only against fields the team's leads use at all;
    # a field nobody fills is reported under unused fields instead.
    known = {
        "sources": _distinct(session, col(Lead.source))
        | {s.casefold() for sla in process.sla for s in sla.sources},
        "territories": _distinct(session, col(Lead.territory))
        | _distinct(session, col(Account.territory)),
        "product_interest": _distinct(session, col(Lead.product_interest)),
    }
    for rule in process.routing.rules:
        where = f"routing rule {rule.name!r}"
        if rule.assign:
            check_user(rule.assign, where)
        if rule.pool and rule.pool not in process.routing.pools:
            found.append(Finding("rule", None, where, f"unknown pool {rule.pool!r}"))
        for country in rule.countries:
            if country_region(country) is None:
                found.append(
                    Finding("rule", None, where, f"unknown country {country!r}")
                )
        for name, values in (
            ("sources", rule.sources),
            ("territories", rule.territories),
            ("product_interest", rule.product_interest),
        ):
            seen = known[name]
            for value in values:
                if seen and value.casefold() not in seen:
                    found.append(
                        Finding(
                            "rule",
                            None,
                            where,
                            f"{name.replace('_', ' ')} {value!r} matches no lead",
                        )
                    )
    return found


def _unused_stages(session: Session, process: Process, now: datetime) -> list[Finding]:
    since = now - timedelta(UNUSED_STAGE_DAYS)
    entered: set[str] = set()
    query = select(col(Event.changes)).where(
        col(Event.entity) == "deal", col(Event.at) >= since
    )
    for (changes,) in session.execute(query):
        stage = (changes or {}).get("stage")
        if isinstance(stage, list) and len(stage) == 2 and stage[1]:
            entered.add(str(stage[1]))
    if not entered:
        return []  # no pipeline activity at all: nothing to compare with
    return [
        Finding(
            "stage",
            None,
            stage.name,
            f"no deal entered it in the last {UNUSED_STAGE_DAYS} days",
        )
        for stage in process.stages
        if stage.key not in entered
    ]


def _placeholder_fields(session: Session, process: Process) -> list[Finding]:
    required = sorted({name for s in process.stages for name in s.requires})
    found = []
    for name in required:
        column = getattr(Deal, name, None)
        if column is None:
            continue
        rows = session.execute(
            select(column, func.count())
            .where(column.is_not(None))
            .group_by(column)
            .limit(2)
        ).all()
        if len(rows) == 1 and rows[0][1] >= PLACEHOLDER_MIN_DEALS:
            value, count = rows[0]
            found.append(
                Finding(
                    "field",
                    None,
                    f"deal {name}",
                    f"required, and all {count} deals have the same value {value!s}",
                )
            )
    return found


def field_usage(session: Session) -> list[FieldUsage]:
    """For leads, deals and accounts: how many records have each field a
    person fills in filled (empty text counts as not filled)."""
    found = []
    for table_name, model in (("lead", Lead), ("deal", Deal), ("account", Account)):
        table = model.__table__  # type: ignore[union-attr]
        labels = USAGE_LABELS[table_name]
        columns = [c for c in table.columns if c.name in labels]
        counts = [
            func.count(func.nullif(c, ""))
            if isinstance(c.type, String)
            else func.count(c)
            for c in columns
        ]
        total, *filled = session.execute(select(func.count(), *counts)).one()
        found += [
            FieldUsage(table_name, c.name, labels[c.name], int(n), int(total))
            for c, n in zip(columns, filled, strict=True)
        ]
    return found

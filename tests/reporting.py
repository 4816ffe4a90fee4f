"""A small, hand-built February for the report tests: leads answered fast
and slow, a duplicate, deals that go back a stage, skip stages, renew and
upsell, and follow-up tasks done on time, late and not at all.

Rows and events are written directly, the way the services write them, so
every figure can be worked out by hand (see tests/test_reports.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from crm_tui.events import record
from crm_tui.models import Account, Contact, Deal, Lead, Task, User
from crm_tui.workspace import Workspace


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    """A UTC time of this winter: ``at("02-06", 21, 30)``; December is 2025."""
    month, dom = (int(part) for part in day.split("-"))
    year = 2025 if month == 12 else 2026
    return datetime(year, month, dom, hour, minute, tzinfo=UTC)


def user_ids(session: Session) -> dict[str, int]:
    return {u.name: u.id for u in session.exec(select(User)).all() if u.id}


def add_lead(session: Session, **fields: object) -> int:
    lead = Lead(updated_at=fields.get("created_at"), **fields)  # type: ignore[arg-type]
    session.add(lead)
    session.flush()
    assert lead.id is not None
    record(
        session,
        at=lead.created_at,
        user_id=None,
        entity="lead",
        entity_id=lead.id,
        action="created",
    )
    return lead.id


def add_deal(
    session: Session,
    moves: list[tuple[datetime, str]],
    *,
    closed_at: datetime | None = None,
    event_lag_minutes: int = 0,
    **fields: object,
) -> int:
    """A deal created at ``moves[0]`` in its stage, moved at each later one.
    The created event may trail the creation (an import, a slow save): the
    first stage still counts from the deal's creation."""
    created, first = moves[0]
    deal = Deal(
        created_at=created,
        updated_at=created,
        stage=moves[-1][1],
        stage_entered_at=moves[-1][0],
        closed_at=closed_at,
        **fields,  # type: ignore[arg-type]
    )
    session.add(deal)
    session.flush()
    assert deal.id is not None
    record(
        session,
        at=created.replace(minute=event_lag_minutes),
        user_id=deal.owner_id,
        entity="deal",
        entity_id=deal.id,
        action="created",
        changes={"stage": [None, first]},
    )
    previous = first
    for when, stage in moves[1:]:
        record(
            session,
            at=when,
            user_id=deal.owner_id,
            entity="deal",
            entity_id=deal.id,
            action="moved",
            changes={"stage": [previous, stage]},
        )
        previous = stage
    return deal.id


def build_february(ws: Workspace) -> dict[str, int]:
    """The history; returns the ids the tests refer to by name."""

    def build(session: Session) -> dict[str, int]:
        users = user_ids(session)
        sam, kim, alex = users["sam"], users["kim"], users["alex"]
        ids: dict[str, int] = {}
        # Leads. Business hours are 9-17 New York (14:00-22:00 UTC in Feb).
        ids["l1"] = add_lead(
            session,
            name="Ana Lima",
            source="Web form",
            owner_id=sam,
            territory="East",
            created_at=at("02-02", 14),  # Mon 09:00 ET
            first_response_at=at("02-02", 15),  # 1 business hour
            sla_due_at=at("02-02", 14, 5),  # missed
        )
        ids["l2"] = add_lead(
            session,
            name="Bo Chen",
            source="Email",
            owner_id=kim,
            territory="West",
            created_at=at("02-06", 21, 30),  # Fri 16:30 ET
            first_response_at=at("02-09", 14, 30),  # Mon 09:30 ET: 1 hour
            sla_due_at=at("02-09", 15),  # on time
        )
        ids["l3"] = add_lead(
            session,
            name="Cy Diaz",
            company="Acme",
            source="Web form",
            owner_id=sam,
            territory="East",
            created_at=at("02-10", 15),
            first_response_at=at("02-10", 18),  # 3 business hours
            sla_due_at=at("02-10", 16),  # missed
        )
        ids["l4"] = add_lead(
            session,
            name="Di Evans",
            source="Email",
            owner_id=kim,
            territory="West",
            created_at=at("02-11", 15),
            sla_due_at=at("02-11", 16),  # never answered: missed
        )
        # The same person as l3 again, merged into it: not a lead of its own.
        ids["dup"] = add_lead(
            session,
            name="Cy Diaz",
            company="Acme",
            source="Web form",
            created_at=at("02-12", 15),
            merged_into_id=ids["l3"],
            status="merged",
        )
        # Disqualified as a duplicate: not a lead either.
        ids["dup2"] = add_lead(
            session,
            name="Ana Lima",
            source="Web form",
            created_at=at("02-13", 15),
            status="disqualified",
            reason="duplicate",
        )
        ids["old"] = add_lead(session, name="Old", created_at=at("01-20", 15))

        a0, a1, a2 = (
            Account(name=name, territory=where, created_at=when, updated_at=when)
            for name, where, when in (
                ("Zeta", "East", at("01-01")),
                ("Acme", "East", at("02-02")),
                ("Yoyo", "West", at("01-01")),
            )
        )
        session.add_all([a0, a1, a2])
        session.flush()
        assert a0.id and a1.id and a2.id
        ids.update(a0=a0.id, a1=a1.id, a2=a2.id)
        first, second = (
            Contact(account_id=a1.id, name=name, created_at=at("02-02"))
            for name in ("Cy Diaz", "Eve Fox")
        )
        session.add_all([first, second])
        session.flush()

        # Back a stage: contacted 2d, discovery 1d, contacted 2d, discovery
        # 3d, won. Two contacts, two products.
        ids["d1"] = add_deal(
            session,
            [
                (at("02-02"), "contacted"),
                (at("02-04"), "discovery"),
                (at("02-05"), "contacted"),
                (at("02-07"), "discovery"),
                (at("02-10"), "won"),
            ],
            closed_at=at("02-10"),
            event_lag_minutes=5,
            title="Acme platform",
            owner_id=sam,
            account_id=a1.id,
            contact_id=first.id,
            lead_id=ids["l3"],
            product="Basic",
            extra={"products": ["Basic", "Pro"]},
            amount=Decimal("1000"),
        )
        ids["d2"] = add_deal(
            session,
            [(at("02-03"), "contacted"), (at("02-05"), "lost")],
            closed_at=at("02-05"),
            title="Lost one",
            owner_id=kim,
            lost_reason="price",
        )
        # Skips discovery and qualified opportunity; still in proposal.
        ids["d3"] = add_deal(
            session,
            [(at("02-16"), "contacted"), (at("02-18"), "proposal")],
            title="Open one",
            owner_id=kim,
        )
        # Zeta and Yoyo were customers before February.
        ids["d6"] = add_deal(
            session,
            [(at("12-01"), "won")],
            closed_at=at("12-01"),
            title="Zeta first",
            owner_id=alex,
            account_id=a0.id,
        )
        ids["d7"] = add_deal(
            session,
            [(at("12-05"), "won")],
            closed_at=at("12-05"),
            title="Yoyo first",
            owner_id=alex,
            account_id=a2.id,
        )
        ids["d4"] = add_deal(
            session,
            [(at("01-10"), "negotiation"), (at("02-20"), "won")],
            closed_at=at("02-20"),
            kind="renewal",
            title="Zeta renewal",
            owner_id=alex,
            account_id=a0.id,
        )
        ids["d5"] = add_deal(
            session,
            [(at("01-12"), "negotiation"), (at("02-21"), "lost")],
            closed_at=at("02-21"),
            kind="renewal",
            title="Yoyo renewal",
            owner_id=alex,
            account_id=a2.id,
        )
        ids["d8"] = add_deal(
            session,
            [(at("02-20"), "proposal"), (at("02-25"), "won")],
            closed_at=at("02-25"),
            kind="upsell",
            title="Zeta upsell",
            owner_id=alex,
            account_id=a0.id,
        )

        for name, due, done in (
            ("t1", at("02-10"), at("02-10", 11)),  # on time
            ("t2", at("02-11"), at("02-12")),  # late
            ("t3", at("02-12"), None),  # never
            ("t4", at("03-05"), None),  # not due yet: not counted
        ):
            task = Task(
                title=name,
                due_at=due,
                done_at=done,
                owner_id=sam,
                deal_id=ids["d1"],
                created_at=at("02-02"),
            )
            session.add(task)
        return ids

    return ws.write(build)

"""A won deal ready for its hand-off, and a checklist filled the way a
closing rep fills it: shared by the service, CLI and screen tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from crm_tui.models import Account, Deal
from crm_tui.services.handoffs import fill_item, open_handoff
from crm_tui.services.users import find_user
from crm_tui.workspace import Workspace

FILLED = {
    "contract": "2026-04-01",
    "products": "Pro plan, 40 seats",
    "goals": "Cut onboarding time of new hires from 3 weeks to 1",
    "stakeholders": "Dana Lee (CFO, signs); Raj Patel (IT lead)",
    "timeline": "Live by May 15",
    "promises": "- SSO in the first month\n- Two on-site training days",
    "implementation_owner": "kim",
    "service_owner": "kim",
    "relationship_owner": "sam",
}


def won_deal(
    ws: Workspace, *, owner: str = "sam", account: str = "Acme Logistics"
) -> int:
    """A deal in Closed won, made directly (the board is another module's)."""

    def make(session: Session) -> int:
        now = ws.clock.now()
        company = Account(name=account, created_at=now, updated_at=now)
        session.add(company)
        session.flush()
        deal = Deal(
            title=f"{account} — Pro plan",
            account_id=company.id,
            owner_id=find_user(session, owner).id,
            stage="won",
            amount=Decimal("48000"),
            close_on=date(2026, 3, 2),
            stage_entered_at=now,
            closed_at=now,
            needs_handoff=True,
            created_at=now,
            updated_at=now,
        )
        session.add(deal)
        session.flush()
        assert deal.id is not None
        return deal.id

    return ws.write(make)


def opened_handoff(ws: Workspace, deal_id: int) -> int:
    """The hand-off the move to Closed won opens."""

    def open_it(session: Session) -> int:
        deal = session.get(Deal, deal_id)
        assert deal is not None
        handoff = open_handoff(session, ws, deal)
        assert handoff.id is not None
        return handoff.id

    return ws.write(open_it)


def fill_all(ws: Workspace, handoff_id: int, **skip: bool) -> None:
    for key, text in FILLED.items():
        if not skip.get(key):
            fill_item(ws, handoff_id, key, text)

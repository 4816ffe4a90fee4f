"""The hand-off from the keyboard: sam, who closed the deal, fills the
checklist and submits it; kim, the implementation owner, accepts it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import DataTable

from crm_tui.clock import FixedClock
from crm_tui.models import Account, Deal, Handoff, Task, User
from crm_tui.services.handoffs import send_back_handoff, submit_handoff
from crm_tui.workspace import Workspace
from screens.accounts import AccountsScreen
from screens.app import CrmApp
from screens.handoff import HandoffScreen
from screens.handoffs import HandoffListScreen
from screens.item_editors import ItemEditor
from tests.conftest import as_user
from tests.handoff_helpers import fill_all, opened_handoff, won_deal
from tests.test_inbox_app import notices, settle, shown

SIZE = (120, 40)


def drive(app: CrmApp, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(run())


def rows(app: CrmApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def type_text(pilot: Pilot[None], text: str) -> None:
    for char in text:
        await pilot.press("enter" if char == "\n" else char)


async def fill(pilot: Pilot[None], text: str, save: str = "ctrl+s") -> None:
    """Open the highlighted item, type ``text``, save, and go to the next."""
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ItemEditor)
    await type_text(pilot, text)
    await pilot.press(save)
    await settle(pilot)
    await pilot.press("j")


async def pick(pilot: Pilot[None], downs: int) -> None:
    """Open the highlighted user item and pick the user ``downs`` below the
    first (users are listed by name: alex, kim, sam)."""
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ItemEditor)
    await pilot.press(*["down"] * downs, "enter")
    await settle(pilot)
    await pilot.press("j")


async def open_to_accept(pilot: Pilot[None], key: str) -> CrmApp:
    """Open the hand-off list with ``key`` (h: mine, H: every one waiting),
    check its one hand-off waits to be accepted, and open it."""
    app = pilot.app
    assert isinstance(app, CrmApp)
    await pilot.press(key)
    await settle(pilot)
    [row] = rows(app, "#handoff-table")
    assert row[1] == "to accept"
    await pilot.press("enter")
    await settle(pilot)
    return app


def test_the_closing_rep_fills_and_submits_then_the_next_owner_accepts(
    ws: Workspace,
) -> None:
    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    handoff_id = opened_handoff(sam, won_deal(ws))

    async def closing_rep(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoffListScreen)
        [row] = rows(app, "#handoff-table")
        assert row[1:2] + row[3:] == [
            "to submit",
            "Acme Logistics — Pro plan",
            "sam",
            "—",
            "9 missing",
        ]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen)
        assert "9 of 9 required items missing" in shown(app, "#handoff-state")
        # Submitting now is refused, naming what is missing.
        await pilot.press("s")
        await settle(pilot)
        severity, message = notices(app)[-1]
        assert severity == "error"
        assert "9 required items are empty: Contract details and start date;" in (
            message
        )
        await fill(pilot, "1 Apr 2026", save="enter")
        await fill(pilot, "Pro plan, 40 seats")
        await fill(pilot, "Onboard new hires in a week")
        await fill(pilot, "Dana Lee (CFO)\nRaj Patel (IT lead)")
        await fill(pilot, "Live by May 15")
        await fill(pilot, "- SSO in the first month\n- Two training days")
        await pick(pilot, 1)  # implementation: kim
        await pick(pilot, 1)  # service: kim
        await pick(pilot, 2)  # relationship: sam
        checklist = rows(app, "#checklist")
        assert [r[0] for r in checklist] == ["✓"] * 9
        assert checklist[0][3] == "2026-04-01"
        assert checklist[3][3] == "Dana Lee (CFO); Raj Patel (IT lead)"
        assert checklist[5][3] == "- SSO in the first month  (+1 more)"
        assert checklist[6][3] == "kim"
        assert "every required item written" in shown(app, "#handoff-state")
        await pilot.press("s")
        await settle(pilot)
        assert notices(app)[-1] == ("information", "Submitted to the next owner")
        assert "to accept · next owner kim" in shown(app, "#handoff-state")

    drive(CrmApp(sam), closing_rep)
    with ws.read() as session:
        handoff = session.get(Handoff, handoff_id)
    assert handoff is not None and handoff.status == "submitted"

    async def next_owner(pilot: Pilot[None]) -> None:
        app = await open_to_accept(pilot, "h")
        # Everything in one place: the checklist and the deal beside it.
        deal = shown(app, "#handoff-deal")
        assert "48,000 USD" in deal and "Two training days" in deal
        assert "submitted" in shown(app, "#handoff-history")
        await pilot.press("a")
        await settle(pilot)
        assert notices(app)[-1][1] == "Accepted: the onboarding task is yours"
        assert "accepted" in shown(app, "#handoff-state")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HandoffListScreen)
        assert "Nothing waiting for you." in shown(app, "#handoffs-empty")

    drive(CrmApp(kim), next_owner)
    with ws.read() as session:
        account = session.exec(select(Account)).one()
        task = session.exec(select(Task)).one()
        users = {u.id: u.name for u in session.exec(select(User))}
    assert users[account.implementation_owner_id or 0] == "kim"
    assert users[account.relationship_owner_id or 0] == "sam"
    assert users[task.owner_id or 0] == "kim"
    assert task.title == "Onboarding kick-off: Acme Logistics"


def test_sent_back_shows_the_question_and_the_manager_sees_the_wait(
    ws: Workspace, clock: FixedClock
) -> None:
    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    handoff_id = opened_handoff(sam, won_deal(ws))
    fill_all(sam, handoff_id)
    submit_handoff(sam, handoff_id)
    send_back_handoff(kim, handoff_id, "Which SSO provider?")
    opened_handoff(sam, won_deal(ws, account="Globex"))
    clock.advance(days=4)

    async def closing_rep(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("h", "enter")
        await settle(pilot)
        assert "Sent back: Which SSO provider?" in shown(app, "#handoff-question")
        assert "kim" in shown(app, "#handoff-history")

    drive(CrmApp(sam), closing_rep)

    async def manager(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, HandoffListScreen)
        assert [(r[1], r[2], r[6]) for r in rows(app, "#handoff-table")] == [
            ("sent back", "4d", "? Which SSO provider?"),
            ("to submit", "4d", "9 missing"),
        ]
        assert "2 waiting 3+ days" in shown(app, "#handoffs-note")

    drive(CrmApp(ws), manager)


def test_accounts_at_risk_are_one_key_away(ws: Workspace) -> None:
    def accounts(session: Session) -> None:
        now = ws.clock.now()
        for name, days in (("Later Co", 50), ("Sooner Co", 10), ("Far Co", 300)):
            session.add(
                Account(
                    name=name,
                    renewal_on=date(2026, 3, 2) + timedelta(days=days),
                    created_at=now,
                    updated_at=now,
                )
            )

    ws.write(accounts)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        assert [r[:4] for r in rows(app, "#account-table")] == [
            ["Sooner Co", "2026-03-12", "10d", "at risk"],
            ["Later Co", "2026-04-21", "50d", "at risk"],
        ]
        assert "Accounts at risk · 2" in shown(app, "#accounts-title")

    drive(CrmApp(ws), scenario)


def test_a_deal_won_on_the_board_is_handed_off_from_the_keyboard(
    ws: Workspace,
) -> None:
    # Issue 5: Negotiation → Closed won on the board opens the hand-off; the
    # closing rep fills and submits it; the next owner accepts it.
    from textual.widgets import Input

    from crm_tui.services.deals import create_deal
    from screens.board import BoardScreen
    from screens.forms import GateForm

    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    deal = create_deal(
        sam,
        title="Initech — Team plan",
        stage="negotiation",
        values={"amount": "30000", "decision_on": "2026-03-20"},
    )

    async def closing_rep(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("b")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, BoardScreen)
        for _ in range(len(ws.process.stages)):
            card = board.focused_card()
            if card is not None and card.id == deal.id:
                break
            await pilot.press("l")
        await pilot.press("m")
        await settle(pilot)
        others = [s.key for s in ws.process.stages if s.key != "negotiation"]
        await pilot.press(*["down"] * others.index("won"), "enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, GateForm)
        assert [need.field for need in form.needs] == ["close_on"]
        form.query_one("#gate-close_on", Input).value = "2026-03-02"
        await pilot.press("enter")
        await settle(pilot)
        assert "hand-off checklist is open" in notices(app)[-1][1]
        await pilot.press("escape", "h")
        await settle(pilot)
        assert isinstance(app.screen, HandoffListScreen)
        [row] = rows(app, "#handoff-table")
        assert row[1] == "to submit" and "Initech — Team plan" in row
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffScreen)
        await fill(pilot, "1 Apr 2026", save="enter")
        await fill(pilot, "Team plan, 12 seats")
        await fill(pilot, "Answer support tickets within a day")
        await fill(pilot, "Peter Gibbons (COO)")
        await fill(pilot, "Live by April 15")
        await fill(pilot, "- Data import from the old CRM")
        await pick(pilot, 1)  # implementation: kim
        await pick(pilot, 1)  # service: kim
        await pick(pilot, 2)  # relationship: sam
        await pilot.press("s")
        await settle(pilot)
        assert notices(app)[-1] == ("information", "Submitted to the next owner")

    drive(CrmApp(sam, live=False), closing_rep)

    async def next_owner(pilot: Pilot[None]) -> None:
        app = await open_to_accept(pilot, "h")
        await pilot.press("a")
        await settle(pilot)
        assert notices(app)[-1][1] == "Accepted: the onboarding task is yours"

    drive(CrmApp(kim, live=False), next_owner)
    with ws.read() as session:
        handoff = session.exec(select(Handoff)).one()
        account = session.exec(select(Account)).one()
        users = {u.id: u.name for u in session.exec(select(User))}
    assert handoff.deal_id == deal.id and handoff.status == "accepted"
    assert users[account.implementation_owner_id or 0] == "kim"


def test_a_manager_accepting_for_kim_is_told_the_task_is_kims(ws: Workspace) -> None:
    # Found in the demo: alex accepted kim's hand-off and read "the onboarding
    # task is yours".
    sam = as_user(ws, "sam")
    deal_id = won_deal(ws)
    handoff_id = opened_handoff(sam, deal_id)
    fill_all(sam, handoff_id)
    submit_handoff(sam, handoff_id)

    async def manager(pilot: Pilot[None]) -> None:
        app = await open_to_accept(pilot, "H")
        assert isinstance(app.screen, HandoffScreen)
        await pilot.press("a")
        await settle(pilot)
        assert notices(app)[-1][1] == "Accepted: the onboarding task is kim's"

    drive(CrmApp(ws, live=False), manager)
    with ws.read() as session:
        task = session.exec(select(Task)).one()
        deal = session.get(Deal, deal_id)
        users = {u.id: u.name for u in session.exec(select(User))}
    assert users[task.owner_id or 0] == "kim"
    assert deal is not None and not deal.needs_handoff

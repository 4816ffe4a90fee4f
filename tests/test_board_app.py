"""The pipeline board, my day and a deal's page, driven from the keyboard:
cards move between columns through the same gates as everywhere, a form
asks for what a move lacks, and what one rep does another sees."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select

from crm_tui.clock import FixedClock
from crm_tui.models import Deal, Event, Task
from crm_tui.open import open_workspace
from crm_tui.queries.deals import CARD_PAGE
from crm_tui.services.deals import create_deal, move_deal
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.board import BoardScreen, CardList, StageColumn
from screens.deal import DealScreen
from screens.forms import Confirm, GateForm
from screens.handoffs import HandoffListScreen
from screens.my_day import MyDayScreen, StalledScreen
from tests.conftest import as_user
from tests.test_deals import moves
from tests.test_inbox_app import notices, settle, shown

SIZE = (160, 44)


def on_board(app: CrmApp, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("b")
            await settle(pilot)
            assert isinstance(app.screen, BoardScreen)
            await scenario(pilot)

    asyncio.run(run())


def board(pilot: Pilot[None]) -> BoardScreen:
    screen = pilot.app.screen
    assert isinstance(screen, BoardScreen)
    return screen


def column(pilot: Pilot[None], stage: str) -> StageColumn:
    return board(pilot).query_one(f"#column-{stage}", StageColumn)


def titles(pilot: Pilot[None], stage: str) -> list[str]:
    # What the column draws, not only what it holds.
    body = column(pilot, stage).body
    return [body.lines_of(n).splitlines()[0] for n in range(len(body.cards_drawn))]


def add_deal(ws: Workspace, title: str, stage: str = "contacted", **values: str) -> int:
    deal = create_deal(ws, title=title, stage=stage, values=values)
    assert deal.id is not None
    return deal.id


def stage_of(ws: Workspace, deal_id: int) -> str:
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None
        return deal.stage


def move_events(ws: Workspace, deal_id: int) -> int:
    with ws.read() as session:
        return len(
            session.exec(
                select(Event).where(
                    Event.entity == "deal",
                    Event.entity_id == deal_id,
                    Event.action == "moved",
                )
            ).all()
        )


async def fill(pilot: Pilot[None], field: str, text: str) -> None:
    form = pilot.app.screen
    assert isinstance(form, GateForm)
    form.query_one(f"#gate-{field}", Input).value = text


async def move_to(pilot: Pilot[None], ws: Workspace, current: str, stage: str) -> None:
    """``m`` on the focused card (in ``current``), then pick ``stage`` in the
    list of every other stage."""
    await pilot.press("m")
    await settle(pilot)
    others = [s.key for s in ws.process.stages if s.key != current]
    for _ in range(others.index(stage)):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


def test_columns_show_counts_totals_and_cards_with_their_next_step(
    ws: Workspace,
) -> None:
    add_deal(ws, "Acme pilot")
    add_deal(ws, "Globex rollout", "proposal", amount="12500")
    add_deal(ws, "Initech seats", "proposal", amount="500")

    async def scenario(pilot: Pilot[None]) -> None:
        proposal = column(pilot, "proposal")
        assert proposal.totals.count == 2
        assert "2 deals · $13,000" in str(proposal.query_one(".column-totals").render())
        assert titles(pilot, "proposal") == ["Initech seats", "Globex rollout"]
        card = column(pilot, "contacted").body.lines_of(0)
        assert "Acme pilot" in card and "alex" in card and "0d" in card
        assert "▸ Mar 03 Follow up on" in card

    on_board(CrmApp(ws), scenario)


def test_the_title_counts_one_open_deal_in_the_singular(ws: Workspace) -> None:
    add_deal(ws, "Acme pilot")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        assert shown(app, "#board-title").strip() == "Pipeline · 1 open deal"

    on_board(CrmApp(ws), scenario)


def test_a_card_moves_next_and_the_form_asks_for_exactly_what_is_missing(
    ws: Workspace,
) -> None:
    deal_id = add_deal(
        ws, "Acme pilot", "qualified_opportunity", decision_on="2026-05-01"
    )

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("l", "l")  # to Qualified opportunity
        assert board(pilot).focused_card() is not None
        await pilot.press("greater_than_sign")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == ["amount"]
        assert stage_of(ws, deal_id) == "qualified_opportunity"
        await fill(pilot, "amount", "abc")
        await pilot.press("ctrl+s")
        assert "not an amount" in str(form.query_one("#gate-error").render())
        await fill(pilot, "amount", "4000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        assert stage_of(ws, deal_id) == "proposal"
        assert titles(pilot, "proposal") == ["Acme pilot"]
        # The focus followed the card to its new column.
        card = board(pilot).focused_card()
        assert card is not None and card.id == deal_id

    on_board(CrmApp(ws), scenario)


def test_moving_to_a_later_stage_asks_what_each_skipped_stage_needs_in_one_form(
    ws: Workspace,
) -> None:
    deal_id = add_deal(ws, "Acme pilot")
    add_deal(ws, "Globex", "negotiation", amount="900", decision_on="2026-04-01")

    async def scenario(pilot: Pilot[None]) -> None:
        await move_to(pilot, ws, "contacted", "negotiation")
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == [
            "next_meeting_at",
            "decision_on",
            "amount",
        ]
        labels = [str(label.render()) for label in form.query(".gate-label")]
        assert labels[0].startswith("Next meeting (to pass Discovery scheduled)")
        assert labels[2].startswith("Amount (to pass Proposal sent)")
        await fill(pilot, "next_meeting_at", "2026-03-10 10:00")
        await fill(pilot, "decision_on", "2026-04-15")
        await pilot.press("ctrl+s")
        assert "Amount is needed" in str(form.query_one("#gate-error").render())
        await fill(pilot, "amount", "4000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        assert stage_of(ws, deal_id) == "negotiation"
        assert move_events(ws, deal_id) == 1
        # Shown in place: gone from Contacted, on top of Negotiation, with
        # both columns' counts and totals, and the focus on it.
        assert titles(pilot, "contacted") == []
        assert titles(pilot, "negotiation") == ["Acme pilot", "Globex"]
        negotiation = column(pilot, "negotiation").query_one(".column-totals")
        assert "2 deals · $4,900" in str(negotiation.render())
        contacted = column(pilot, "contacted").query_one(".column-totals")
        assert "0 deals" in str(contacted.render())
        card = board(pilot).focused_card()
        assert card is not None and card.id == deal_id
        assert card.amount is not None and card.amount == 4000

    on_board(CrmApp(ws), scenario)


def test_cancelling_the_form_leaves_the_card_where_it_was(ws: Workspace) -> None:
    deal_id = add_deal(ws, "Acme pilot")

    # The picker lists the other stages; choose Closed lost.
    async def pick_lost(pilot: Pilot[None]) -> None:
        await move_to(pilot, ws, "contacted", "lost")
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == ["lost_reason"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)
        assert stage_of(ws, deal_id) == "contacted"
        assert move_events(ws, deal_id) == 0

    on_board(CrmApp(ws), pick_lost)


def test_closing_lost_with_other_asks_the_reason_and_its_note(ws: Workspace) -> None:
    deal_id = add_deal(ws, "Acme pilot")

    async def scenario(pilot: Pilot[None]) -> None:
        await move_to(pilot, ws, "contacted", "lost")
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        form.query_one("#gate-lost_reason", Select).value = "other"
        await settle(pilot)
        # The note is asked in the same form, under the reason.
        assert pilot.app.screen is form
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == ["lost_reason", "lost_note"]
        await fill(pilot, "lost_note", "They merged with a customer of ours")
        await pilot.press("enter")
        await settle(pilot)
        with ws.read() as session:
            deal = session.get(Deal, deal_id)
            assert deal is not None
            assert (deal.stage, deal.lost_reason) == ("lost", "other")
            assert deal.lost_note == "They merged with a customer of ours"
        assert titles(pilot, "lost") == ["Acme pilot"]

    on_board(CrmApp(ws), scenario)


def test_discovery_and_won_gates_through_the_board(
    ws: Workspace, clock: FixedClock
) -> None:
    deal_id = add_deal(ws, "Acme pilot")
    negotiating = add_deal(
        ws, "Globex", "negotiation", amount="900", decision_on="2026-04-01"
    )

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("greater_than_sign")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == ["next_meeting_at"]
        await fill(pilot, "next_meeting_at", "2026-03-10 10:00")
        await pilot.press("enter")
        await settle(pilot)
        assert stage_of(ws, deal_id) == "discovery"
        # Closed won from negotiation needs its close date.
        for _ in range(3):
            await pilot.press("l")
        card = board(pilot).focused_card()
        assert card is not None and card.id == negotiating
        await move_to(pilot, ws, "negotiation", "won")
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert [n.field for n in form.needs] == ["close_on"]
        await fill(pilot, "close_on", "2026-03-02")
        await pilot.press("enter")
        await settle(pilot)
        with ws.read() as session:
            won = session.get(Deal, negotiating)
            assert won is not None and won.stage == "won" and won.needs_handoff

    on_board(CrmApp(ws), scenario)


def test_a_meeting_in_the_past_is_refused_in_the_form_with_what_was_typed(
    ws: Workspace,
) -> None:
    # A past meeting used to close the form, fail the gate and open a blank
    # form again, with nothing said of why.
    deal_id = add_deal(ws, "Redwood Legal")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("greater_than_sign")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        await pilot.press(*"2020-01-01 10:00", "enter")
        await settle(pilot)
        assert pilot.app.screen is form
        assert form.query_one("#gate-next_meeting_at", Input).value == (
            "2020-01-01 10:00"
        )
        error = str(form.query_one("#gate-error").render())
        assert error == "The next meeting must be after now."
        assert stage_of(ws, deal_id) == "contacted"
        await fill(pilot, "next_meeting_at", "2026-03-10 10:00")
        await pilot.press("enter")
        await settle(pilot)
        assert stage_of(ws, deal_id) == "discovery"

    on_board(CrmApp(ws), scenario)


def test_the_won_toast_names_a_key_that_reaches_the_hand_off_from_the_board(
    ws: Workspace,
) -> None:
    # The toast said "press escape, then h"; on the board h moves left.
    add_deal(ws, "Initech", "negotiation", amount="500", decision_on="2026-04-01")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        for _ in range(4):
            await pilot.press("l")
        await move_to(pilot, ws, "negotiation", "won")
        await fill(pilot, "close_on", "2026-03-02")
        await pilot.press("enter")
        await settle(pilot)
        won = "Won! Its hand-off checklist is open: press H for the hand-offs "
        won += "waiting, where it is listed."
        assert ("information", won) in notices(app)
        # h still moves between columns, and H opens the list with the deal.
        column_before = board(pilot).focused_column()
        await pilot.press("h")
        assert board(pilot).focused_column() is not column_before
        await pilot.press("H")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoffListScreen)
        table = screen.query_one(DataTable)
        assert "Initech" in [str(cell) for cell in table.get_column("deal")]

    on_board(CrmApp(ws), scenario)


def test_a_read_only_board_refuses_a_move_before_asking_anything(
    ws: Workspace, db_path: Path
) -> None:
    # The gate form used to ask for a meeting date, and only then was the
    # move refused.
    deal_id = add_deal(ws, "Acme pilot")
    add_deal(ws, "Globex")
    reader = open_workspace(f"sqlite:///file:{db_path}?mode=ro&uri=true", "sam")
    refused = ("warning", "The database is read-only here: changes cannot be saved.")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        for keys in (["greater_than_sign"], ["m"], ["J"]):
            app.clear_notifications()
            await pilot.press(*keys)
            await settle(pilot)
            assert app.screen is board(pilot), keys
            assert notices(app) == [refused], keys
        assert titles(pilot, "contacted") == ["Globex", "Acme pilot"]

    try:
        on_board(CrmApp(reader, live=False), scenario)
    finally:
        reader.engine.dispose()
    assert stage_of(ws, deal_id) == "contacted"


def test_reordering_on_the_board_keeps_the_stage(ws: Workspace) -> None:
    first = add_deal(ws, "First")
    add_deal(ws, "Second")

    async def scenario(pilot: Pilot[None]) -> None:
        assert titles(pilot, "contacted") == ["Second", "First"]
        await pilot.press("J")
        await settle(pilot)
        assert titles(pilot, "contacted") == ["First", "Second"]
        await pilot.press("K")  # the focus followed "Second" down
        await settle(pilot)
        assert titles(pilot, "contacted") == ["Second", "First"]
        assert stage_of(ws, first) == "contacted"
        assert move_events(ws, first) == 0

    on_board(CrmApp(ws), scenario)


def test_a_move_is_seen_after_reopening_and_from_a_second_app(
    ws: Workspace, db_path: object, clock: FixedClock
) -> None:
    ids = [add_deal(ws, f"Deal {n}") for n in range(3)]
    add_deal(ws, "Already proposed", "proposal", amount="10")

    async def move_one(pilot: Pilot[None]) -> None:
        await pilot.press("j")  # "Deal 1"
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # Qualified → Proposal sent
        await settle(pilot)
        # Straight from Contacted: what the skipped stages ask, too.
        await fill(pilot, "next_meeting_at", "2026-03-09 10:00")
        await fill(pilot, "decision_on", "2026-04-30")
        await fill(pilot, "amount", "2500")
        await pilot.press("enter")
        await settle(pilot)

    on_board(CrmApp(ws), move_one)
    assert stage_of(ws, ids[1]) == "proposal"
    assert move_events(ws, ids[1]) == 1

    seen: list[list[str]] = []

    async def look(pilot: Pilot[None]) -> None:
        seen.append(titles(pilot, "contacted") + ["|"] + titles(pilot, "proposal"))

    # Reopened by alex, and from kim's own app on the same file.
    on_board(CrmApp(ws), look)
    other = open_workspace(str(db_path), "kim", clock)
    try:
        on_board(CrmApp(other), look)
    finally:
        other.engine.dispose()
    expected = ["Deal 2", "Deal 0", "|", "Deal 1", "Already proposed"]
    assert seen == [expected, expected]
    assert move_events(ws, ids[1]) == 1


def test_a_colleagues_move_appears_on_refresh(ws: Workspace) -> None:
    deal_id = add_deal(ws, "Acme pilot")

    async def scenario(pilot: Pilot[None]) -> None:
        from crm_tui.services.deals import move_deal

        move_deal(as_user(ws, "sam"), deal_id, "lost", {"lost_reason": "price"})
        assert titles(pilot, "contacted") == ["Acme pilot"]
        await pilot.press("r")
        await settle(pilot)
        assert titles(pilot, "contacted") == []
        assert titles(pilot, "lost") == ["Acme pilot"]

    on_board(CrmApp(ws), scenario)


def test_a_long_column_mounts_a_page_and_loads_more_on_demand(ws: Workspace) -> None:
    for n in range(CARD_PAGE * 2 + 5):
        add_deal(ws, f"Deal {n:03d}")

    async def scenario(pilot: Pilot[None]) -> None:
        contacted = column(pilot, "contacted")
        assert contacted.totals.count == CARD_PAGE * 2 + 5
        assert len(contacted.cards) == CARD_PAGE
        for _ in range(CARD_PAGE):
            await pilot.press("j")
        await settle(pilot)
        assert len(contacted.cards) == CARD_PAGE * 2
        assert len(contacted.body.cards_drawn) == CARD_PAGE * 2
        # One widget draws a column's cards, however many it has loaded.
        assert len(board(pilot).query(CardList)) == len(ws.process.stages)

    on_board(CrmApp(ws), scenario)


def test_filters_mine_and_by_text(ws: Workspace) -> None:
    add_deal(ws, "Acme pilot")
    add_deal(as_user(ws, "sam"), "Globex rollout")

    async def scenario(pilot: Pilot[None]) -> None:
        assert titles(pilot, "contacted") == ["Globex rollout", "Acme pilot"]
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("enter")  # "Mine"
        await settle(pilot)
        assert titles(pilot, "contacted") == ["Acme pilot"]
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("down", "enter")  # "Everyone"
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"glob", "enter")
        await settle(pilot)
        assert titles(pilot, "contacted") == ["Globex rollout"]
        await pilot.press("escape")
        await settle(pilot)
        assert len(titles(pilot, "contacted")) == 2

    on_board(CrmApp(ws), scenario)


def test_m_with_no_card_focused_stays_on_the_filtered_board(ws: Workspace) -> None:
    # m used to fall through to the app's m, opening My leads instead.
    add_deal(ws, "Acme pilot")
    add_deal(ws, "Tandem Bikes", "proposal", amount="18000")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("slash", *"tandem", "enter")
        await settle(pilot)
        assert titles(pilot, "contacted") == []
        assert board(pilot).focused_card() is None
        await pilot.press("m")
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, CrmApp)
        assert app.screen is board(pilot)
        assert ("warning", "There is no card here to move.") in notices(app)
        assert "matching “tandem”" in shown(app, "#board-filter")
        assert titles(pilot, "proposal") == ["Tandem Bikes"]

    on_board(CrmApp(ws), scenario)


def test_enter_opens_the_deal_with_its_timeline(ws: Workspace) -> None:
    add_deal(ws, "Acme pilot", "proposal", amount="700")

    async def scenario(pilot: Pilot[None]) -> None:
        for _ in range(3):
            await pilot.press("l")
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DealScreen)
        app = pilot.app
        assert isinstance(app, CrmApp)
        timeline = shown(app, "#deal-timeline")
        assert "created" in timeline and "stage: — → proposal" in timeline
        assert "task created" in timeline
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, BoardScreen)

    on_board(CrmApp(ws), scenario)


def test_my_day_completes_a_task_with_its_outcome(ws: Workspace) -> None:
    deal_id = add_deal(ws, "Acme pilot")

    async def run() -> None:
        app = CrmApp(ws)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("M")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MyDayScreen)
            assert [t.title for t in screen.tasks] == ["Follow up on first contact"]
            [card] = screen.flagged
            assert card.id == deal_id and card.flags.words() == ["no decision date"]
            await pilot.press("d")
            await settle(pilot)
            await pilot.press(*"Booked a demo", "enter")
            await settle(pilot)
            assert screen.tasks == []
            # With its only task done, the deal now lacks a next step.
            [card] = screen.flagged
            assert card.flags.words() == ["no next step", "no decision date"]

    asyncio.run(run())
    with ws.read() as session:
        task = session.exec(select(Task)).one()
    assert task.outcome == "Booked a demo" and task.done_at is not None


def test_stalled_deals_move_to_nurture_only_after_review(
    ws: Workspace, clock: FixedClock
) -> None:
    quiet = add_deal(ws, "Quiet deal")
    other = add_deal(ws, "Other quiet deal")
    clock.advance(days=20)

    async def run() -> None:
        app = CrmApp(ws)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("M")
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, StalledScreen)
            assert {c.id for c in screen.cards} == {quiet, other}
            await pilot.press("n")  # nothing marked yet: nothing moves
            await settle(pilot)
            assert isinstance(app.screen, StalledScreen)
            await pilot.press("space")
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, Confirm)
            await pilot.press("y")
            await settle(pilot)
            assert len(screen.cards) == 1

    asyncio.run(run())
    moved = {stage_of(ws, quiet), stage_of(ws, other)}
    assert moved == {"nurture", "contacted"}


def test_a_closed_deal_shows_no_next_step_on_its_card_or_its_page(
    ws: Workspace,
) -> None:
    # Lost deals showed "▸ Mar 10 Meeting with the buyer" from the meeting
    # they had booked while open, on the card and on the deal's page.
    deal_id = add_deal(
        ws, "Acme pilot", "discovery", next_meeting_at="2026-03-10 10:00"
    )
    move_deal(ws, deal_id, "lost", {"lost_reason": "price"})
    lost = [s.key for s in ws.process.stages].index("lost")

    async def scenario(pilot: Pilot[None]) -> None:
        for _ in range(lost):
            await pilot.press("l")
        card = column(pilot, "lost").body.lines_of(0)
        assert "Acme pilot" in card
        assert "▸" not in card and "Meeting" not in card
        await pilot.press("enter")
        await settle(pilot)
        app = pilot.app
        assert isinstance(app, CrmApp) and isinstance(app.screen, DealScreen)
        fields = shown(app, "#deal-fields")
        assert "Lost reason" in fields and "Next meeting" not in fields
        tasks = shown(app, "#deal-tasks")
        assert "none: the deal is closed lost" in tasks
        assert "no next step" not in tasks

    on_board(CrmApp(ws), scenario)


def test_reopening_a_lost_deal_asks_first_and_the_history_keeps_its_reason(
    ws: Workspace,
) -> None:
    # Moving a lost deal to Nurture cleared its lost reason and note at
    # once, without a word.
    deal_id = add_deal(ws, "Acme pilot")
    move_deal(
        ws, deal_id, "lost", {"lost_reason": "other", "lost_note": "Budget frozen"}
    )
    lost = [s.key for s in ws.process.stages].index("lost")

    def lost_reason() -> tuple[str, str | None, str | None]:
        with ws.read() as session:
            deal = session.get(Deal, deal_id)
            assert deal is not None
            return deal.stage, deal.lost_reason, deal.lost_note

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        for _ in range(lost):
            await pilot.press("l")
        await move_to(pilot, ws, "lost", "nurture")
        assert isinstance(app.screen, Confirm)
        assert (
            shown(app, "#confirm-question").split()
            == (
                "Reopen “Acme pilot” in Nurture? Its lost reason (Other: Budget "
                "frozen) will be cleared; the history keeps it."
            ).split()
        )
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert lost_reason() == ("lost", "other", "Budget frozen")
        assert titles(pilot, "lost") == ["Acme pilot"]
        await move_to(pilot, ws, "lost", "nurture")
        await pilot.press("y")
        await settle(pilot)
        assert lost_reason() == ("nurture", None, None)
        assert titles(pilot, "nurture") == ["Acme pilot"]

    on_board(CrmApp(ws), scenario)
    reopened = moves(ws, deal_id)[-1]
    assert reopened["stage"] == ["lost", "nurture"]
    assert reopened["lost_reason"] == ["other", None]
    assert reopened["lost_note"] == ["Budget frozen", None]


def test_a_field_s_error_goes_once_the_field_is_corrected(ws: Workspace) -> None:
    # "Amount: '12k' is not an amount." stayed under the field after it was
    # corrected to 12000, as if that were refused too.
    deal_id = add_deal(
        ws, "Acme pilot", "qualified_opportunity", decision_on="2026-05-01"
    )

    def error(form: GateForm) -> str:
        return str(form.query_one("#gate-error").render())

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("l", "l", "greater_than_sign")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        await pilot.press("ctrl+s")
        assert error(form) == "Amount is needed to enter Proposal sent."
        await pilot.press(*"12k")
        await settle(pilot)
        assert error(form) == ""
        await pilot.press("ctrl+s")
        assert error(form) == "Amount: '12k' is not an amount."
        await pilot.press("backspace")
        await pilot.press(*"000")
        await settle(pilot)
        assert error(form) == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert stage_of(ws, deal_id) == "proposal"

    on_board(CrmApp(ws), scenario)


def test_a_lost_reason_s_error_goes_once_a_reason_is_chosen(ws: Workspace) -> None:
    add_deal(ws, "Acme pilot")

    async def scenario(pilot: Pilot[None]) -> None:
        await move_to(pilot, ws, "contacted", "lost")
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        await pilot.press("ctrl+s")
        assert "Lost reason is needed" in str(form.query_one("#gate-error").render())
        form.query_one("#gate-lost_reason", Select).value = "other"
        await settle(pilot)
        assert str(form.query_one("#gate-error").render()) == ""
        await pilot.press("ctrl+s")
        assert "Note on why it was lost is needed" in str(
            form.query_one("#gate-error").render()
        )
        assert form.focused is form.query_one("#gate-lost_note", Input)

    on_board(CrmApp(ws), scenario)

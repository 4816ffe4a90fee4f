"""Deals through the stages: every gate, the tasks stages create, order within
a column, and the next-step discipline, through the service layer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from crm_tui.clock import FixedClock
from crm_tui.errors import CrmError
from crm_tui.models import Activity, Deal, Event, Task
from crm_tui.queries.deals import (
    BoardFilter,
    column_page,
    column_totals,
    flagged_deals,
    my_tasks,
    stalled_deals,
    timeline,
)
from crm_tui.rules.stages import add_business_days
from crm_tui.services.deals import (
    DealClosed,
    GateMissing,
    complete_task,
    create_deal,
    log_activity,
    move_deal,
    move_deals,
    reorder_deal,
)
from crm_tui.workspace import Workspace
from tests.conftest import MONDAY_9AM

NEXT_WEEK = "2026-03-09 10:00"


def deal_in(ws: Workspace, stage: str = "contacted", **values: object) -> int:
    deal = create_deal(ws, title="Acme renewal", stage=stage, values=values)
    assert deal.id is not None
    return deal.id


def stage_of(ws: Workspace, deal_id: int) -> str:
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None
        return deal.stage


def tasks_of(ws: Workspace, deal_id: int) -> list[Task]:
    with ws.read() as session:
        return list(
            session.exec(
                select(Task).where(Task.deal_id == deal_id).order_by(col(Task.id))
            )
        )


def moves(ws: Workspace, deal_id: int) -> list[dict[str, object]]:
    with ws.read() as session:
        events = session.exec(
            select(Event).where(
                Event.entity == "deal",
                Event.entity_id == deal_id,
                Event.action == "moved",
            )
        )
        return [e.changes for e in events]


def needs_of(error: pytest.ExceptionInfo[GateMissing]) -> list[str]:
    return [n.field for n in error.value.needs]


def test_first_contact_creates_a_follow_up_due_within_a_day(ws: Workspace) -> None:
    deal_id = deal_in(ws)
    [task] = tasks_of(ws, deal_id)
    assert task.title == "Follow up on first contact"
    assert task.due_at == MONDAY_9AM + timedelta(hours=24)
    with ws.read() as session:
        created = session.exec(
            select(Event).where(Event.entity == "deal", Event.action == "created")
        ).one()
    assert created.changes["stage"] == [None, "contacted"]


def test_discovery_needs_a_meeting_ahead_and_leaving_needs_the_next(
    ws: Workspace, clock: FixedClock
) -> None:
    deal_id = deal_in(ws)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "Discovery scheduled")
    assert needs_of(missing) == ["next_meeting_at"]
    assert stage_of(ws, deal_id) == "contacted"
    # A meeting given but already past is refused as such, not asked for again.
    with pytest.raises(CrmError, match="The next meeting must be after now."):
        move_deal(ws, deal_id, "discovery", {"next_meeting_at": "2026-02-27 10:00"})
    move_deal(ws, deal_id, "discovery", {"next_meeting_at": NEXT_WEEK})
    assert stage_of(ws, deal_id) == "discovery"

    # The discovery meeting happened; leaving needs the next one booked.
    clock.advance(days=8)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "qualified_opportunity", {"decision_on": "2026-04-30"})
    assert needs_of(missing) == ["next_meeting_at"]
    assert "or close it lost" in missing.value.needs[0].why
    move_deal(
        ws,
        deal_id,
        "qualified_opportunity",
        {"decision_on": "2026-04-30", "next_meeting_at": "2026-03-12 15:00"},
    )
    assert stage_of(ws, deal_id) == "qualified_opportunity"


def test_leaving_discovery_disqualified_is_closing_it_lost(
    ws: Workspace, clock: FixedClock
) -> None:
    deal_id = deal_in(ws, "discovery", next_meeting_at=NEXT_WEEK)
    clock.advance(days=10)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "lost")
    assert needs_of(missing) == ["lost_reason"]
    move_deal(ws, deal_id, "lost", {"lost_reason": "product_fit"})
    assert stage_of(ws, deal_id) == "lost"


def test_proposal_needs_an_amount_and_books_a_review_call(ws: Workspace) -> None:
    deal_id = deal_in(ws, "qualified_opportunity", decision_on="2026-04-30")
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "proposal")
    assert needs_of(missing) == ["amount"]
    assert str(missing.value) == (
        f"Deal #{deal_id} cannot move to Proposal sent without: "
        "Amount (to enter Proposal sent)."
    )
    move_deal(ws, deal_id, "proposal", {"amount": "$12,500"})
    review = tasks_of(ws, deal_id)[-1]
    assert review.title == "Review the proposal with the buyer"
    # Monday 9:00 UTC is 4:00 in New York, before hours: three business days
    # on, at the start of the day.
    assert review.due_at == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None and deal.amount == Decimal("12500.00")
    assert moves(ws, deal_id) == [
        {"stage": ["qualified_opportunity", "proposal"], "amount": [None, "12500.00"]}
    ]


def test_closed_lost_needs_a_reason_from_the_list_and_a_note_for_other(
    ws: Workspace,
) -> None:
    deal_id = deal_in(ws)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "Closed lost")
    assert needs_of(missing) == ["lost_reason"]
    assert ("price", "Price") in missing.value.needs[0].choices
    assert "not_recorded" not in dict(missing.value.needs[0].choices)
    with pytest.raises(CrmError, match="no lost reason 'cheaper'"):
        move_deal(ws, deal_id, "lost", {"lost_reason": "cheaper"})
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "lost", {"lost_reason": "Other"})
    assert needs_of(missing) == ["lost_note"]
    deal = move_deal(
        ws, deal_id, "lost", {"lost_reason": "other", "lost_note": "Merged with HQ"}
    )
    assert (deal.stage, deal.lost_reason, deal.lost_note) == (
        "lost",
        "other",
        "Merged with HQ",
    )
    assert deal.closed_at == MONDAY_9AM


def test_closed_won_needs_amount_and_close_date_and_records_the_hand_off(
    ws: Workspace,
) -> None:
    deal_id = deal_in(ws, "negotiation", amount="9000", decision_on="2026-03-20")
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "won")
    assert needs_of(missing) == ["close_on"]
    deal = move_deal(ws, deal_id, "won", {"close_on": "2026-03-02"})
    assert deal.needs_handoff and deal.close_on == date(2026, 3, 2)
    with pytest.raises(DealClosed):
        move_deal(ws, deal_id, "negotiation")


def test_a_jump_ahead_asks_every_skipped_stages_gate_and_going_back_asks_nothing(
    ws: Workspace,
) -> None:
    # A newcomer found deals jumping from Contacted to Negotiation with an
    # amount only: no meeting, no decision date, as no stage was entered.
    deal_id = deal_in(ws)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "negotiation", {"amount": "9000"})
    assert [(n.field, n.why) for n in missing.value.needs] == [
        ("next_meeting_at", "to pass Discovery scheduled"),
        ("decision_on", "to pass Qualified opportunity"),
    ]
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, deal_id, "negotiation")
    assert needs_of(missing) == ["next_meeting_at", "decision_on", "amount"]
    assert stage_of(ws, deal_id) == "contacted"
    given = {"next_meeting_at": NEXT_WEEK, "decision_on": "2026-04-30"}
    move_deal(ws, deal_id, "negotiation", given | {"amount": "9000"})
    assert stage_of(ws, deal_id) == "negotiation"
    [changes] = moves(ws, deal_id)
    assert set(changes) == {"stage", "next_meeting_at", "decision_on", "amount"}

    # Back down the funnel, parking or losing a deal passes no stage.
    move_deal(ws, deal_id, "contacted")
    assert stage_of(ws, deal_id) == "contacted"
    move_deal(ws, deal_id, "nurture")
    fresh = deal_in(ws)
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, fresh, "lost")
    assert needs_of(missing) == ["lost_reason"]
    # Won straight from first contact owes the whole funnel, then its own.
    with pytest.raises(GateMissing) as missing:
        move_deal(ws, fresh, "won")
    assert needs_of(missing) == [
        "next_meeting_at",
        "decision_on",
        "amount",
        "close_on",
    ]


def test_a_move_sets_only_known_fields(ws: Workspace) -> None:
    deal_id = deal_in(ws)
    with pytest.raises(CrmError, match="not a field a move can set"):
        move_deal(ws, deal_id, "proposal", {"price": "10"})
    with pytest.raises(CrmError, match="not an amount"):
        move_deal(ws, deal_id, "proposal", {"amount": "ten"})


# A decimal comma was read as thousands: "124,00" saved 12400.00 and
# "1.234,50 €" saved 1.23.
@pytest.mark.parametrize(
    ("typed", "saved"),
    [("124,00", "124.00"), ("1.234,50 €", "1234.50"), ("12 500", "12500.00")],
)
def test_an_amount_with_a_decimal_comma_is_saved_as_typed(
    ws: Workspace, typed: str, saved: str
) -> None:
    deal_id = deal_in(ws, "qualified_opportunity", decision_on="2026-04-30")
    move_deal(ws, deal_id, "proposal", {"amount": typed})
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None and deal.amount == Decimal(saved)


def test_an_amount_that_reads_two_ways_is_refused(ws: Workspace) -> None:
    deal_id = deal_in(ws, "qualified_opportunity", decision_on="2026-04-30")
    with pytest.raises(CrmError) as refused:
        move_deal(ws, deal_id, "proposal", {"amount": "1.234"})
    assert str(refused.value) == (
        "Amount: '1.234' is not an amount: 1234 or 1.234? "
        "Write 1234, or the cents after the dot."
    )
    assert stage_of(ws, deal_id) == "qualified_opportunity"


def test_reordering_changes_order_never_the_stage(ws: Workspace) -> None:
    first, second, third = (deal_in(ws) for _ in range(3))
    now = ws.clock.now()

    def order() -> list[int]:
        with ws.read() as session:
            cards = column_page(session, ws.process, "contacted", BoardFilter(), now)
        return [c.id for c in cards]

    # New deals go on top of their column.
    assert order() == [third, second, first]
    reorder_deal(ws, first, before=third)
    assert order() == [first, third, second]
    reorder_deal(ws, first, after=second)
    assert order() == [third, second, first]
    reorder_deal(ws, third, after=second)
    assert order() == [second, third, first]
    assert {stage_of(ws, d) for d in (first, second, third)} == {"contacted"}
    other = deal_in(ws, "proposal", amount="5")
    with pytest.raises(CrmError, match="never changes a deal's stage"):
        reorder_deal(ws, first, before=other)
    assert all(moves(ws, d) == [] for d in (first, second, third))


def test_reordering_between_two_cards_with_no_room_renumbers(ws: Workspace) -> None:
    ids = [deal_in(ws) for _ in range(3)]

    def squeeze(session: object) -> None:
        from sqlmodel import Session

        assert isinstance(session, Session)
        for deal_id in ids:
            deal = session.get(Deal, deal_id)
            assert deal is not None
            deal.position = 1.0

    ws.write(squeeze)
    reorder_deal(ws, ids[2], before=ids[1])
    with ws.read() as session:
        cards = column_page(session, ws.process, "contacted", BoardFilter(), MONDAY_9AM)
    assert [c.id for c in cards] == [ids[0], ids[2], ids[1]]


def test_the_board_counts_and_totals_each_column(ws: Workspace) -> None:
    deal_in(ws, "proposal", amount="100")
    deal_in(ws, "proposal", amount="250.50")
    create_deal(ws, title="Globex pilot", values={})
    with ws.read() as session:
        totals = column_totals(session, BoardFilter())
        mine = column_totals(session, BoardFilter(text="globex"))
    assert totals["proposal"].count == 2
    assert totals["proposal"].amount == Decimal("350.50")
    assert totals["contacted"].count == 1
    assert set(mine) == {"contacted"}


def test_completing_a_task_asks_its_outcome_and_counts_as_a_touch(
    ws: Workspace, clock: FixedClock
) -> None:
    deal_id = deal_in(ws)
    [task] = tasks_of(ws, deal_id)
    assert task.id is not None
    with pytest.raises(CrmError, match="needs an outcome"):
        complete_task(ws, task.id, " ")
    clock.advance(hours=2)
    complete_task(ws, task.id, "Reached the buyer; demo next week")
    [done] = tasks_of(ws, deal_id)
    assert done.done_at == clock.now()
    assert (done.outcome or "").startswith("Reached")
    with ws.read() as session:
        [activity] = session.exec(select(Activity)).all()
        entries = timeline(session, deal_id)
    assert activity.deal_id == deal_id and activity.kind == "call"
    assert [e.what for e in entries] == [
        "created",
        "task created",
        "task completed",
        "call",
    ]
    with pytest.raises(CrmError, match="already done"):
        complete_task(ws, task.id, "again")


def test_my_day_sorts_tasks_into_overdue_today_and_upcoming(
    ws: Workspace, clock: FixedClock
) -> None:
    deal_in(ws)  # follow-up due Tuesday 9:00 UTC
    deal_in(ws, "proposal", amount="1")  # review due Thursday
    clock.advance(hours=23)  # Tuesday 8:00 UTC, 3:00 in New York
    with ws.read() as session:
        rows = my_tasks(session, ws.process, ws.user_id, clock.now())
    assert [(r.title, r.when) for r in rows] == [
        ("Follow up on first contact", "today"),
        ("Review the proposal with the buyer", "upcoming"),
    ]
    clock.advance(hours=2)
    with ws.read() as session:
        rows = my_tasks(session, ws.process, ws.user_id, clock.now())
    assert rows[0].when == "overdue"


def test_deals_without_a_next_step_or_decision_date_or_activity_are_flagged(
    ws: Workspace, clock: FixedClock
) -> None:
    quiet = deal_in(ws)
    busy = deal_in(ws, "qualified_opportunity", decision_on="2026-04-30")
    clock.advance(days=8)
    log_activity(ws, kind="call", deal_id=busy, outcome="Left a message")
    with ws.read() as session:
        flagged = {
            c.id: c.flags for c in flagged_deals(session, ws.process, clock.now())
        }
        stalled = [c.id for c in stalled_deals(session, ws.process, clock.now())]
    assert flagged[quiet].words() == ["no next step", "no decision date", "stalled"]
    assert flagged[busy].words() == ["no next step"]
    assert stalled == [quiet]


def test_stalled_deals_move_only_in_a_reviewed_bulk_action(
    ws: Workspace, clock: FixedClock
) -> None:
    parked = deal_in(ws)
    lost = deal_in(ws)
    blocked = deal_in(ws)
    clock.advance(days=30)
    with ws.read() as session:
        stalled = {c.id for c in stalled_deals(session, ws.process, clock.now())}
    assert stalled == {parked, lost, blocked}
    assert stage_of(ws, parked) == "contacted"  # nothing moved on its own
    result = move_deals(ws, [parked], "nurture")
    assert result.moved == [parked]
    assert tasks_of(ws, parked)[-1].title == "Revisit the parked deal"
    result = move_deals(ws, [lost, blocked], "lost", {"lost_reason": "no_decision"})
    assert result.moved == [lost, blocked] and not result.refused
    result = move_deals(ws, [lost, 999], "lost", {"lost_reason": "no_decision"})
    assert result.moved == []
    assert set(result.refused) == {lost, 999}
    assert stage_of(ws, parked) == "nurture" and stage_of(ws, lost) == "lost"


def test_a_reopened_lost_deal_forgets_its_lost_reason(ws: Workspace) -> None:
    deal_id = deal_in(ws)
    move_deal(ws, deal_id, "lost", {"lost_reason": "timing"})
    deal = move_deal(ws, deal_id, "contacted")
    assert deal.lost_reason is None and deal.closed_at is None
    assert moves(ws, deal_id)[-1]["lost_reason"] == ["timing", None]


def test_business_days_skip_weekends_and_holidays(ws: Workspace) -> None:
    friday = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Thursday 10:00 NY
    due = add_business_days(ws.process, friday, 1)
    # Friday the 25th is a holiday, then the weekend.
    assert due == datetime(2026, 12, 28, 15, 0, tzinfo=UTC)


def test_closing_a_deal_closes_its_open_tasks(ws: Workspace) -> None:
    # Found by a newcomer: a lost deal's "review the proposal" call stayed on
    # the rep's day.
    deal = create_deal(ws, title="Globex", stage="proposal", values={"amount": "900"})
    assert deal.id is not None
    move_deal(ws, deal.id, "lost", {"lost_reason": "price"})
    with ws.read() as session:
        tasks = session.exec(select(Task).where(Task.deal_id == deal.id)).all()
    assert tasks and all(t.done_at is not None for t in tasks)
    assert {t.outcome for t in tasks} == {"Closed with the deal (Closed lost)"}

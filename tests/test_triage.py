"""Working leads: touches stop the response clock, qualifying converts once,
nurtured leads come back, disqualifying needs a reason, and a manager
reassigns with one."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import col, func, select

from crm_tui.clock import FixedClock
from crm_tui.errors import CrmError, NotAllowed, NotValid
from crm_tui.models import Account, Activity, Contact, Deal, Event, Lead, Task, User
from crm_tui.open import open_workspace
from crm_tui.queries.leads import lead_list
from crm_tui.services.arrival import create_leads
from crm_tui.services.catchup import catch_up
from crm_tui.services.convert import qualify_leads
from crm_tui.services.triage import (
    assign_leads,
    claim_leads,
    disqualify_leads,
    nurture_leads,
    touch_leads,
)
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user

ANSWERS = {
    "fit": "strong",
    "urgency": "this quarter",
    "budget": "approved",
    "buying_role": "decision-maker",
}


def lead(ws: Workspace, lead_id: int) -> Lead:
    with ws.read() as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def count(ws: Workspace, model: type[object]) -> int:
    with ws.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def actions(ws: Workspace, lead_id: int) -> list[str]:
    with ws.read() as session:
        return list(
            session.exec(
                select(Event.action)
                .where(Event.entity == "lead", Event.entity_id == lead_id)
                .order_by(col(Event.id))
            ).all()
        )


def test_a_captured_lead_gets_its_clock_and_the_first_touch_stops_it(
    ws: Workspace, clock: FixedClock
) -> None:
    # Monday 09:00 UTC is 04:00 in New York: an e-mail lead is due at 10:00.
    [(lead_id, _)] = create_leads(ws, [{"name": "Ada", "source": "Email"}])
    assert lead(ws, lead_id).sla_due_at == clock.now() + timedelta(hours=6)
    clock.advance(hours=7)
    with ws.read() as session:
        assert [x["id"] for x in lead_list(session, breached_at=clock.now())] == [
            lead_id
        ]
    sam = as_user(ws, "sam")
    done = touch_leads(sam, [lead_id], "call", "left voicemail")
    assert done.done[lead_id].endswith("first response")
    touched = lead(ws, lead_id)
    assert touched.first_response_at == clock.now()
    assert touched.status == "working"
    with ws.read() as session:
        assert lead_list(session, breached_at=clock.now()) == []
        activity = session.exec(select(Activity)).one()
        assert (activity.kind, activity.outcome) == ("call", "left voicemail")
    clock.advance(hours=1)
    touch_leads(sam, [lead_id], "email", "sent")
    assert lead(ws, lead_id).first_response_at == clock.now() - timedelta(hours=1)
    assert actions(ws, lead_id)[-2:] == ["touched", "touched"]


def test_qualifying_twice_gives_one_account_contact_and_deal(ws: Workspace) -> None:
    [lead_id] = add_leads(
        ws, 1, company="Fjord Fisheries", email="eva@fjord.example", name="Eva"
    )
    sam = as_user(ws, "sam")
    claim_leads(sam, [lead_id])
    first, conversions = qualify_leads(sam, [lead_id], ANSWERS)
    assert "deal #" in first.done[lead_id]
    again, second = qualify_leads(sam, [lead_id], ANSWERS)
    assert "already qualified" in again.done[lead_id]
    assert second[lead_id].deal_id == conversions[lead_id].deal_id
    assert (count(ws, Account), count(ws, Contact), count(ws, Deal)) == (1, 1, 1)
    with ws.read() as session:
        deal = session.exec(select(Deal)).one()
        owner = session.get(User, deal.owner_id)
        assert (deal.stage, deal.amount, owner and owner.name) == (
            "contacted",
            None,
            "sam",
        )
        created = session.exec(
            select(Event).where(Event.entity == "deal", Event.action == "created")
        ).one()
        assert created.changes["stage"] == [None, "contacted"]
        contact = session.exec(select(Contact)).one()
        assert contact.role == "decision-maker"
    converted = lead(ws, lead_id)
    assert (converted.status, converted.bucket) == ("converted", "qualified")
    assert actions(ws, lead_id)[-2:] == ["qualified", "converted"]
    with ws.read() as session:
        qualified = session.exec(
            select(Event).where(Event.entity == "lead", Event.action == "qualified")
        ).one()
    # The deal entered the first stage like any other: its follow-up exists.
    with ws.read() as session:
        follow_up = session.exec(select(Task).where(Task.deal_id == deal.id)).one()
    assert follow_up.title == "Follow up on first contact"
    # The log keeps where the lead came from, not the new value twice.
    assert qualified.changes["bucket"] == [None, "qualified"]
    assert qualified.changes.get("status", ["working"])[0] == "working"


def test_two_reps_qualifying_at_once_still_give_one_deal(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1, company="Acme")
    url = ws.engine.url.render_as_string(hide_password=False)
    reps = [open_workspace(url, name, ws.clock) for name in ("alex", "alex")]
    errors: list[Exception] = []

    def press(rep: Workspace) -> None:
        try:
            qualify_leads(rep, [lead_id], ANSWERS)
        except CrmError as exc:  # pragma: no cover - shown if it happens
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(rep,)) for rep in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for rep in reps:
        rep.engine.dispose()
    assert errors == []
    assert (count(ws, Account), count(ws, Contact), count(ws, Deal)) == (1, 1, 1)


def test_a_second_lead_of_a_known_company_joins_its_account(ws: Workspace) -> None:
    first, second = add_leads(ws, 2, company="Fjord Fisheries")
    qualify_leads(ws, [first], ANSWERS)
    qualify_leads(ws, [second], ANSWERS)
    assert (count(ws, Account), count(ws, Deal)) == (1, 2)


def test_qualifying_needs_every_dimension(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    with pytest.raises(NotValid, match="answer Budget, Buying role too"):
        qualify_leads(ws, [lead_id], {"fit": "strong", "urgency": "1"})
    with pytest.raises(NotValid, match="not a fit"):
        qualify_leads(ws, [lead_id], {**ANSWERS, "fit": "perfect"})


def test_nurtured_leads_come_back_to_their_owner_on_the_revisit_date(
    ws: Workspace, clock: FixedClock
) -> None:
    ids = add_leads(ws, 2)
    sam = as_user(ws, "sam")
    claim_leads(sam, ids)
    with pytest.raises(NotValid, match="after today"):
        nurture_leads(sam, ids, date(2026, 3, 2))
    nurture_leads(sam, ids, date(2026, 3, 9), {"urgency": "no date"})
    assert lead(ws, ids[0]).status == "nurture"
    with ws.read() as session:
        assert lead_list(session, owner="sam", status="working") == []
    clock.advance(days=6)
    assert catch_up(ws).returned == 0
    clock.advance(days=1)  # Monday 9 March, 09:00 UTC: 05:00 in New York.
    assert catch_up(ws).returned == 2
    assert catch_up(ws).returned == 0
    with ws.read() as session:
        back = lead_list(session, owner="sam", status="working")
    assert [x["id"] for x in back] == ids
    assert actions(ws, ids[0])[-1] == "revisited"


def test_disqualifying_needs_a_known_reason(ws: Workspace) -> None:
    ids = add_leads(ws, 3)
    with pytest.raises(NotValid, match="not a disqualify reason"):
        disqualify_leads(ws, ids, "too small")
    done = disqualify_leads(ws, ids, "Wrong customer type")
    assert len(done.done) == 3
    first = lead(ws, ids[0])
    assert (first.status, first.bucket, first.reason) == (
        "disqualified",
        "disqualified",
        "wrong_customer_type",
    )
    again = disqualify_leads(ws, ids[:1], "spam")
    assert "is disqualified; it cannot be disqualified" in str(again.refused[ids[0]])


def test_bulk_claim_takes_what_is_free_and_says_what_was_not(ws: Workspace) -> None:
    ids = add_leads(ws, 3)
    claim_leads(as_user(ws, "kim"), ids[1:2])
    outcome = claim_leads(as_user(ws, "sam"), ids)
    assert sorted(outcome.done) == [ids[0], ids[2]]
    assert str(outcome.refused[ids[1]]) == f"Lead #{ids[1]} is already claimed by kim."
    assert lead(ws, ids[1]).version == 2


def test_a_manager_reassigns_with_a_reason_and_a_rep_cannot(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    claim_leads(as_user(ws, "kim"), [lead_id])
    refused = assign_leads(as_user(ws, "sam"), [lead_id], "sam")
    assert isinstance(refused.refused[lead_id], NotAllowed)
    no_reason = assign_leads(ws, [lead_id], "sam")
    assert "needs a reason" in str(no_reason.refused[lead_id])
    done = assign_leads(ws, [lead_id], "sam", "kim is on leave")
    assert done.done[lead_id] == "Lead 000 is sam's now."
    with ws.read() as session:
        event = session.exec(
            select(Event).where(Event.action == "assigned").order_by(col(Event.id))
        ).all()[-1]
    assert event.changes == {"owner": ["kim", "sam"], "reason": "kim is on leave"}


def test_a_rep_hands_an_unowned_lead_to_a_colleague(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    assign_leads(as_user(ws, "sam"), [lead_id], "kim")
    with ws.read() as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        kim = session.get(User, found.owner_id)
        assert kim is not None and kim.name == "kim"


def test_list_counts_stop_at_the_cap_and_say_more(
    ws: Workspace, clock: FixedClock
) -> None:
    # A million-lead inbox is not counted on every load: past the cap the
    # count reads "more than", and the late ones are counted the same way.
    from crm_tui.queries.triage import triage_counts

    add_leads(ws, 5, sla_due_at=clock.now() - timedelta(minutes=5))
    add_leads(ws, 2, sla_due_at=clock.now() + timedelta(hours=2))
    now = clock.now()
    with ws.read() as session:
        exact = triage_counts(session, "inbox", user_id=ws.user_id, now=now)
        capped = triage_counts(session, "inbox", user_id=ws.user_id, now=now, cap=3)
        roomy = triage_counts(session, "inbox", user_id=ws.user_id, now=now, cap=6)
    assert exact == (7, 5)
    assert capped == (4, 4)
    assert roomy == (7, 5)

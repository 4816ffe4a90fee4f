"""The hand-off after a won deal: nothing moves on until every promise is
written down, and the next owner takes it with everything in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from crm_tui.errors import CrmError, NotAllowed
from crm_tui.models import (
    Account,
    Contact,
    Deal,
    Event,
    Handoff,
    HandoffItem,
    Promise,
    Setting,
    Task,
    User,
)
from crm_tui.process import DEFAULT_PROCESS
from crm_tui.queries.handoffs import handoff_detail, handoff_rows
from crm_tui.rules.handoff import BadValue
from crm_tui.services.edits import Conflict
from crm_tui.services.handoffs import (
    HandoffIncomplete,
    accept_handoff,
    fill_item,
    send_back_handoff,
    submit_handoff,
)
from crm_tui.services.users import find_user
from crm_tui.workspace import Workspace
from tests.conftest import as_user
from tests.handoff_helpers import FILLED, fill_all, opened_handoff, won_deal


def actions(ws: Workspace, handoff_id: int) -> list[tuple[str | None, str]]:
    with ws.read() as session:
        rows = session.exec(
            select(Event, User)
            .join(User, col(User.id) == Event.user_id)
            .where(Event.entity == "handoff", Event.entity_id == handoff_id)
            .order_by(col(Event.id))
        ).all()
    return [(user.name, event.action) for event, user in rows]


def test_a_won_deal_opens_a_handoff_with_the_checklist(ws: Workspace) -> None:
    deal_id = won_deal(ws)
    handoff_id = opened_handoff(as_user(ws, "sam"), deal_id)
    # Opening again (a second move into won, a retry) finds the same one.
    assert opened_handoff(ws, deal_id) == handoff_id
    with ws.read() as session:
        handoff = session.get(Handoff, handoff_id)
        items = session.exec(
            select(HandoffItem).where(HandoffItem.handoff_id == handoff_id)
        ).all()
        closing = session.get(User, handoff.closing_user_id if handoff else None)
    assert handoff is not None and handoff.status == "open"
    assert closing is not None and closing.name == "sam"
    assert [i.key for i in items] == list(FILLED)
    assert {i.kind for i in items if i.key == "stakeholders"} == {"contacts"}
    assert all(i.required and i.value is None for i in items)
    assert actions(ws, handoff_id) == [("sam", "opened")]


def test_submitting_with_empty_required_items_is_refused_naming_them(
    ws: Workspace,
) -> None:
    sam = as_user(ws, "sam")
    handoff_id = opened_handoff(sam, won_deal(ws))
    fill_all(sam, handoff_id, goals=True, promises=True, service_owner=True)
    with pytest.raises(HandoffIncomplete) as refused:
        submit_handoff(sam, handoff_id)
    assert str(refused.value) == (
        f"Hand-off #{handoff_id} cannot be submitted: 3 required items are empty: "
        "Customer goals and success criteria; Promised deliverables and special "
        "terms; Next owner: service."
    )
    fill_item(sam, handoff_id, "goals", FILLED["goals"])
    fill_item(sam, handoff_id, "promises", FILLED["promises"])
    with pytest.raises(HandoffIncomplete, match="1 required item is empty: Next"):
        submit_handoff(sam, handoff_id)
    with ws.read() as session:
        handoff = session.get(Handoff, handoff_id)
    assert handoff is not None and handoff.status == "open"
    assert handoff.submitted_at is None


def test_items_take_dates_users_and_contacts_with_roles(ws: Workspace) -> None:
    sam = as_user(ws, "sam")
    handoff_id = opened_handoff(sam, won_deal(ws))
    fill_item(sam, handoff_id, "contract", "April 1, 2026")
    with pytest.raises(BadValue, match="'next tuesday-ish' is not a date"):
        fill_item(sam, handoff_id, "contract", "next tuesday-ish")
    with pytest.raises(BadValue, match="No user named 'robin'"):
        fill_item(sam, handoff_id, "service_owner", "robin")
    with pytest.raises(BadValue, match=r"Give 'Raj Patel' a role, like: Raj Patel \("):
        fill_item(sam, handoff_id, "stakeholders", "Dana Lee (CFO); Raj Patel")
    fill_item(sam, handoff_id, "stakeholders", FILLED["stakeholders"])
    # Naming a known person again finds the same contact and updates the role.
    fill_item(sam, handoff_id, "stakeholders", "dana lee (CEO)\nRaj Patel (IT lead)")
    with ws.read() as session:
        detail = handoff_detail(session, handoff_id)
        contacts = session.exec(select(Contact).order_by(col(Contact.id))).all()
    assert detail is not None
    texts = {item.key: item.text for item in detail.items}
    assert texts["contract"] == "2026-04-01"
    assert texts["stakeholders"] == "Dana Lee (CEO); Raj Patel (IT lead)"
    assert [(c.name, c.role) for c in contacts] == [
        ("Dana Lee", "CEO"),
        ("Raj Patel", "IT lead"),
    ]
    assert {c.account_id for c in contacts} == {
        detail.account.id if detail.account else 0
    }
    assert [h.changes for h in detail.history if h.action == "filled"][0] == {
        "contract": ["", "2026-04-01"]
    }


def test_accepting_assigns_the_owners_and_creates_the_onboarding_task(
    ws: Workspace,
) -> None:
    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    handoff_id = opened_handoff(sam, won_deal(ws))
    fill_all(sam, handoff_id)
    submit_handoff(sam, handoff_id)
    # kim, the implementation owner, finds it in her queue.
    with ws.read() as session:
        queue = handoff_rows(session, for_user_id=kim.user_id)
        sams = handoff_rows(session, for_user_id=sam.user_id)
    assert [(r.id, r.status_label, r.next_owner) for r in queue] == [
        (handoff_id, "to accept", "kim")
    ]
    assert sams == []
    with pytest.raises(NotAllowed, match="Only the next owner or a manager"):
        accept_handoff(sam, handoff_id)
    accept_handoff(kim, handoff_id)
    with ws.read() as session:
        handoff = session.get(Handoff, handoff_id)
        account = session.get(Account, handoff.account_id if handoff else None)
        owners = {u.id: u.name for u in session.exec(select(User)).all()}
        [task] = session.exec(select(Task)).all()
        promises = session.exec(select(Promise).order_by(col(Promise.id))).all()
    assert handoff is not None and handoff.status == "accepted"
    assert handoff.accepted_at == ws.clock.now()
    assert account is not None
    assert owners[account.implementation_owner_id or 0] == "kim"
    assert owners[account.service_owner_id or 0] == "kim"
    assert owners[account.relationship_owner_id or 0] == "sam"
    assert account.renewal_on == date(2027, 4, 1)
    assert (task.kind, task.title) == ("meeting", "Onboarding kick-off: Acme Logistics")
    assert owners[task.owner_id or 0] == "kim"
    # Five working days in New York, as a stage's tasks count them: accepted
    # at 3:00 local, before the working day, so due as that day opens, 9:00
    # (clocks went forward on 8 March: 13:00 UTC).
    assert task.due_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert [p.text for p in promises] == [
        "Live by May 15",
        "SSO in the first month",
        "Two on-site training days",
    ]
    assert actions(ws, handoff_id)[-2:] == [("sam", "submitted"), ("kim", "accepted")]


def test_a_manager_accepts_for_the_next_owner_and_the_deal_is_handed_off(
    ws: Workspace,
) -> None:
    # Found in the demo: after acceptance the deal still said it needed a
    # hand-off, and the manager was told the onboarding task was theirs.
    sam = as_user(ws, "sam")
    deal_id = won_deal(ws)
    handoff_id = opened_handoff(sam, deal_id)
    fill_all(sam, handoff_id)
    submit_handoff(sam, handoff_id)
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        assert deal is not None and deal.needs_handoff  # submitted: still waits
    accepted = accept_handoff(ws, handoff_id)  # alex, a manager, stands in
    assert (accepted.handoff.status, accepted.onboarding_owner) == ("accepted", "kim")
    with ws.read() as session:
        deal = session.get(Deal, deal_id)
        [task] = session.exec(select(Task)).all()
        kim = find_user(session, "kim")
    assert deal is not None and not deal.needs_handoff
    assert task.owner_id == kim.id


def test_sent_back_with_a_question_then_resubmitted(ws: Workspace) -> None:
    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    handoff_id = opened_handoff(sam, won_deal(ws))
    fill_all(sam, handoff_id)
    submit_handoff(sam, handoff_id)
    with pytest.raises(CrmError, match="goes back with a question"):
        send_back_handoff(kim, handoff_id, "  ")
    send_back_handoff(kim, handoff_id, "Which SSO provider did we promise?")
    with ws.read() as session:
        [row] = handoff_rows(session, for_user_id=sam.user_id)
        assert handoff_rows(session, for_user_id=kim.user_id) == []
    assert (row.status_label, row.question) == (
        "sent back",
        "Which SSO provider did we promise?",
    )
    with pytest.raises(CrmError, match="is sent back; only a submitted"):
        accept_handoff(kim, handoff_id)
    fill_item(sam, handoff_id, "promises", "- SSO with Okta in the first month")
    submit_handoff(sam, handoff_id)
    accept_handoff(kim, handoff_id)
    with ws.read() as session:
        handoff = session.get(Handoff, handoff_id)
    assert handoff is not None and handoff.question is None
    assert actions(ws, handoff_id)[-5:] == [
        ("sam", "submitted"),
        ("kim", "sent_back"),
        ("sam", "filled"),
        ("sam", "resubmitted"),
        ("kim", "accepted"),
    ]


def test_only_the_closing_rep_or_a_manager_fills_and_edits_check_versions(
    ws: Workspace,
) -> None:
    sam, kim = as_user(ws, "sam"), as_user(ws, "kim")
    handoff_id = opened_handoff(sam, won_deal(ws))
    with pytest.raises(NotAllowed, match="Only the closing rep or a manager"):
        fill_item(kim, handoff_id, "goals", "Anything")
    fill_item(ws, handoff_id, "goals", "Set by the manager")  # alex is admin
    # sam's screen loaded version 1; the manager's edit made it 2.
    with pytest.raises(Conflict):
        fill_item(sam, handoff_id, "products", "Pro plan", expected_version=1)
    assert (
        fill_item(sam, handoff_id, "products", "Pro", expected_version=2).version == 3
    )


def test_a_checklist_changed_in_process_toml(ws: Workspace, tmp_path: Path) -> None:
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    # The team drops "goals", makes "timeline" optional and adds an item.
    text = text.replace(
        '[[handoff.checklist]]\nkey = "goals"\n'
        'label = "Customer goals and success criteria"\nkind = "text"\n\n',
        "",
    )
    text = text.replace(
        'label = "Timeline commitments"\nkind = "text"\n',
        'label = "Timeline commitments"\nkind = "text"\nrequired = false\n',
    )
    text = text.replace(
        "[handoff]\n",
        '[[handoff.checklist]]\nkey = "security_review"\n'
        'label = "Security review date"\nkind = "date"\n\n[handoff]\n',
    )
    custom = tmp_path / "process.toml"
    custom.write_text(text, encoding="utf-8")

    def use_it(session: Session) -> None:
        session.add(Setting(key="process_file", value=str(custom)))

    ws.write(use_it)
    sam = as_user(ws, "sam")
    handoff_id = opened_handoff(sam, won_deal(ws))
    with ws.read() as session:
        detail = handoff_detail(session, handoff_id)
    assert detail is not None
    keys = [item.key for item in detail.items]
    assert "goals" not in keys and keys[-1] == "security_review"
    assert [i.required for i in detail.items if i.key == "timeline"] == [False]
    fill_all(sam, handoff_id, goals=True, timeline=True)
    with pytest.raises(HandoffIncomplete, match="empty: Security review date.$"):
        submit_handoff(sam, handoff_id)
    fill_item(sam, handoff_id, "security_review", "2026-03-20")
    assert submit_handoff(sam, handoff_id).status == "submitted"

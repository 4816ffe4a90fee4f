"""Edits check the version they started from: nothing silently lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from crm_tui.errors import NotAllowed
from crm_tui.models import Event, Lead
from crm_tui.services.edits import Conflict, apply_edit
from crm_tui.services.roles import require_role
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user


def edit(ws: Workspace, lead_id: int, version: int, **changes: object) -> object:
    return ws.write(
        lambda s: apply_edit(
            s,
            Lead,
            "lead",
            lead_id,
            expected_version=version,
            changes=changes,
            at=ws.clock.now(),
            user_id=ws.user_id,
        )
    )


def test_an_edit_from_the_current_version_is_written_and_logged(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1)
    assert edit(ws, lead_id, 1, company="Acme Ltd") == {
        "company": ["Company 0", "Acme Ltd"]
    }
    with ws.read() as session:
        lead = session.get(Lead, lead_id)
        event = session.exec(select(Event).where(Event.action == "updated")).one()
    assert lead is not None and (lead.company, lead.version) == ("Acme Ltd", 2)
    assert event.changes == {"company": ["Company 0", "Acme Ltd"]}


def test_an_edit_from_an_old_version_is_a_conflict_showing_theirs(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1)
    edit(as_user(ws, "sam"), lead_id, 1, company="Sam's Acme")
    with pytest.raises(Conflict) as conflict:
        edit(as_user(ws, "kim"), lead_id, 1, company="Kim's Acme", title="CEO")
    assert conflict.value.theirs == {"company": "Sam's Acme", "title": None}
    assert conflict.value.version == 2
    with ws.read() as session:
        lead = session.get(Lead, lead_id)
    assert lead is not None and lead.company == "Sam's Acme"


def test_a_rep_is_told_which_role_an_action_needs(ws: Workspace) -> None:
    sam = as_user(ws, "sam")
    with ws.read() as session, pytest.raises(NotAllowed, match="Only a manager"):
        require_role(session, sam.user_id, "manager", "reassign leads")
    with ws.read() as session:
        assert require_role(session, ws.user_id, "manager", "reassign").name == "alex"


def test_a_user_needs_a_one_word_login(ws: Workspace) -> None:
    # Found by a newcomer: enter on an empty "add user" form made a user ''.
    from crm_tui.errors import CrmError
    from crm_tui.services.users import create_user

    def add(name: str) -> Callable[[Session], object]:
        return lambda s: create_user(
            s, name=name, role="rep", at=ws.clock.now(), by=None
        )

    for bad in ("", "  ", "ana lima"):
        with pytest.raises(CrmError, match="one word"):
            ws.write(add(bad))

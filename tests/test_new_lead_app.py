"""Typing in a lead from the inbox: N, the fields, enter; routed on arrival,
and a refused value keeps everything typed."""

from __future__ import annotations

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from crm_tui.models import Event, Lead
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.inbox import InboxScreen
from screens.new_lead import NewLeadScreen
from tests.test_inbox_app import names, notices
from tests.test_triage_app import drive, press


def crm(pilot: Pilot[None]) -> CrmApp:
    assert isinstance(pilot.app, CrmApp)
    return pilot.app


def fill(pilot: Pilot[None], **values: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, NewLeadScreen)
    for key, value in values.items():
        screen.query_one(f"#new-{key}", Input).value = value


def leads_named(ws: Workspace, name: str) -> list[Lead]:
    with ws.read() as session:
        return list(session.exec(select(Lead).where(Lead.name == name)).all())


def test_a_typed_in_lead_lands_in_the_inbox_with_its_clock(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "N")
        fill(pilot, name="Ada Walker", company="Walker Ltd", email="ada@walker.io")
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, InboxScreen)
        assert "Ada Walker" in names(crm(pilot))
        [(severity, note)] = [n for n in notices(crm(pilot)) if "Lead #" in n[1]]
        assert note.startswith("Lead #") and "added to the inbox" in note

    drive(CrmApp(ws), scenario)
    [lead] = leads_named(ws, "Ada Walker")
    assert (lead.company, lead.email, lead.owner_id) == (
        "Walker Ltd",
        "ada@walker.io",
        None,
    )
    assert lead.sla_due_at is not None
    with ws.read() as session:
        created = session.exec(
            select(Event).where(
                Event.entity == "lead",
                Event.entity_id == lead.id,
                Event.action == "created",
            )
        ).one()
    assert created.changes["how"] == "typed in"


def test_a_lead_from_a_routed_country_goes_to_its_owner(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "N")
        fill(pilot, name="Kenji Sato", country="Japan")
        await press(pilot, "enter")
        assert "Kenji Sato" not in names(crm(pilot))
        assert any(
            "routed to kim (Asia Pacific)" in note for _, note in notices(crm(pilot))
        )

    drive(CrmApp(ws), scenario)
    [lead] = leads_named(ws, "Kenji Sato")
    assert lead.country == "Japan" and lead.owner_id is not None


def test_a_refused_value_keeps_the_form_and_everything_typed(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "N")
        fill(pilot, name="Ada Walker", company="Walker Ltd", email="ada at walker")
        await press(pilot, "enter")
        screen = pilot.app.screen
        assert isinstance(screen, NewLeadScreen)
        problem = str(screen.query_one("#new-lead-problem", Static).render())
        assert "e-mail" in problem
        assert screen.typed() == {
            "name": "Ada Walker",
            "company": "Walker Ltd",
            "email": "ada at walker",
        }
        assert pilot.app.focused is screen.query_one("#new-email", Input)
        fill(pilot, email="ada@walker.io")
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, InboxScreen)

    drive(CrmApp(ws), scenario)
    assert len(leads_named(ws, "Ada Walker")) == 1


def test_escape_adds_nothing(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "N")
        fill(pilot, name="Nobody")
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, InboxScreen)

    drive(CrmApp(ws), scenario)
    assert leads_named(ws, "Nobody") == []

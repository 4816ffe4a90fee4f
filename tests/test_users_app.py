"""Admins manage the team on its screen; reps are told which role it needs;
a read-only database says so on every screen."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from crm_tui.models import User
from crm_tui.open import open_workspace
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.users import UserEditScreen, UsersScreen
from tests.conftest import add_leads, as_user
from tests.test_inbox_app import drive, notices, settle


def team(ws: Workspace) -> dict[str, User]:
    with ws.read() as session:
        return {u.name: u for u in session.exec(select(User)).all()}


def test_an_admin_adds_changes_and_deactivates_users(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(n)[0]) for n in range(3)] == [
            "alex",
            "kim",
            "sam",
        ]
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, UserEditScreen)
        form.query_one("#user-name", Input).value = "lee"
        form.query_one("#user-role", Input).value = "manager"
        form.query_one("#user-email", Input).value = "Lee@Example.com"
        form.query_one("#user-territories", Input).value = "EMEA, DACH"
        form.query_one("#user-languages", Input).value = "de, en"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("information", "Added lee (manager).") in notices(app)
        await pilot.press("down")  # kim
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, UserEditScreen)
        form.query_one("#user-time_zone", Input).value = "Europe/Berlin"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("information", "Saved kim.") in notices(app)
        await pilot.press("down", "down")  # sam
        await pilot.press("d")
        await settle(pilot)
        assert ("information", "Deactivated sam.") in notices(app)
        assert "Team · 3 active" in str(app.screen.query_one("#users-title").render())

    drive(CrmApp(ws, live=False), scenario)
    users = team(ws)
    assert users["lee"].role == "manager" and users["lee"].email == "lee@example.com"
    assert users["lee"].territories == ["EMEA", "DACH"]
    assert users["kim"].time_zone == "Europe/Berlin"
    assert users["sam"].active is False


def test_a_rep_is_told_only_an_admin_manages_users(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("U")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, UsersScreen)
        assert (
            "warning",
            "Only an admin can manage users; sam is a rep.",
        ) in notices(pilot.app)  # type: ignore[arg-type]

    drive(CrmApp(as_user(ws, "sam"), live=False), scenario)


def test_a_read_only_database_shows_a_banner_and_refuses_claims(
    ws: Workspace, db_path: Path
) -> None:
    add_leads(ws, 2)
    reader = open_workspace(f"sqlite:///file:{db_path}?mode=ro&uri=true", "sam")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        banner = app.screen.query_one(".read-only-banner")
        assert "Read-only" in str(banner.render())
        assert app.sub_title.endswith("read-only")
        await pilot.press("c")
        await settle(pilot)
        assert any(
            "read-only here" in text
            for _, text in notices(app)  # type: ignore[arg-type]
        )

    drive(CrmApp(reader, live=False), scenario)


def test_an_unknown_time_zone_keeps_the_form_open_on_it(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("U")
        await settle(pilot)
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, UserEditScreen)
        form.query_one("#user-name", Input).value = "lee"
        form.query_one("#user-email", Input).value = "lee@example.com"
        form.query_one("#user-time_zone", Input).value = "Berlin"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.focused is form.query_one("#user-time_zone", Input)
        error = str(form.query_one("#user-error").render())
        assert "'Berlin' is not a time zone" in error
        assert form.query_one("#user-email", Input).value == "lee@example.com"
        form.query_one("#user-time_zone", Input).value = "Europe/Berlin"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UsersScreen)

    drive(CrmApp(ws, live=False), scenario)
    assert team(ws)["lee"].time_zone == "Europe/Berlin"

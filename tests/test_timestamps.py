"""Times read in the rep's own time zone, ``Tue 3 Mar 14:05``, on the lead
page, a deal's timeline and ``crm leads show``; the database keeps UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from crm_tui.models import Task, User
from crm_tui.services.deals import create_deal
from crm_tui.services.triage import touch_leads
from crm_tui.timestamps import local_time, readable
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.lead import LeadScreen
from screens.my_day import MyDayScreen
from tests.conftest import MONDAY_9AM, add_leads, as_user
from tests.test_cli_triage import crm
from tests.test_inbox_app import drive, settle, shown

NEW_YORK = ZoneInfo("America/New_York")


def test_a_time_reads_in_the_zone_with_the_year_only_when_not_this_year() -> None:
    at = datetime(2026, 3, 3, 19, 5, tzinfo=UTC)
    assert local_time(at, NEW_YORK, MONDAY_9AM) == "Tue 3 Mar 14:05"
    assert local_time(at, ZoneInfo("UTC"), MONDAY_9AM) == "Tue 3 Mar 19:05"
    last_year = datetime(2025, 12, 29, 14, 0, tzinfo=UTC)
    assert local_time(last_year, NEW_YORK, MONDAY_9AM) == "Mon 29 Dec 2025 09:00"


def test_timestamps_in_the_event_log_read_as_local_times() -> None:
    assert readable("2026-03-03T19:05:00+00:00", NEW_YORK, MONDAY_9AM) == (
        "Tue 3 Mar 14:05"
    )
    # A date is no timestamp, and text stays text.
    assert readable("2026-04-01", NEW_YORK, MONDAY_9AM) == "2026-04-01"
    assert readable("connected", NEW_YORK, MONDAY_9AM) == "connected"


def in_new_york(ws: Workspace, name: str) -> None:
    def move(session: Session) -> None:
        user = session.get(User, as_user(ws, name).user_id)
        assert user is not None
        user.time_zone = "America/New_York"
        session.add(user)

    ws.write(move)


def test_the_lead_page_shows_history_in_the_reps_time(ws: Workspace) -> None:
    in_new_york(ws, "sam")
    [lead_id] = add_leads(ws, 1)
    sam = as_user(ws, "sam")
    touch_leads(sam, [lead_id], "call", "connected")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("m", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        history = shown(app, "#lead-history")
        fields = shown(app, "#lead-fields")
        # 09:00 UTC on Monday 2 March is 04:00 in New York.
        assert "Mon 2 Mar 04:00" in history
        assert "first_response_at: — → Mon 2 Mar 04:00" in history
        assert "First response  Mon 2 Mar 04:00" in fields
        assert "T09:00" not in history + fields and "UTC" not in history

    drive(CrmApp(sam, live=False), scenario)


# The CLI is given the database's file.
@pytest.mark.sqlite_only
def test_crm_leads_show_prints_the_reps_time(ws: Workspace) -> None:
    in_new_york(ws, "alex")
    [lead_id] = add_leads(ws, 1, created_at=MONDAY_9AM)
    db = ws.engine.url.database
    assert db is not None
    code, out = crm(Path(db), "leads", "show", str(lead_id))
    assert code == 0
    assert "created_at: Mon 2 Mar 04:00" in out
    code, out = crm(Path(db), "leads", "show", str(lead_id), "--json")
    assert '"created_at": "2026-03-02T09:00:00+00:00"' in out


def test_my_day_names_the_zone_its_due_times_are_in(ws: Workspace) -> None:
    # Found in the demo: the heading said UTC over New York times.
    in_new_york(ws, "alex")
    create_deal(ws, title="Acme pilot", stage="contacted", values={})
    with ws.read() as session:
        task = session.exec(select(Task)).one()
    due = local_time(task.due_at, NEW_YORK, MONDAY_9AM)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("M")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, MyDayScreen)
        tasks = screen.query_one("#day-tasks", DataTable)
        assert str(tasks.columns[ColumnKey("due")].label) == "Due (New York)"
        assert str(tasks.get_row_at(0)[1]) == due
        # The heading as painted, not cut short by the column.
        assert "Due (New York)" in tasks.render_line(0).text

    drive(CrmApp(ws, live=False), scenario)


@pytest.mark.sqlite_only
def test_crm_tasks_list_prints_the_reps_time_under_a_header(ws: Workspace) -> None:
    in_new_york(ws, "alex")
    create_deal(ws, title="Acme pilot", stage="contacted", values={})
    with ws.read() as session:
        task = session.exec(select(Task)).one()
    db = ws.engine.url.database
    assert db is not None
    code, out = crm(Path(db), "tasks", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["Task", "When", "Due", "(New", "York)", "Title", "Deal"]
    # The command reads the real clock, which only decides whether the year
    # is shown.
    due = local_time(task.due_at, NEW_YORK, datetime.now(UTC))
    assert f" {due} " in row and "Follow up on first contact" in row
    assert row.rstrip().endswith("Acme pilot")
    code, out = crm(Path(db), "tasks", "list", "--json")
    assert f'"due_at": "{task.due_at.isoformat()}' in out

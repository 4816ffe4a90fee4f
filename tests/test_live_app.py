"""An open inbox follows what colleagues do in other processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.inbox import InboxScreen
from tests.conftest import add_leads
from tests.test_inbox_app import drive, highlighted, names, shown

ROOT = Path(__file__).resolve().parents[1]


def colleague(db: Path, user: str, *args: str) -> subprocess.Popen[str]:
    """Another rep's ``crm`` command, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "crm_tui", "--db", str(db), "--user", user, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def until(pilot: Pilot[None], condition: object, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.1)):
        if callable(condition) and condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("the inbox did not follow the colleague's change")


def test_another_processs_claim_and_import_appear_in_an_open_inbox(
    ws: Workspace, db_path: Path, tmp_path: Path
) -> None:
    add_leads(ws, 4)
    csv = tmp_path / "new.csv"
    csv.write_text("Name,Email\nZoe Newcomer,zoe@example.com\n")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp) and isinstance(app.screen, InboxScreen)
        await pilot.press("j", "j")
        assert highlighted(app) == "Lead 002"
        # Half-typed search: the rep is still typing when the change lands.
        await pilot.press("slash")
        search = app.screen.query_one("#inbox-search", Input)
        with search.prevent(Input.Changed):
            search.value = "Lead 00"
        done = colleague(db_path, "sam", "leads", "claim", "2")
        assert done.wait(timeout=60) == 0, done.stderr.read() if done.stderr else ""
        await until(pilot, lambda: "Lead 001" not in names(app))
        assert names(app) == ["Lead 000", "Lead 002", "Lead 003"]
        assert highlighted(app) == "Lead 002"
        assert "Inbox · 3 unowned leads" in shown(app, "#inbox-title")
        assert search.value == "Lead 00" and search.has_focus
        done = colleague(db_path, "kim", "import", "leads", str(csv))
        assert done.wait(timeout=60) == 0
        await until(pilot, lambda: "Zoe Newcomer" in names(app))
        assert highlighted(app) == "Lead 002"

    drive(CrmApp(ws), scenario)


def test_a_selection_survives_a_colleagues_change_but_not_their_claim(
    ws: Workspace, db_path: Path
) -> None:
    add_leads(ws, 4)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("space", "space", "space")
        assert "3 marked" in shown(app, "#inbox-title")
        done = colleague(db_path, "sam", "leads", "claim", "2")
        assert done.wait(timeout=60) == 0, done.stderr.read() if done.stderr else ""
        await until(pilot, lambda: "Lead 001" not in names(app))
        assert "2 marked" in shown(app, "#inbox-title")
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert sorted(screen.targets()) == [1, 3]

    drive(CrmApp(ws), scenario)

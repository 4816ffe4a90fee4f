"""What the app does once its inbox is on screen: it checks the file, which
it opened without reading every page (a damaged one closes the app with
the same one line the CLI prints), and creates the renewal tasks that came
due."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from crm_tui.clock import FixedClock
from crm_tui.open import open_workspace
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from tests.test_file_safety import damage
from tests.test_retention import add_account, renewal_tasks


def run_until_closed(app: CrmApp) -> None:
    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                if app.refusal is not None or not app.ws.unchecked:
                    break
                await pilot.pause(0.05)

    asyncio.run(run())


def test_a_damaged_file_closes_the_app_with_one_line(
    ws: Workspace, db_path: Path
) -> None:
    damage(ws, db_path)
    app = CrmApp(open_workspace(str(db_path), "alex", check=False), live=False)
    run_until_closed(app)
    assert app.refusal is not None
    assert app.refusal.startswith("The database file is damaged (")
    assert "crm restore BACKUP" in app.refusal
    assert app.return_code == 1


def test_a_sound_file_is_checked_and_the_app_stays_open(
    ws: Workspace, db_path: Path
) -> None:
    ws.engine.dispose()
    app = CrmApp(open_workspace(str(db_path), "alex", check=False), live=False)
    run_until_closed(app)
    assert app.refusal is None
    assert not app.ws.unchecked


def test_opening_the_app_creates_the_renewal_tasks_that_came_due(
    ws: Workspace, clock: FixedClock
) -> None:
    # 90 days before 1 June is Tuesday 3 March; the clock says Monday.
    add_account(ws, "Acme", renewal_on=date(2026, 6, 1))
    clock.advance(days=1)
    app = CrmApp(ws, live=False)

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(100):
                if renewal_tasks(ws):
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.1)

    asyncio.run(run())
    assert renewal_tasks(ws) == [("Renewal of Acme on 2026-06-01", "sam")]
    assert "1 renewal task created." in [n.message for n in app._notifications]

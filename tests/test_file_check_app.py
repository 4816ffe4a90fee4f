"""The app opens without reading the whole file first, then checks it: a
damaged file closes the app with the same one line the CLI prints."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crm_tui.open import open_workspace
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from tests.test_file_safety import damage


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

"""The reports, audits and definitions screens, driven from the keyboard:
the figures on screen are the JSON's, and a duplicate is merged and the
merge undone without leaving the audits."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.text import Text
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, TabbedContent
from textual.widgets._footer import FooterKey
from textual_plotext import PlotextPlot
from typer.testing import CliRunner

from crm_tui.cli import app as cli
from crm_tui.clock import SystemClock
from crm_tui.models import Lead
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.audits import AuditsScreen, MergeScreen
from screens.definitions import DefinitionsScreen
from screens.help import screen_keys
from screens.reports import ReportsScreen, pct
from tests.conftest import MONDAY_9AM
from tests.reporting import build_february
from tests.test_audits import CLEAN_PEOPLE, seed
from tests.test_inbox_app import SIZE, settle, shown


def drive(ws: Workspace, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    async def run() -> None:
        async with CrmApp(ws).run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(run())


def text(pilot: Pilot[None], selector: str) -> str:
    assert isinstance(pilot.app, CrmApp)
    return shown(pilot.app, selector)


def footer_keys(pilot: Pilot[None]) -> dict[str, str]:
    """The keys the screen on top offers, by key."""
    return {k.keys: k.description for k in screen_keys(pilot.app.screen)}


def cells(table: DataTable[object]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def open_audits(pilot: Pilot[None]) -> AuditsScreen:
    await pilot.press("A")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AuditsScreen)
    return screen


def test_the_screen_shows_the_json_s_numbers(
    ws: Workspace, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_february(ws)
    # The command reads the real clock; stop it at the test's Monday.
    monkeypatch.setattr(SystemClock, "now", lambda self: MONDAY_9AM)
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "--user", "alex", "report", "--json"]
    )
    data = json.loads(result.stdout)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("R")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen) and screen.report is not None
        assert screen.report.as_json() == data
        rows = {
            row[0]: row[1:]
            for row in cells(screen.query_one("#reports-summary", DataTable))
        }
        assert rows["Win rate"] == [pct(data["win_rate"]["rate"]), "3 won, 2 lost"]
        assert rows["Within SLA"][0] == pct(data["within_sla"]["share"]) == "25%"
        assert rows["Response time, median"][0] == "1.0h"
        stages = cells(screen.query_one("#reports-stages", DataTable))
        assert stages[0] == ["Contacted", "4", "75%", "2.7"]
        assert "01 Feb 2026 – 02 Mar 2026 (30 days)" in text(pilot, "#reports-note")

        await pilot.press("b")  # split by owner
        await settle(pilot)
        groups = screen.query_one("#reports-groups", DataTable)
        assert groups.display
        by_owner = {row[0]: row for row in cells(groups)}
        assert set(by_owner) == {"alex", "kim", "sam"}
        assert "by owner" in text(pilot, "#reports-note")

        await pilot.press("p")  # 90 days
        await settle(pilot)
        assert "(90 days)" in text(pilot, "#reports-note")
        await pilot.press("left_square_bracket")  # the 90 days before
        await settle(pilot)
        # 4 Sep to 2 Dec: only Zeta's first deal, won on 1 Dec.
        assert screen.report.overall.win_rate.won == 1
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, ReportsScreen)

    drive(ws, scenario)


def chart(pilot: Pilot[None], name: str) -> str:
    """What a chart draws, as plain text (its axes' labels among it)."""
    plot = pilot.app.screen.query_one(f"#reports-{name}", PlotextPlot)
    return Text.from_ansi(plot.plt.build()).plain


def test_charts_count_in_whole_numbers_from_zero_and_an_empty_period_says_so(
    ws: Workspace,
) -> None:
    # Found by a newcomer: the funnel's axis read 7.2, 14.5, 21.8, and an
    # empty period drew axes from -1.00 to 1.00.
    build_february(ws)

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("R")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportsScreen) and screen.report is not None
        for name in ("funnel", "weekly"):
            assert screen.query_one(f"#reports-{name}").display
            drawn = chart(pilot, name)
            assert not re.search(r"\d\.\d", drawn), drawn
            assert "-1" not in drawn and re.search(r"\b0\b", drawn), drawn
        await pilot.press("p", "left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.report.overall.conversion_by_stage[0].reached == 0
        for name in ("funnel", "weekly"):
            assert not screen.query_one(f"#reports-{name}").display
            empty = text(pilot, f"#reports-{name}-empty")
            assert "in this period: nothing to chart." in empty

    drive(ws, scenario)


def test_merge_and_undo_from_the_audits(ws: Workspace) -> None:
    ids = seed(ws, [*CLEAN_PEOPLE, ("Maria G.", "Globex", "maria@globex.com", "+1212")])

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_audits(pilot)
        [row] = cells(screen.query_one("#audit-duplicates", DataTable))
        assert row == [f"#{ids[0]}", f"#{ids[-1]}", "same e-mail maria@globex.com"]
        await pilot.press("m")
        await settle(pilot)
        merge = pilot.app.screen
        assert isinstance(merge, MergeScreen)
        fields = cells(merge.query_one("#merge-fields", DataTable))
        assert [f[0] for f in fields] == ["name", "phone"]
        await pilot.press("space")  # take the other's name
        await pilot.press("m")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.query_one("#audit-duplicates", DataTable).row_count == 0
        with ws.read() as session:
            keep = session.get(Lead, ids[0])
            assert keep is not None and keep.name == "Maria G."
            assert keep.phone == "+12125550101"  # not chosen: kept
        await pilot.press("u")
        await settle(pilot)
        assert screen.query_one("#audit-duplicates", DataTable).row_count == 1
        with ws.read() as session:
            names = session.exec(select(Lead.name).order_by(col(Lead.id))).all()
            assert names[0] == "Maria Garcia" and names[-1] == "Maria G."

    drive(ws, scenario)


def test_m_merges_only_on_the_duplicates_tab_and_the_merge_shows_its_own_keys(
    ws: Workspace,
) -> None:
    # Found by a newcomer: m on the field usage tab opened a merge of a pair
    # not on screen, and the merge dialog's footer offered i Inbox and
    # B Breaches, which do nothing there.
    ids = seed(ws, [*CLEAN_PEOPLE, ("Maria G.", "Globex", "maria@globex.com", "+1212")])

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_audits(pilot)
        await pilot.press("]", "]", "]")
        await settle(pilot)
        assert screen.query_one(TabbedContent).active == "tab-usage"
        assert "m" not in footer_keys(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert pilot.app.screen is screen
        await pilot.press("]")
        await settle(pilot)
        assert footer_keys(pilot)["m"] == "Merge pair"
        await pilot.press("m")
        await settle(pilot)
        merge = pilot.app.screen
        assert isinstance(merge, MergeScreen)
        assert f"Merge #{ids[-1]} Maria G. into #{ids[0]}" in text(
            pilot, "#merge-title"
        )
        footer = [key.description for key in merge.query(FooterKey)]
        assert footer[:4] == ["Take other value", "Swap survivor", "Merge", "Cancel"]
        assert not {"Inbox", "Breaches", "My leads"} & set(footer)

    drive(ws, scenario)


def test_audit_tabs_switch_from_the_table_and_usage_names_fields_as_reps_do(
    ws: Workspace,
) -> None:
    # Found in the demo: once the table had the focus, left and right no longer
    # switched tabs, and field usage listed columns such as renewal_task_for.
    seed(ws, CLEAN_PEOPLE)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_audits(pilot)
        tabs = screen.query_one(TabbedContent)
        await pilot.press("tab")  # into the table, where left and right scroll
        assert screen.focused is screen.query_one("#audit-duplicates", DataTable)
        keys = {k.keys: k.description for k in screen_keys(pilot.app.screen)}
        assert (keys["["], keys["]"]) == ("Prev tab", "Next tab")
        await pilot.press("]", "]", "]")
        await settle(pilot)
        assert tabs.active == "tab-usage"
        assert screen.focused is screen.query_one("#audit-usage", DataTable)
        usage = cells(screen.query_one("#audit-usage", DataTable))
        fields = {(row[0], row[1]) for row in usage}
        assert {("lead", "Interest"), ("deal", "Next meeting")} <= fields
        assert ("account", "Renewal date") in fields
        shown_names = {row[1] for row in usage}
        assert not shown_names & {"renewal_task_for", "external_id", "Revisit_on"}
        assert all("_" not in name for name in shown_names)
        await pilot.press("]")
        assert tabs.active == "tab-duplicates"
        await pilot.press("[")
        assert tabs.active == "tab-usage"

    drive(ws, scenario)


def test_definitions_open_from_any_screen(ws: Workspace) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DefinitionsScreen)
        glossary = text(pilot, "#definitions-text")
        assert "Proposal sent" in glossary
        assert "The buyer has a written proposal with a price." in glossary
        await pilot.press("escape")
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DefinitionsScreen)

    drive(ws, scenario)

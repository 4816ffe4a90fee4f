"""Importing deals: the Maven pipeline with its team, accounts and products,
and the small cases a real export throws at the importer."""

from __future__ import annotations

import asyncio
import csv
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from crm_tui.models import Account, Deal, Event, ImportBatch, Task, User
from crm_tui.open import open_workspace
from screens.app import CrmApp
from screens.board import BoardScreen, StageColumn
from tests.conftest import real_file
from tests.test_board_app import SIZE
from tests.test_cli import crm
from tests.test_inbox_app import settle

MAVEN_STAGES = [
    "--stage",
    "Won=Closed won",
    "--stage",
    "Lost=Closed lost",
    "--stage",
    "Engaging=Contacted",
    "--stage",
    "Prospecting=Contacted",
]


@pytest.mark.real_data
def test_the_maven_pipeline_imports_reconciled_and_the_board_shows_it(
    tmp_path: Path,
) -> None:
    pipeline = real_file("maven/sales_pipeline.csv")
    db = tmp_path / "crm.db"
    code, out = crm(db, "import", "deals", str(pipeline), *MAVEN_STAGES, "--json")
    assert code == 0, out
    summary = json.loads(out)
    with pipeline.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert summary["read"] == len(rows) == 8800
    assert summary["read"] == (
        summary["created"]
        + summary["updated"]
        + summary["duplicates"]
        + summary["rejected"]
    )
    assert summary["rejected"] == len(summary["rejections"]) == 0
    plain = Counter(r["deal_stage"] for r in rows)
    assert summary["stages"] == {
        "Closed won": plain["Won"],
        "Closed lost": plain["Lost"],
        "Contacted": plain["Engaging"] + plain["Prospecting"],
    }
    assert summary["products_read_as"] == {
        "GTXPro": {"product": "GTX Pro", "rows": 1480}
    }
    assert summary["rows_without_account"] == 1425
    assert summary["lost_not_recorded"] == plain["Lost"]
    assert len(summary["users_created"]) == 35 + 6  # agents and their managers

    ws = open_workspace(str(db), "alex")
    try:
        with ws.read() as session:
            counts = dict(
                session.execute(
                    select(col(Deal.stage), func.count()).group_by(col(Deal.stage))
                ).all()
            )
            assert counts == {
                "won": plain["Won"],
                "lost": plain["Lost"],
                "contacted": plain["Engaging"] + plain["Prospecting"],
            }
            moses = session.exec(select(User).where(User.name == "moses.frase")).one()
            boss = session.get(User, moses.manager_id)
            assert moses.role == "rep" and moses.region == "Central"
            assert boss is not None and boss.display_name == "Dustin Brinkmann"
            assert boss.role == "manager"
            assert session.exec(select(func.count()).select_from(Account)).one() == 85
            # Closed deals keep their history: created on the engage date,
            # closed (and moved, in the log) on the close date.
            deal = session.exec(
                select(Deal).where(Deal.external_id == "1C1I7A6R")
            ).one()
            assert deal.title == "GTX Plus Basic · Cancity" and deal.stage == "won"
            assert deal.needs_handoff and str(deal.amount) == "1054.00"
            assert deal.created_at == datetime(2016, 10, 20, 4, 0, tzinfo=UTC)
            assert deal.closed_at == datetime(2017, 3, 1, 5, 0, tzinfo=UTC)
            events = session.exec(
                select(Event)
                .where(Event.entity == "deal", Event.entity_id == deal.id)
                .order_by(col(Event.id))
            ).all()
            assert [(e.action, e.at, e.changes["stage"]) for e in events] == [
                ("created", deal.created_at, [None, "contacted"]),
                ("moved", deal.closed_at, ["contacted", "won"]),
            ]
            lost = session.exec(select(Deal).where(Deal.stage == "lost")).first()
            assert lost is not None and lost.lost_reason == "not_recorded"
            # Every open deal gets its first-contact follow-up.
            tasks = session.exec(select(func.count()).select_from(Task)).one()
            assert tasks == counts["contacted"]
            batch = session.exec(select(ImportBatch)).one()
            assert (batch.kind, batch.created) == ("deals", 8800)

        async def look() -> dict[str, int]:
            app = CrmApp(ws)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await pilot.press("b")
                await settle(pilot)
                assert isinstance(app.screen, BoardScreen)
                return {
                    c.stage.key: c.totals.count
                    for c in app.screen.query(StageColumn)
                    if c.totals.count
                }

        assert asyncio.run(look()) == counts

        # Issue 6: the report's win rate over the whole history agrees with
        # a plain count of the CSV's rows.
        from crm_tui.reports.report import Dates, build_report

        with ws.read() as session:
            report = build_report(
                session,
                ws.process,
                Dates(date(2016, 1, 1), date(2018, 12, 31)),
                ws.clock.now(),
            )
        rate = report.overall.win_rate
        assert (rate.won, rate.lost) == (plain["Won"], plain["Lost"])
        assert rate.rate == pytest.approx(plain["Won"] / (plain["Won"] + plain["Lost"]))
    finally:
        ws.engine.dispose()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = (
    "opportunity_id,sales_agent,product,account,deal_stage,"
    "engage_date,close_date,close_value\n"
)


def test_gates_apply_to_imported_rows_and_a_second_import_creates_nothing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crm.db"
    pipeline = write(
        tmp_path / "pipeline.csv",
        HEADER
        + "A1,Ann Lee,GTXPro,Acme,Won,2016-10-20,2017-03-01,1054\n"
        + "A2,Ann Lee,GTX Basic,,Won,2016-10-20,,\n"  # won: no close date
        + "A3,Bo Chan,Widget,Nowhere Inc,Engaging,2016-11-02,,\n"
        + "A1,Ann Lee,GTXPro,Acme,Won,2016-10-20,2017-03-01,1054\n",
    )
    write(tmp_path / "products.csv", "product,series,sales_price\nGTX Pro,GTX,4821\n")
    write(tmp_path / "accounts.csv", "account,sector\nAcme,technolgy\n")
    write(tmp_path / "sales_teams.csv", "sales_agent,manager,regional_office\n")
    code, out = crm(db, "import", "deals", str(pipeline), *MAVEN_STAGES, "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert {k: summary[k] for k in ("read", "created", "duplicates", "rejected")} == {
        "read": 4,
        "created": 2,
        "duplicates": 1,
        "rejected": 1,
    }
    [rejection] = summary["rejections"]
    assert rejection["row"] == 3
    assert "Closed won without: Amount" in rejection["reason"]
    assert "Close date (to enter Closed won)" in rejection["reason"]
    assert summary["unknown_products"] == {"Widget": 1}
    assert summary["unknown_accounts"] == {"Nowhere Inc": 1}
    assert summary["agents_not_in_team"] == {"Ann Lee": 2, "Bo Chan": 1}

    code, out = crm(db, "import", "deals", str(pipeline), *MAVEN_STAGES, "--json")
    assert code == 1 and out.startswith("crm: pipeline.csv was already imported")
    assert "as import #1 (2 created, 0 updated); nothing was imported." in out
    code, out = crm(
        db, "import", "deals", str(pipeline), *MAVEN_STAGES, "--again", "--json"
    )
    again = json.loads(out)
    assert (again["created"], again["duplicates"], again["rejected"]) == (0, 3, 1)


def test_stages_the_file_uses_must_be_mapped(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    pipeline = write(
        tmp_path / "pipeline.csv",
        HEADER + "A1,Ann Lee,GTX,Acme,Engaging,2016-10-20,,\n",
    )
    code, out = crm(db, "import", "deals", str(pipeline))
    assert code == 1
    assert "Engaging (1 rows) match none of ours" in out
    assert '--stage "Engaging=Contacted"' in out
    code, out = crm(db, "import", "deals", str(pipeline), "--stage", "Engaging=Limbo")
    assert code == 1 and "There is no stage 'Limbo'" in out
    mapping = write(tmp_path / "stages.txt", "# theirs = ours\nEngaging = Contacted\n")
    code, out = crm(
        db, "import", "deals", str(pipeline), "--stage-map", str(mapping), "--json"
    )
    assert code == 0 and json.loads(out)["created"] == 1


def test_deals_move_refuses_a_gated_move_naming_what_is_missing(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crm.db"
    code, out = crm(db, "deals", "new", "Acme pilot")
    assert code == 0 and "Created deal #1 in Contacted" in out
    code, out = crm(db, "deals", "move", "1", "Proposal sent")
    assert code == 1
    # Straight from Contacted, the skipped stages' gates are asked too, in
    # the order the stages come.
    assert (
        "cannot move to Proposal sent without: "
        "Next meeting (to pass Discovery scheduled); "
        "Decision date (to pass Qualified opportunity); "
        "Amount (to enter Proposal sent)"
    ) in out
    assert "--set next_meeting_at=… --set decision_on=… --set amount=…" in out
    code, out = crm(
        db, "deals", "move", "1", "Closed lost", "--set", "lost_reason=other"
    )
    assert code == 1 and "Note on why it was lost" in out
    code, out = crm(
        db,
        "deals",
        "move",
        "1",
        "Proposal sent",
        *("--set", "next_meeting_at=2099-03-09 10:00"),
        *("--set", "decision_on=2099-04-30"),
        *("--set", "amount=4000"),
    )
    assert code == 0 and "Proposal sent now" in out
    code, out = crm(db, "deals", "list", "--json", "--stage", "Proposal sent")
    [deal] = json.loads(out)
    assert set(deal) >= {"id", "title", "account", "amount", "stage", "owner"}
    assert (deal["stage"], deal["amount"], deal["owner"]) == (
        "Proposal sent",
        "4000.00",
        "alex",
    )
    assert deal["next_step_at"] is not None  # the proposal review call
    code, out = crm(db, "deals", "list", "--json", "--owner", "sam")
    assert json.loads(out) == []
    code, out = crm(db, "tasks", "list", "--json")
    tasks = json.loads(out)
    assert [t["title"] for t in tasks] == [
        "Follow up on first contact",
        "Review the proposal with the buyer",
    ]
    code, out = crm(db, "tasks", "done", str(tasks[0]["id"]), "--outcome", "Spoke")
    assert code == 0
    code, out = crm(db, "deals", "show", "1", "--json")
    shown = json.loads(out)
    assert [e["what"] for e in shown["timeline"]][:2] == ["created", "task created"]
    assert "task completed" in [e["what"] for e in shown["timeline"]]

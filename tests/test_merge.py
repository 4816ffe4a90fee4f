"""Merging a duplicate lead into the one that stays, and undoing it: what
moves, what is chosen, and that an undo leaves every count as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from crm_tui.audits.checks import duplicate_leads
from crm_tui.cli import app
from crm_tui.errors import CrmError, NotAllowed, StaleEdit
from crm_tui.models import Activity, Deal, Event, Lead, Task
from crm_tui.reports.report import Dates, build_report, today_for
from crm_tui.services.merge import merge_leads, merge_plan, undo_merge
from crm_tui.workspace import Workspace
from tests.conftest import as_user
from tests.reporting import add_deal, add_lead


def two_of_one_person(ws: Workspace) -> tuple[int, int]:
    now = ws.clock.now()

    def build(session: Session) -> tuple[int, int]:
        keep = add_lead(
            session,
            name="Ana Lima",
            company="Acme",
            email="ana@acme.com",
            email_key="ana@acme.com",
            created_at=now,
        )
        other = add_lead(
            session,
            name="Ana Lima",
            company="Acme Inc",
            email="ana.lima@acme.com",
            email_key="ana.lima@acme.com",
            phone="+12125550100",
            title="CFO",
            created_at=now,
        )
        session.add(Activity(kind="call", lead_id=other, occurred_at=now))
        session.add(Task(title="call back", lead_id=other, due_at=now, created_at=now))
        add_deal(session, [(now, "contacted")], title="Acme", lead_id=other)
        return keep, other

    return ws.write(build)


def snapshot(ws: Workspace) -> dict[str, Any]:
    """What a person would count: the leads and their fields, and what hangs
    off each lead (the merge's own events aside)."""
    with ws.read() as session:
        leads = {
            lead.id: lead.model_dump(exclude={"version", "updated_at"})
            for lead in session.exec(select(Lead)).all()
        }
        hanging = {
            model.__name__: sorted(session.exec(select(model.id, model.lead_id)).all())
            for model in (Activity, Task, Deal)
        }
        events = sorted(
            session.exec(
                select(Event.entity_id, func.count())
                .where(
                    Event.entity == "lead",
                    col(Event.action).not_in(["merged", "merged_into", "unmerged"]),
                )
                .group_by(col(Event.entity_id))
            ).all()
        )
    return {"leads": leads, "hanging": hanging, "events": events}


def test_merge_moves_everything_and_undo_restores_it(ws: Workspace) -> None:
    keep, other = two_of_one_person(ws)
    with ws.read() as session:
        assert len(duplicate_leads(session)) == 1
        plan = merge_plan(session.get(Lead, keep), session.get(Lead, other))  # type: ignore[arg-type]
    assert {c.field: c.take for c in plan} == {
        "company": "survivor",
        "email": "survivor",
        "phone": "other",
        "title": "other",
    }
    before = snapshot(ws)

    done = merge_leads(ws, keep, other, {"email", "phone"})
    assert done.moved == {
        "activity": 1,
        "deal": 1,
        "task": 1,
        "contact": 0,
        "importrow": 0,
        "event": 1,
        "lead": 0,
    }
    with ws.read() as session:
        survivor = session.get(Lead, keep)
        merged = session.get(Lead, other)
        assert survivor is not None and merged is not None
        # Chosen from the other: e-mail (with its key) and phone; the title
        # stays blank because it was not chosen.
        assert survivor.email == "ana.lima@acme.com"
        assert survivor.email_key == "ana.lima@acme.com"
        assert survivor.phone == "+12125550100" and survivor.title is None
        assert survivor.company == "Acme"
        assert merged.merged_into_id == keep and merged.status == "merged"
        assert session.exec(select(Deal.lead_id)).all() == [keep]
        assert duplicate_leads(session) == []
        report = build_report(
            session,
            ws.process,
            Dates.last_days(1, today_for(ws.process, ws.clock.now())),
            ws.clock.now(),
        )
    assert report.overall.lead_to_deal.total == 1

    undo_merge(ws, done.event_id)
    assert snapshot(ws) == before
    with pytest.raises(CrmError, match="already undone"):
        undo_merge(ws, done.event_id)


def test_an_undo_refuses_after_the_lead_changed(ws: Workspace) -> None:
    keep, other = two_of_one_person(ws)
    done = merge_leads(ws, keep, other)

    def edit(session: Session) -> None:
        lead = session.get(Lead, keep)
        assert lead is not None
        lead.title = "Boss"
        lead.version += 1
        session.add(lead)

    ws.write(edit)
    with pytest.raises(StaleEdit, match="changed since merge"):
        undo_merge(ws, done.event_id)


def test_only_a_manager_merges(ws: Workspace) -> None:
    keep, other = two_of_one_person(ws)
    with pytest.raises(NotAllowed, match="Only a manager"):
        merge_leads(as_user(ws, "sam"), keep, other)


def test_crm_merge_and_undo(ws: Workspace, db_path: Path) -> None:
    keep, other = two_of_one_person(ws)
    runner = CliRunner()
    base = ["--db", str(db_path), "--user", "alex", "merge"]
    result = runner.invoke(
        app, [*base, "leads", str(keep), str(other), "--take", "title"]
    )
    assert result.exit_code == 0, result.stderr
    assert f"Merged lead #{other} into #{keep}" in result.stdout
    event = result.stdout.rsplit(" ", 1)[-1].strip()
    result = runner.invoke(app, [*base, "undo", event])
    assert result.exit_code == 0, result.stderr
    assert f"Lead #{other} is separate from #{keep} again." in result.stdout
    result = runner.invoke(app, [*base, "leads", str(keep), str(keep)])
    assert result.exit_code == 1 and "cannot be merged into itself" in result.stderr

"""Tampering with the shared database shows: the event log is sealed, and
every row must match what its latest event recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import col
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.errors import DatabaseProblem
from crm_tui.importing.leads import import_leads
from crm_tui.ledger import audit, digest
from crm_tui.models import Event, Lead
from crm_tui.services.edits import apply_edit
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from tests.conftest import as_user


def a_day_of_work(ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    csv.write_text("Name,Email,Company\nAna,ana@x.com,Acme\nBo,bo@x.com,Bolt\n")
    import_leads(ws, csv)
    claim_lead(as_user(ws, "sam"), 1)
    ws.write(
        lambda s: apply_edit(
            s,
            Lead,
            "lead",
            2,
            expected_version=1,
            changes={"title": "CTO"},
            at=ws.clock.now(),
            user_id=ws.user_id,
        )
    )


def run_sql(ws: Workspace, sql: str) -> None:
    """What a colleague with another program could do to the database."""
    with ws.engine.begin() as conn:
        conn.execute(text(sql))


def lift_append_only(ws: Workspace) -> None:
    if ws.engine.dialect.name == "sqlite":
        run_sql(ws, "DROP TRIGGER event_append_only_update")
        run_sql(ws, "DROP TRIGGER event_append_only_delete")
    else:
        run_sql(ws, "DROP TRIGGER event_append_only ON event")


def test_work_done_through_crm_audits_clean(ws: Workspace, tmp_path: Path) -> None:
    a_day_of_work(ws, tmp_path)
    with ws.read() as session:
        report = audit(session)
    assert report.clean, report.findings()
    # three users, two leads created, a claim, an edit, the import itself
    assert report.events == 3 + 2 + 1 + 1 + 1


def test_the_app_cannot_change_or_delete_an_event(
    ws: Workspace, tmp_path: Path
) -> None:
    a_day_of_work(ws, tmp_path)
    with pytest.raises(DatabaseProblem, match="append-only"):
        ws.write(lambda s: s.execute(text("UPDATE event SET action = 'x'")))
    with pytest.raises(DatabaseProblem, match="append-only"):
        ws.write(lambda s: s.execute(text("DELETE FROM event")))


def test_an_altered_event_and_a_deleted_one_are_reported(
    ws: Workspace, tmp_path: Path
) -> None:
    a_day_of_work(ws, tmp_path)
    lift_append_only(ws)
    run_sql(ws, "UPDATE event SET user_id = 2 WHERE action = 'updated'")
    run_sql(ws, "DELETE FROM event WHERE action = 'imported'")
    with ws.read() as session:
        report = audit(session)
        edited = session.execute(
            text("SELECT id FROM event WHERE action = 'updated'")
        ).scalar_one()
    assert report.altered == [edited]
    assert len(report.missing) == 1
    assert not report.clean


def test_a_row_changed_without_an_event_is_reported(
    ws: Workspace, tmp_path: Path
) -> None:
    a_day_of_work(ws, tmp_path)
    run_sql(ws, "UPDATE lead SET owner_id = NULL, status = 'new' WHERE id = 1")
    run_sql(ws, """UPDATE "user" SET role = 'admin' WHERE name = 'kim'""")
    run_sql(
        ws,
        "INSERT INTO event (at, entity, entity_id, action, changes) "
        "VALUES ('2026-03-02 10:00:00', 'lead', 1, 'fake', '{}')",
    )
    with ws.read() as session:
        report = audit(session)
    assert sorted(report.changed_rows) == [("lead", 1), ("user", 3)]
    assert len(report.unsealed) == 1


def test_leads_sealed_before_the_mobile_extension_column_still_match(
    ws: Workspace, tmp_path: Path
) -> None:
    # A file sealed before migration 0008 fingerprinted its leads without
    # mobile_ext; after the upgrade, a lead with none must match that seal.
    a_day_of_work(ws, tmp_path)
    leads = Lead.__table__  # type: ignore[attr-defined]
    with ws.read() as session:
        rows = session.execute(select(leads)).mappings().all()
        sealed = dict(
            session.execute(
                select(col(Event.entity_id), col(Event.row_hash))
                .where(col(Event.entity) == "lead")
                .order_by(col(Event.chain_seq))
            ).all()
        )
    for row in rows:
        before_0008 = {k: v for k, v in row.items() if k != "mobile_ext"}
        assert digest(before_0008) == sealed[row["id"]]
    # An extension written behind the app's back still shows.
    run_sql(ws, "UPDATE lead SET mobile_ext = '99' WHERE id = 2")
    with ws.read() as session:
        assert audit(session).changed_rows == [("lead", 2)]


def test_crm_audit_says_intact_or_lists_what_was_tampered(
    ws: Workspace, db_url: str, tmp_path: Path
) -> None:
    a_day_of_work(ws, tmp_path)
    runner = CliRunner()
    args = ["--db", db_url, "--user", "alex", "check"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "The event log is intact: 8 events" in result.stdout
    run_sql(ws, "UPDATE lead SET company = 'Evil' WHERE id = 2")
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.strip() == "crm: rows changed without an event: lead #2"

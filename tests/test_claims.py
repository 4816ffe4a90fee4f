"""Claiming leads from the inbox: one owner per lead, a polite no for the
others, and every claim in the sealed event log as it happens."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.errors import AlreadyTaken, NotFound
from crm_tui.ledger import audit
from crm_tui.models import Event, Lead
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user


class BerlinClock:
    """A clock that reads local time in UTC+1, to the microsecond."""

    def __init__(self) -> None:
        self.at = datetime(
            2026, 3, 2, 10, 15, 7, 250_001, tzinfo=timezone(timedelta(hours=1))
        )

    def now(self) -> datetime:
        self.at += timedelta(milliseconds=1)
        return self.at


def test_a_burst_of_claims_is_sealed_and_crm_check_finds_the_log_intact(
    ws: Workspace, db_url: str
) -> None:
    ids = add_leads(ws, 30)
    reps = {name: as_user(ws, name) for name in ("sam", "kim", "alex")}
    won: dict[int, str] = {}
    refused = 0
    # Each rep goes down the inbox from another end, so they collide.
    for n in range(len(ids)):
        for offset, (name, rep) in enumerate(reps.items()):
            lead_id = ids[(n + offset * 10) % len(ids)]
            try:
                claim_lead(rep, lead_id)
                won[lead_id] = name
            except AlreadyTaken:
                refused += 1
    assert sorted(won) == sorted(ids) and refused == 2 * len(ids)

    with ws.read() as session:
        leads = session.exec(select(Lead)).all()
        claims = session.exec(select(Event).where(Event.action == "claimed")).all()
        report = audit(session)
    names = {2: "sam", 3: "kim", 1: "alex"}
    assert {lead.id: names[lead.owner_id or 0] for lead in leads} == won
    assert {lead.status for lead in leads} == {"working"}
    assert {lead.version for lead in leads} == {2}
    assert sorted(e.entity_id for e in claims) == sorted(ids)
    assert all(e.chain_seq and e.row_hash for e in claims)
    assert report.clean, report.findings()

    result = CliRunner().invoke(app, ["--db", db_url, "--user", "alex", "check"])
    assert result.exit_code == 0, result.stderr
    # three users made, thirty claims (add_leads writes no events)
    assert "The event log is intact: 33 events" in result.stdout


def test_a_claim_made_in_another_time_zone_audits_clean(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    sam = Workspace(ws.engine, "sam", BerlinClock())
    claim_lead(sam, lead_id)
    with ws.read() as session:
        event = session.exec(select(Event).where(Event.action == "claimed")).one()
        lead = session.get(Lead, lead_id)
        report = audit(session)
    assert event.at == datetime(2026, 3, 2, 9, 15, 7, 251_001, tzinfo=UTC)
    assert event.changes == {"owner": [None, "sam"], "status": ["new", "working"]}
    assert lead is not None and lead.updated_at == event.at
    assert report.clean, report.findings()


def test_claiming_a_lead_that_is_not_there(ws: Workspace) -> None:
    with pytest.raises(NotFound, match=r"^There is no lead #999\.$"):
        claim_lead(as_user(ws, "sam"), 999)


def test_claiming_your_own_lead_again_says_you_have_it(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)
    sam = as_user(ws, "sam")
    claim_lead(sam, lead_id)
    with pytest.raises(AlreadyTaken, match="already claimed by you"):
        claim_lead(sam, lead_id)


@pytest.mark.sqlite_only
def test_a_lead_already_taken_is_refused_while_a_colleague_holds_the_lock(
    ws: Workspace, db_path: Path
) -> None:
    [lead_id] = add_leads(ws, 1)
    claim_lead(as_user(ws, "kim"), lead_id)
    colleague = sqlite3.connect(db_path, isolation_level=None)
    colleague.execute("BEGIN IMMEDIATE")  # a long write of someone else's
    try:
        started = time.monotonic()
        with pytest.raises(AlreadyTaken, match="already claimed by kim"):
            claim_lead(as_user(ws, "sam"), lead_id)
        # Told at once, not after waiting out the colleague's write.
        assert time.monotonic() - started < 1
    finally:
        colleague.execute("ROLLBACK")
        colleague.close()

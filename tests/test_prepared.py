"""Statements run on the driver's cursor read and write values exactly as
the ORM does, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from crm_tui.models import Lead
from crm_tui.prepared import Prepared
from crm_tui.workspace import Workspace
from tests.conftest import add_leads

LEADS = Lead.__table__  # type: ignore[attr-defined]
SET = Prepared(
    update(LEADS)
    .where(LEADS.c.id == bindparam("lead_id"))
    .values(
        revisit_on=bindparam("on"),
        sla_due_at=bindparam("due"),
        extra=bindparam("extra"),
        version=LEADS.c.version + 1,
    )
    .returning(LEADS.c.id, LEADS.c.sla_due_at, LEADS.c.extra, LEADS.c.version)
)
GET = Prepared(select(LEADS).where(LEADS.c.id == bindparam("lead_id")))


def test_values_go_in_and_come_out_as_through_the_orm(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1, extra={"Lead score": 7})
    due = datetime(2026, 3, 2, 13, 30, 0, 5, tzinfo=UTC)
    params = {"lead_id": lead_id, "on": date(2026, 4, 1), "due": due}
    with ws.engine.begin() as conn:
        [returned] = SET.rows(conn, {**params, "extra": {"Budget": "10k"}})
    assert returned == (lead_id, due, {"Budget": "10k"}, 2)
    assert SET.columns(conn) == ("id", "sla_due_at", "extra", "version")

    with ws.read() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        conn = session.connection()
        [row] = GET.rows(conn, {"lead_id": lead_id})
        read = dict(zip(GET.columns(conn), row, strict=True))
    assert read == {c.key: getattr(lead, c.key) for c in LEADS.c}
    assert lead.revisit_on == date(2026, 4, 1) and lead.sla_due_at == due


def test_lists_to_expand_are_refused(ws: Workspace) -> None:
    many = Prepared(
        select(LEADS.c.id).where(LEADS.c.id.in_(bindparam("ids", expanding=True)))
    )
    with ws.engine.connect() as conn, pytest.raises(ValueError, match="IN lists"):
        many.rows(conn, {"ids": [1, 2]})


def test_driver_errors_come_as_sqlalchemy_raises_them(ws: Workspace) -> None:
    # The write path retries and words errors by SQLAlchemy's classes.
    [lead_id] = add_leads(ws, 1)
    twice = Prepared(
        LEADS.insert().from_select(
            list(LEADS.c.keys()),
            select(LEADS).where(LEADS.c.id == bindparam("lead_id")),
        )
    )
    with ws.engine.begin() as conn, pytest.raises(IntegrityError):
        twice.rows(conn, {"lead_id": lead_id})

"""An import seals its leads and events in bulk, from the values it wrote:
the audit (`crm check`) must find exactly what a re-read would give."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import Session, col

from crm_tui.importing.leads import import_leads
from crm_tui.ledger import audit, digest, event_hash, sealed_image
from crm_tui.ledger_bulk import bulk_rows, insert_sealed, row_digest
from crm_tui.models import Event, Lead
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from tests.conftest import add_leads, as_user, real_file

# Routed to the pools and to kim (Japan), with owners from the file, a
# mobile with an extension, the same ID twice, odd characters, extra columns
# and a time zone offset.
EXPORT = (
    "Lead ID,First Name,Last Name,Email,Phone,Mobile,Country,Lead Owner,"
    "Create Date,Lead Status,Favourite Colour\n"
    "L1,Ana,García,ana@example.com,(415) 555-0100,(415) 555-0199x12,Germany,,"
    "2024-08-18 10:00,New,teal\n"
    'L2,"Ben ""Benny""",Ōta,ben@example.jp,+81 3-1234-5678,,Japan,,'
    "2024-08-18T10:00:00+09:00,,\n"
    "L3,Cleo,Dubois,cleo@example.fr,,,France,sam@example.com,1723975200,,\n"
    "L4,Dan,Eriksen,dan@example.com,,,United States,,,,\n"
    "L4,Dan,Eriksen,dan@example.com,,,United States,,,,\n"
    "L5,,,,,,,,,,\n"
)


def audited(ws: Workspace) -> list[str]:
    with ws.read() as session:
        report = audit(session)
    assert report.events > 0
    return report.findings()


def test_an_imported_file_audits_clean(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    report = import_leads(ws, path, chunk_size=2)
    assert (report.created, len(report.duplicates)) == (5, 1)
    with ws.read() as session:
        actions = session.execute(
            select(col(Event.action)).where(col(Event.entity) == "lead")
        ).all()
        unsealed = session.execute(
            select(col(Event.id)).where(col(Event.chain_seq).is_(None))
        ).all()
    assert sum(1 for (a,) in actions if a == "assigned") >= 3
    assert unsealed == []
    assert audited(ws) == []
    # The same records again, changed: updates go through the usual seal.
    path.write_text(EXPORT.replace("García", "Garcia"), encoding="utf-8")
    assert import_leads(ws, path).updated == 1
    claim_lead(as_user(ws, "kim"), 4)
    assert audited(ws) == []


def test_a_lead_changed_behind_the_apps_back_after_an_import_shows(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    import_leads(ws, path)
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE lead SET company = 'Evil Corp' WHERE id = 2"))
    assert audited(ws) == ["rows changed without an event: lead #2"]


def sqlite_only(ws: Workspace) -> None:
    if ws.engine.dialect.name != "sqlite":
        pytest.skip("imports seal in bulk on SQLite; PostgreSQL seals as it writes")


def test_the_bulk_image_of_a_row_is_what_a_re_read_hashes(
    ws: Workspace, tmp_path: Path
) -> None:
    sqlite_only(ws)
    add_leads(ws, 2)
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    import_leads(ws, path)
    with Session(ws.engine) as session:
        conn = session.connection()
        shape = bulk_rows(Lead.__table__, conn.dialect)  # type: ignore[attr-defined]
        leads = conn.execute(select(Lead.__table__)).mappings().all()  # type: ignore[attr-defined]
        events = conn.execute(select(Event.__table__)).mappings().all()  # type: ignore[attr-defined]
    assert len(leads) == 7
    for lead in leads:
        _, image = shape.prepare(dict(lead))
        assert image is not None
        assert row_digest(image) == digest(sealed_image("lead", lead))
    previous = "0" * 64
    for event in sorted(events, key=lambda e: e["chain_seq"]):
        assert event_hash(previous, event) == event["chain_hash"]
        previous = event["chain_hash"]


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1, 2.5, None, True], "a": "é\u2028\"'"},
        ["x", {"z": {}}, -0.0, 1e300],
        "plain",
        None,
    ],
)
def test_the_fast_digest_is_the_ledgers_digest(value: object) -> None:
    assert row_digest(value) == digest(value)


def test_values_sqlite_would_change_are_not_vouched_for(ws: Workspace) -> None:
    sqlite_only(ws)
    # An int in a text column comes back as text, True in an integer one as 1.
    with Session(ws.engine) as session:
        shape = bulk_rows(Lead.__table__, session.connection().dialect)  # type: ignore[attr-defined]
    row = dict.fromkeys(shape.names)
    row.update(id=1, name="Ana", extra={}, version=1)
    assert shape.prepare(row)[1] is not None
    assert shape.prepare({**row, "company": 7})[1] is None
    assert shape.prepare({**row, "version": True})[1] is None


@pytest.mark.real_data
def test_the_real_hubspot_export_audits_clean_imported_twice(
    ws: Workspace,
) -> None:
    import_leads(ws, real_file("hubspot_contacts.csv"), chunk_size=300)
    import_leads(ws, real_file("hubspot_contacts.csv"), chunk_size=300, again=True)
    assert audited(ws) == []


def test_events_about_rows_not_vouched_for_are_sealed_from_a_re_read(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1)

    def note(session: Session) -> None:
        event = {
            "at": ws.clock.now(),
            "user_id": ws.user_id,
            "entity": "lead",
            "entity_id": lead_id,
            "action": "noted",
            "changes": {"note": "called"},
            "batch_id": None,
        }
        # The row's fingerprint is not given: it is read back.
        insert_sealed(session, [event], {})
        # True would be stored as 1: from here the chain is left to seal().
        insert_sealed(session, [{**event, "changes": {}, "entity_id": True}], {})

    ws.write(note)
    with ws.read() as session:
        sealed = (
            session.execute(
                select(col(Event.chain_seq)).where(col(Event.action) == "noted")
            )
            .scalars()
            .all()
        )
    assert len(sealed) == 2 and None not in sealed
    assert audited(ws) == []

"""Importing another CRM's export: every row accounted for, nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, func, select

from crm_tui.errors import CrmError
from crm_tui.importing.batches import AlreadyImported
from crm_tui.importing.leads import ImportReport, import_leads
from crm_tui.models import Event, ImportBatch, ImportRow, Lead, User
from crm_tui.workspace import Workspace
from tests.conftest import real_file


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return path


def leads(ws: Workspace) -> list[Lead]:
    with ws.read() as session:
        return list(session.exec(select(Lead).order_by(col(Lead.id))).all())


def reconciled(report: ImportReport) -> bool:
    return report.reconciles and report.read == (
        report.created
        + report.updated
        + len(report.duplicates)
        + len(report.rejections)
    )


def test_a_hubspot_style_file_becomes_leads_with_clean_values(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Contact ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,"
        "Country,Create Date,Lead Source,Favourite Colour\r\n"
        "C-1, Ana ,García, Ana@Example.COM ,416-810-9897x752,(376)694-9481x10051,"
        "Canada,2024-08-18,Web form,teal\r\n",
    )
    report = import_leads(ws, path)
    assert (report.read, report.created) == (1, 1)
    [lead] = leads(ws)
    assert lead.name == "Ana García"
    assert lead.email == "ana@example.com"
    assert (lead.phone, lead.phone_ext) == ("+14168109897", "752")
    assert (lead.mobile, lead.mobile_ext) == ("+13766949481", "10051")
    assert lead.created_at.isoformat() == "2024-08-18T00:00:00+00:00"
    assert lead.extra == {"Favourite Colour": "teal"}
    assert ("Favourite Colour", "kept as extra") in report.columns
    with ws.read() as session:
        event = session.exec(select(Event).where(Event.entity == "lead")).one()
    assert event.action == "created" and event.user_id == ws.user_id


def test_bad_rows_are_reported_by_number_while_good_rows_import(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Name,Email,Create Date\n"
        "Good One,one@example.com,2025-01-02\n"
        "Bad Mail,bob@,2025-01-02\n"
        "Bad Date,date@example.com,soon\n"
        "Too,many@example.com,2025-01-02,surprise\n"
        "Short\n"
        ",,\n"
        "Good Two,two@example.com,\n",
    )
    report = import_leads(ws, path)
    assert reconciled(report)
    assert report.created == 2
    reasons = {note.row: note.reason for note in report.rejections}
    assert sorted(reasons) == [3, 4, 5, 6]
    assert "bob@" in reasons[3]
    assert "soon" in reasons[4]
    assert "header has 3 columns" in reasons[5]
    assert "header has 3 columns" in reasons[6]
    with ws.read() as session:
        stored = session.exec(select(ImportRow).where(ImportRow.outcome == "rejected"))
        assert {row.row for row in stored} == {3, 4, 5, 6}


def test_duplicates_by_email_or_phone_link_to_the_original(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Name,Email,Phone\n"
        "Ana,ana@example.com,+1 415 555 0100\n"
        "Ana again,ANA@example.com ,\n"
        "Ana's phone,other@example.com,(415) 555-0100\n",
    )
    report = import_leads(ws, path)
    assert (report.created, len(report.duplicates)) == (1, 2)
    [original] = leads(ws)
    assert {d.lead_id for d in report.duplicates} == {original.id}
    assert "e-mail" in report.duplicates[0].reason
    assert "phone" in report.duplicates[1].reason


def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, "Lead ID,Name,Email\nL1,Ana,ana@example.com\nL2,Ben,ben@example.com\n"
    )
    import_leads(ws, path)
    again = import_leads(ws, path, again=True)
    assert (again.created, len(again.duplicates)) == (0, 2)
    assert len(leads(ws)) == 2


# Rows with no e-mail, phone or ID match nothing: each run of the file made
# them all again (the Maven pipeline imported three times: 22,125 leads).
def test_a_file_imported_before_is_refused_naming_the_import(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "Name,Company\nAda Lovelace,Analytical\nBob,\n")
    first = import_leads(ws, path)
    assert first.created == 2
    with pytest.raises(AlreadyImported) as refused:
        import_leads(ws, path)
    assert str(refused.value) == (
        f"export.csv was already imported on 2026-03-02 04:00 as import "
        f"#{first.batch_id} (2 created, 0 updated); nothing was imported. To "
        "import it again anyway, with the usual duplicate checks, add --again."
    )
    assert len(leads(ws)) == 2
    with ws.read() as session:
        assert len(session.exec(select(ImportBatch)).all()) == 1
    # Asked for again, it is imported: nothing here says who is a duplicate.
    assert import_leads(ws, path, again=True).created == 2


# Found by a newcomer: the Maven pipeline imported as leads made 8,800
# company-only "leads", with no hint that `crm import deals` was meant.
def test_a_deals_export_or_an_accounts_list_is_refused_as_leads(
    ws: Workspace, tmp_path: Path
) -> None:
    pipeline = write_csv(
        tmp_path,
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
        "close_date,close_value\n1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,"
        "2016-10-20,2017-03-01,1054\n",
    )
    with pytest.raises(CrmError) as refused:
        import_leads(ws, pipeline)
    assert str(refused.value) == (
        "export.csv looks like deals (opportunity_id, sales_agent, deal_stage), "
        "not leads: no column names a person, an e-mail or a phone. Import it "
        f'with: crm import deals {pipeline} --stage "Their stage=Our stage"'
    )
    accounts = write_csv(
        tmp_path,
        "account,sector,revenue,employees\nAcme Corporation,technolgy,1100.04,2822\n",
    )
    with pytest.raises(CrmError, match="looks like accounts .* --accounts"):
        import_leads(ws, accounts)
    assert leads(ws) == []
    # A lead file with a deal-ish column or two is still leads.
    people = write_csv(tmp_path, "Name,Deal Stage,Amount\nAna,Won,100\n")
    assert import_leads(ws, people).created == 1


def test_a_changed_record_from_the_same_system_is_updated(
    ws: Workspace, tmp_path: Path
) -> None:
    import_leads(ws, write_csv(tmp_path, "Lead ID,Name,Company\nL1,Ana,Acme\n"))
    report = import_leads(
        ws, write_csv(tmp_path, "Lead ID,Name,Company\nL1,Ana,Acme Ltd\n")
    )
    assert (report.updated, report.created) == (1, 0)
    [lead] = leads(ws)
    assert lead.company == "Acme Ltd" and lead.version == 2


def test_owners_are_matched_by_email_or_name_and_strangers_named(
    ws: Workspace, tmp_path: Path
) -> None:
    with ws.read() as session:
        sam = session.exec(select(User).where(User.name == "sam")).one()
    path = write_csv(
        tmp_path,
        "Name,Email,Lead Owner\n"
        "Ana,ana@example.com,sam\n"
        "Ben,ben@example.com,nobody@example.com\n",
    )
    report = import_leads(ws, path)
    ana, ben = leads(ws)
    assert ana.owner_id == sam.id and ana.status == "working"
    assert ben.owner_id is None and ben.status == "new"
    assert report.unknown_owners == {"nobody@example.com": 1}


def test_encodings_and_delimiters_are_detected_without_mojibake(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, "Name;Company\r\nJosé Müller;Café Zoë\r\n", encoding="cp1252"
    )
    import_leads(ws, path)
    [lead] = leads(ws)
    assert (lead.name, lead.company) == ("José Müller", "Café Zoë")


def test_a_spreadsheet_saved_as_csv_is_refused_in_one_line(
    ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(CrmError) as refused:
        import_leads(ws, path)
    assert "\n" not in str(refused.value)


def test_the_batch_records_file_counts_and_who(ws: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Name,Email\nAna,ana@example.com\nBad,x@\n")
    report = import_leads(ws, path)
    with ws.read() as session:
        batch = session.get(ImportBatch, report.batch_id)
    assert batch is not None
    assert (batch.file_name, batch.read, batch.created, batch.rejected) == (
        "export.csv",
        2,
        1,
        1,
    )
    assert batch.user_id == ws.user_id and len(batch.file_hash) == 64


def test_small_chunks_still_find_duplicates_across_chunks(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = "".join(f"L{n},Lead {n},lead{n % 5}@example.com\n" for n in range(12))
    report = import_leads(
        ws, write_csv(tmp_path, "Lead ID,Name,Email\n" + rows), chunk_size=3
    )
    assert (report.created, len(report.duplicates)) == (5, 7)


@pytest.mark.real_data
def test_the_real_hubspot_export_imports_and_reconciles(ws: Workspace) -> None:
    report = import_leads(ws, real_file("hubspot_contacts.csv"))
    assert report.read == 950 and reconciled(report)
    assert report.created + len(report.duplicates) == 950
    again = import_leads(ws, real_file("hubspot_contacts.csv"), again=True)
    assert again.created == 0 and len(again.duplicates) == 950


@pytest.mark.real_data
def test_the_real_lead_scoring_export_imports_and_reconciles(ws: Workspace) -> None:
    report = import_leads(ws, real_file("xeducation_leads.csv"))
    assert report.read == 9240 and reconciled(report)
    with ws.read() as session:
        sources = session.exec(select(Lead.source).distinct()).all()
        count = session.exec(select(func.count()).select_from(Lead)).one()
    assert "Select" not in sources
    assert count == report.created


def test_a_lead_without_a_territory_gets_its_countrys(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Name,Email,Country,Territory\n"
        "Ana,ana@example.com,Deutschland,\n"
        "Ben,ben@example.com,Japan,\n"
        "Cy,cy@example.com,Japan,Kanto\n"
        "Di,di@example.com,Atlantis,\n",
    )
    import_leads(ws, path)
    assert [(lead.country, lead.territory) for lead in leads(ws)] == [
        ("Germany", "EMEA"),
        ("Japan", "APAC"),
        ("Japan", "Kanto"),
        ("Atlantis", None),
    ]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ('[\n  {"name": "Ana", "email": "ana@example.com"}\n]\n', "JSON"),
        ('{"name": "Ana"}\n{"name": "Bo"}\n', "JSON"),
        ('\ufeff{"leads": []}', "JSON"),
        ('<?xml version="1.0"?>\n<leads><lead>Ana</lead></leads>\n', "XML"),
    ],
)
def test_a_json_or_xml_file_is_refused_in_one_line(
    ws: Workspace, tmp_path: Path, content: str, kind: str
) -> None:
    # A newcomer's JSON export "imported" as 0 rows, each one rejected.
    path = tmp_path / "leads.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CrmError) as refused:
        import_leads(ws, path)
    message = str(refused.value)
    assert "\n" not in message and kind in message and "not CSV" in message
    assert leads(ws) == []


def test_a_header_in_brackets_is_still_csv(ws: Workspace, tmp_path: Path) -> None:
    report = import_leads(ws, write_csv(tmp_path, "[Name],Email\nAna,ana@x.com\n"))
    assert report.created == 1


def test_a_company_known_only_by_its_domain_becomes_the_company(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "First Name,Email,Company Name,Website URL,Associated Company Domain\n"
        "Ana,ana@example.com,,https://acme.example/,acme.example\n"
        "Bo,bo@example.com,,,bolt.example\n"
        "Cy,cy@example.com,Cyan Ltd,https://cyan.example/,cyan.example\n"
        "Di,di@example.com,,,\n",
    )
    import_leads(ws, path)
    ana, bo, cy, di = leads(ws)
    assert (ana.company, ana.website) == ("acme.example", "https://acme.example/")
    assert (bo.company, bo.website) == ("bolt.example", "bolt.example")
    assert (cy.company, cy.website) == ("Cyan Ltd", "https://cyan.example/")
    assert cy.extra == {"Associated Company Domain": "cyan.example"}
    assert (di.company, di.website) == (None, None)


@pytest.mark.real_data
def test_the_real_hubspot_export_gets_companies_from_their_domains(
    ws: Workspace,
) -> None:
    import_leads(ws, real_file("hubspot_contacts.csv"))
    with ws.read() as session:
        companies = session.exec(
            select(func.count()).select_from(Lead).where(col(Lead.company).is_not(None))
        ).one()
    # 679 of its 950 contacts carry an Associated Company Domain.
    assert companies == 679


def test_one_spelling_per_source_the_process_files_or_the_most_common(
    ws: Workspace, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        "Name,Email,Lead Source\n"
        "Ana,ana@example.org,Google\n"
        "Ben,ben@example.org,google\n"
        "Cy,cy@example.org,Google\n"
        "Dee,dee@example.org,web form\n"
        "Eve,eve@example.org,Bing\n",
    )
    import_leads(ws, path)
    assert [lead.source for lead in leads(ws)] == [
        "Google",
        "Google",
        "Google",
        "Web form",  # as the process file names it
        "Bing",
    ]


def test_extensions_in_columns_of_their_own_are_kept(
    ws: Workspace, tmp_path: Path
) -> None:
    # As crm-tui exports them: a file from one team's database into another.
    path = write_csv(
        tmp_path,
        "name,email,phone,phone_ext,mobile,mobile_ext\n"
        "Ana,ana@example.org,+14155550123,204,+14155550199,\n"
        "Ben,ben@example.org,+1 415 555 0124 x12,99,,\n",
    )
    import_leads(ws, path)
    assert [(lead.phone, lead.phone_ext, lead.mobile_ext) for lead in leads(ws)] == [
        ("+14155550123", "204", None),
        # The number's own extension wins over the column's.
        ("+14155550124", "12", None),
    ]
    assert all("phone_ext" not in (lead.extra or {}) for lead in leads(ws))

"""Exports a spreadsheet opens as they should and cannot be tricked by."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from crm_tui.cli import app
from crm_tui.export import safe_cell
from crm_tui.workspace import Workspace
from tests.reporting import add_deal, add_lead


def test_formula_cells_are_neutralized() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+1 212 555") == "'+1 212 555"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\tcmd") == "'\tcmd"
    assert safe_cell("Ana") == "Ana"
    assert safe_cell(-5) == "-5"  # a real number stays a number
    assert safe_cell(None) == ""


def test_crm_export_leads_with_bom(
    ws: Workspace, db_path: Path, tmp_path: Path
) -> None:
    now = ws.clock.now()

    def build(session: Session) -> None:
        add_lead(
            session,
            name="=1+2",
            company='Acme, "the best"',
            title="line one\nline two",
            phone="+12125550100",
            city="Zürich",
            created_at=now,
        )
        add_lead(session, name="Gone", merged_into_id=1, created_at=now)
        add_deal(session, [(now, "contacted")], title="@risk", amount=-5)

    ws.write(build)
    runner = CliRunner()
    out = tmp_path / "leads.csv"
    result = runner.invoke(
        app,
        ["--db", str(db_path), "--user", "alex", "export", "leads", str(out), "--bom"],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"Wrote 1 lead to {out}."
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(newline="", encoding="utf-8-sig") as f:
        [row] = list(csv.DictReader(f))
    assert row["name"] == "'=1+2"
    assert row["company"] == 'Acme, "the best"'
    assert row["title"] == "line one\nline two"
    assert row["phone"] == "'+12125550100"
    assert row["city"] == "Zürich"

    deals = tmp_path / "deals.csv"
    runner.invoke(
        app, ["--db", str(db_path), "--user", "alex", "export", "deals", str(deals)]
    )
    assert not deals.read_bytes().startswith(b"\xef\xbb\xbf")
    with deals.open(newline="", encoding="utf-8") as f:
        [deal] = list(csv.DictReader(f))
    assert deal["title"] == "'@risk" and deal["amount"] == "-5.00"
    result = runner.invoke(
        app, ["--db", str(db_path), "--user", "alex", "export", "people", str(deals)]
    )
    assert result.exit_code == 1 and "not 'people'" in result.stderr


def test_an_export_imported_into_another_database_keeps_ids_and_extras(
    ws: Workspace, tmp_path: Path
) -> None:
    from crm_tui.export import export_table
    from crm_tui.importing.leads import import_leads
    from crm_tui.models import Lead
    from crm_tui.open import open_workspace

    first = tmp_path / "hubspot.csv"
    first.write_text(
        "Contact ID,First Name,Last Name,Email,Lifecycle Stage\n"
        "CONT-1,Ana,Lima,ana@example.org,Lead\n",
        encoding="utf-8",
    )
    import_leads(ws, first)
    exported = tmp_path / "leads.csv"
    with ws.read() as session:
        assert export_table(session, "leads", exported) == 1

    other = open_workspace(str(tmp_path / "other.db"), "alex", ws.clock)
    other.identify()
    import_leads(other, exported)
    with other.read() as session:
        [lead] = session.exec(select(Lead)).all()
    other.engine.dispose()
    # The ID from the CRM it first came from, not the first database's row id.
    assert lead.external_id == "CONT-1"
    assert lead.extra["Lifecycle Stage"] == "Lead"
    assert "extra" not in lead.extra and "external_id" not in lead.extra

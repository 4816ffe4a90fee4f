"""Matching export column headers to lead fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_tui.importing.headers import EXTRA, LEAD_FIELDS, map_headers
from crm_tui.importing.reader import read_table

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("First Name", "first_name"),
        ("LAST_NAME", "last_name"),
        ("Person - Name", "name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Business Phone", "phone"),
        ("Cell", "mobile"),
        ("Organization - Name", "company"),
        ("Account Name", "company"),
        ("Original Source", "source"),
        ("Country/Region", "country"),
        ("State/Region", "state"),
        ("Zip", "postal_code"),
        ("Street Address", "street"),
        ("Website URL", "website"),
        ("Record Owner", "owner"),
        ("Created Time", "created_at"),
        ("Lead ID", "external_id"),
        ("Status", "lead_status"),
        ("Job Title", "title"),
        ("Region", "territory"),
        ("Preferred Language", "language"),
        ("Product", "product_interest"),
        ("Segment", "segment"),
        ("Industry", "industry"),
        ("  city ", "city"),
        ("Phone Extension", "phone_ext"),
        ("phone_ext", "phone_ext"),
        ("Mobile Ext", "mobile_ext"),
    ],
)
def test_common_export_headers(column: str, field: str) -> None:
    assert map_headers([column]).fields == {0: field}


def test_lead_fields() -> None:
    assert len(LEAD_FIELDS) == 28
    assert {
        "product_interest",
        "lead_status",
        "external_id",
        "phone_ext",
        "mobile_ext",
    } <= set(LEAD_FIELDS)


def test_first_column_wins_and_the_rest_are_extras() -> None:
    columns = map_headers(["Email", "E-mail Address", "Favourite Colour"])
    assert columns.fields == {0: "email"}
    assert columns.extras == {1: "E-mail Address", 2: "Favourite Colour"}


def test_hubspots_company_domain_column_is_read_as_the_company_domain() -> None:
    columns = map_headers(["Associated Company Domain", "Website URL"])
    assert columns.fields == {0: "company_domain", 1: "website"}
    assert columns.extras == {}


def test_override_maps_a_column_to_a_field() -> None:
    columns = map_headers(
        ["Lead Number", "Prospect ID"], overrides={"lead number": "external_id"}
    )
    assert columns.fields == {0: "external_id"}
    assert columns.extras == {1: "Prospect ID"}


@pytest.mark.parametrize("keep", ["-", "extra", "Extra"])
def test_override_keeps_a_column_as_extra(keep: str) -> None:
    columns = map_headers(["Email", "Status"], overrides={"STATUS": keep})
    assert columns.fields == {0: "email"}
    assert columns.extras == {1: "Status"}


def test_override_with_an_unknown_field() -> None:
    with pytest.raises(ValueError, match='"favourite_colour" is not a lead field'):
        map_headers(["Email"], overrides={"Email": "favourite_colour"})


def test_override_of_an_absent_column() -> None:
    with pytest.raises(ValueError, match='there is no column "Fax" in this file'):
        map_headers(["Email"], overrides={"Fax": "phone"})


def test_describe_lists_columns_in_file_order() -> None:
    assert map_headers(["Email", "Shoe Size", "Name"]).describe() == [
        ("Email", "email"),
        ("Shoe Size", EXTRA),
        ("Name", "name"),
    ]


def test_unnamed_column_is_described_by_position() -> None:
    assert map_headers(["Email", ""]).extras == {1: "column 2"}


@pytest.mark.real_data
def test_hubspot_export() -> None:
    path = REAL_DATA / "hubspot_contacts.csv"
    if not path.exists():
        pytest.skip(f"real exports not checked out next to the repo: {path}")
    assert map_headers(read_table(path).header).describe() == [
        ("Contact ID", "external_id"),
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email", "email"),
        ("Phone Number", "phone"),
        ("Mobile Phone Number", "mobile"),
        ("Job Title", "title"),
        ("Lifecycle Stage", EXTRA),
        ("Lead Status", "lead_status"),
        ("Create Date", "created_at"),
        ("Last Modified Date", EXTRA),
        ("Contact Owner", "owner"),
        ("Lead Source", "source"),
        ("Website URL", "website"),
        ("Street Address", "street"),
        ("City", "city"),
        ("State/Region", "state"),
        ("Postal Code", "postal_code"),
        ("Country", "country"),
        ("Associated Company Domain", "company_domain"),
    ]


@pytest.mark.real_data
def test_xeducation_export() -> None:
    path = REAL_DATA / "xeducation_leads.csv"
    if not path.exists():
        pytest.skip(f"real exports not checked out next to the repo: {path}")
    header = read_table(path).header
    columns = map_headers(header)
    mapped = {header[index]: field for index, field in columns.fields.items()}
    assert mapped == {
        "Prospect ID": "external_id",
        "Lead Source": "source",
        "Country": "country",
        "City": "city",
    }
    assert columns.extras[1] == "Lead Number"
    assert len(columns.extras) == len(header) - 4

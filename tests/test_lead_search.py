"""Searching leads: a phone number finds its lead however it is typed, and
a year or a short number finds only what contains it as text."""

from __future__ import annotations

import pytest

from crm_tui.queries.leads import inbox_page, phone_digits
from crm_tui.workspace import Workspace
from tests.conftest import add_leads


@pytest.fixture
def inbox(ws: Workspace) -> Workspace:
    add_leads(ws, 1, name="Dana Lee", company="Acme 2026", phone="+14155550123")
    add_leads(ws, 1, name="Raj Patel", company="Globex", phone="+442079460958")
    add_leads(ws, 1, name="Yuki Sato", company="Initech", phone="+81312342026")
    # Imported: the old CRM's lead number came along.
    add_leads(ws, 1, name="Unnamed lead 7927b2df", external_id="660737")
    return ws


def found(ws: Workspace, search: str) -> list[str]:
    with ws.read() as session:
        return sorted(row.name for row in inbox_page(session, search=search))


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("+1 (415) 555-0123", ["Dana Lee"]),
        ("415-555-0123", ["Dana Lee"]),
        ("555 0123", ["Dana Lee"]),
        # A UK rep types the national number with its trunk 0.
        ("020 7946 0958", ["Raj Patel"]),
        ("0044 20 7946 0958", ["Raj Patel"]),
    ],
)
def test_a_phone_number_finds_its_lead_however_it_is_typed(
    inbox: Workspace, typed: str, names: list[str]
) -> None:
    assert found(inbox, typed) == names


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        # Only the company with 2026 in its name, not phones ending in 2026.
        ("2026", ["Dana Lee"]),
        ("555", []),
        ("123", []),
        # Letters make it a name search, whatever digits come along.
        ("Acme 2026", ["Dana Lee"]),
    ],
)
def test_a_short_number_or_a_year_is_not_a_phone_search(
    inbox: Workspace, typed: str, names: list[str]
) -> None:
    assert found(inbox, typed) == names


def test_what_reads_as_a_phone_number() -> None:
    assert phone_digits("+1 (415) 555-0123") == "14155550123"
    assert phone_digits("12345") is None
    assert phone_digits("ext 555123") is None
    assert phone_digits("06 12 34 56 78") == "612345678"


def test_the_old_crms_lead_number_finds_the_imported_lead(inbox: Workspace) -> None:
    assert found(inbox, " 660737 ") == ["Unnamed lead 7927b2df"]
    # The whole number, as pasted: part of it is not that lead.
    assert found(inbox, "6607") == []

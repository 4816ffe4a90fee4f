"""Editing a lead on its page; when a colleague saved first, the rep sees
both versions and chooses: nothing is silently lost or overwritten."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input

from crm_tui.models import Event, Lead
from crm_tui.services.leads import edit_lead
from crm_tui.workspace import Workspace
from screens.app import CrmApp
from screens.conflict import ConflictScreen
from screens.lead import LeadScreen
from screens.lead_edit import LABELS, LeadEditScreen
from tests.conftest import add_leads, as_user
from tests.test_inbox_app import drive, notices, settle, shown


def lead(ws: Workspace, lead_id: int) -> Lead:
    with ws.read() as session:
        found = session.get(Lead, lead_id)
    assert found is not None
    return found


async def type_into(pilot: Pilot[None], field: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#edit-{field}", Input)
    box.value = text


async def open_edit(pilot: Pilot[None]) -> tuple[CrmApp, LeadEditScreen]:
    """Open the highlighted lead and press ``e`` on its page."""
    app = pilot.app
    assert isinstance(app, CrmApp)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("e")
    form = app.screen
    assert isinstance(form, LeadEditScreen)
    return app, form


def test_an_edit_is_saved_and_shows_in_the_history(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, LeadEditScreen)
        await type_into(pilot, "title", "Head of Sales")
        await type_into(pilot, "email", " Ana@Acme.COM ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        assert ("information", "Saved: Title, E-mail.") in notices(app)
        assert "Head of Sales" in shown(app, "#lead-fields")
        assert "updated" in shown(app, "#lead-history")

    drive(CrmApp(ws, live=False), scenario)
    saved = lead(ws, lead_id)
    assert (saved.title, saved.email, saved.email_key, saved.version) == (
        "Head of Sales",
        "ana@acme.com",
        "ana@acme.com",
        2,
    )


def test_country_source_and_interest_are_edited_on_the_form(ws: Workspace) -> None:
    # Found in the demo: the fields that drive routing could not be put right.
    [lead_id] = add_leads(ws, 1, source="Web form")

    async def scenario(pilot: Pilot[None]) -> None:
        app, form = await open_edit(pilot)
        assert form.query_one("#edit-source", Input).value == "Web form"
        await type_into(pilot, "country", "usa")
        await type_into(pilot, "source", "Referral")
        await type_into(pilot, "product_interest", "Analytics add-on")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        saved = "Saved: Country, Source, Interest, Territory."
        assert ("information", saved) in notices(app)
        fields = shown(app, "#lead-fields")
        assert "United States" in fields and "Analytics add-on" in fields

    drive(CrmApp(ws, live=False), scenario)
    saved = lead(ws, lead_id)
    assert (saved.country, saved.source, saved.product_interest) == (
        "United States",
        "Referral",
        "Analytics add-on",
    )


# Found by a newcomer: a lead moved from the United States to Norway stayed
# in North America, though the process puts Norway in EMEA.
def test_a_new_country_brings_its_territory_in_the_same_event(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1, country="United States", territory="North America")

    async def scenario(pilot: Pilot[None]) -> None:
        app, _ = await open_edit(pilot)
        await type_into(pilot, "country", "Norway")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("information", "Saved: Country, Territory.") in notices(app)
        assert "EMEA" in shown(app, "#lead-fields")

    drive(CrmApp(ws, live=False), scenario)
    assert lead(ws, lead_id).territory == "EMEA"
    with ws.read() as session:
        event = session.exec(
            select(Event).where(Event.entity == "lead", Event.action == "updated")
        ).one()
    assert event.changes == {
        "country": ["United States", "Norway"],
        "territory": ["North America", "EMEA"],
    }
    # A territory the rep sets in the same edit is theirs to choose.
    edit_lead(
        ws,
        lead_id,
        version=2,
        changes={"country": "Canada", "territory": "Key accounts"},
    )
    assert lead(ws, lead_id).territory == "Key accounts"


def test_a_colleagues_save_in_between_opens_the_conflict_dialog(
    ws: Workspace, tmp_path: Path
) -> None:
    [lead_id] = add_leads(ws, 1)  # company "Company 0", title None

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await type_into(pilot, "company", "Acme (alex)")
        await type_into(pilot, "title", "CTO")
        # Meanwhile sam saves the same lead from his desk.
        edit_lead(
            as_user(ws, "sam"),
            lead_id,
            version=1,
            changes={"company": "Acme (sam)", "phone": "+1 415 555 0100"},
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConflictScreen)
        # Both changed the company: alex's by default; the title only alex
        # touched.
        assert dialog.choice == {"company": "mine", "title": "mine"}
        await pilot.press("space")  # on company: take sam's
        assert dialog.choice["company"] == "theirs"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        assert ("information", "Saved: Title.") in notices(app)

    drive(CrmApp(ws, live=False), scenario)
    final = lead(ws, lead_id)
    # sam's company and phone stay, alex's title is added, one version each.
    assert (final.company, final.phone, final.title, final.version) == (
        "Acme (sam)",
        "+14155550100",
        "CTO",
        3,
    )


def test_escape_in_the_conflict_dialog_saves_nothing_and_says_so(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1)

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CrmApp)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await type_into(pilot, "company", "Mine Inc")
        edit_lead(as_user(ws, "kim"), lead_id, version=1, changes={"company": "Kim"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConflictScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert any("Your edit was not saved" in text for _, text in notices(app))
        assert "Kim" in shown(app, "#lead-fields")

    drive(CrmApp(ws, live=False), scenario)
    assert lead(ws, lead_id).company == "Kim"


def test_a_bad_phone_keeps_the_form_open_with_everything_typed(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1)

    async def scenario(pilot: Pilot[None]) -> None:
        app, form = await open_edit(pilot)
        await type_into(pilot, "title", "Head of Sales")
        await type_into(pilot, "phone", "call me")
        await type_into(pilot, "company", "Acme")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert form.focused is form.query_one("#edit-phone", Input)
        assert 'Phone "call me" is not a phone number.' in shown(app, "#edit-error")
        typed = {k: form.query_one(f"#edit-{k}", Input).value for k in LABELS}
        assert typed["title"] == "Head of Sales" and typed["company"] == "Acme"
        assert typed["phone"] == "call me"
        # Fixed in place, it saves.
        await type_into(pilot, "phone", "+1 415 555 0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)

    drive(CrmApp(ws, live=False), scenario)
    saved = lead(ws, lead_id)
    assert (saved.title, saved.company, saved.phone) == (
        "Head of Sales",
        "Acme",
        "+14155550100",
    )


def test_the_phone_is_edited_with_its_extension(ws: Workspace) -> None:
    [lead_id] = add_leads(ws, 1, phone="+14155550123", phone_ext="204")

    async def scenario(pilot: Pilot[None]) -> None:
        app, form = await open_edit(pilot)
        # Shown whole, so a save that leaves the phone alone keeps it.
        assert form.query_one("#edit-phone", Input).value == "+14155550123 x204"
        await type_into(pilot, "phone", "+1 415 555 0199 x12")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)

    drive(CrmApp(ws, live=False), scenario)
    saved = lead(ws, lead_id)
    assert (saved.phone, saved.phone_ext) == ("+14155550199", "12")


def test_a_new_number_without_an_extension_drops_the_old_ones(
    ws: Workspace,
) -> None:
    [lead_id] = add_leads(ws, 1, phone="+14155550123", phone_ext="204")
    version = lead(ws, lead_id).version
    edit_lead(ws, lead_id, version=version, changes={"phone": "+1 415 555 0177"})
    saved = lead(ws, lead_id)
    assert (saved.phone, saved.phone_ext) == ("+14155550177", None)

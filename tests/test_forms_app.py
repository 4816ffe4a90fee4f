"""The small forms, each in a tiny app: enter submits them the way it does
every form of the app, the footer says so, and a value that does not fit
keeps the form open with everything typed, on the field to fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, TextArea
from textual.widgets._footer import FooterKey

import screens
from crm_tui.clock import FixedClock
from crm_tui.process import load_process
from crm_tui.rules.stages import _need
from screens.forms import Ask, GateForm
from screens.item_editors import HINTS, ItemEditor, QuestionForm
from screens.triage_forms import ChoiceForm, DateForm, TextForm
from tests.conftest import MONDAY_9AM

PROCESS = load_process()
CLOCK = FixedClock(MONDAY_9AM)


class FormApp(App[None]):
    """Opens one form and keeps what it dismissed with."""

    # Styled as in the app, so what fits and what wraps is as the rep sees it.
    CSS_PATH = Path(screens.__file__).with_name("crm.tcss")

    def __init__(self, form: Screen[Any]) -> None:
        super().__init__()
        self.form = form
        self.answers: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.form, self.answers.append)


def run(
    form: Screen[Any],
    scenario: Callable[[Pilot[None]], Awaitable[None]],
    size: tuple[int, int] = (100, 30),
) -> Any:
    app = FormApp(form)

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)
            await pilot.pause()

    asyncio.run(go())
    return app.answers


def footer_keys(pilot: Pilot[None]) -> list[tuple[str, str]]:
    """The (key, description) pairs the footer of the open form shows."""
    footer = pilot.app.screen.query_one(Footer)
    return [
        (item.key_display, item.description)
        for item in footer.query(FooterKey).results()
    ]


def screen_rows(pilot: Pilot[None]) -> list[str]:
    """The screen's rows of text, as drawn."""
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


def on_screen(pilot: Pilot[None]) -> str:
    """The words inside the open form's box, its wrapped lines joined: a
    phrase is in it only when the rep sees it whole."""
    inside = [row.split("│")[1] for row in screen_rows(pilot) if row.count("│") >= 2]
    return " ".join(" ".join(inside).split())


def said_under_the_box(pilot: Pilot[None]) -> list[tuple[str, str]]:
    """The (keys, what they do) pairs the form's box says under itself."""
    box = pilot.app.screen.query_one(".modal-box, .form-box, .dialog")
    pairs = [part.split(" ", 1) for part in str(box.border_subtitle).split(" · ")]
    return [(keys, does) for keys, does in pairs]


def lost_form(*fields: str) -> GateForm:
    needs = [_need(PROCESS, name, "to close it lost") for name in fields]
    return GateForm(PROCESS, "Close lost", needs, clock=CLOCK)


def test_picking_the_lost_reason_from_the_list_moves_the_deal() -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        assert ("enter/^s", "Move") in footer_keys(pilot)
        # enter opens the list (on its prompt), down twice to the second
        # reason, enter picks it.
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.pause()

    assert run(lost_form("lost_reason"), scenario) == [{"lost_reason": "competitor"}]


def test_enter_on_the_last_field_moves_and_an_earlier_list_goes_on() -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "enter")  # the first reason, Price
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        assert form.focused is form.query_one("#gate-lost_note", Input)
        await pilot.press(*"Too dear", "enter")

    answers = run(lost_form("lost_reason", "lost_note"), scenario)
    assert answers == [{"lost_reason": "price", "lost_note": "Too dear"}]


def test_a_missing_reason_keeps_the_form_open_on_it() -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        form = pilot.app.screen
        assert isinstance(form, GateForm)
        form.query_one("#gate-lost_note", Input).focus()
        await pilot.press(*"They went quiet", "enter")
        await pilot.pause()
        assert pilot.app.screen is form
        assert form.focused is form.query_one("#gate-lost_reason", Select)
        assert "Lost reason is needed" in str(form.query_one("#gate-error").render())
        assert form.query_one("#gate-lost_note", Input).value == "They went quiet"

    assert run(lost_form("lost_reason", "lost_note"), scenario) == []


def test_every_text_form_says_its_save_key_and_takes_it() -> None:
    for form in (
        TextForm("Reason", "Why?"),
        Ask("Outcome", "How did it go?"),
        QuestionForm(),
    ):

        async def scenario(pilot: Pilot[None]) -> None:
            assert footer_keys(pilot)[0][0] == "enter/^s"
            pilot.app.screen.query_one(Input).focus()
            await pilot.press(*"Booked a demo", "ctrl+s")

        assert run(form, scenario) == ["Booked a demo"]


def test_a_date_that_is_not_one_keeps_the_item_editor_open() -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        form = pilot.app.screen
        assert isinstance(form, ItemEditor)
        form.query_one(Input).focus()
        await pilot.press(*"soonish", "enter")
        await pilot.pause()
        assert pilot.app.screen is form
        assert form.query_one(Input).value == "soonish"
        assert "is not a date" in str(form.query_one("#item-error").render())
        form.query_one(Input).value = "2026-04-01"
        await pilot.press("enter")

    assert run(ItemEditor("Go-live", "date", "", []), scenario) == ["2026-04-01"]


def test_people_without_a_role_keep_the_item_editor_open() -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        form = pilot.app.screen
        assert isinstance(form, ItemEditor)
        area = form.query_one(TextArea)
        area.focus()
        area.text = "Dana Lee (CFO)\nRaj Patel"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is form and form.focused is area
        assert area.text == "Dana Lee (CFO)\nRaj Patel"
        error = str(form.query_one("#item-error").render())
        assert "Give 'Raj Patel' a role" in error

    assert run(ItemEditor("Stakeholders", "contacts", "", []), scenario) == []


def test_a_choice_says_its_digits_pick_and_a_digit_does() -> None:
    form = ChoiceForm("Disqualify", [("spam", "Spam"), ("no_fit", "No fit")])

    async def scenario(pilot: Pilot[None]) -> None:
        assert footer_keys(pilot)[:2] == [("1-9", "Pick"), ("esc", "Cancel")]
        await pilot.press("2")

    assert run(form, scenario) == ["no_fit"]


def test_a_value_that_does_not_fit_names_its_field_once() -> None:
    needs = [
        _need(PROCESS, "amount", "to enter Closed won"),
        _need(PROCESS, "close_on", "to enter Closed won"),
    ]
    form = GateForm(PROCESS, "To move to Closed won", needs, clock=CLOCK)

    async def scenario(pilot: Pilot[None]) -> None:
        error = form.query_one("#gate-error")
        form.query_one("#gate-amount", Input).value = "abc"
        await pilot.press("ctrl+s")
        assert str(error.render()) == "Amount: 'abc' is not an amount."
        form.query_one("#gate-amount", Input).value = "4000"
        form.query_one("#gate-close_on", Input).value = "2026-13-45"
        await pilot.press("ctrl+s")
        assert str(error.render()) == 'Close date: "2026-13-45" is not a date.'

    assert run(form, scenario) == []


def test_a_long_reason_for_asking_wraps_instead_of_being_cut() -> None:
    why = "to leave Discovery scheduled, or close it lost with a reason"
    needs = [_need(PROCESS, "next_meeting_at", why)]
    form = GateForm(PROCESS, "To move to Qualified opportunity", needs, clock=CLOCK)

    async def scenario(pilot: Pilot[None]) -> None:
        assert f"Next meeting ({why})" in on_screen(pilot)

    run(form, scenario)


def test_other_asks_its_note_beside_the_reason_which_can_still_change() -> None:
    # The note used to come in a second form without the reason, its why
    # cut off and its error saying "is needed a lost reason of … needs".
    form = lost_form("lost_reason")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter", "up", "enter")  # the last reason, Other
        await pilot.pause()
        assert pilot.app.screen is form
        reason = form.query_one("#gate-lost_reason", Select)
        assert reason.value == "other"
        note = "Note on why it was lost (for the lost reason “Other”)"
        assert note in on_screen(pilot)
        assert form.focused is form.query_one("#gate-lost_note", Input)
        await pilot.press("ctrl+s")
        assert str(form.query_one("#gate-error").render()) == (
            "Note on why it was lost is needed for the lost reason “Other”."
        )
        # Another reason after all: the note is no longer asked, and
        # choosing the reason moves, as it does with no note.
        reason.value = "price"
        await pilot.pause()

    assert run(form, scenario) == [{"lost_reason": "price"}]


def test_other_with_its_note_moves() -> None:
    form = lost_form("lost_reason")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("enter", "up", "enter")
        await pilot.pause()
        await pilot.press(*"Merged with a customer", "enter")

    answers = run(form, scenario)
    assert answers == [{"lost_reason": "other", "lost_note": "Merged with a customer"}]


def every_form() -> list[Screen[Any]]:
    return [
        lost_form("lost_reason", "lost_note"),
        Ask("Outcome", "How did it go?"),
        TextForm("Reason", "Why?"),
        DateForm("Nurture", date(2026, 3, 2), date(2026, 4, 2)),
        ChoiceForm("Disqualify", [("spam", "Spam"), ("no_fit", "No fit")]),
        QuestionForm(),
        *(ItemEditor(kind, kind, "", ["alex", "kim"]) for kind in HINTS),
    ]


def test_every_form_says_the_keys_its_footer_shows_whole_at_120_by_40() -> None:
    # Gate forms said "enter moves" over a footer of "^s Move"; the user
    # picker "enter picks" over "^s Save"; the people editor's hint was cut
    # at "ctrl+s save".
    for form in every_form():

        async def scenario(pilot: Pilot[None]) -> None:
            said = said_under_the_box(pilot)
            shown = footer_keys(pilot)
            assert [keys for keys, _ in said] == [keys for keys, _ in shown], said
            for (_, does), (_, description) in zip(said, shown, strict=True):
                assert does.startswith(description.lower().split()[0]), said
            under = " · ".join(f"{keys} {does}" for keys, does in said)
            assert any(under in row for row in screen_rows(pilot)), under
            editor = pilot.app.screen
            if isinstance(editor, ItemEditor):
                assert HINTS[editor._kind] in on_screen(pilot)

        run(form, scenario, size=(120, 40))


def test_a_date_item_saves_on_enter_a_user_item_picks_on_ctrl_s() -> None:
    async def pick(pilot: Pilot[None]) -> None:
        await pilot.press("down", "ctrl+s")

    assert run(ItemEditor("Owner", "user", "", ["alex", "kim"]), pick) == ["kim"]

    async def date_typed(pilot: Pilot[None]) -> None:
        pilot.app.screen.query_one(Input).focus()
        await pilot.press(*"2026-04-01", "enter")

    assert run(ItemEditor("Go-live", "date", "", []), date_typed) == ["2026-04-01"]

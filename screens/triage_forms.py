"""The small forms of triage: pick one of a list, type a date, give a
reason. Each is a modal that dismisses with the answer, or None when the rep
presses escape; digits pick from a list at once, so a disqualification with
its reason is two keys."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import ClassVar

from dateutil.relativedelta import relativedelta
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.footer import KeyFooter

PICK_KEYS = "123456789"


class ChoiceForm(ModalScreen[str | None]):
    """Pick one option: its digit, or the arrows and enter.

    | Key(s) | Description |
    | :- | :- |
    | 1-9 | Pick that option. |
    | up, down, enter | Move and pick. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # One footer entry says what all the digits do.
        Binding("1", "pick(0)", "Pick", key_display="1-9", id="pick"),
        *(
            Binding(key, f"pick({n})", f"Pick {key}", show=False)
            for n, key in enumerate(PICK_KEYS)
            if n
        ),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        *,
        note: str = "",
        highlight: int = 0,
    ) -> None:
        super().__init__()
        self._title = title
        self._options = options
        self._note = note
        self._highlight = highlight

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box") as box:
            box.border_title = self._title
            box.border_subtitle = "1-9 picks · esc cancels"
            if self._note:
                yield Static(self._note, classes="form-note")
            yield OptionList(
                *(
                    Option(
                        f"{PICK_KEYS[n]}  {label}" if n < len(PICK_KEYS) else label,
                        id=key,
                    )
                    for n, (key, label) in enumerate(self._options)
                ),
                id="form-options",
            )
        yield KeyFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = min(self._highlight, len(self._options) - 1)
        options.focus()

    def action_pick(self, index: int) -> None:
        """Pick the option with that digit."""
        if index < len(self._options):
            self.dismiss(self._options[index][0])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without picking."""
        self.dismiss(None)


def parse_when(text: str, today: date) -> date:
    """A date as a rep types it: ``2027-01-31``, or from today ``+10``
    (days), ``2w``, ``3m``."""
    text = text.strip().lower().lstrip("+")
    found = re.fullmatch(r"(\d+)\s*([dwm]?)", text)
    if found:
        amount, unit = int(found.group(1)), found.group(2) or "d"
        if unit == "m":
            return today + relativedelta(months=amount)
        return today + timedelta(days=amount * (7 if unit == "w" else 1))
    return date.fromisoformat(text)


class TextForm(ModalScreen[str | None]):
    """One line of text (a date, a reason); enter saves, escape cancels.

    | Key(s) | Description |
    | :- | :- |
    | enter, ctrl+s | Save. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", key_display="enter/^s", id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self, title: str, note: str, value: str = "") -> None:
        super().__init__()
        self._title = title
        self._note = note
        self._value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box") as box:
            box.border_title = self._title
            box.border_subtitle = "enter/^s saves · esc cancels"
            yield Static(self._note, classes="form-note")
            yield Input(value=self._value, id="form-input", select_on_focus=True)
            yield Static("", id="form-error", classes="form-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def check(self, value: str) -> str | None:
        """What is wrong with ``value``, or None; subclasses refine it."""
        return None if value.strip() else "Type something, or escape to cancel."

    @on(Input.Submitted)
    def action_save(self) -> None:
        """Save what is typed, or say what is wrong with it."""
        value = self.query_one(Input).value
        problem = self.check(value)
        if problem is not None:
            self.query_one("#form-error", Static).update(problem)
            return
        self.dismiss(value.strip())

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class DateForm(TextForm):
    """A revisit date after today."""

    def __init__(self, title: str, today: date, default: date) -> None:
        super().__init__(
            title,
            "Revisit on: a date (2027-01-31) or from today: 10, 2w, 3m.",
            default.isoformat(),
        )
        self._today = today

    def check(self, value: str) -> str | None:
        try:
            when = parse_when(value, self._today)
        except ValueError:
            return f"“{value}” is not a date: try 2027-01-31, 2w or 3m."
        if when <= self._today:
            return "The revisit date must be after today."
        return None

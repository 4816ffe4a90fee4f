"""The small forms a hand-off item is filled with, one per kind of item:
a date input, a user picker, people with their roles, free text.

Each is a modal that dismisses with the text to write (the service reads
it the same way the CLI does) or ``None`` when the rep backs out.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from crm_tui.rules.handoff import BadValue, parse_date, parse_people
from screens.footer import KeyFooter

# What to write; the keys are said once, under the box and in the footer.
HINTS = {
    "date": "A date: 2026-04-01, 1 Apr 2026 or April 1, 2026.",
    "user": "Pick the user.",
    "contacts": "One person per line, with their role: Dana Lee (CFO).",
    "text": "Write it down as promised.",
}

# The save action each kind offers (one line or a list: enter saves too;
# in text, enter starts a new line) and what the box says of its keys, in
# the footer's own words.
SAVE_ACTION = {"date": "save_line", "user": "pick"}
KEYS_SAID = {
    "save_line": "enter/^s saves · esc cancels",
    "pick": "enter/^s picks · esc cancels",
    "save": "^s saves · esc cancels",
}


class ItemEditor(ModalScreen[str | None]):
    """Fill one checklist item with the input its kind needs.

    | Key(s) | Description |
    | :- | :- |
    | enter, ctrl+s | Save (a date) or pick (a user). |
    | ctrl+s | Save (text, people: enter starts a new line). |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # One of the three shows, as the item's kind has it (check_action).
        Binding("ctrl+s", "save_line", "Save", key_display="enter/^s", id="save-line"),
        Binding("ctrl+s", "pick", "Pick", key_display="enter/^s", id="pick"),
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self, label: str, kind: str, text: str, users: list[str]) -> None:
        super().__init__()
        self._label = label
        self._kind = kind
        self._text = text
        self._users = users

    def compose(self) -> ComposeResult:
        with Vertical(id="item-editor", classes="dialog") as box:
            box.border_title = self._label
            box.border_subtitle = KEYS_SAID[self._save_action]
            yield Label(HINTS.get(self._kind, ""), classes="hint")
            if self._kind == "date":
                yield Input(self._text, placeholder="YYYY-MM-DD", id="item-input")
            elif self._kind == "user":
                picker = OptionList(
                    *(Option(name, id=name) for name in self._users), id="item-users"
                )
                yield picker
            else:
                # People are typed "; "-separated elsewhere; here one a line.
                text = (
                    self._text.replace("; ", "\n")
                    if self._kind == "contacts"
                    else self._text
                )
                yield TextArea(
                    text, id="item-text", soft_wrap=True, show_line_numbers=False
                )
            yield Static("", id="item-error", classes="form-error")
        yield KeyFooter()

    @property
    def _save_action(self) -> str:
        return SAVE_ACTION.get(self._kind, "save")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in KEYS_SAID:
            return action == self._save_action
        return True

    def on_mount(self) -> None:
        if self._kind == "user" and self._text in self._users:
            picker = self.query_one(OptionList)
            picker.highlighted = self._users.index(self._text)

    @on(Input.Submitted, "#item-input")
    def _entered(self) -> None:
        self.action_save()

    @on(OptionList.OptionSelected, "#item-users")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_save(self) -> None:
        """Save what is written."""
        if self._kind == "user":
            picker = self.query_one(OptionList)
            if picker.highlighted is not None:
                self.dismiss(self._users[picker.highlighted])
            return
        field: Input | TextArea
        if self._kind == "date":
            field = self.query_one(Input)
            text = field.value
        else:
            field = self.query_one(TextArea)
            text = field.text
        # Read it here as the hand-off will, so a typo is fixed in place
        # instead of the form closing on it.
        try:
            if text.strip() and self._kind == "date":
                parse_date(text)
            elif text.strip() and self._kind == "contacts":
                parse_people(text)
        except BadValue as problem:
            self.query_one("#item-error", Static).update(str(problem))
            field.focus()
            return
        self.dismiss(text)

    def action_save_line(self) -> None:
        """Save the date typed."""
        self.action_save()

    def action_pick(self) -> None:
        """Pick the highlighted user."""
        self.action_save()

    def action_cancel(self) -> None:
        """Close without changing the item."""
        self.dismiss(None)


class QuestionForm(ModalScreen[str | None]):
    """Ask the closing rep a question, sending the hand-off back.

    | Key(s) | Description |
    | :- | :- |
    | enter, ctrl+s | Send it back with the question. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send back", key_display="enter/^s", id="send"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="question-form", classes="dialog") as box:
            box.border_title = "Send back with a question"
            box.border_subtitle = "enter/^s sends back · esc cancels"
            yield Label("What must the closing rep answer or add?", classes="hint")
            yield Input(placeholder="Which SSO provider did we promise?", id="question")
        yield KeyFooter()

    @on(Input.Submitted, "#question")
    def action_send(self) -> None:
        """Send the hand-off back with the question typed."""
        text = self.query_one("#question", Input).value.strip()
        if text:
            self.dismiss(text)

    def action_cancel(self) -> None:
        """Keep the hand-off as it is."""
        self.dismiss(None)

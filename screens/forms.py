"""Small modal forms the pipeline screens share: the gate form that asks for
exactly what a move lacks, pickers for a stage or an owner, a yes/no
confirmation, and a one-line text question (a task's outcome)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from crm_tui.clock import Clock
from crm_tui.errors import CrmError
from crm_tui.process import Process
from crm_tui.rules.stages import Need, check_ahead, note_need, parse_value
from screens.footer import KeyFooter


class GateForm(ModalScreen[dict[str, str] | None]):
    """Asks for the fields a move lacks, then returns them as typed.

    Escape returns None: the card stays where it was.

    Enter in a text field moves, and so does choosing from the last list;
    choosing from an earlier list goes on to the next field.

    | Key(s) | Description |
    | :- | :- |
    | enter | Move (in a list: choose, and move when it is the last). |
    | ctrl+s | Move, from any field. |
    | escape | Cancel the move. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Fields keep enter for themselves (a list opens on it), which hides
        # an enter binding from the footer: the one that moves from any
        # field says enter too, as the box does.
        Binding("ctrl+s", "submit", "Move", key_display="enter/^s", id="submit"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(
        self, process: Process, title: str, needs: list[Need], *, clock: Clock
    ) -> None:
        super().__init__()
        self._process = process
        self._clock = clock
        self._title = title
        self.needs = list(needs)
        # Whether the form asked for a lost note of its own accord (for the
        # reason chosen), and so drops it when another reason is chosen.
        self._note_added = False
        # The field the error shown is about, until its value changes.
        self._error_field: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="gate-box", classes="modal-box") as box:
            box.border_title = self._title
            box.border_subtitle = "enter/^s moves · esc cancels"
            for need in self.needs:
                yield from self._asking(need)
            yield Static("", id="gate-error", classes="form-error")
        yield KeyFooter()

    def _asking(self, need: Need) -> list[Widget]:
        """A field's label (what and why, wrapped) and where it is entered."""
        heading = Label(
            f"{need.label} [dim]({need.why})[/]",
            id=f"gate-label-{need.field}",
            classes="gate-label",
        )
        field: Widget
        if need.kind == "choice":
            field = Select(
                [(label, key) for key, label in need.choices],
                prompt=f"Choose a {need.label.lower()}",
                id=f"gate-{need.field}",
                classes="gate-input",
            )
        else:
            field = Input(
                placeholder=need.hint, id=f"gate-{need.field}", classes="gate-input"
            )
        return [heading, field]

    def values(self) -> dict[str, str]:
        """What the rep has entered so far, by field."""
        found: dict[str, str] = {}
        for need in self.needs:
            widget = self.query_one(f"#gate-{need.field}")
            if isinstance(widget, Select):
                value = widget.value
                found[need.field] = "" if value is Select.NULL else str(value)
            elif isinstance(widget, Input):
                found[need.field] = widget.value
        return found

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._clear_error(event.input.id)

    def _clear_error(self, widget_id: str | None) -> None:
        """Take the error away once the field it is about changes: left
        standing, it reads as if the new value were refused too. The next
        move checks every field again."""
        if self._error_field is not None and widget_id == f"gate-{self._error_field}":
            self._error_field = None
            self.query_one("#gate-error", Static).update("")

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        self._clear_error(event.select.id)
        if event.value is Select.NULL:
            return
        if event.select.id == "gate-lost_reason":
            self._ask_note(str(event.value))
        fields = [f"gate-{need.field}" for need in self.needs]
        place = fields.index(event.select.id or "")
        if place == len(fields) - 1:
            self.action_submit()
        else:
            # After the list has closed and handed the focus back.
            after = f"#{fields[place + 1]}"
            self.call_after_refresh(lambda: self.query_one(after).focus())

    def _ask_note(self, reason: str) -> None:
        """Ask for the note a lost reason needs right under the reason, and
        stop asking when another reason is chosen: the reason stays here to
        change, rather than a second form asking for the note alone."""
        note = note_need(self._process, reason)
        asked = [need for need in self.needs if need.field == "lost_note"]
        if note is not None and not asked:
            place = [need.field for need in self.needs].index("lost_reason")
            self.needs.insert(place + 1, note)
            self.query_one("#gate-box").mount_all(
                self._asking(note), after=self.query_one("#gate-lost_reason")
            )
            self._note_added = True
        elif note is None and asked and self._note_added:
            self.needs.remove(asked[0])
            self.query("#gate-label-lost_note, #gate-lost_note").remove()
            self._note_added = False
            self._clear_error("gate-lost_note")

    def action_submit(self) -> None:
        """Check every value here, so a typo is fixed in place: the form
        stays open with what was typed, on the field to fix."""
        values = self.values()
        now = self._clock.now()
        for need in self.needs:
            text = values.get(need.field, "")
            if not text.strip():
                self._error(need.field, f"{need.label} is needed {need.why}.")
                return
            try:
                check_ahead(
                    need.field, parse_value(self._process, need.field, text), now
                )
            except CrmError as error:
                # The rules name the field in what they say (the CLI shows
                # the same words), so the form adds nothing in front.
                self._error(need.field, str(error))
                return
        self.dismiss(values)

    def _error(self, field: str, text: str) -> None:
        self._error_field = field
        self.query_one("#gate-error", Static).update(text)
        self.query_one(f"#gate-{field}").focus()

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)


class Picker(ModalScreen[str | None]):
    """Choose one of a few options (a stage, an owner); returns its id.

    | Key(s) | Description |
    | :- | :- |
    | enter | Choose. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box", classes="modal-box") as box:
            box.border_title = self._title
            yield OptionList(
                *(Option(label, id=key) for key, label in self._options),
                id="picker-options",
            )
        # Its own footer, so the keys shown are the ones that work here.
        yield KeyFooter()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """A yes/no question before an action that changes many records or
    clears what was recorded.

    | Key(s) | Description |
    | :- | :- |
    | y | Yes, do it. |
    | n, escape | No. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="modal-box") as box:
            box.border_title = "Confirm"
            box.border_subtitle = "y yes · n no"
            yield Static(self._question, id="confirm-question")
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        """Answer the question."""
        self.dismiss(yes)


class Ask(ModalScreen[str | None]):
    """One line of text: a task's outcome, a note.

    | Key(s) | Description |
    | :- | :- |
    | enter, ctrl+s | Save. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", key_display="enter/^s", id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self, title: str, question: str, placeholder: str = "") -> None:
        super().__init__()
        self._title = title
        self._question = question
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box", classes="modal-box") as box:
            box.border_title = self._title
            box.border_subtitle = "enter/^s saves · esc cancels"
            yield Label(self._question)
            yield Input(placeholder=self._placeholder, id="ask-input")
            yield Static("", id="ask-error", classes="form-error")
        yield KeyFooter()

    @on(Input.Submitted, "#ask-input")
    def action_save(self) -> None:
        """Save the answer."""
        text = self.query_one("#ask-input", Input).value.strip()
        if not text:
            self.query_one("#ask-error", Static).update("Write something first.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

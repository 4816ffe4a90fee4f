"""The form for a lead's basic fields, opened from the lead page."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from crm_tui.errors import FieldNotValid
from crm_tui.rules.lead_fields import BASIC_FIELDS, LEAD_LABELS, clean_lead_changes
from screens.footer import KeyFooter

# The form's fields, under the names the field-usage audit uses too.
LABELS = {key: LEAD_LABELS[key] for key in BASIC_FIELDS}


class LeadEditScreen(ModalScreen[dict[str, Any] | None]):
    """Edit a lead's basic fields: who, how to reach them, where from.

    Dismisses with the fields the rep changed (``None`` when cancelled).

    | Key(s) | Description |
    | :- | :- |
    | ctrl+s | Save. |
    | enter | Save (from any field). |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="edit-save"),
        Binding("escape", "cancel", "Cancel", id="edit-cancel"),
    ]

    def __init__(self, title: str, values: dict[str, Any]) -> None:
        super().__init__()
        self._title = title
        self.started = {key: values.get(key) for key in LABELS}

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box") as box:
            box.border_title = self._title
            with Grid(id="edit-grid"):
                for key, label in LABELS.items():
                    yield Label(label)
                    yield Input(str(self.started[key] or ""), id=f"edit-{key}")
            yield Static("", id="edit-error", classes="form-error")
        yield KeyFooter()

    def changes(self) -> dict[str, Any]:
        """The fields whose text differs from what the form started with."""
        found = {}
        for key in LABELS:
            typed = self.query_one(f"#edit-{key}", Input).value.strip() or None
            if typed != (self.started[key] or None):
                found[key] = typed
        return found

    @on(Input.Submitted)
    def action_save(self) -> None:
        """Save what was changed; a value that does not fit keeps the form
        open, with everything as typed and the cursor in that field."""
        changes = self.changes()
        try:
            clean_lead_changes(changes)
        except FieldNotValid as problem:
            self.query_one("#edit-error", Static).update(str(problem))
            self.query_one(f"#edit-{problem.field}", Input).focus()
            return
        self.dismiss(changes)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

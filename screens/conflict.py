"""The conflict dialog: a colleague saved the record while you edited it.

Reusable for any record: the caller gives the fields, what the rep started
from, what they typed, and what is in the database now. The rep keeps
theirs, takes the colleague's, or picks field by field; nothing is saved
until they choose, and escape saves nothing (their edit is not lost
silently: the caller says so).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from screens.footer import KeyFooter


def _shown(value: Any) -> Text:
    if value in (None, ""):
        return Text("—", style="dim")
    return Text(str(value))


class ConflictScreen(ModalScreen[dict[str, Any] | None]):
    """Keep mine, take theirs, or merge field by field.

    Dismisses with the value chosen for every edited field, or ``None``.

    | Key(s) | Description |
    | :- | :- |
    | space | Switch the highlighted field between yours and theirs. |
    | m | Keep all of yours. |
    | t | Take all of theirs. |
    | enter | Save the values chosen. |
    | escape | Save nothing. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "switch", "Switch field", id="conflict-switch"),
        Binding("m", "keep_mine", "Keep mine", id="conflict-mine"),
        Binding("t", "take_theirs", "Take theirs", id="conflict-theirs"),
        Binding("enter", "save", "Save choice", priority=True, id="conflict-save"),
        Binding("escape", "cancel", "Save nothing", id="conflict-cancel"),
    ]

    def __init__(
        self,
        what: str,
        labels: dict[str, str],
        started: dict[str, Any],
        mine: dict[str, Any],
        theirs: dict[str, Any],
    ) -> None:
        super().__init__()
        self._what = what
        self._labels = labels
        self._started = started
        self._mine = mine
        self._theirs = theirs
        self.choice: dict[str, str] = {
            key: self._default(key) for key in mine if mine[key] != theirs.get(key)
        }

    def _default(self, key: str) -> str:
        # A field only the colleague changed: take theirs; one you changed
        # (alone or both of you): keep yours, the rep can switch it.
        if self._mine[key] == self._started.get(key):
            return "theirs"
        return "mine"

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-box") as box:
            box.border_title = "Someone else changed this while you were editing"
            yield Static(
                f"{self._what}: choose, field by field, whose value to keep.",
                id="conflict-intro",
            )
            yield DataTable(id="conflict-table", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Field", key="field")
        table.add_column("You started from", key="started")
        table.add_column("Yours", key="mine")
        table.add_column("Theirs (saved)", key="theirs")
        table.add_column("Keep", key="keep")
        for key in self._mine:
            table.add_row(
                self._labels.get(key, key),
                _shown(self._started.get(key)),
                _shown(self._mine[key]),
                _shown(self._theirs.get(key)),
                self._keep_cell(key),
                key=key,
            )
        table.focus()

    def _keep_cell(self, key: str) -> Text:
        pick = self.choice.get(key)
        if pick is None:
            return Text("same", style="dim")
        if pick == "mine":
            return Text("yours", style="bold green")
        return Text("theirs", style="bold yellow")

    def _redraw(self, key: str) -> None:
        self.query_one(DataTable).update_cell(key, "keep", self._keep_cell(key))

    def action_switch(self) -> None:
        """Switch the highlighted field between yours and theirs."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        if key in self.choice:
            self.choice[key] = "theirs" if self.choice[key] == "mine" else "mine"
            self._redraw(key)

    def action_keep_mine(self) -> None:
        """Keep every value you typed."""
        for key in self.choice:
            self.choice[key] = "mine"
            self._redraw(key)

    def action_take_theirs(self) -> None:
        """Take every value your colleague saved."""
        for key in self.choice:
            self.choice[key] = "theirs"
            self._redraw(key)

    def resolved(self) -> dict[str, Any]:
        """The value to keep for every edited field."""
        return {
            key: self._theirs.get(key)
            if self.choice.get(key) == "theirs"
            else self._mine[key]
            for key in self._mine
        }

    def action_save(self) -> None:
        """Save the values chosen."""
        self.dismiss(self.resolved())

    def action_cancel(self) -> None:
        """Close without saving anything."""
        self.dismiss(None)

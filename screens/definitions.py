"""The team's definitions, over any screen: every stage and important term
as ``process.toml`` defines it."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from crm_tui.audits.definitions import Definition, definitions
from crm_tui.workspace import Workspace


class DefinitionsLoaded(Message):
    def __init__(self, found: list[Definition]) -> None:
        super().__init__()
        self.found = found


class DefinitionsScreen(ModalScreen[None]):
    """What each stage and term means here.

    | Key(s) | Description |
    | :- | :- |
    | escape | Close. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,D", "close", "Close", key_display="esc"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="definitions-box") as box:
            box.border_title = "Definitions"
            box.border_subtitle = "esc closes"
            yield Static("Reading process.toml…", id="definitions-text")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        # The process file is read (once) from disk: not on the event loop.
        self.post_message(DefinitionsLoaded(definitions(self._ws.process)))

    def on_definitions_loaded(self, message: DefinitionsLoaded) -> None:
        table = Table.grid(padding=(0, 2))
        accent = self.app.current_theme.accent or "cyan"
        table.add_column(style=f"bold {accent}", no_wrap=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
        for item in message.found:
            table.add_row(item.name, item.kind, item.text or "—")
        self.query_one("#definitions-text", Static).update(table)

    def action_close(self) -> None:
        self.dismiss(None)

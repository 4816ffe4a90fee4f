"""The Textual app: one workspace, opened on the inbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from crm_tui.workspace import Workspace
from screens.help import HelpScreen, screen_keys
from screens.inbox import InboxScreen


class CrmApp(App[None]):
    """crm-tui in the terminal, for the user of one workspace.

    | Key(s) | Description |
    | :- | :- |
    | ? | Show the keys of the current screen. |
    | q | Quit. |
    | b | The pipeline board. |
    | t | My day: tasks and deals that need a next step. |
    | ctrl+p | The command palette: every key of the screen, by name. |
    """

    CSS_PATH = "crm.tcss"
    TITLE = "crm-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("b", "board", "Pipeline", id="board"),
        Binding("t", "my_day", "My day", id="my-day"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.sub_title = f"{ws.user_name} · {database_name(ws)}"

    def on_mount(self) -> None:
        self.push_screen(InboxScreen(self.ws))

    def action_board(self) -> None:
        """Open the pipeline board (or go back to it)."""
        from screens.board import BoardScreen

        self._open(BoardScreen, lambda: BoardScreen(self.ws))

    def action_my_day(self) -> None:
        """Open my day: tasks due and deals that need a next step."""
        from screens.my_day import MyDayScreen

        self._open(MyDayScreen, lambda: MyDayScreen(self.ws))

    def _open(self, kind: type[Screen[None]], make: Callable[[], Screen[None]]) -> None:
        if isinstance(self.screen, kind):
            return
        for screen in self.screen_stack:
            if isinstance(screen, kind):
                # Already open underneath: go back to it rather than stack a copy.
                while not isinstance(self.screen, kind):
                    self.pop_screen()
                return
        self.push_screen(make())

    def action_help(self) -> None:
        """Show the keys of the screen the rep is looking at."""
        if isinstance(self.screen, HelpScreen):
            return
        title = type(self.screen).__name__.removesuffix("Screen") or "Keys"
        self.push_screen(HelpScreen(title, screen_keys(self.screen)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Every key of the screen is a command too, so a rep who forgot a key
        # finds the action by name.
        seen: set[str] = set()
        for key in screen_keys(screen):
            seen.add(key.description)
            yield SystemCommand(
                key.description,
                f"Key: {key.keys}",
                partial(self.run_action, key.action, key.node),
            )
        for command in super().get_system_commands(screen):
            if command.title not in seen:
                yield command


def database_name(ws: Workspace) -> str:
    """The database file's name (or a server database's name) for the header."""
    database = ws.engine.url.database
    if not database or database == ":memory:":
        return "in memory"
    return Path(database).name

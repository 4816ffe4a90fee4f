"""The Textual app: one workspace, opened on the inbox."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from crm_tui.workspace import Workspace
from screens.breaches import BreachesScreen
from screens.help import HelpScreen, screen_keys
from screens.inbox import InboxScreen
from screens.my_leads import MyLeadsScreen
from screens.triage import TriageScreen


class CrmApp(App[None]):
    """crm-tui in the terminal, for the user of one workspace.

    | Key(s) | Description |
    | :- | :- |
    | ? | Show the keys of the current screen. |
    | i | The inbox. |
    | m | My leads. |
    | b | The team's breaches (managers). |
    | ctrl+q | Quit. |
    | ctrl+p | The command palette: every key of the screen, by name. |
    """

    CSS_PATH = "crm.tcss"
    TITLE = "crm-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("i", "mode('inbox')", "Inbox", id="inbox"),
        Binding("m", "mode('mine')", "My leads", id="my-leads"),
        Binding("b", "mode('breaches')", "Breaches", id="breaches"),
        # q qualifies a lead on the lists, so quitting is ctrl+q.
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self.sub_title = f"{ws.user_name} · {database_name(ws)}"

    def on_mount(self) -> None:
        # Each list is a mode with its own stack, so a lead opened from "my
        # leads" goes back there, and switching keeps each list's place.
        self.add_mode("inbox", lambda: InboxScreen(self.ws))
        self.add_mode("mine", lambda: MyLeadsScreen(self.ws))
        self.add_mode("breaches", lambda: BreachesScreen(self.ws))
        self.switch_mode("inbox")

    def action_mode(self, mode: str) -> None:
        """Switch to a list: the inbox, my leads or the breaches."""
        if self.current_mode != mode:
            self.switch_mode(mode)
        elif isinstance(self.screen, TriageScreen):
            self.screen.action_refresh()

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

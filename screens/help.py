"""The keys of a screen, read from its bindings: the help screen and the
command palette both list them, so neither can fall behind the footer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


@dataclass(frozen=True)
class ScreenKey:
    """One action of a screen and every key that runs it."""

    keys: str
    description: str
    action: str
    node: DOMNode


def screen_keys(screen: Screen[object]) -> list[ScreenKey]:
    """The actions a rep can take on ``screen`` right now, in footer order.

    A widget's own bindings count only when it shows them: a table's
    page-up and home keys are the framework's, not the CRM's.
    """
    app = screen.app
    found: dict[tuple[int, str], tuple[list[str], Binding, DOMNode]] = {}
    for node, binding, enabled, _tooltip in screen.active_bindings.values():
        # Hidden bindings are the framework's (focus, copy, page keys), not
        # the CRM's; the palette's own key is listed separately.
        if not enabled or not binding.show or not binding.description:
            continue
        entry = found.setdefault((id(node), binding.action), ([], binding, node))
        key = app.get_key_display(binding)
        if key not in entry[0]:
            entry[0].append(key)
    return [
        ScreenKey(" ".join(keys), binding.description, binding.action, node)
        for keys, binding, node in found.values()
    ]


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath, over a dimmed copy of it.

    | Key(s) | Description |
    | :- | :- |
    | escape, ? | Close the help. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", key_display="esc"),
    ]

    def __init__(self, title: str, keys: list[ScreenKey]) -> None:
        super().__init__()
        self._title = title
        self._keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = f"Keys · {self._title}"
            box.border_subtitle = "esc closes"
            yield Static(self._table(), id="help-keys")

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 3))
        accent = self.app.current_theme.accent or "cyan"
        table.add_column(justify="right", style=f"bold {accent}", no_wrap=True)
        table.add_column()
        for key in self._keys:
            table.add_row(key.keys, key.description)
        palette = App.COMMAND_PALETTE_BINDING
        table.add_row(f"^{palette.split('+')[-1]}", "All commands (palette)")
        return table

    def action_close(self) -> None:
        """Close the help and return to the screen."""
        self.dismiss(None)

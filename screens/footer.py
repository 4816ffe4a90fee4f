"""The footer of every screen: the keys a rep can press, redrawn only when
they change.

Textual's footer rebuilds all of its keys whenever a screen says its
bindings may have changed, and a screen says so on every focus move, every
mount and every ``refresh_bindings``: a dozen times as the inbox starts and
once per arrow key on the board. Each rebuild restyles twenty widgets,
which cost more than everything else a key does. This one gathers the calls
made in one refresh into a single look, and rebuilds only when the keys it
would show, their labels or their enabled state differ from what it shows.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, bool, str], ...]


class KeyFooter(Footer):
    """A footer that redraws its keys only when they change."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: Shown | None = None
        self._pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._redraw)

    async def _redraw(self) -> None:
        self._pending = False
        shown = self._keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys(self) -> Shown:
        return tuple(
            (binding.key, binding.description, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )

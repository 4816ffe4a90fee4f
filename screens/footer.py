"""The footer of every screen: the keys a rep can press, redrawn only when
they change.

Textual's footer rebuilds all of its keys whenever a screen says its
bindings may have changed, and a screen says so on every focus move, every
mount and every ``refresh_bindings``: a dozen times as the inbox starts and
once per arrow key on the board. Each rebuild restyles twenty widgets,
which cost more than everything else a key does. This one gathers the calls
made in one refresh into a single look; when only whether keys can be
pressed changed, it greys or lights those keys in place, and it rebuilds
only when the keys themselves differ.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Per key shown, in order: its action, key, description and tooltip.
Layout = tuple[tuple[str, str, str, str], ...]


class KeyFooter(Footer):
    """A footer that redraws its keys only when they change."""

    def __init__(self) -> None:
        super().__init__()
        self._layout: Layout | None = None
        self._pending = False

    def on_mount(self) -> None:
        super().on_mount()
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        super().on_unmount()
        self.app.screen_change_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or screen is not self.app.screen:
            # Nobody sees a covered screen's footer: it catches up when
            # its screen is on top again.
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._redraw)

    def _screen_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.bindings_changed(screen)

    async def _redraw(self) -> None:
        self._pending = False
        if not self.is_attached:
            return  # its screen closed before the refresh came
        layout, enabled = self._shown()
        if layout != self._layout:
            self._layout = layout
            await self.recompose()
            return
        for key in self.query(FooterKey):
            if key.action in enabled and key._disabled == enabled[key.action]:
                # FooterKey keeps its state in a private flag beside the
                # class that greys it; set both, as its constructor does.
                key._disabled = not enabled[key.action]
                key.set_class(key._disabled, "-disabled")

    def _shown(self) -> tuple[Layout, dict[str, bool]]:
        """What the footer would show: one key per action (the first bound
        to it), and whether each action can be taken now."""
        layout: list[tuple[str, str, str, str]] = []
        enabled: dict[str, bool] = {}
        for _node, binding, can, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in enabled:
                layout.append(
                    (binding.action, binding.key, binding.description, tooltip)
                )
                enabled[binding.action] = can
        return tuple(layout), enabled

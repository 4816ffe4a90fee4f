"""Hand-offs waiting: a rep's own queue (to submit, sent back, to accept)
and the manager's list of every hand-off waiting, with how long each has
waited. Those waiting longer than ``waiting_too_long_days`` stand out."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from crm_tui.queries.handoffs import HandoffRow, handoff_rows
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter
from screens.format import age
from screens.handoff import HandoffScreen

Scope = Literal["mine", "waiting"]

TITLES = {"mine": "My hand-offs", "waiting": "Hand-offs waiting"}


class HandoffsLoaded(Message):
    def __init__(self, rows: list[HandoffRow]) -> None:
        super().__init__()
        self.rows = rows


class HandoffTable(DataTable[str | Text]):
    """Hand-offs, longest waiting first.

    | Key(s) | Description |
    | :- | :- |
    | j, down / k, up | Move. |
    | enter | Open the highlighted hand-off. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("enter", "select_cursor", "Open", id="open"),
    ]


class HandoffListScreen(CrmScreen[None]):
    """The hand-offs waiting for me, or (``waiting``) for anyone.

    | Key(s) | Description |
    | :- | :- |
    | enter | Open the hand-off. |
    | t | Switch between my queue and everything waiting. |
    | r | Refresh. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch", "Mine / all", id="switch"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("escape,backspace", "back", "Back", key_display="esc", id="back"),
    ]

    AUTO_FOCUS = "#handoff-table"

    def __init__(self, ws: Workspace, scope: Scope = "mine") -> None:
        super().__init__()
        self._ws = ws
        self.scope: Scope = scope

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static(TITLES[self.scope], id="handoffs-title", classes="title")
            yield Static("", id="handoffs-note", classes="title-note")
        yield HandoffTable(id="handoff-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="handoffs-empty", classes="empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(HandoffTable)
        table.add_column("#", width=5, key="id")
        table.add_column("Status", width=10, key="status")
        table.add_column(Text("Waited", justify="right"), width=6, key="waited")
        table.add_column("Deal", width=34, key="deal")
        table.add_column("Closing rep", width=11, key="closing")
        table.add_column("Next owner", width=11, key="next")
        table.add_column("Missing / question", key="note")
        self.query_one("#handoffs-empty").display = False
        self._load()

    @work(thread=True, exit_on_error=False, group="handoffs")
    def _load(self) -> None:
        mine = self._ws.user_id if self.scope == "mine" else None
        with self._ws.read() as session:
            rows = handoff_rows(session, for_user_id=mine)
        self.post_message(HandoffsLoaded(rows))

    def on_handoffs_loaded(self, message: HandoffsLoaded) -> None:
        table = self.query_one(HandoffTable)
        table.clear()
        now = self._ws.clock.now()
        too_long = timedelta(days=self._ws.process.handoff.waiting_too_long_days)
        for row in message.rows:
            table.add_row(*self._cells(row, now, too_long), key=str(row.id))
        count = len(message.rows)
        late = sum(1 for r in message.rows if now - r.waiting_since >= too_long)
        self.query_one("#handoffs-title", Static).update(
            f"{TITLES[self.scope]} · {count}"
        )
        self.query_one("#handoffs-note", Static).update(
            f"{late} waiting {too_long.days}+ days" if late else ""
        )
        empty = self.query_one("#handoffs-empty", Static)
        table.display = bool(count)
        empty.display = not count
        empty.update(
            "Nothing waiting for you." if self.scope == "mine" else "No hand-off waits."
        )

    @staticmethod
    def _cells(row: HandoffRow, now: datetime, too_long: timedelta) -> list[str | Text]:
        waited = Text(age(row.waiting_since, now), justify="right")
        if now - row.waiting_since >= too_long:
            waited.stylize("bold red")
        if row.status == "sent_back":
            note = Text(f"? {row.question or ''}", style="yellow")
        elif row.missing:
            note = Text(f"{row.missing} missing", style="red")
        else:
            note = Text("")
        title = (
            row.deal
            if not row.account or row.account in row.deal
            else f"{row.account} · {row.deal}"
        )
        return [
            str(row.id),
            row.status_label,
            waited,
            title,
            row.closing_rep or "—",
            row.next_owner or "—",
            note,
        ]

    @on(DataTable.RowSelected, "#handoff-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return

        def back(_: None) -> None:
            self._load()

        self.app.push_screen(HandoffScreen(self._ws, int(event.row_key.value)), back)

    def action_switch(self) -> None:
        """Switch between my queue and every hand-off waiting."""
        self.scope = "waiting" if self.scope == "mine" else "mine"
        self._load()

    def action_refresh(self) -> None:
        """Reload from the database."""
        self._load()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

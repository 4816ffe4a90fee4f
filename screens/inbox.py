"""The inbox: unowned new leads, oldest first, for a rep to claim.

The table holds a window of the inbox, never all of it: pages of 100 come
from a keyset query in a thread worker, and the next page is fetched when
the cursor comes near the end of what is loaded. A team with a million
leads opens the inbox as fast as a team with ten.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from crm_tui.errors import CrmError
from crm_tui.queries.leads import PAGE_SIZE, InboxRow, inbox_count, inbox_page
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.format import age
from screens.lead import LeadScreen
from screens.messages import ClaimFailed, LeadClaimed

# Fetch the next page while this many loaded rows are still below the
# cursor, so scrolling at key-repeat speed rarely meets the end.
LOAD_AHEAD = 20

# Typing in the search box narrows the list once the rep pauses this long,
# rather than querying on every keystroke.
SEARCH_PAUSE = 0.3

MOVE = Binding.Group("Move", compact=True)


class PageLoaded(Message):
    """A page of the inbox came back from the database."""

    def __init__(
        self,
        rows: list[InboxRow],
        count: int | None,
        generation: int,
        first: bool,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.count = count
        self.generation = generation
        self.first = first


class LeadTable(DataTable[str | Text]):
    """The inbox's table, with vim keys and "open" shown in the footer.

    | Key(s) | Description |
    | :- | :- |
    | j, down | Move to the next lead. |
    | k, up | Move to the previous lead. |
    | enter | Open the highlighted lead. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", group=MOVE, id="down"),
        Binding("k,up", "cursor_up", "Up", group=MOVE, id="up"),
        Binding("enter", "select_cursor", "Open", id="open"),
    ]


class InboxScreen(CrmScreen[None]):
    """The unowned leads, oldest first: where a rep picks up new work.

    | Key(s) | Description |
    | :- | :- |
    | c | Claim the highlighted lead. |
    | / | Search by name, company, e-mail or phone. |
    | escape | Clear the search. |
    | r | Refresh from the database. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "claim", "Claim", id="claim"),
        Binding("slash", "search", "Search", key_display="/", id="search"),
        Binding("escape", "clear_search", "Clear search", id="clear-search"),
        Binding("r", "refresh", "Refresh", id="refresh"),
    ]

    AUTO_FOCUS = "#inbox-table"

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self._search = ""
        # Each fresh load (start, refresh, new search) bumps the generation;
        # a page that arrives for an older one is dropped.
        self._generation = 0
        self._last_key: tuple[datetime, int] | None = None
        self._more = False
        self._loading = False
        self._count: int | None = None
        self._keep_on: int | None = None
        self._keep_row = 0
        self._claiming: set[int] = set()
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="inbox-bar", classes="title-bar"):
            yield Static("Inbox", id="inbox-title", classes="title")
            yield Static("", id="inbox-filter", classes="title-note")
        yield Input(
            placeholder="Search name, company, e-mail or phone",
            id="inbox-search",
        )
        yield LeadTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="inbox-empty", classes="empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(LeadTable)
        table.add_column("Name", width=30, key="name")
        table.add_column("Company", width=30, key="company")
        table.add_column("Source", width=18, key="source")
        table.add_column("Territory", width=14, key="territory")
        table.add_column(Text("Age", justify="right"), width=5, key="age")
        self.query_one("#inbox-empty", Static).display = False
        table.loading = True
        self._reload()

    # Loading -----------------------------------------------------------

    @property
    def table(self) -> LeadTable:
        """The table of loaded leads."""
        return self.query_one(LeadTable)

    def _reload(self, keep_on: int | None = None, rows: int = PAGE_SIZE) -> None:
        """Load the inbox from its first page (at least ``rows`` of it), for
        the current search."""
        self._generation += 1
        self._keep_on = keep_on
        self._keep_row = self.table.cursor_row if keep_on is not None else 0
        self._loading = True
        self._load_page(None, self._search, self._generation, max(rows, PAGE_SIZE))

    def _load_more(self) -> None:
        if not self._more or self._loading:
            return
        table = self.table
        if table.cursor_row < table.row_count - LOAD_AHEAD:
            return
        self._loading = True
        self._load_page(self._last_key, self._search, self._generation)

    @work(thread=True, exit_on_error=False, group="inbox")
    def _load_page(
        self,
        after: tuple[datetime, int] | None,
        search: str,
        generation: int,
        limit: int = PAGE_SIZE,
    ) -> None:
        with self._ws.read() as session:
            rows = inbox_page(session, after=after, search=search or None, limit=limit)
            # Counting is the slow part on a big inbox: once per fresh load.
            count = inbox_count(session, search or None) if after is None else None
        self.post_message(PageLoaded(rows, count, generation, first=after is None))

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return
        table = self.table
        self._loading = False
        table.loading = False
        if message.first:
            table.clear()
            self._count = message.count
        now = self._ws.clock.now()
        for row in message.rows:
            if str(row.id) not in table.rows:
                table.add_row(*self._cells(row, now), key=str(row.id))
        if message.rows:
            self._last_key = message.rows[-1].key
        self._more = len(message.rows) >= PAGE_SIZE
        if message.first and self._keep_on is not None:
            key = str(self._keep_on)
            # The same lead; if it left the inbox, the row that took its place.
            index = (
                table.get_row_index(key)
                if key in table.rows
                else min(self._keep_row, table.row_count - 1)
            )
            table.move_cursor(row=max(index, 0), animate=False)
        self._show_state()
        self._load_more()

    @staticmethod
    def _cells(row: InboxRow, now: datetime) -> list[str | Text]:
        def text(value: str | None) -> str | Text:
            return value if value else Text("—", style="dim")

        return [
            Text(row.name or "(no name)", style="bold"),
            text(row.company),
            text(row.source),
            text(row.territory),
            Text(age(row.created_at, now), justify="right"),
        ]

    def _show_state(self) -> None:
        """The title's count, and the friendly line when nothing is left."""
        count = self._count or 0
        noun = "unowned lead" if count == 1 else "unowned leads"
        title = f"Inbox · {count:,} {noun}"
        if self._search:
            title += " matching"
        self.query_one("#inbox-title", Static).update(title)
        self.query_one("#inbox-filter", Static).update(
            f"“{self._search}”" if self._search else ""
        )
        empty = self.table.row_count == 0 and not self._more
        if empty:
            self.query_one("#inbox-empty", Static).update(
                f"No unowned leads match “{self._search}”. Escape clears the search."
                if self._search
                else "Inbox zero: no unowned leads."
            )
        self.query_one("#inbox-empty", Static).display = empty
        self.table.display = not empty
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _near_the_end(self) -> None:
        self._load_more()

    # Claiming ----------------------------------------------------------

    def _highlighted_id(self) -> int | None:
        table = self.table
        if table.row_count == 0 or not table.display:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def action_claim(self) -> None:
        """Claim the highlighted lead for the user at the keyboard."""
        lead_id = self._highlighted_id()
        if lead_id is None or lead_id in self._claiming:
            return
        self._claiming.add(lead_id)
        self._claim_lead(lead_id)

    @work(thread=True, exit_on_error=False, group="claim")
    def _claim_lead(self, lead_id: int) -> None:
        try:
            lead = claim_lead(self._ws, lead_id)
        except CrmError as error:
            self.post_message(ClaimFailed(lead_id, str(error)))
        else:
            self.post_message(LeadClaimed(lead_id, lead.name))

    def on_lead_claimed(self, message: LeadClaimed) -> None:
        self._claiming.discard(message.lead_id)
        self._drop(message.lead_id)
        self.notify(f"You own {message.name} now.", title="Claimed")

    def on_claim_failed(self, message: ClaimFailed) -> None:
        # The lead is not in the inbox any more (someone owns it, or it is
        # gone), so the row goes too; the rep loses nothing they could claim.
        self._claiming.discard(message.lead_id)
        self._drop(message.lead_id)
        self.notify(message.reason, title="Not claimed", severity="warning")

    def _drop(self, lead_id: int) -> None:
        """Take a lead that left the inbox off the table; the cursor stays
        on the row that took its place."""
        table = self.table
        key = str(lead_id)
        if key not in table.rows:
            return
        table.remove_row(key)
        if self._count:
            self._count -= 1
        self._show_state()
        self._load_more()

    # Opening a lead ----------------------------------------------------

    @on(DataTable.RowSelected, "#inbox-table")
    def _open_lead(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return
        lead_id = int(event.row_key.value)

        def back(left_inbox: bool | None) -> None:
            if left_inbox:
                self._drop(lead_id)

        self.app.push_screen(LeadScreen(self._ws, lead_id), back)

    # Searching and refreshing ------------------------------------------

    def action_search(self) -> None:
        """Show the search box and type into it."""
        search = self.query_one("#inbox-search", Input)
        search.add_class("-open")
        search.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#inbox-search")
    def _typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_PAUSE, self._apply_search)

    @on(Input.Submitted, "#inbox-search")
    def _submitted(self) -> None:
        self._apply_search()
        self.table.focus()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#inbox-search", Input).value.strip()
        if text != self._search:
            self._search = text
            self._reload()

    def action_clear_search(self) -> None:
        """Forget the search and show the whole inbox again."""
        search = self.query_one("#inbox-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        search.remove_class("-open")
        self.table.focus()
        if self._search:
            self._search = ""
            self._reload()

    def action_refresh(self) -> None:
        """Reload from the database, staying on the same lead if it is there."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Reload as many leads as are loaded, keeping the cursor on its lead
        (live refresh calls this when a colleague commits)."""
        # A change can arrive while the app is closing and the table is gone.
        if not self.is_mounted or not self.query(LeadTable):
            return
        self._reload(keep_on=self._highlighted_id(), rows=self.table.row_count)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "clear_search":
            # Only offered (and shown in the footer) while there is a search.
            return bool(self._search) or self.query_one("#inbox-search").has_class(
                "-open"
            )
        if action == "claim":
            return self._highlighted_id() is not None or None
        return True

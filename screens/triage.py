"""A list of leads to triage: the inbox, "my leads" and the team's breaches
are this screen over a different scope.

The table holds a window of the list, never all of it: pages of 100 come
from keyset queries in a thread worker, breached leads first (most overdue
at the top), then the rest oldest first; the next page is fetched when the
cursor comes near the end of what is loaded. Each row shows its response
clock, time left or how late, and its age, both redrawn every half minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Static

from crm_tui.errors import CrmError
from crm_tui.queries.leads import PAGE_SIZE
from crm_tui.queries.triage import (
    COUNT_CAP,
    Scope,
    Section,
    TriageRow,
    section_key,
    triage_counts,
    triage_page,
    triage_rows,
)
from crm_tui.rules.sla import clock_text
from crm_tui.services.catchup import catch_up
from crm_tui.services.leads import claim_lead
from crm_tui.workspace import Workspace
from screens.actions import TriageActions
from screens.footer import KeyFooter
from screens.format import age
from screens.lead import LeadScreen
from screens.messages import ClaimFailed, LeadClaimed, LeadsActed

if TYPE_CHECKING:
    from crm_tui.services.arrival import Arrival

# Fetch the next page while this many loaded rows are still below the
# cursor, so scrolling at key-repeat speed rarely meets the end.
LOAD_AHEAD = 20

# Typing in the search box narrows the list once the rep pauses this long,
# rather than querying on every keystroke.
SEARCH_PAUSE = 0.3

# Clocks are redrawn this often (seconds); minutes are what they show.
CLOCK_TICK = 30

# Less than this left on the clock is shown as a warning.
CLOSE_CALL = timedelta(hours=1)

MOVE = Binding.Group("Move", compact=True)


class PageLoaded(Message):
    """A page of the list came back from the database. ``next`` is where the
    following page starts, or None when the list is complete."""

    def __init__(
        self,
        rows: list[tuple[TriageRow, bool]],
        counts: tuple[int, int] | None,
        generation: int,
        first: bool,
        next_page: tuple[Section, tuple[datetime, int] | None] | None,
        problem: str | None = None,
    ) -> None:
        super().__init__()
        self.rows = rows
        self.counts = counts
        self.generation = generation
        self.first = first
        self.next_page = next_page
        self.problem = problem


class ListCounted(Message):
    """How many leads the list holds and how many are late, each up to the
    cap, for the load of ``generation``."""

    def __init__(self, counts: tuple[int, int], generation: int) -> None:
        super().__init__()
        self.counts = counts
        self.generation = generation


class RowsRefreshed(Message):
    """Leads an action touched, as they are now; ``gone`` left the list."""

    def __init__(self, rows: list[TriageRow], gone: list[int]) -> None:
        super().__init__()
        self.rows = rows
        self.gone = gone


class LeadTable(DataTable[str | Text]):
    """A list's table, with vim keys and "open" shown in the footer.

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


def sla_cell(row: TriageRow, now: datetime) -> Text:
    """The response clock of a row, coloured: late red, close yellow."""
    if row.first_response_at is not None:
        return Text("answered", style="dim", justify="right")
    if row.sla_due_at is None:
        return Text("—", style="dim", justify="right")
    text = clock_text(row.sla_due_at, now)
    if row.sla_due_at < now:
        style = "bold red"
    elif row.sla_due_at - now < CLOSE_CALL:
        style = "yellow"
    else:
        style = "green"
    return Text(text, style=style, justify="right")


def age_cell(row: TriageRow, now: datetime) -> Text:
    """How long ago the lead arrived, right-aligned under its heading."""
    return Text(age(row.created_at, now), justify="right")


def _counted(count: int) -> str:
    """A list's count for its title: "10,000+" past the cap of counting."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


class TriageScreen(TriageActions[None]):
    """Leads to work through from the keyboard (see the module).

    | Key(s) | Description |
    | :- | :- |
    | space | Mark the lead and move down (actions take every marked lead). |
    | c, a, q, n, d, t | Claim, assign, qualify, nurture, disqualify, touch. |
    | / | Search by name, company, e-mail or phone. |
    | escape | Clear the search, then the selection. |
    | r | Refresh from the database. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Marking moves down, so space, space, space marks a run of leads; the
        # description says so, or the cursor seems to wander off on its own.
        Binding("space", "select", "Mark & next", id="select"),
        Binding("slash", "search", "Search", key_display="/", id="search"),
        Binding("escape", "clear_search", "Clear", id="clear-search"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("N", "new_lead", "New lead", key_display="N", id="new-lead"),
    ]

    AUTO_FOCUS = ".lead-list"

    # What each subclass is.
    SCOPE: ClassVar[Scope] = "inbox"
    TITLE_TEXT: ClassVar[str] = "Inbox"
    NOUN: ClassVar[tuple[str, str]] = ("unowned lead", "unowned leads")
    EMPTY: ClassVar[str] = "Inbox zero: no unowned leads."
    SHOW_OWNER: ClassVar[bool] = False

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self._search = ""
        # Each fresh load (start, refresh, new search) bumps the generation;
        # a page that arrives for an older one is dropped.
        self._generation = 0
        self._next: tuple[Section, tuple[datetime, int] | None] | None = None
        self._loading = False
        self._count: int | None = None
        self._late = 0
        self._keep_on: int | None = None
        self._keep_row = 0
        self._claiming: set[int] = set()
        self._search_timer: Timer | None = None
        self._rows: dict[int, TriageRow] = {}
        self._selected: set[int] = set()
        self._now = ws.clock.now()
        self._problem: str | None = None
        # What the keys offered when the footer was last drawn.
        self._offered: tuple[bool, bool, bool, bool] | None = None

    @property
    def _prefix(self) -> str:
        return self.SCOPE

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static(
                self.TITLE_TEXT, id=f"{self._prefix}-title", classes="title list-title"
            )
            yield Static(
                "", id=f"{self._prefix}-filter", classes="title-note list-note"
            )
        yield Input(
            placeholder="Search name, company, e-mail or phone",
            id=f"{self._prefix}-search",
            classes="list-search",
        )
        yield LeadTable(
            id=f"{self._prefix}-table",
            classes="lead-list",
            cursor_type="row",
            zebra_stripes=True,
        )
        yield Static("", id=f"{self._prefix}-empty", classes="empty list-empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.table
        table.add_column(" ", width=1, key="mark")
        table.add_column("Name", width=26, key="name")
        table.add_column("Company", width=24, key="company")
        table.add_column("Source", width=12, key="source")
        if self.SHOW_OWNER:
            table.add_column("Owner", width=10, key="owner")
        else:
            table.add_column("Territory", width=10, key="territory")
        table.add_column(Text("SLA", justify="right"), width=11, key="sla")
        table.add_column(Text("Age", justify="right"), width=5, key="age")
        self.query_one(".list-empty", Static).display = False
        table.loading = True
        self.set_interval(CLOCK_TICK, self._tick)
        self._reload()

    # Loading -----------------------------------------------------------

    @property
    def table(self) -> LeadTable:
        """The table of loaded leads."""
        return self.query_one(LeadTable)

    def _reload(self, keep_on: int | None = None, rows: int = PAGE_SIZE) -> None:
        """Load the list from its first page (at least ``rows`` of it), for
        the current search."""
        self._generation += 1
        self._keep_on = keep_on
        self._keep_row = self.table.cursor_row if keep_on is not None else 0
        self._loading = True
        self._now = self._ws.clock.now()
        self._load_page(
            ("breached", None),
            self._search,
            self._generation,
            self._now,
            max(rows, PAGE_SIZE),
        )

    def _load_more(self) -> None:
        if self._next is None or self._loading:
            return
        table = self.table
        if table.cursor_row < table.row_count - LOAD_AHEAD:
            return
        self._loading = True
        self._load_page(self._next, self._search, self._generation, self._now)

    @work(thread=True, exit_on_error=False, group="list")
    def _load_page(
        self,
        start: tuple[Section, tuple[datetime, int] | None],
        search: str,
        generation: int,
        now: datetime,
        limit: int = PAGE_SIZE,
    ) -> None:
        first = start == ("breached", None)
        try:
            if first:
                catch_up(self._ws)
                self.check_may_view()
            page, next_page = self._fetch(start, search or None, now, limit)
            # The rows go on screen first; the title's counts follow them
            # (counting up to the cap takes longer than the page itself).
            self.post_message(PageLoaded(page, None, generation, first, next_page))
            if first:
                with self._ws.read() as session:
                    counts = triage_counts(
                        session,
                        self.SCOPE,
                        user_id=self._ws.user_id,
                        now=now,
                        search=search or None,
                    )
                self.post_message(ListCounted(counts, generation))
        except CrmError as error:
            self.post_message(
                PageLoaded([], (0, 0), generation, True, None, problem=str(error))
            )

    def check_may_view(self) -> None:
        """Refuse (with a CrmError) a list the user may not see."""

    def _fetch(
        self,
        start: tuple[Section, tuple[datetime, int] | None],
        search: str | None,
        now: datetime,
        limit: int = PAGE_SIZE,
    ) -> tuple[
        list[tuple[TriageRow, bool]], tuple[Section, tuple[datetime, int] | None] | None
    ]:
        """Up to a page of rows from ``start``, crossing from the breached
        section into the rest, and where the next page starts."""
        section, after = start
        rows: list[tuple[TriageRow, bool]] = []
        with self._ws.read() as session:
            while True:
                wanted = limit - len(rows)
                page = triage_page(
                    session,
                    self.SCOPE,
                    section,
                    user_id=self._ws.user_id,
                    now=now,
                    after=after,
                    search=search,
                    limit=wanted,
                )
                rows.extend((row, section == "breached") for row in page)
                if len(page) == wanted:
                    return rows, (section, section_key(page[-1], section))
                if section == "rest" or self.SCOPE == "breaches":
                    return rows, None
                section, after = "rest", None

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self._generation:
            return
        table = self.table
        self._loading = False
        table.loading = False
        self._problem = message.problem
        if message.first:
            table.clear()
            self._rows.clear()
            if self._keep_on is None:
                # A new search or list; a refresh keeps what the rep picked.
                self._selected.clear()
            if message.counts is not None:
                self._count, self._late = message.counts
        for row, _late in message.rows:
            if str(row.id) not in table.rows:
                self._rows[row.id] = row
                table.add_row(*self._cells(row), key=str(row.id))
        self._next = message.next_page
        if message.first:
            # Picked leads a colleague took meanwhile are no longer here.
            self._selected &= self._rows.keys()
        if message.first and self._keep_on is not None and table.row_count:
            key = str(self._keep_on)
            # The same lead; if it left the list, the row that took its place.
            index = (
                table.get_row_index(key)
                if key in table.rows
                else min(self._keep_row, table.row_count - 1)
            )
            table.move_cursor(row=max(index, 0), animate=False)
        self._show_state()
        self._load_more()

    def on_list_counted(self, message: ListCounted) -> None:
        if message.generation == self._generation:
            self._count, self._late = message.counts
            self._show_state()

    def _cells(self, row: TriageRow) -> list[str | Text]:
        def text(value: str | None) -> Text:
            # A value wider than its column ends in "…", so the rep sees it
            # goes on instead of reading a cut word as the whole.
            if not value:
                return Text("—", style="dim")
            return Text(value, no_wrap=True, overflow="ellipsis")

        mark = Text("●", style="bold") if row.id in self._selected else Text(" ")
        cells: list[str | Text] = [
            mark,
            Text(row.name or "(no name)", style="bold", overflow="ellipsis"),
            text(row.company),
            text(row.source),
            text(row.owner if self.SHOW_OWNER else row.territory),
            sla_cell(row, self._ws.clock.now()),
            age_cell(row, self._ws.clock.now()),
        ]
        return cells

    def _column_keys(self) -> tuple[str, ...]:
        middle = "owner" if self.SHOW_OWNER else "territory"
        return ("mark", "name", "company", "source", middle, "sla", "age")

    def _tick(self) -> None:
        """Redraw every loaded row's clock and age: time passes on screen too,
        and a lead 10m late must not read as 7m old."""
        now = self._ws.clock.now()
        table = self.table
        for lead_id, row in self._rows.items():
            if str(lead_id) in table.rows:
                table.update_cell(str(lead_id), "sla", sla_cell(row, now))
                table.update_cell(str(lead_id), "age", age_cell(row, now))

    def _show_state(self) -> None:
        """The title's counts, and the friendly line when nothing is left."""
        count = self._count
        if count is None:  # the first page is here, its count not yet
            title = self.TITLE_TEXT
        else:
            noun = self.NOUN[0] if count == 1 else self.NOUN[1]
            title = f"{self.TITLE_TEXT} · {_counted(count)} {noun}"
        if self._search:
            title += " matching"
        if self._late and self.SCOPE != "breaches":
            title += f" · {_counted(self._late)} late"
        if self._selected:
            title += f" · {len(self._selected)} marked"
        self.query_one(".list-title", Static).update(title)
        self.query_one(".list-note", Static).update(
            f"“{self._search}”" if self._search else ""
        )
        empty = self.table.row_count == 0 and self._next is None
        if empty:
            if self._problem:
                line = self._problem
            elif self._search:
                line = (
                    f"No {self.NOUN[1]} match “{self._search}”. "
                    "Escape clears the search."
                )
            else:
                line = self.EMPTY
            self.query_one(".list-empty", Static).update(line)
        self.query_one(".list-empty", Static).display = empty
        self.table.display = not empty
        # The footer rebuilds every key on a refresh (tens of ms); most
        # state changes (a page arriving, a lead leaving) change no key.
        offered = (
            bool(self.targets()),
            bool(self._search),
            self._search_box.has_class("-open"),
            bool(self._selected),
        )
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _near_the_end(self) -> None:
        self._load_more()

    # Selecting ---------------------------------------------------------

    def _highlighted_id(self) -> int | None:
        table = self.table
        if table.row_count == 0 or not table.display:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None

    def targets(self) -> list[int]:
        """The marked leads, else the highlighted one."""
        if self._selected:
            return [i for i in self._rows if i in self._selected]
        lead_id = self._highlighted_id()
        return [lead_id] if lead_id is not None else []

    def marked(self) -> bool:
        return bool(self._selected)

    def lead_names(self, lead_ids: list[int]) -> list[str]:
        return [
            (row.name or "(no name)") if (row := self._rows.get(i)) else f"#{i}"
            for i in lead_ids
        ]

    def owned_by_others(self, lead_ids: list[int]) -> bool:
        me = self._ws.user_name
        return any(
            (row := self._rows.get(i)) is not None and row.owner not in (None, me)
            for i in lead_ids
        )

    def action_select(self) -> None:
        """Mark or unmark the highlighted lead, and move down."""
        lead_id = self._highlighted_id()
        if lead_id is None:
            return
        self._selected ^= {lead_id}
        mark = Text("●", style="bold") if lead_id in self._selected else Text(" ")
        self.table.update_cell(str(lead_id), "mark", mark)
        self.table.action_cursor_down()
        self._show_state()

    # Claiming ----------------------------------------------------------

    def action_claim(self) -> None:
        """Claim the selected or highlighted leads for the user at the keyboard."""
        ids = [i for i in self.targets() if i not in self._claiming]
        if not ids:
            return
        if len(ids) > 1:
            from crm_tui.services.triage import claim_leads

            self._act("claimed", lambda: claim_leads(self._ws, ids))
            return
        self._claiming.add(ids[0])
        self._claim_lead(ids[0])

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
        self._refresh_rows([message.lead_id])
        self.notify(f"You own {message.name} now.", title="Claimed")

    def on_claim_failed(self, message: ClaimFailed) -> None:
        # The lead is not in the inbox any more (someone owns it, or it is
        # gone), so the row goes too; the rep loses nothing they could claim.
        self._claiming.discard(message.lead_id)
        self._refresh_rows([message.lead_id])
        self.notify(message.reason, title="Not claimed", severity="warning")

    # After an action ---------------------------------------------------

    def on_leads_acted(self, message: LeadsActed) -> None:
        self.tell(message)
        self._selected.difference_update(message.ids)
        self._refresh_rows(message.ids)

    @work(thread=True, exit_on_error=False, group="rows")
    def _refresh_rows(self, ids: list[int]) -> None:
        with self._ws.read() as session:
            rows = triage_rows(
                session, self.SCOPE, user_id=self._ws.user_id, now=self._now, ids=ids
            )
        kept = {row.id for row in rows}
        self.post_message(RowsRefreshed(rows, [i for i in ids if i not in kept]))

    def on_rows_refreshed(self, message: RowsRefreshed) -> None:
        for row in message.rows:
            self._rows[row.id] = row
            if str(row.id) in self.table.rows:
                for key, cell in zip(
                    self._column_keys(), self._cells(row), strict=True
                ):
                    self.table.update_cell(str(row.id), key, cell)
        for lead_id in message.gone:
            self._drop(lead_id)
        self._show_state()

    def _drop(self, lead_id: int) -> None:
        """Take a lead that left the list off the table; the cursor stays on
        the row that took its place."""
        table = self.table
        key = str(lead_id)
        row = self._rows.pop(lead_id, None)
        self._selected.discard(lead_id)
        if key not in table.rows:
            return
        table.remove_row(key)
        # A count past the cap stays "10,000+" however many leave.
        if self._count and self._count <= COUNT_CAP:
            self._count -= 1
        if row is not None and row.sla_due_at is not None:
            late = row.first_response_at is None and row.sla_due_at < self._now
            if late and 0 < self._late <= COUNT_CAP:
                self._late -= 1
        self._show_state()
        self._load_more()

    # Opening a lead ----------------------------------------------------

    @on(DataTable.RowSelected, ".lead-list")
    def _open_lead(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return
        lead_id = int(event.row_key.value)

        def back(_changed: bool | None) -> None:
            self._refresh_rows([lead_id])

        self.app.push_screen(LeadScreen(self._ws, lead_id), back)

    # Searching and refreshing ------------------------------------------

    @property
    def _search_box(self) -> Input:
        return self.query_one(".list-search", Input)

    def action_search(self) -> None:
        """Show the search box and type into it."""
        self._search_box.add_class("-open")
        self._search_box.focus()
        self.refresh_bindings()

    @on(Input.Changed, ".list-search")
    def _typed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_PAUSE, self._apply_search)

    @on(Input.Submitted, ".list-search")
    def _submitted(self) -> None:
        self._apply_search()
        self.table.focus()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self._search_box.value.strip()
        if text != self._search:
            self._search = text
            self._reload()

    def action_clear_search(self) -> None:
        """Forget the search (or, with none, the marks)."""
        search = self._search_box
        if not self._search and not search.has_class("-open") and self._selected:
            for lead_id in list(self._selected):
                self._selected.discard(lead_id)
                if str(lead_id) in self.table.rows:
                    self.table.update_cell(str(lead_id), "mark", Text(" "))
            self._show_state()
            return
        with search.prevent(Input.Changed):
            search.value = ""
        search.remove_class("-open")
        self.table.focus()
        if self._search:
            self._search = ""
            self._reload()

    def action_new_lead(self) -> None:
        """Type in a lead: it is routed as it arrives."""
        from screens.new_lead import NewLeadScreen, arrival_note

        def added(result: tuple[int, Arrival] | None) -> None:
            if result is not None:
                self.notify(arrival_note(*result))
                self.action_refresh()

        self.app.push_screen(NewLeadScreen(self._ws), added)

    def action_refresh(self) -> None:
        """Reload from the database, staying on the same lead if it is there."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Reload as many leads as are loaded, keeping the cursor on its lead
        and the search as typed (live refresh calls this when a colleague
        commits)."""
        # A change can arrive while the app is closing and the table is gone.
        if not self.is_mounted or not self.query(LeadTable):
            return
        self._reload(keep_on=self._highlighted_id(), rows=self.table.row_count)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "clear_search":
            # Only offered (and shown in the footer) while there is
            # something to clear.
            return (
                bool(self._search)
                or self._search_box.has_class("-open")
                or bool(self._selected)
            )
        if action == "claim" and self.SCOPE == "mine":
            return False
        if action == "new_lead":
            return None if self._ws.read_only else True
        if action in {"claim", "assign", "qualify", "nurture", "disqualify", "touch"}:
            return bool(self.targets()) or None
        return True

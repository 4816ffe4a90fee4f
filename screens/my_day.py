"""My day: the rep's open tasks (overdue, today, upcoming) and the deals that
need a next step; and the reviewed bulk action for stalled deals."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static
from textual.widgets.data_table import ColumnKey

from crm_tui.errors import CrmError
from crm_tui.queries.deals import Card, TaskRow, flagged_deals, my_tasks, stalled_deals
from crm_tui.rules.gate_fields import GATE_FIELDS
from crm_tui.rules.stages import Need
from crm_tui.services.deals import complete_task, move_deals
from crm_tui.timestamps import user_zone, zone_label
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.board import money
from screens.footer import KeyFooter
from screens.format import when
from screens.forms import Ask, Confirm, GateForm

WHEN_STYLE = {"overdue": "bold red", "today": "bold yellow", "upcoming": "dim"}


class DayLoaded(Message):
    def __init__(self, tasks: list[TaskRow], flagged: list[Card]) -> None:
        super().__init__()
        self.tasks = tasks
        self.flagged = flagged


class TaskDone(Message):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title


class Keys(DataTable[str | Text]):
    """A table whose movement keys the footer shows once, compactly.

    | Key(s) | Description |
    | :- | :- |
    | j, down | Next row. |
    | k, up | Previous row. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
    ]


class MyDayScreen(CrmScreen[None]):
    """Your tasks and the deals that need your attention.

    | Key(s) | Description |
    | :- | :- |
    | d | Complete the highlighted task; asks how it went. |
    | enter | Open the task's deal. |
    | s | Review stalled deals (move to nurture or close them). |
    | tab | Between tasks and deals. |
    | r | Refresh. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "done", "Done", id="done"),
        Binding("s", "stalled", "Stalled deals", id="stalled"),
        Binding("r", "reload", "Refresh", id="refresh"),
        Binding("escape", "back", "Back", id="back"),
    ]

    AUTO_FOCUS = "#day-tasks"

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self.tasks: list[TaskRow] = []
        self.flagged: list[Card] = []
        self._mine = ZoneInfo("UTC")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("My day", id="day-title", classes="title")
            yield Static("", id="day-note", classes="title-note")
        yield Keys(id="day-tasks", cursor_type="row", zebra_stripes=True)
        with Horizontal(classes="title-bar"):
            yield Static(
                "Deals that need a next step", id="flag-title", classes="title"
            )
        yield Keys(id="day-flagged", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        tasks = self.query_one("#day-tasks", Keys)
        tasks.add_column("When", width=9, key="when")
        tasks.add_column("Due", width=16, key="due")
        tasks.add_column("Kind", width=8, key="kind")
        tasks.add_column("Task", width=40, key="task")
        tasks.add_column("Deal", width=30, key="deal")
        flagged = self.query_one("#day-flagged", Keys)
        flagged.add_column("Deal", width=34, key="deal")
        flagged.add_column("Stage", width=22, key="stage")
        flagged.add_column("Amount", width=10, key="amount")
        flagged.add_column("Needs", width=40, key="needs")
        self.reload()

    def refresh_data(self) -> None:
        """Live refresh: a colleague committed; reload and keep the focus."""
        if self.is_mounted:
            self.reload()

    def reload(self) -> None:
        """Read the tasks and flagged deals again."""
        self._load_day()

    @work(thread=True, exit_on_error=False, group="day")
    def _load_day(self) -> None:
        now = self._ws.clock.now()
        user_id = self._ws.user_id
        with self._ws.read() as session:
            tasks = my_tasks(session, self._ws.process, user_id, now)
            flagged = flagged_deals(session, self._ws.process, now, owner_id=user_id)
            self._mine = user_zone(session, user_id)
        self.post_message(DayLoaded(tasks, flagged))

    def on_day_loaded(self, message: DayLoaded) -> None:
        self.tasks = message.tasks
        self.flagged = message.flagged
        table = self.query_one("#day-tasks", Keys)
        # The rep's zone is known once read: the heading names it, since the
        # times below are in it.
        due = table.columns[ColumnKey("due")]
        due.label = Text(f"Due ({zone_label(self._mine)})")
        due.width = max(16, due.label.cell_len)
        row = table.cursor_row
        table.clear()
        for task in message.tasks:
            table.add_row(
                Text(task.when, style=WHEN_STYLE[task.when]),
                when(task.due_at, self._mine, self._ws.clock.now()),
                task.kind,
                task.title,
                task.deal or "",
                key=str(task.id),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        counts = {w: sum(t.when == w for t in message.tasks) for w in WHEN_STYLE}
        self.query_one("#day-note", Static).update(
            f"{counts['overdue']} overdue · {counts['today']} today · "
            f"{counts['upcoming']} upcoming"
        )
        flagged = self.query_one("#day-flagged", Keys)
        flagged.clear()
        process = self._ws.process
        for card in message.flagged:
            flagged.add_row(
                Text(card.title, style="bold"),
                process.stage(card.stage).name,
                money(card.amount),
                Text(", ".join(card.flags.words()), style="yellow"),
                key=str(card.id),
            )
        self.query_one("#flag-title", Static).update(
            f"Deals that need a next step · {len(message.flagged)}"
        )
        self.refresh_bindings()

    def highlighted_task(self) -> TaskRow | None:
        table = self.query_one("#day-tasks", Keys)
        if not self.tasks or table.cursor_row >= len(self.tasks):
            return None
        return self.tasks[table.cursor_row]

    def action_done(self) -> None:
        """Complete the highlighted task; asks how it went."""
        task = self.highlighted_task()
        if task is None:
            return

        def answered(outcome: str | None) -> None:
            if outcome is not None:
                self._complete(task.id, outcome)

        self.app.push_screen(
            Ask("Task done", f"How did it go? {task.title}", "Outcome"), answered
        )

    @work(thread=True, exit_on_error=False, group="task")
    def _complete(self, task_id: int, outcome: str) -> None:
        try:
            task = complete_task(self._ws, task_id, outcome)
        except CrmError as error:
            self.app.call_from_thread(self.notify, str(error), severity="warning")
            self.app.call_from_thread(self.reload)
            return
        self.post_message(TaskDone(task.title))

    def on_task_done(self, message: TaskDone) -> None:
        self.notify(f"Done: {message.title}")
        self.reload()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        from screens.deal import DealScreen

        deal_id: int | None
        if event.data_table.id == "day-flagged":
            deal_id = int(str(event.row_key.value))
        else:
            task = self.highlighted_task()
            deal_id = task.deal_id if task else None
        if deal_id is not None:
            self.app.push_screen(DealScreen(self._ws, deal_id), lambda _: self.reload())

    def action_stalled(self) -> None:
        """Review stalled deals and move them on, in one confirmed action."""
        self.app.push_screen(StalledScreen(self._ws), lambda _: self.reload())

    def action_reload(self) -> None:
        """Read the tasks again."""
        self.reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "done" and self.is_mounted:
            return self.highlighted_task() is not None or None
        return True


class StalledLoaded(Message):
    def __init__(self, cards: list[Card]) -> None:
        super().__init__()
        self.cards = cards


class BulkDone(Message):
    def __init__(self, moved: int, refused: dict[int, str], stage: str) -> None:
        super().__init__()
        self.moved = moved
        self.refused = refused
        self.stage = stage


class StalledScreen(CrmScreen[None]):
    """Stalled deals, for a reviewed bulk move: mark the ones to act on, then
    park them in nurture or close them lost with one reason. Nothing moves
    until you confirm.

    | Key(s) | Description |
    | :- | :- |
    | space | Mark or unmark the highlighted deal. |
    | a | Mark all. |
    | n | Move the marked deals to nurture. |
    | l | Close the marked deals lost, with a reason. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark", id="mark"),
        Binding("a", "mark_all", "Mark all", id="mark-all"),
        Binding("n", "nurture", "To nurture", id="nurture"),
        Binding("l", "close_lost", "Close lost", id="close-lost"),
        Binding("escape", "back", "Back", id="back"),
    ]

    AUTO_FOCUS = "#stalled-table"

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self.cards: list[Card] = []
        self.marked: set[int] = set()
        self._mine = ZoneInfo("UTC")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("Stalled deals", id="stalled-title", classes="title")
            yield Static("", id="stalled-note", classes="title-note")
        yield Keys(id="stalled-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(Keys)
        table.add_column("✓", width=2, key="mark")
        table.add_column("Deal", width=34, key="deal")
        table.add_column("Stage", width=22, key="stage")
        table.add_column("Owner", width=14, key="owner")
        table.add_column("Amount", width=10, key="amount")
        table.add_column("Quiet since", width=16, key="since")
        self._load()

    @work(thread=True, exit_on_error=False, group="stalled")
    def _load(self) -> None:
        with self._ws.read() as session:
            cards = stalled_deals(session, self._ws.process, self._ws.clock.now())
            self._mine = user_zone(session, self._ws.user_id)
        self.post_message(StalledLoaded(cards))

    def on_stalled_loaded(self, message: StalledLoaded) -> None:
        self.cards = message.cards
        self.marked &= {c.id for c in message.cards}
        self._draw()

    def _draw(self) -> None:
        table = self.query_one(Keys)
        row = table.cursor_row
        table.clear()
        process = self._ws.process
        for card in self.cards:
            table.add_row(
                "✓" if card.id in self.marked else "",
                Text(card.title, style="bold"),
                process.stage(card.stage).name,
                card.owner or "",
                money(card.amount),
                when(card.last_touch, self._mine, self._ws.clock.now())
                if card.last_touch
                else "",
                key=str(card.id),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self.query_one("#stalled-note", Static).update(
            f"{len(self.cards)} stalled · {len(self.marked)} marked"
        )

    def action_mark(self) -> None:
        """Mark or unmark the highlighted deal."""
        table = self.query_one(Keys)
        if not self.cards:
            return
        deal_id = self.cards[table.cursor_row].id
        self.marked ^= {deal_id}
        self._draw()
        table.action_cursor_down()

    def action_mark_all(self) -> None:
        """Mark every stalled deal."""
        self.marked = {c.id for c in self.cards}
        self._draw()

    def _nurture_stage(self) -> str | None:
        for stage in self._ws.process.stages:
            if stage.parked:
                return stage.key
        return None

    def action_nurture(self) -> None:
        """Move the marked deals to nurture, after you confirm."""
        stage = self._nurture_stage()
        if stage is None:
            self.notify(
                "The process has no parked (nurture) stage.", severity="warning"
            )
            return
        self._confirm(stage, {})

    def action_close_lost(self) -> None:
        """Close the marked deals lost with one reason, after you confirm."""
        if not self.marked:
            self.notify("Mark the deals to close first (space).")
            return
        lost = next(s for s in self._ws.process.stages if s.closed == "lost")
        spec = GATE_FIELDS["lost_reason"]
        reasons = tuple(
            (r.key, r.label) for r in self._ws.process.lost_reasons if not r.internal
        )
        need = Need(
            "lost_reason", spec.label, spec.kind, "for every marked deal", reasons
        )

        def answered(values: dict[str, str] | None) -> None:
            # A reason that needs a note was given one in the same form.
            if values is not None:
                self._confirm(lost.key, values)

        form = GateForm(self._ws.process, "Close lost", [need], clock=self._ws.clock)
        self.app.push_screen(form, answered)

    def _confirm(self, stage: str, values: dict[str, str]) -> None:
        if not self.marked:
            self.notify("Mark the deals to move first (space).")
            return
        ids = [c.id for c in self.cards if c.id in self.marked]
        name = self._ws.process.stage(stage).name
        noun = "deal" if len(ids) == 1 else "deals"

        def answered(yes: bool | None) -> None:
            if yes:
                self._move(ids, stage, values)

        self.app.push_screen(Confirm(f"Move {len(ids)} {noun} to {name}?"), answered)

    @work(thread=True, exit_on_error=False, group="bulk")
    def _move(self, ids: list[int], stage: str, values: dict[str, str]) -> None:
        result = move_deals(self._ws, ids, stage, values)
        name = self._ws.process.stage(stage).name
        self.post_message(BulkDone(len(result.moved), result.refused, name))

    def on_bulk_done(self, message: BulkDone) -> None:
        self.notify(f"Moved {message.moved} to {message.stage}.")
        for reason in list(message.refused.values())[:3]:
            self.notify(reason, severity="warning")
        self.marked = set()
        self._load()

    def action_back(self) -> None:
        """Back to my day."""
        self.dismiss(None)

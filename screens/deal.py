"""One deal in full: its fields, open tasks and timeline (stage changes,
activities, field edits, with who and when)."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static

from crm_tui.errors import CrmError
from crm_tui.queries.deals import DealDetail, deal_detail
from crm_tui.services.deals import log_activity
from crm_tui.timestamps import user_zone
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.board import money
from screens.footer import KeyFooter
from screens.format import changes, when
from screens.forms import Ask, Picker

ACTIVITY_KINDS = [
    ("call", "Call"),
    ("email", "E-mail"),
    ("meeting", "Meeting"),
    ("demo", "Demo"),
    ("note", "Note"),
]


class DealLoaded(Message):
    """The deal came back from the database; ``None`` when it is gone."""

    def __init__(self, detail: DealDetail | None) -> None:
        super().__init__()
        self.detail = detail


class ActivityLogged(Message):
    """An activity was saved on the deal."""


class DealScreen(CrmScreen[None]):
    """A deal in full.

    | Key(s) | Description |
    | :- | :- |
    | a | Log an activity (call, e-mail, meeting, demo, note). |
    | escape, backspace | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "log_activity", "Log activity", id="log-activity"),
        Binding("escape,backspace", "back", "Back", key_display="esc", id="back"),
    ]

    def __init__(self, ws: Workspace, deal_id: int) -> None:
        super().__init__()
        self._ws = ws
        self.deal_id = deal_id
        self.detail: DealDetail | None = None
        self._mine = ZoneInfo("UTC")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static(f"Deal #{self.deal_id}", id="deal-title", classes="title")
            yield Static("", id="deal-state", classes="title-note")
        with Horizontal(id="deal-body"):
            with VerticalScroll(id="deal-fields-box", classes="panel") as box:
                box.border_title = "Details"
                yield Static("", id="deal-fields")
                yield Static("", id="deal-tasks")
            with VerticalScroll(id="deal-timeline-box", classes="panel") as box:
                box.border_title = "Timeline"
                yield Static("", id="deal-timeline")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._load_deal()

    @work(thread=True, exit_on_error=False, group="deal")
    def _load_deal(self) -> None:
        with self._ws.read() as session:
            detail = deal_detail(session, self.deal_id)
            self._mine = user_zone(session, self._ws.user_id)
        self.post_message(DealLoaded(detail))

    def on_deal_loaded(self, message: DealLoaded) -> None:
        self.detail = message.detail
        if message.detail is None:
            self.query_one("#deal-title", Static).update(
                f"Deal #{self.deal_id} no longer exists"
            )
            return
        detail = message.detail
        deal = detail.deal
        stage = self._ws.process.stage(deal.stage)
        mine, now = self._mine, self._ws.clock.now()
        self.query_one("#deal-title", Static).update(
            deal.title + (f" · {detail.account}" if detail.account else "")
        )
        self.query_one("#deal-state", Static).update(
            f"{stage.name} · {money(deal.amount)} · owned by {detail.owner or 'nobody'}"
        )
        fields = Table.grid(padding=(0, 2))
        fields.add_column(style="dim", justify="right", no_wrap=True)
        fields.add_column(overflow="fold")
        rows: list[tuple[str, object]] = [
            ("Stage", stage.name),
            ("In stage since", when(deal.stage_entered_at, mine, now)),
            ("Amount", money(deal.amount) if deal.amount is not None else None),
            ("Product", deal.product),
            ("Owner", detail.owner),
            ("Account", detail.account),
            ("Decision date", deal.decision_on),
            ("Close date", deal.close_on),
            (
                "Next meeting",
                # A closed deal has no next step, whatever it had booked.
                when(deal.next_meeting_at, mine, now)
                if deal.next_meeting_at and not stage.closed
                else None,
            ),
            ("Lost reason", deal.lost_reason),
            ("Lost note", deal.lost_note),
            ("Hand-off", "needed" if deal.needs_handoff else None),
            ("External id", deal.external_id),
        ]
        for label, value in rows:
            if value not in (None, ""):
                fields.add_row(label, str(value))
        self.query_one("#deal-fields", Static).update(fields)
        tasks = Text("\nOpen tasks\n", style="bold")
        if stage.closed and not detail.open_tasks:
            # Closing a deal closes its tasks: nothing is missing.
            tasks.append(f"none: the deal is {stage.name.lower()}", style="dim")
        elif not detail.open_tasks:
            tasks.append("⚠ none: this deal has no next step", style="yellow")
        for task in detail.open_tasks:
            tasks.append(f"{when(task.due_at, mine, now)}  {task.title}\n", style="")
        self.query_one("#deal-tasks", Static).update(tasks)
        self.query_one("#deal-timeline", Static).update(self._timeline(detail))

    def _timeline(self, detail: DealDetail) -> Table:
        mine, now = self._mine, self._ws.clock.now()
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("When", no_wrap=True, style="dim")
        table.add_column("Who", no_wrap=True)
        table.add_column("What", no_wrap=True, style="bold")
        table.add_column("Detail", ratio=1, overflow="fold")
        for entry in detail.timeline:
            text = (
                changes(entry.detail, mine, now)
                if isinstance(entry.detail, dict)
                else str(entry.detail)
            )
            table.add_row(
                when(entry.at, mine, now), entry.who or "system", entry.what, text
            )
        return table

    def action_log_activity(self) -> None:
        """Log a touch: pick its kind, then say how it went."""

        def kind_chosen(kind: str | None) -> None:
            if kind is None:
                return

            def written(text: str | None) -> None:
                if text is not None:
                    self._log(kind, text)

            self.app.push_screen(
                Ask("Log activity", f"What happened ({kind})?", "Outcome or note"),
                written,
            )

        self.app.push_screen(Picker("Activity", ACTIVITY_KINDS), kind_chosen)

    @work(thread=True, exit_on_error=False, group="activity")
    def _log(self, kind: str, text: str) -> None:
        try:
            log_activity(self._ws, kind=kind, deal_id=self.deal_id, outcome=text)
        except CrmError as error:
            self.app.call_from_thread(self.notify, str(error), severity="warning")
            return
        self.post_message(ActivityLogged())

    def on_activity_logged(self, _: ActivityLogged) -> None:
        self.notify("Activity logged.")
        self._load_deal()

    def action_back(self) -> None:
        """Back to where the deal was opened from."""
        self.dismiss(None)

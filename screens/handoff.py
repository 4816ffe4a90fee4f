"""One hand-off: the checklist the closing rep fills and submits, and
everything the next owner reads before accepting or sending it back."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from crm_tui.errors import CrmError
from crm_tui.models import User
from crm_tui.queries.handoffs import STATUS_LABELS, HandoffDetail, handoff_detail
from crm_tui.services.handoffs import (
    EDITABLE,
    Accepted,
    accept_handoff,
    fill_item,
    send_back_handoff,
    submit_handoff,
)
from crm_tui.services.roles import RANKS
from crm_tui.timestamps import user_zone
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter
from screens.format import changes, when
from screens.item_editors import ItemEditor, QuestionForm

KIND_HINTS = {"date": "date", "user": "user", "contacts": "people", "text": "text"}

Done = TypeVar("Done")


class HandoffLoaded(Message):
    """The hand-off came back from the database."""

    def __init__(
        self, detail: HandoffDetail | None, users: list[str], me: User | None
    ) -> None:
        super().__init__()
        self.detail = detail
        self.users = users
        self.me = me


class HandoffChanged(Message):
    """An action on the hand-off went through; ``note`` says which."""

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note


class HandoffRefused(Message):
    """An action on the hand-off was refused; ``reason`` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ChecklistTable(DataTable[str | Text]):
    """The checklist, one item a row.

    | Key(s) | Description |
    | :- | :- |
    | j, down / k, up | Move. |
    | enter | Fill the highlighted item. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
        Binding("enter", "select_cursor", "Fill", id="fill"),
    ]


class HandoffScreen(CrmScreen[None]):
    """A hand-off's checklist, deal and history.

    | Key(s) | Description |
    | :- | :- |
    | enter | Fill the highlighted item (closing rep, while open). |
    | s | Submit to the next owner. |
    | a | Accept (next owner or manager, once submitted). |
    | b | Send back with a question. |
    | r | Refresh. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "submit", "Submit", id="submit"),
        Binding("a", "accept", "Accept", id="accept"),
        Binding("b", "send_back", "Send back", id="send-back"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("escape,backspace", "back", "Back", key_display="esc", id="back"),
    ]

    AUTO_FOCUS = "#checklist"

    def __init__(self, ws: Workspace, handoff_id: int) -> None:
        super().__init__()
        self._ws = ws
        self.handoff_id = handoff_id
        self._detail: HandoffDetail | None = None
        self._users: list[str] = []
        self._me: User | None = None
        self._busy = False
        self._mine = ZoneInfo("UTC")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static(
                f"Hand-off #{self.handoff_id}", id="handoff-title", classes="title"
            )
            yield Static("", id="handoff-state", classes="title-note")
        yield Static("", id="handoff-question")
        with Horizontal(id="handoff-body"):
            yield ChecklistTable(id="checklist", cursor_type="row")
            with VerticalScroll(id="handoff-side", classes="panel") as side:
                side.border_title = "Deal and history"
                yield Static("", id="handoff-deal")
                yield Static("", id="handoff-history")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(ChecklistTable)
        table.add_column("", width=1, key="mark")
        table.add_column("Item", width=34, key="item")
        table.add_column("Kind", width=6, key="kind")
        table.add_column("Written down", key="value")
        self.query_one("#handoff-question").display = False
        self.query_one("#handoff-body").loading = True
        self._load()

    # Loading -------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="handoff")
    def _load(self) -> None:
        from sqlmodel import col, select

        with self._ws.read() as session:
            detail = handoff_detail(session, self.handoff_id)
            self._mine = user_zone(session, self._ws.user_id)
            users = list(
                session.exec(
                    select(User.name).where(col(User.active)).order_by(col(User.name))
                )
            )
            me = session.get(User, self._ws.user_id)
        self.post_message(HandoffLoaded(detail, users, me))

    def on_handoff_loaded(self, message: HandoffLoaded) -> None:
        self.query_one("#handoff-body").loading = False
        self._detail, self._users, self._me = message.detail, message.users, message.me
        self._busy = False
        self.refresh_bindings()
        detail = message.detail
        if detail is None:
            self.query_one("#handoff-title", Static).update(
                f"Hand-off #{self.handoff_id} no longer exists"
            )
            return
        handoff = detail.handoff
        title = detail.deal.title
        if detail.account and detail.account.name not in title:
            title = f"{detail.account.name} · {title}"
        self.query_one("#handoff-title", Static).update(
            f"Hand-off #{handoff.id} · {title}"
        )
        self.query_one("#handoff-state", Static).update(self._state(detail))
        question = self.query_one("#handoff-question", Static)
        question.display = handoff.status == "sent_back" and bool(handoff.question)
        question.update(f"Sent back: {handoff.question}")
        self._fill_table(detail)
        self.query_one("#handoff-deal", Static).update(self._deal(detail))
        self.query_one("#handoff-history", Static).update(self._history(detail))

    @staticmethod
    def _state(detail: HandoffDetail) -> str:
        status = STATUS_LABELS[detail.handoff.status]
        missing = len(detail.missing)
        required = sum(1 for item in detail.items if item.required)
        if detail.handoff.status in EDITABLE:
            gaps = (
                f"{missing} of {required} required items missing"
                if missing
                else "every required item written"
            )
            return f"{status} · {gaps}"
        who = detail.next_owner or "a manager"
        return f"{status} · next owner {who}"

    def _fill_table(self, detail: HandoffDetail) -> None:
        table = self.query_one(ChecklistTable)
        row = table.cursor_row
        table.clear()
        for item in detail.items:
            if item.missing:
                mark = Text("✗", style="bold red")
            elif item.text:
                mark = Text("✓", style="green")
            else:
                mark = Text("·", style="dim")
            label = Text(item.label, style="bold red" if item.missing else "")
            if not item.required:
                label.append(" (optional)", style="dim")
            lines = item.text.splitlines()
            value = lines[0] if lines else ""
            if len(lines) > 1:
                value += f"  (+{len(lines) - 1} more)"
            table.add_row(
                mark,
                label,
                Text(KIND_HINTS.get(item.kind, item.kind), style="dim"),
                Text(value)
                if value
                else Text("missing" if item.missing else "—", style="dim italic"),
                key=item.key,
            )
        table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    @staticmethod
    def _deal(detail: HandoffDetail) -> Group:
        """The deal's facts, then every item written in full: the next owner
        reads the whole hand-off here without opening anything."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", justify="right", no_wrap=True)
        grid.add_column(overflow="fold")
        deal = detail.deal
        rows = [
            ("Deal", deal.title),
            ("Amount", f"{deal.amount:,.0f} {deal.currency}" if deal.amount else None),
            ("Closed on", str(deal.close_on) if deal.close_on else None),
            ("Account", detail.account.name if detail.account else None),
            ("Closing rep", detail.closing_rep),
            ("Next owner", detail.next_owner),
        ]
        for label, value in rows:
            if value:
                grid.add_row(label, value)
        written: list[RenderableType] = [grid]
        for item in detail.items:
            if item.text:
                written.append(Text(f"\n{item.label}", style="bold"))
                written.append(Text(item.text.replace("; ", "\n")))
        return Group(*written)

    def _history(self, detail: HandoffDetail) -> Table:
        mine, now = self._mine, self._ws.clock.now()
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("When", no_wrap=True, style="dim")
        table.add_column("Who", no_wrap=True)
        table.add_column("What", ratio=1, overflow="fold")
        for entry in detail.history:
            what = entry.action.replace("_", " ")
            if entry.changes and entry.action in ("filled", "sent_back"):
                what += f": {changes(entry.changes, mine, now)}"
            table.add_row(when(entry.at, mine, now), entry.who or "system", what)
        return table

    # Who may do what, now ----------------------------------------------------

    def _is_manager(self) -> bool:
        return self._me is not None and RANKS.get(self._me.role, -1) >= RANKS["manager"]

    def _may_fill(self) -> bool:
        detail = self._detail
        if detail is None or detail.handoff.status not in EDITABLE:
            return False
        return detail.handoff.closing_user_id == self._ws.user_id or self._is_manager()

    def _may_decide(self) -> bool:
        detail = self._detail
        if detail is None or detail.handoff.status != "submitted":
            return False
        mine = detail.handoff.next_owner_id in (None, self._ws.user_id)
        return mine or self._is_manager()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self._may_fill()
        if action in ("accept", "send_back"):
            return self._may_decide()
        return True

    # Filling -----------------------------------------------------------------

    @on(DataTable.RowSelected, "#checklist")
    def _fill_selected(self, event: DataTable.RowSelected) -> None:
        detail = self._detail
        if detail is None or event.row_key.value is None:
            return
        if not self._may_fill():
            status = STATUS_LABELS[detail.handoff.status]
            self.notify(f"This hand-off is {status}; it cannot be changed now.")
            return
        key = event.row_key.value
        item = next(i for i in detail.items if i.key == key)
        version = detail.handoff.version

        def write(text: str | None) -> None:
            if text is not None and text.strip() != item.text.strip():
                self._run(
                    lambda: fill_item(
                        self._ws, self.handoff_id, key, text, expected_version=version
                    ),
                    f"{item.label}: written",
                )

        self.app.push_screen(
            ItemEditor(item.label, item.kind, item.text, self._users), write
        )

    # Submitting, accepting, sending back ---------------------------------------

    def action_submit(self) -> None:
        """Submit the hand-off to its next owner."""
        if self._detail is None:
            return
        version = self._detail.handoff.version
        self._run(
            lambda: submit_handoff(self._ws, self.handoff_id, expected_version=version),
            "Submitted to the next owner",
        )

    def action_accept(self) -> None:
        """Accept the hand-off: the account gets its owners and onboarding starts."""
        if self._detail is None:
            return
        version = self._detail.handoff.version
        self._run(
            lambda: accept_handoff(self._ws, self.handoff_id, expected_version=version),
            self._accepted_note,
        )

    def _accepted_note(self, accepted: Accepted) -> str:
        # A manager standing in for the next owner accepts for them: the task
        # is theirs, and the note must not tell the manager it is theirs.
        owner = accepted.onboarding_owner
        if owner is None:
            return "Accepted"
        if owner == self._ws.user_name:
            return "Accepted: the onboarding task is yours"
        return f"Accepted: the onboarding task is {owner}'s"

    def action_send_back(self) -> None:
        """Send the hand-off back to the closing rep with a question."""
        if self._detail is None:
            return
        version = self._detail.handoff.version

        def send(question: str | None) -> None:
            if question:
                self._run(
                    lambda: send_back_handoff(
                        self._ws, self.handoff_id, question, expected_version=version
                    ),
                    "Sent back with your question",
                )

        self.app.push_screen(QuestionForm(), send)

    def _run(
        self, change: Callable[[], Done], note: str | Callable[[Done], str]
    ) -> None:
        """Make ``change`` off the UI thread, then say ``note`` (or what
        ``note`` makes of the change's result, when it depends on it)."""
        if self._busy:
            return
        self._busy = True

        def change_and_say() -> str:
            done = change()
            return note if isinstance(note, str) else note(done)

        self._change(change_and_say)

    @work(thread=True, exit_on_error=False, group="handoff-change")
    def _change(self, change: Callable[[], str]) -> None:
        try:
            note = change()
        except CrmError as error:
            self.post_message(HandoffRefused(str(error)))
        else:
            self.post_message(HandoffChanged(note))

    def on_handoff_changed(self, message: HandoffChanged) -> None:
        self.notify(message.note, title="Hand-off")
        self._load()

    def on_handoff_refused(self, message: HandoffRefused) -> None:
        self.notify(message.reason, title="Not done", severity="error", timeout=10)
        self._load()
        # Put the cursor on the first gap, where the rep has work to do.
        if self._detail and self._detail.missing:
            table = self.query_one(ChecklistTable)
            key = self._detail.missing[0].key
            table.move_cursor(row=table.get_row_index(key), animate=False)

    def action_refresh(self) -> None:
        """Reload the hand-off from the database."""
        self._load()

    def action_back(self) -> None:
        """Back to where the hand-off was opened from."""
        self.dismiss(None)

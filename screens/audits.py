"""The audits: what the person who owns the system's health should fix, in
tabs, with duplicates merged (and a merge undone) from the keyboard."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from crm_tui.audits.checks import Audit, run_audit
from crm_tui.errors import CrmError
from crm_tui.models import Lead
from crm_tui.services.merge import (
    FieldChoice,
    last_merge,
    merge_leads,
    merge_plan,
    undo_merge,
)
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter


class AuditLoaded(Message):
    def __init__(self, audit: Audit) -> None:
        super().__init__()
        self.audit = audit


class MergeReady(Message):
    """Both leads of a pair were read, so the merge can be chosen."""

    def __init__(self, keep: Lead, other: Lead) -> None:
        super().__init__()
        self.keep = keep
        self.other = other


class AuditActionDone(Message):
    """A merge or an undo happened (or failed): say so and re-run the audit."""

    def __init__(self, message: str, failed: bool = False) -> None:
        super().__init__()
        self.message = message
        self.failed = failed


def _value(value: object) -> str | Text:
    return Text("—", style="dim") if value in (None, "") else str(value)


class MergeScreen(ModalScreen[tuple[int, int, set[str]] | None]):
    """Choose, field by field, what the surviving lead keeps.

    | Key(s) | Description |
    | :- | :- |
    | space | Take the other value for the highlighted field. |
    | s | Swap which lead survives. |
    | m | Merge. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "take", "Take other value", id="merge-toggle"),
        Binding("s", "swap", "Swap survivor", id="merge-swap"),
        Binding("m", "merge", "Merge", id="merge-do"),
        Binding("escape", "cancel", "Cancel", id="merge-cancel"),
    ]

    AUTO_FOCUS = "#merge-fields"

    def __init__(self, keep: Lead, other: Lead) -> None:
        super().__init__()
        self._keep, self._other = keep, other
        self._plan: list[FieldChoice] = []
        self._take: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="merge-box"):
            yield Static("", id="merge-title")
            yield DataTable(id="merge-fields", cursor_type="row")
            yield Static(
                "space takes the other value · s swaps who survives · "
                "m merges · esc cancels",
                id="merge-help",
            )
        # Its own footer: the audits' footer under it offers keys (tabs,
        # lists) that do nothing while the merge is being chosen.
        yield KeyFooter()

    def on_mount(self) -> None:
        self._fill()

    def _fill(self) -> None:
        keep, other = self._keep, self._other
        self._plan = merge_plan(keep, other)
        self._take = {c.field for c in self._plan if c.take == "other"}
        self.query_one("#merge-title", Static).update(
            f"Merge #{other.id} {other.name} into #{keep.id} {keep.name}: "
            "activities, deals, tasks and history move to the survivor."
        )
        table = self.query_one("#merge-fields", DataTable)
        table.clear(columns=True)
        table.add_columns(
            "Field", f"Survivor #{keep.id}", f"Other #{other.id}", "Keeps"
        )
        for choice in self._plan:
            table.add_row(*self._cells(choice), key=choice.field)

    def _cells(self, choice: FieldChoice) -> list[str | Text]:
        taking = choice.field in self._take
        return [
            choice.field.replace("_", " "),
            _value(choice.survivor),
            _value(choice.other),
            Text("other" if taking else "survivor", style="bold" if taking else ""),
        ]

    def action_take(self) -> None:
        """Keep the other lead's value for this field, or go back."""
        table = self.query_one("#merge-fields", DataTable)
        if not self._plan:
            return
        choice = self._plan[table.cursor_row]
        self._take ^= {choice.field}
        for column, cell in enumerate(self._cells(choice)):
            table.update_cell_at(Coordinate(table.cursor_row, column), cell)

    def action_swap(self) -> None:
        """The other lead survives instead."""
        self._keep, self._other = self._other, self._keep
        self._fill()

    def action_merge(self) -> None:
        assert self._keep.id is not None and self._other.id is not None
        self.dismiss((self._keep.id, self._other.id, set(self._take)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AuditsScreen(CrmScreen[None]):
    """Duplicates, loose ends, broken rules and field usage.

    | Key(s) | Description |
    | :- | :- |
    | [, ] | The tab before, the tab after. |
    | m | Merge the highlighted duplicate pair. |
    | u | Undo the last merge. |
    | r | Run the audit again. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # The tabs' own left and right work only while the tab row has the
        # focus, which it loses to the table at once: these work from anywhere.
        Binding(
            "left_square_bracket",
            "switch_tab(-1)",
            "Prev tab",
            key_display="[",
            id="audit-prev-tab",
        ),
        Binding(
            "right_square_bracket",
            "switch_tab(1)",
            "Next tab",
            key_display="]",
            id="audit-next-tab",
        ),
        Binding("m", "merge", "Merge pair", id="audit-merge"),
        # m merges on the duplicates tab only; on another tab it must do
        # nothing rather than fall through to the app's m (My leads).
        Binding("m", "nothing", show=False, id="audit-merge-elsewhere"),
        Binding("u", "undo", "Undo last merge", id="audit-undo"),
        Binding("r", "refresh", "Re-run", id="audit-refresh"),
        Binding("escape", "back", "Back", id="audit-back"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self.audit: Audit | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Audits", id="audits-title", classes="title-bar title")
        with TabbedContent(id="audits-tabs"):
            with TabPane("Duplicates", id="tab-duplicates"):
                yield DataTable(id="audit-duplicates", cursor_type="row")
            with TabPane("Loose ends", id="tab-loose"):
                yield DataTable(id="audit-loose", cursor_type="row")
            with TabPane("Broken rules", id="tab-rules"):
                yield DataTable(id="audit-rules", cursor_type="row")
            with TabPane("Field usage", id="tab-usage"):
                yield DataTable(id="audit-usage", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._table("duplicates").add_columns("Keep", "Other", "Why")
        self._table("loose").add_columns("Problem", "Record", "Why")
        self._table("rules").add_columns("Where", "What is wrong")
        self._table("usage").add_columns("Table", "Field", "Filled", "Share")
        self._reload()

    def _table(self, name: str) -> DataTable[str | Text]:
        return self.query_one(f"#audit-{name}", DataTable)

    def _reload(self) -> None:
        self._table("duplicates").loading = True
        self._run_audit()

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def _run_audit(self) -> None:
        with self._ws.read() as session:
            found = run_audit(session, self._ws.process, self._ws.clock.now())
        self.post_message(AuditLoaded(found))

    def on_audit_loaded(self, message: AuditLoaded) -> None:
        found = self.audit = message.audit
        self.query_one("#audits-title", Static).update(
            f"Audits · {found.problems} things to fix"
        )
        duplicates = self._table("duplicates")
        duplicates.loading = False
        duplicates.clear()
        for pair in found.duplicates:
            duplicates.add_row(
                f"#{pair.keep}",
                f"#{pair.other}",
                "; ".join(pair.reasons),
                key=f"{pair.keep}:{pair.other}",
            )
        loose = self._table("loose")
        loose.clear()
        for kind, items in (
            ("Stale deal", found.stale_deals),
            ("No next step", found.no_next_step),
            ("Past SLA", found.past_sla),
            ("Hand-off waiting", found.handoffs_waiting),
        ):
            for item in items:
                loose.add_row(kind, f"#{item.entity_id} {item.title}", item.why)
        rules = self._table("rules")
        rules.clear()
        for item in found.broken_rules:
            rules.add_row(item.title, item.why)
        usage = self._table("usage")
        usage.clear()
        for field in sorted(found.field_usage, key=lambda u: u.share or 0):
            usage.add_row(
                field.table,
                field.label,
                f"{field.filled} of {field.total}",
                Text(
                    "—" if field.share is None else f"{field.share:.0%}",
                    justify="right",
                ),
            )
        tabs = self.query_one(TabbedContent)
        for pane, count in (
            ("tab-duplicates", len(found.duplicates)),
            ("tab-loose", loose.row_count),
            ("tab-rules", rules.row_count),
        ):
            label = tabs.get_tab(pane).label.plain.split(" (")[0]
            tabs.get_tab(pane).label = f"{label} ({count})"

    # Merging -----------------------------------------------------------

    def _on_duplicates(self) -> bool:
        return self.query_one(TabbedContent).active == "tab-duplicates"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "merge":
            # Hidden elsewhere: the pair it merges is not on screen there.
            return not self.is_mounted or self._on_duplicates()
        return True

    def action_nothing(self) -> None:
        """Take m on a tab where there is nothing to merge."""

    def action_merge(self) -> None:
        """Choose how to merge the highlighted pair."""
        if not self._on_duplicates():
            return
        table = self._table("duplicates")
        if table.row_count == 0:
            self.notify("No duplicates to merge.")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert key is not None
        keep, other = (int(part) for part in key.split(":"))
        self._read_pair(keep, other)

    @work(thread=True, exit_on_error=False, group="audit-merge")
    def _read_pair(self, keep: int, other: int) -> None:
        with self._ws.read() as session:
            first, second = session.get(Lead, keep), session.get(Lead, other)
        if first is None or second is None:
            self.post_message(AuditActionDone("One of the leads is gone.", True))
            return
        self.post_message(MergeReady(first, second))

    def on_merge_ready(self, message: MergeReady) -> None:
        def chosen(result: tuple[int, int, set[str]] | None) -> None:
            if result is not None:
                self._merge(*result)

        self.app.push_screen(MergeScreen(message.keep, message.other), chosen)

    @work(thread=True, exit_on_error=False, group="audit-merge")
    def _merge(self, keep: int, other: int, take: set[str]) -> None:
        try:
            done = merge_leads(self._ws, keep, other, take)
        except CrmError as error:
            self.post_message(AuditActionDone(str(error), True))
            return
        self.post_message(
            AuditActionDone(
                f"Lead #{other} merged into #{keep}; u undoes it "
                f"(or crm merge undo {done.event_id})."
            )
        )

    def action_undo(self) -> None:
        """Undo the newest merge still in place."""
        self._undo_last()

    @work(thread=True, exit_on_error=False, group="audit-merge")
    def _undo_last(self) -> None:
        with self._ws.read() as session:
            event_id = last_merge(session)
        if event_id is None:
            self.post_message(AuditActionDone("There is no merge to undo.", True))
            return
        try:
            done = undo_merge(self._ws, event_id)
        except CrmError as error:
            self.post_message(AuditActionDone(str(error), True))
            return
        self.post_message(AuditActionDone(f"Lead #{done.other_id} is separate again."))

    def on_audit_action_done(self, message: AuditActionDone) -> None:
        self.notify(
            message.message,
            severity="warning" if message.failed else "information",
        )
        if not message.failed:
            self._reload()

    def action_refresh(self) -> None:
        self._reload()

    def action_switch_tab(self, step: int) -> None:
        """Show the tab ``step`` places along, round from the last to the first."""
        tabs = self.query_one(TabbedContent)
        panes = [pane.id for pane in tabs.query(TabPane) if pane.id]
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(TabbedContent.TabActivated)
    def _focus_tab_table(self, event: TabbedContent.TabActivated) -> None:
        table = event.pane.query(DataTable).first()
        table.focus()
        self.refresh_bindings()  # m shows on the duplicates tab only

"""One lead in full: every field that has a value, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
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
from crm_tui.models import Lead
from crm_tui.queries.leads import LeadDetail, lead_detail
from crm_tui.rules.sla import clock_text
from crm_tui.services.edits import Conflict
from crm_tui.services.leads import BASIC_FIELDS, claim_lead, edit_lead
from crm_tui.timestamps import user_zone
from crm_tui.workspace import Workspace
from screens.actions import TriageActions
from screens.conflict import ConflictScreen
from screens.footer import KeyFooter
from screens.format import age, changes, when
from screens.lead_edit import LABELS, LeadEditScreen
from screens.messages import ClaimFailed, LeadClaimed, LeadsActed


class LeadLoaded(Message):
    """The lead came back from the database; ``None`` when it is gone."""

    def __init__(self, detail: LeadDetail | None) -> None:
        super().__init__()
        self.detail = detail


def sla_text(
    lead: Lead, now: datetime, mine: ZoneInfo, team: ZoneInfo | None
) -> str | None:
    """The due time in the rep's time zone (and the team's clock when that
    differs), with time left or how late while unanswered."""
    due = lead.sla_due_at
    if due is None:
        return None
    text = when(due, mine, now)
    if (
        team is not None
        and due.astimezone(team).utcoffset() != due.astimezone(mine).utcoffset()
    ):
        text += f" ({due.astimezone(team):%H:%M %Z} team time)"
    if lead.first_response_at is None and lead.status in ("new", "working"):
        text += f" · {clock_text(due, now)}"
    return text


def _with_extension(number: str | None, extension: str | None) -> str | None:
    if number and extension:
        return f"{number} ext. {extension}"
    return number


def lead_fields(
    detail: LeadDetail, now: datetime, mine: ZoneInfo, team: ZoneInfo | None = None
) -> list[tuple[str, str]]:
    """The lead's fields that have a value, as (label, text), in the order
    a rep reads them: who, how to reach them, where from, where it stands."""
    lead: Lead = detail.lead
    phone = _with_extension(lead.phone, lead.phone_ext)
    mobile = _with_extension(lead.mobile, lead.mobile_ext)
    created = f"{when(lead.created_at, mine, now)}  ({age(lead.created_at, now)} ago)"
    candidates: list[tuple[str, object]] = [
        ("Name", lead.name),
        ("Company", lead.company),
        ("Title", lead.title),
        ("E-mail", lead.email),
        ("Phone", phone),
        ("Mobile", mobile),
        ("Website", lead.website),
        ("Industry", lead.industry),
        ("Source", lead.source),
        ("Street", lead.street),
        ("City", lead.city),
        ("State", lead.state),
        ("Postal code", lead.postal_code),
        ("Country", lead.country),
        ("Territory", lead.territory),
        ("Language", lead.language),
        ("Segment", lead.segment),
        ("Interest", lead.product_interest),
        ("Owner", detail.owner),
        ("Status", lead.status),
        ("Bucket", lead.bucket),
        ("Reason", lead.reason),
        ("Revisit on", lead.revisit_on),
        ("Routed by", lead.routed_by),
        ("SLA due", sla_text(lead, now, mine, team)),
        (
            "First response",
            when(lead.first_response_at, mine, now) if lead.first_response_at else None,
        ),
        ("Created", created),
        ("Source system", lead.source_system),
        ("External id", lead.external_id),
    ]
    # Columns an import kept from the source file, under their own headers.
    candidates.extend((str(header), item) for header, item in lead.extra.items())
    return [(label, str(item)) for label, item in candidates if item not in (None, "")]


class LeadSaved(Message):
    """The rep's edit was written; ``written`` is field -> [old, new]."""

    def __init__(self, written: dict[str, list[Any]]) -> None:
        super().__init__()
        self.written = written


class LeadEditConflicted(Message):
    """A colleague saved the lead first; nothing of the rep's was written."""

    def __init__(
        self,
        started: dict[str, Any],
        mine: dict[str, Any],
        theirs: dict[str, Any],
        version: int,
    ) -> None:
        super().__init__()
        self.started = started
        self.mine = mine
        self.theirs = theirs
        self.version = version


class LeadSaveFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class LeadScreen(TriageActions[bool]):
    """A lead in full, pushed from the inbox.

    It dismisses with whether the lead has left the inbox (claimed here, or
    found owned), so the inbox can drop its row without a reload.

    | Key(s) | Description |
    | :- | :- |
    | c | Claim this lead. |
    | a, q, n, d, t | Assign, qualify, nurture, disqualify, log a touch. |
    | e | Edit name, company, title, e-mail, phone and territory. |
    | escape, backspace | Back to the previous screen. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", id="edit"),
        Binding("escape,backspace", "back", "Back", key_display="esc", id="back"),
    ]

    def __init__(self, ws: Workspace, lead_id: int) -> None:
        super().__init__()
        self._ws = ws
        self.lead_id = lead_id
        self._detail: LeadDetail | None = None
        self._claiming = False
        self._zone: ZoneInfo | None = None
        self._mine = ZoneInfo("UTC")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static(f"Lead #{self.lead_id}", id="lead-title", classes="title")
            yield Static("", id="lead-state", classes="title-note")
        with Horizontal(id="lead-body"):
            with VerticalScroll(id="lead-fields-box", classes="panel") as box:
                box.border_title = "Details"
                yield Static("", id="lead-fields")
            with VerticalScroll(id="lead-history-box", classes="panel") as box:
                box.border_title = "History"
                yield Static("", id="lead-history")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#lead-body").loading = True
        self._load_lead()

    @work(thread=True, exit_on_error=False, group="lead")
    def _load_lead(self) -> None:
        with self._ws.read() as session:
            detail = lead_detail(session, self.lead_id)
            self._mine = user_zone(session, self._ws.user_id)
        self._zone = self._ws.process.team.zone
        self.post_message(LeadLoaded(detail))

    def on_lead_loaded(self, message: LeadLoaded) -> None:
        self.query_one("#lead-body").loading = False
        self._detail = message.detail
        self.refresh_bindings()
        if message.detail is None:
            self.query_one("#lead-title", Static).update(
                f"Lead #{self.lead_id} no longer exists"
            )
            return
        detail = message.detail
        lead = detail.lead
        self.query_one("#lead-title", Static).update(
            f"{lead.name or '(no name)'}"
            + (f" · {lead.company}" if lead.company else "")
        )
        owner = f"owned by {detail.owner}" if detail.owner else "unowned"
        self.query_one("#lead-state", Static).update(f"{lead.status} · {owner}")
        self.query_one("#lead-fields", Static).update(self._fields_table(detail))
        self.query_one("#lead-history", Static).update(self._history_table(detail))

    def _fields_table(self, detail: LeadDetail) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", justify="right", no_wrap=True)
        table.add_column(overflow="fold")
        now = self._ws.clock.now()
        for label, text in lead_fields(detail, now, self._mine, self._zone):
            table.add_row(label, text)
        return table

    def _history_table(self, detail: LeadDetail) -> Table | Text:
        if not detail.history:
            return Text("Nothing has happened to this lead yet.", style="dim")
        mine, now = self._mine, self._ws.clock.now()
        table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        table.add_column("When", no_wrap=True, style="dim")
        table.add_column("Who", no_wrap=True)
        table.add_column("Action", no_wrap=True, style="bold")
        table.add_column("What changed", ratio=1, overflow="fold")
        for entry in detail.history:
            table.add_row(
                when(entry.at, mine, now),
                entry.who or "system",
                entry.action,
                changes(entry.changes, mine, now),
            )
        return table

    def _left_inbox(self) -> bool:
        if self._detail is None:
            return True
        lead = self._detail.lead
        return lead.owner_id is not None or lead.status != "new"

    def action_claim(self) -> None:
        """Claim this lead for the user at the keyboard."""
        if self._claiming or self._detail is None:
            return
        self._claiming = True
        self._claim_lead()

    @work(thread=True, exit_on_error=False, group="claim")
    def _claim_lead(self) -> None:
        try:
            lead = claim_lead(self._ws, self.lead_id)
        except CrmError as error:
            self.post_message(ClaimFailed(self.lead_id, str(error)))
        else:
            self.post_message(LeadClaimed(self.lead_id, lead.name))

    def on_lead_claimed(self, message: LeadClaimed) -> None:
        self._claiming = False
        self.notify(f"You own {message.name} now.", title="Claimed")
        self._load_lead()

    def on_claim_failed(self, message: ClaimFailed) -> None:
        self._claiming = False
        self.notify(message.reason, title="Not claimed", severity="warning")
        self._load_lead()

    # Editing -----------------------------------------------------------

    def action_edit(self) -> None:
        """Edit the lead's basic fields."""
        if self._detail is None:
            return
        lead = self._detail.lead
        started = {key: getattr(lead, key) for key in BASIC_FIELDS}
        if lead.phone and lead.phone_ext:
            # The extension is part of what the rep edits: a new number
            # without one drops the old number's.
            started["phone"] = f"{lead.phone} x{lead.phone_ext}"
        version = lead.version

        def save(changes: dict[str, Any] | None) -> None:
            if changes:
                self._save_lead(started, changes, version)

        self.app.push_screen(LeadEditScreen(f"Edit {lead.name}", started), save)

    @work(thread=True, exit_on_error=False, group="save")
    def _save_lead(
        self, started: dict[str, Any], changes: dict[str, Any], version: int
    ) -> None:
        try:
            written = edit_lead(
                self._ws, self.lead_id, version=version, changes=changes
            )
        except Conflict:
            with self._ws.read() as session:
                lead = session.get(Lead, self.lead_id)
            if lead is None:
                self.post_message(LeadSaveFailed(f"Lead #{self.lead_id} is gone."))
                return
            theirs = {key: getattr(lead, key) for key in changes}
            self.post_message(
                LeadEditConflicted(started, changes, theirs, lead.version)
            )
        except CrmError as error:
            self.post_message(LeadSaveFailed(str(error)))
        else:
            self.post_message(LeadSaved(written))

    def on_lead_saved(self, message: LeadSaved) -> None:
        fields = ", ".join(LABELS[k] for k in message.written if k in LABELS)
        self.notify(f"Saved: {fields}.", title="Lead saved")
        self._load_lead()

    def on_lead_save_failed(self, message: LeadSaveFailed) -> None:
        self.notify(message.reason, title="Not saved", severity="error")
        self._load_lead()

    def on_lead_edit_conflicted(self, message: LeadEditConflicted) -> None:
        self._load_lead()

        def resolved(values: dict[str, Any] | None) -> None:
            if values is None:
                self.notify(
                    "Your edit was not saved; the lead shows your colleague's values.",
                    title="Edit dropped",
                    severity="warning",
                )
                return
            changes = {k: v for k, v in values.items() if v != message.theirs.get(k)}
            if not changes:
                self.notify("Kept your colleague's values.", title="Nothing to save")
                return
            self._save_lead(message.theirs, changes, message.version)

        self.app.push_screen(
            ConflictScreen(
                f"Lead #{self.lead_id}",
                LABELS,
                message.started,
                message.mine,
                message.theirs,
            ),
            resolved,
        )

    def refresh_data(self) -> None:
        """Show the lead as it is now (live refresh: a colleague's change)."""
        if self.is_mounted:
            self._load_lead()

    def targets(self) -> list[int]:
        return [self.lead_id] if self._detail is not None else []

    def owned_by_others(self, lead_ids: list[int]) -> bool:
        owner = self._detail.owner if self._detail else None
        return owner not in (None, self._ws.user_name)

    def lead_names(self, lead_ids: list[int]) -> list[str]:
        if self._detail is None:
            return super().lead_names(lead_ids)
        return [self._detail.lead.name or "(no name)"]

    def on_leads_acted(self, message: LeadsActed) -> None:
        self.tell(message)
        self._load_lead()

    def action_back(self) -> None:
        """Back to the inbox (or wherever the lead was opened from)."""
        self.dismiss(self._left_inbox())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "claim":
            # Shown only while the lead is still there to be claimed.
            return self._detail is not None and not self._left_inbox()
        if action == "edit":
            return self._detail is not None and not self._ws.read_only
        if action in {"assign", "qualify", "nurture", "disqualify", "touch"}:
            return self._detail is not None
        return True

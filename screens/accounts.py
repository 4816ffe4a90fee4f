"""Accounts at risk, soonest renewal first, with the rule that says why."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from crm_tui.queries.accounts import AT_RISK, AccountHealth, account_health
from crm_tui.services.retention import today
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter

STATUS_STYLES = {AT_RISK: "bold red", "watch": "yellow", "healthy": "green"}


class AccountsLoaded(Message):
    def __init__(self, rows: list[AccountHealth]) -> None:
        super().__init__()
        self.rows = rows


class AccountTable(DataTable[str | Text]):
    """Accounts and their health.

    | Key(s) | Description |
    | :- | :- |
    | j, down / k, up | Move. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False),
        Binding("k,up", "cursor_up", "Up", show=False),
    ]


class AccountsScreen(CrmScreen[None]):
    """Accounts at risk (or every account), soonest renewal first.

    | Key(s) | Description |
    | :- | :- |
    | t | Switch between at risk and every account. |
    | r | Refresh. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch", "At risk / all", id="switch"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("escape,backspace", "back", "Back", key_display="esc", id="back"),
    ]

    AUTO_FOCUS = "#account-table"

    def __init__(self, ws: Workspace, at_risk: bool = True) -> None:
        super().__init__()
        self._ws = ws
        self.at_risk = at_risk

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("Accounts at risk", id="accounts-title", classes="title")
            yield Static("", id="accounts-note", classes="title-note")
        yield AccountTable(id="account-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="accounts-empty", classes="empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(AccountTable)
        table.add_column("Account", width=28, key="name")
        table.add_column("Renews", width=10, key="renews")
        table.add_column(Text("In", justify="right"), width=5, key="in")
        table.add_column("Status", width=8, key="status")
        table.add_column("Relationship", width=12, key="owner")
        table.add_column(Text("Issues", justify="right"), width=6, key="issues")
        table.add_column(Text("Promises", justify="right"), width=8, key="promises")
        table.add_column("Because", key="because")
        self.query_one("#accounts-empty").display = False
        self._load()

    @work(thread=True, exit_on_error=False, group="accounts")
    def _load(self) -> None:
        day = today(self._ws)
        with self._ws.read() as session:
            rows = account_health(
                session,
                today=day,
                rules=self._ws.process.retention.rules,
                at_risk=self.at_risk,
            )
        self.post_message(AccountsLoaded(rows))

    def on_accounts_loaded(self, message: AccountsLoaded) -> None:
        table = self.query_one(AccountTable)
        table.clear()
        for row in message.rows:
            within = row.renewal_within_days
            table.add_row(
                row.name,
                f"{row.renewal_on:%Y-%m-%d}" if row.renewal_on else "—",
                Text(f"{within}d" if within is not None else "", justify="right"),
                Text(row.status, style=STATUS_STYLES.get(row.status, "")),
                row.relationship_owner or "—",
                Text(str(row.open_support_issues), justify="right"),
                Text(str(row.unresolved_promises), justify="right"),
                Text(row.because or "", style="dim"),
                key=str(row.id),
            )
        title = "Accounts at risk" if self.at_risk else "Accounts"
        self.query_one("#accounts-title", Static).update(
            f"{title} · {len(message.rows)}"
        )
        self.query_one("#accounts-note", Static).update("soonest renewal first")
        empty = self.query_one("#accounts-empty", Static)
        table.display = bool(message.rows)
        empty.display = not message.rows
        empty.update("No account is at risk." if self.at_risk else "No accounts yet.")

    def action_switch(self) -> None:
        """Switch between the accounts at risk and every account."""
        self.at_risk = not self.at_risk
        self._load()

    def action_refresh(self) -> None:
        """Reload from the database."""
        self._load()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

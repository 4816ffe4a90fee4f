"""The team, for admins: who works the CRM, in which role, covering what.

Every change goes through ``crm_tui.services.users``, which checks the
role again: the screen hides its keys from non-admins, the service refuses.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, Static

from crm_tui.errors import CrmError, FieldNotValid
from crm_tui.queries.users import user_list
from crm_tui.services.edits import Conflict
from crm_tui.services.users import (
    add_user,
    check_user_fields,
    edit_user,
    retire_user,
)
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.conflict import ConflictScreen
from screens.footer import KeyFooter

FIELDS = {
    "name": "Login name",
    "display_name": "Full name",
    "email": "E-mail",
    "role": "Role",
    "time_zone": "Time zone",
    "territories": "Territories",
    "languages": "Languages",
}
LISTS = ("territories", "languages")


class UsersLoaded(Message):
    def __init__(self, users: list[dict[str, Any]]) -> None:
        super().__init__()
        self.users = users


class UsersChanged(Message):
    """A change to the team was saved (``note`` says what) or refused."""

    def __init__(self, note: str, failed: bool = False) -> None:
        super().__init__()
        self.note = note
        self.failed = failed


class UserConflicted(Message):
    def __init__(
        self,
        user_id: int,
        started: dict[str, Any],
        mine: dict[str, Any],
        theirs: dict[str, Any],
        version: int,
    ) -> None:
        super().__init__()
        self.user_id = user_id
        self.started = started
        self.mine = mine
        self.theirs = theirs
        self.version = version


def _as_text(key: str, value: Any) -> str:
    if key in LISTS:
        return ", ".join(value or [])
    return "" if value is None else str(value)


def _from_text(key: str, text: str) -> Any:
    if key in LISTS:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text.strip() or None


class UserEditScreen(ModalScreen[dict[str, Any] | None]):
    """Add a user, or change one (the login name stays).

    | Key(s) | Description |
    | :- | :- |
    | ctrl+s, enter | Save. |
    | escape | Cancel. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="user-save"),
        Binding("escape", "cancel", "Cancel", id="user-cancel"),
    ]

    def __init__(self, title: str, values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._title = title
        self.adding = values is None
        self.started = values or {"role": "rep", "time_zone": "UTC"}

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-box") as box:
            box.border_title = self._title
            with Grid(id="edit-grid"):
                for key, label in FIELDS.items():
                    if key == "name" and not self.adding:
                        continue
                    yield Label(label)
                    yield Input(_as_text(key, self.started.get(key)), id=f"user-{key}")
            yield Static("", id="user-error", classes="form-error")
        yield KeyFooter()

    def changes(self) -> dict[str, Any]:
        found = {}
        for key in FIELDS:
            if key == "name" and not self.adding:
                continue
            value = _from_text(key, self.query_one(f"#user-{key}", Input).value)
            if self.adding or value != self.started.get(key):
                found[key] = value
        return found

    @on(Input.Submitted)
    def action_save(self) -> None:
        """Save; a value that does not fit keeps the form open, with
        everything as typed and the cursor in that field."""
        changes = self.changes()
        try:
            check_user_fields(changes)
        except FieldNotValid as problem:
            self.query_one("#user-error", Static).update(str(problem))
            self.query_one(f"#user-{problem.field}", Input).focus()
            return
        self.dismiss(changes)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class UsersScreen(CrmScreen[None]):
    """The team. Admins add, change and deactivate users here.

    | Key(s) | Description |
    | :- | :- |
    | a | Add a user. |
    | e, enter | Change the highlighted user. |
    | d | Deactivate the highlighted user. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add user", id="users-add"),
        Binding("e", "edit", "Change", id="users-edit"),
        Binding("d", "deactivate", "Deactivate", id="users-deactivate"),
        Binding("escape", "back", "Back", key_display="esc", id="users-back"),
    ]

    AUTO_FOCUS = "#users-table"

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self._users: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("Team", id="users-title", classes="title")
            yield Static("", id="users-note", classes="title-note")
        yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("name", "Login"),
            ("display_name", "Name"),
            ("role", "Role"),
            ("email", "E-mail"),
            ("time_zone", "Time zone"),
            ("territories", "Territories"),
            ("languages", "Languages"),
            ("active", "Active"),
        ):
            table.add_column(label, key=key)
        self._load_users()

    def refresh_data(self) -> None:
        """Show the team as it is now, on the same row."""
        if self.is_mounted:
            self._load_users()

    @work(thread=True, exit_on_error=False, group="users")
    def _load_users(self) -> None:
        with self._ws.read() as session:
            users = user_list(session)
        self.post_message(UsersLoaded(users))

    def on_users_loaded(self, message: UsersLoaded) -> None:
        table = self.query_one(DataTable)
        keep = self._highlighted()
        table.clear()
        self._users = {str(u["id"]): u for u in message.users}
        for user in message.users:
            table.add_row(
                Text(user["name"], style="bold"),
                user["display_name"],
                user["role"],
                user["email"] or "",
                user["time_zone"],
                _as_text("territories", user["territories"]),
                _as_text("languages", user["languages"]),
                "yes" if user["active"] else Text("no", style="dim"),
                key=str(user["id"]),
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        active = sum(1 for u in message.users if u["active"])
        self.query_one("#users-title", Static).update(f"Team · {active} active")

    def _highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    # Changes -----------------------------------------------------------

    def action_add(self) -> None:
        """Add a colleague."""

        def save(values: dict[str, Any] | None) -> None:
            if values:
                self._add_user(values)

        self.app.push_screen(UserEditScreen("Add a user"), save)

    @work(thread=True, exit_on_error=False, group="users-save")
    def _add_user(self, values: dict[str, Any]) -> None:
        try:
            name = values.pop("name") or ""
            role = values.pop("role") or "rep"
            user = add_user(self._ws, name, role, **values)
        except CrmError as error:
            self.post_message(UsersChanged(str(error), failed=True))
        else:
            self.post_message(UsersChanged(f"Added {user.name} ({user.role})."))

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        """Change the highlighted user's details."""
        key = self._highlighted()
        if key is None:
            return
        user = self._users[key]
        started = {k: user.get(k) for k in FIELDS if k != "name"}

        def save(values: dict[str, Any] | None) -> None:
            if values:
                self._edit_user(int(key), started, values, user["version"])

        self.app.push_screen(UserEditScreen(f"Change {user['name']}", started), save)

    @work(thread=True, exit_on_error=False, group="users-save")
    def _edit_user(
        self,
        user_id: int,
        started: dict[str, Any],
        changes: dict[str, Any],
        version: int,
    ) -> None:
        from crm_tui.models import User

        try:
            edit_user(self._ws, user_id, version=version, changes=changes)
        except Conflict:
            with self._ws.read() as session:
                fresh = session.get(User, user_id)
            if fresh is None:
                self.post_message(UsersChanged("That user is gone.", failed=True))
                return
            theirs = {k: getattr(fresh, k) for k in changes}
            self.post_message(
                UserConflicted(user_id, started, changes, theirs, fresh.version)
            )
        except CrmError as error:
            self.post_message(UsersChanged(str(error), failed=True))
        else:
            name = self._users.get(str(user_id), {}).get("name", "the user")
            self.post_message(UsersChanged(f"Saved {name}."))

    def on_user_conflicted(self, message: UserConflicted) -> None:
        def resolved(values: dict[str, Any] | None) -> None:
            if values is None:
                self.notify("Your change was not saved.", severity="warning")
                return
            changes = {k: v for k, v in values.items() if v != message.theirs.get(k)}
            if changes:
                self._edit_user(
                    message.user_id, message.theirs, changes, message.version
                )

        self.app.push_screen(
            ConflictScreen(
                "User", FIELDS, message.started, message.mine, message.theirs
            ),
            resolved,
        )

    def action_deactivate(self) -> None:
        """Deactivate the highlighted user: they keep their history."""
        key = self._highlighted()
        if key is not None:
            self._retire(self._users[key]["name"])

    @work(thread=True, exit_on_error=False, group="users-save")
    def _retire(self, name: str) -> None:
        try:
            retire_user(self._ws, name)
        except CrmError as error:
            self.post_message(UsersChanged(str(error), failed=True))
        else:
            self.post_message(UsersChanged(f"Deactivated {name}."))

    def on_users_changed(self, message: UsersChanged) -> None:
        if message.failed:
            self.notify(message.note, title="Not saved", severity="error")
        else:
            self.notify(message.note, title="Team")
        self._load_users()

    def action_back(self) -> None:
        """Back to where you were."""
        self.dismiss(None)

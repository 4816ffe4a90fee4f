"""The Textual app: one workspace, opened on the inbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from crm_tui.errors import CrmError, DatabaseProblem
from crm_tui.files import check_whole
from crm_tui.live import ChangeWatch, watch
from crm_tui.workspace import Workspace
from screens.breaches import BreachesScreen
from screens.help import HelpScreen, screen_keys
from screens.inbox import InboxScreen
from screens.live import POLL_SECONDS, DatabaseChanged, LiveScreen
from screens.my_leads import MyLeadsScreen
from screens.triage import TriageScreen

if TYPE_CHECKING:
    from screens.handoffs import Scope

# Screens other than the lists are imported when first opened: the inbox
# paints sooner without the reports' charts and the audits' fuzzy matching.

# Work that can wait starts this long after the app (renewal tasks, the
# file's damage check): the inbox's first page is read and drawn by then,
# rather than sharing the interpreter with it.
SETTLE_SECONDS = 1.0

# The app's letter keys, which open screens: never while a form is open.
_SCREEN_KEYS = {
    "mode",
    "handoffs",
    "accounts_at_risk",
    "reports",
    "audits",
    "definitions",
    "board",
    "my_day",
    "users",
}


class CrmApp(App[None]):
    """crm-tui in the terminal, for the user of one workspace.

    | Key(s) | Description |
    | :- | :- |
    | ? | Show the keys of the current screen. |
    | i | The inbox. |
    | m | My leads. |
    | B | The team's SLA breaches (managers). |
    | U | The team (admins). |
    | ctrl+q | Quit. |
    | R | The reports. |
    | A | The audits. |
    | D | What each stage and term means. |
    | b | The pipeline board. |
    | M | My day: tasks and deals that need a next step. |
    | ctrl+p | The command palette: every key of the screen, by name. |
    | h | My hand-offs: to submit, sent back, to accept. |
    | H | Every hand-off waiting, with how long (for a manager). |
    | W | The watch list: accounts at risk, soonest renewal first. |
    """

    CSS_PATH = "crm.tcss"
    TITLE = "crm-tui"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("i", "mode('inbox')", "Inbox", id="inbox"),
        Binding("m", "mode('mine')", "My leads", id="my-leads"),
        Binding("B", "mode('breaches')", "Breaches", id="breaches"),
        Binding("U", "users", "Team", key_display="U", id="users"),
        # q qualifies a lead on the lists, so quitting is ctrl+q.
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("h", "handoffs('mine')", "My hand-offs", id="my-handoffs"),
        Binding("H", "handoffs('waiting')", "Hand-offs waiting", id="handoffs-waiting"),
        Binding("W", "accounts_at_risk", "At risk", id="accounts-at-risk"),
        Binding("R", "reports", "Reports", id="reports"),
        Binding("A", "audits", "Audits", id="audits"),
        Binding("D", "definitions", "Definitions", id="definitions"),
        Binding("b", "board", "Pipeline board", id="board"),
        Binding("M", "my_day", "My day", id="my-day"),
    ]

    def __init__(self, ws: Workspace, *, live: bool = True) -> None:
        super().__init__()
        self.ws = ws
        self.sub_title = f"{ws.user_name} · {database_name(ws)}"
        if ws.read_only:
            self.sub_title += " · read-only"
        self._live = live
        self._role = ws.identify().role
        self._watch: ChangeWatch | None = None
        self._checking = False
        # Why the app closed itself on a file it cannot trust, for the CLI
        # to print once the terminal is back.
        self.refusal: str | None = None

    def on_mount(self) -> None:
        # Each list is a mode with its own stack, so a lead opened from "my
        # leads" goes back there, and switching keeps each list's place.
        self.add_mode("inbox", lambda: InboxScreen(self.ws))
        self.add_mode("mine", lambda: MyLeadsScreen(self.ws))
        self.add_mode("breaches", lambda: BreachesScreen(self.ws))
        self.switch_mode("inbox")
        self.set_timer(SETTLE_SECONDS, self._after_the_first_page)
        for warning in self.ws.warnings:
            self.notify(warning, title="Careful", severity="warning", timeout=30)
        if self._live:
            self._watch = watch(self.ws.engine)
            self.set_interval(POLL_SECONDS, self._poll, name="live refresh")

    @work(thread=True, exit_on_error=False, group="renewals")
    def _create_renewal_tasks(self) -> None:
        # Renewal tasks come due by the calendar; opening the app is the
        # moment someone is there to see them.
        from crm_tui.services.retention import create_due_renewal_tasks

        created = create_due_renewal_tasks(self.ws)
        if created:
            count = len(created)
            self.call_from_thread(
                self.notify, f"{count} renewal task{'s' * (count != 1)} created."
            )

    def _after_the_first_page(self) -> None:
        self._create_renewal_tasks()
        if self.ws.unchecked:
            self._check_file()

    @work(thread=True, exit_on_error=False, group="file-check")
    def _check_file(self) -> None:
        # Every page of the file read once, off the UI thread (SQLite lets
        # go of the GIL while it reads): a torn page found now closes the
        # app before a rep's work lands on it.
        try:
            check_whole(self.ws.engine)
        except DatabaseProblem as problem:
            self.refusal = str(problem)
            self.call_from_thread(self.exit, return_code=1)
        else:
            self.ws.unchecked = False

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        # A refusal met as a key's screen opens (a broken process file, say)
        # is one line on screen, and the rep stays where they were; Textual
        # would show a traceback and exit.
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except CrmError as error:
            if isinstance(error, DatabaseProblem):
                raise
            self.notify(str(error), title="Could not do that", severity="error")
            return True

    def action_handoffs(self, scope: Scope) -> None:
        """Open my hand-off queue, or every hand-off waiting."""
        from screens.handoffs import HandoffListScreen

        top = self.screen
        if isinstance(top, HandoffListScreen) and top.scope == scope:
            return
        self.push_screen(HandoffListScreen(self.ws, scope))

    def action_accounts_at_risk(self) -> None:
        """Open the accounts at risk."""
        from screens.accounts import AccountsScreen

        if not isinstance(self.screen, AccountsScreen):
            self.push_screen(AccountsScreen(self.ws))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Not from inside a form: the letters belong to what is being typed.
        if action in _SCREEN_KEYS:
            return not isinstance(self.screen, ModalScreen)
        return True

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.close()

    def action_users(self) -> None:
        """The team screen, where admins manage users."""
        from screens.users import UsersScreen

        if isinstance(self.screen, UsersScreen):
            return
        if self._role != "admin":
            # The service refuses too; this says so before a form is filled.
            self.notify(
                f"Only an admin can manage users; {self.ws.user_name} is a "
                f"{self._role}.",
                severity="warning",
            )
            return
        self.push_screen(UsersScreen(self.ws))

    # Live refresh ------------------------------------------------------

    def _poll(self) -> None:
        if not self._checking:
            self._checking = True
            self._check_for_changes()

    @work(thread=True, exit_on_error=False, group="live")
    def _check_for_changes(self) -> None:
        try:
            if self._watch is not None and self._watch.changed():
                self.post_message(DatabaseChanged())
        finally:
            self._checking = False

    def on_database_changed(self, _: DatabaseChanged) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, LiveScreen):
                screen.refresh_data()

    def action_board(self) -> None:
        """Open the pipeline board (or go back to it)."""
        from screens.board import BoardScreen

        self._open(BoardScreen, lambda: BoardScreen(self.ws))

    def action_my_day(self) -> None:
        """Open my day: tasks due and deals that need a next step."""
        from screens.my_day import MyDayScreen

        self._open(MyDayScreen, lambda: MyDayScreen(self.ws))

    def _open(self, kind: type[Screen[None]], make: Callable[[], Screen[None]]) -> None:
        if isinstance(self.screen, kind):
            return
        for screen in self.screen_stack:
            if isinstance(screen, kind):
                # Already open underneath: go back to it rather than stack a copy.
                while not isinstance(self.screen, kind):
                    self.pop_screen()
                return
        self.push_screen(make())

    def action_mode(self, mode: str) -> None:
        """Show a list: the inbox, my leads or the breaches."""
        if self.current_mode != mode:
            self.switch_mode(mode)
        # The key names a list, so the list is what the rep sees: the reports,
        # a board or a lead pushed over it (in this mode or when it was last
        # left) are closed, down to the list at the bottom of the mode.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        # Other modes' screens miss live refreshes while hidden: catch up.
        if isinstance(self.screen, TriageScreen):
            self.screen.action_refresh()

    def action_help(self) -> None:
        """Show the keys of the screen the rep is looking at."""
        if isinstance(self.screen, HelpScreen):
            return
        title = type(self.screen).__name__.removesuffix("Screen") or "Keys"
        self.push_screen(HelpScreen(title, screen_keys(self.screen)))

    def action_reports(self) -> None:
        from screens.reports import ReportsScreen

        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen(self.ws))

    def action_audits(self) -> None:
        from screens.audits import AuditsScreen

        if not isinstance(self.screen, AuditsScreen):
            self.push_screen(AuditsScreen(self.ws))

    def action_definitions(self) -> None:
        from screens.definitions import DefinitionsScreen

        if not isinstance(self.screen, DefinitionsScreen):
            self.push_screen(DefinitionsScreen(self.ws))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Every key of the screen is a command too, so a rep who forgot a key
        # finds the action by name.
        seen: set[str] = set()
        for key in screen_keys(screen):
            seen.add(key.description)
            yield SystemCommand(
                key.description,
                f"Key: {key.keys}",
                partial(self.run_action, key.action, key.node),
            )
        for command in super().get_system_commands(screen):
            if command.title not in seen:
                yield command


def database_name(ws: Workspace) -> str:
    """The database file's name (or a server database's name) for the header."""
    database = ws.engine.url.database
    if not database or database == ":memory:":
        return "in memory"
    return Path(database).name

"""Typing in a lead from the lists: a walk-in, a call, a card from a fair.

The lead goes through the same service as ``crm leads add`` and a captured
form: cleaned like an import row, routed on arrival, its SLA clock started.
A value the service refuses (an e-mail that is not one, say) keeps the form
open with everything typed, the refusal said above the fields and the
cursor on the field it names.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from crm_tui.errors import CrmError
from crm_tui.services.arrival import Arrival, create_leads
from crm_tui.workspace import Workspace
from screens.footer import KeyFooter

FIELDS = {
    "name": "Name",
    "company": "Company",
    "email": "E-mail",
    "phone": "Phone",
    "source": "Source",
    "country": "Country",
}

# Words in a refusal that point at the field to fix.
_NAMED_IN_REFUSAL = {"e-mail": "email", "email": "email", "phone": "phone"}


class NewLeadScreen(ModalScreen[tuple[int, Arrival] | None]):
    """A form for one new lead; dismisses with its id and how it was routed.

    | Key(s) | Description |
    | :- | :- |
    | enter | Add the lead (from any field). |
    | ctrl+s | Add the lead. |
    | escape | Close without adding. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "add", "Add lead", id="new-lead-add"),
        Binding("escape", "cancel", "Cancel", id="new-lead-cancel"),
    ]

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self._adding = False

    def compose(self) -> ComposeResult:
        sources = sorted(
            {s for sla in self._ws.process.sla for s in sla.sources}
            | {s for rule in self._ws.process.routing.rules for s in rule.sources}
        )
        with Vertical(id="edit-box") as box:
            box.border_title = "New lead"
            yield Static("", id="new-lead-problem", classes="form-error")
            with Grid(id="edit-grid"):
                for key, label in FIELDS.items():
                    yield Label(label)
                    suggester = (
                        SuggestFromList(sources, case_sensitive=False)
                        if key == "source" and sources
                        else None
                    )
                    yield Input(id=f"new-{key}", suggester=suggester)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#new-lead-problem", Static).display = False

    def typed(self) -> dict[str, str]:
        """The fields the rep filled in."""
        found = {}
        for key in FIELDS:
            value = self.query_one(f"#new-{key}", Input).value.strip()
            if value:
                found[key] = value
        return found

    @on(Input.Submitted)
    def action_add(self) -> None:
        """Add the lead as typed."""
        if not self._adding:
            self._adding = True
            self._create(self.typed())

    def action_cancel(self) -> None:
        """Close without adding anything."""
        self.dismiss(None)

    @work(thread=True, exit_on_error=False, group="new-lead")
    def _create(self, fields: dict[str, str]) -> None:
        try:
            [added] = create_leads(self._ws, [fields])
        except CrmError as refusal:
            self.app.call_from_thread(self._refused, str(refusal))
        else:
            self.app.call_from_thread(self.dismiss, added)

    def _refused(self, problem: str) -> None:
        self._adding = False
        note = self.query_one("#new-lead-problem", Static)
        note.update(problem)
        note.display = True
        lowered = problem.lower()
        for word, key in _NAMED_IN_REFUSAL.items():
            if word in lowered:
                self.query_one(f"#new-{key}", Input).focus()
                return
        self.query_one("#new-name", Input).focus()


def arrival_note(lead_id: int, arrival: Arrival) -> str:
    """What the rep hears once the lead is in: where routing put it."""
    if arrival.owner:
        return f"Lead #{lead_id} added and routed to {arrival.owner} ({arrival.rule})."
    return f"Lead #{lead_id} added to the inbox: {arrival.reason}."

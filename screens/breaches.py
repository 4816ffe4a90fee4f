"""The team's breaches: every open lead past its response SLA with no
touch, most overdue first, with its owner, for a manager to chase or
reassign."""

from __future__ import annotations

from crm_tui.services.roles import require_role
from screens.triage import TriageScreen


class BreachesScreen(TriageScreen):
    """Every late lead of the team (managers)."""

    SCOPE = "breaches"
    TITLE_TEXT = "Breaches"
    NOUN = ("late lead", "late leads")
    EMPTY = "No breaches: every open lead was answered in time."
    SHOW_OWNER = True

    def check_may_view(self) -> None:
        with self._ws.read() as session:
            require_role(
                session, self._ws.user_id, "manager", "see the team's breaches"
            )

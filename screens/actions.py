"""The triage keys a rep uses on a list of leads and on one lead: assign,
qualify, nurture, disqualify, log a touch. Forms ask for what the action
needs; the service call runs in a thread worker and reports back with
``LeadsActed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar, TypeVar

from textual import work
from textual.binding import Binding, BindingType
from textual.markup import escape

from crm_tui.errors import CrmError
from crm_tui.queries.triage import team_users
from crm_tui.rules.qualification import (
    DISQUALIFIED,
    NURTURE,
    QUALIFIED,
    suggested_bucket,
    team_today,
)
from crm_tui.services.convert import qualify_leads
from crm_tui.services.triage import (
    Outcome,
    assign_leads,
    disqualify_leads,
    nurture_leads,
    touch_leads,
)
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.forms import Confirm
from screens.messages import LeadsActed
from screens.triage_forms import ChoiceForm, DateForm, TextForm, parse_when

ResultType = TypeVar("ResultType")

# How far out the nurture form proposes to come back.
DEFAULT_REVISIT = timedelta(days=30)

# The disqualify reason of the default process for a lead that repeats
# another. The service records only the code; the rep is told so.
DUPLICATE = "duplicate"

# A confirmation names this many leads, then says how many more.
NAMED = 10


class TriageActions(CrmScreen[ResultType]):
    """A screen whose leads can be triaged from the keyboard. Subclasses say
    which leads an action applies to (``targets``) and what to do after."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "claim", "Claim", id="claim"),
        Binding("a", "assign", "Assign", id="assign"),
        Binding("q", "qualify", "Qualify", id="qualify"),
        Binding("n", "nurture", "Nurture", id="nurture"),
        Binding("d", "disqualify", "Disqualify", id="disqualify"),
        Binding("t", "touch", "Touch", id="touch"),
    ]

    _ws: Workspace

    def targets(self) -> list[int]:
        """The leads the next action applies to."""
        raise NotImplementedError

    def owned_by_others(self, lead_ids: list[int]) -> bool:
        """Whether any of the leads has an owner other than the rep."""
        return False

    def action_claim(self) -> None:
        """Claim the lead(s) for the user at the keyboard."""
        raise NotImplementedError

    def marked(self) -> bool:
        """Whether the targets are leads the rep marked (rather than the one
        under the cursor)."""
        return False

    def lead_names(self, lead_ids: list[int]) -> list[str]:
        """The leads' names, as the rep reads them on screen."""
        return [f"lead #{i}" for i in lead_ids]

    def _label(self, lead_ids: list[int]) -> str:
        return f"{len(lead_ids)} leads" if len(lead_ids) > 1 else f"lead #{lead_ids[0]}"

    # The keys ------------------------------------------------------------

    def action_assign(self) -> None:
        """Give the lead(s) to someone on the team."""
        if ids := self.targets():
            self._assign_form(ids)

    def action_qualify(self) -> None:
        """Answer the four questions, then choose the bucket."""
        if ids := self.targets():
            self._qualify_form(ids)

    def action_nurture(self) -> None:
        """Nurture until a revisit date."""
        if ids := self.targets():
            self._nurture_form(ids)

    def action_disqualify(self) -> None:
        """Disqualify, with the reason."""
        if ids := self.targets():
            self._disqualify_form(ids)

    def action_touch(self) -> None:
        """Log a call, e-mail or meeting and its outcome."""
        if ids := self.targets():
            self._touch_form(ids)

    # The forms ----------------------------------------------------------

    @work(exclusive=True, group="form")
    async def _assign_form(self, ids: list[int]) -> None:
        def users() -> list[tuple[str, str]]:
            with self._ws.read() as session:
                return team_users(session)

        people = await asyncio.to_thread(users)
        name = await self.app.push_screen_wait(
            ChoiceForm(f"Assign {self._label(ids)} to", people)
        )
        if name is None:
            return
        reason = ""
        if self.owned_by_others(ids):
            given = await self.app.push_screen_wait(
                TextForm("Reassign", "Why? The owner and the log will see it.")
            )
            if given is None:
                return
            reason = given
        self._act("assigned", lambda: assign_leads(self._ws, ids, name, reason))

    @work(exclusive=True, group="form")
    async def _qualify_form(self, ids: list[int]) -> None:
        process = await asyncio.to_thread(lambda: self._ws.process)
        qualification = process.qualification
        answers: dict[str, str] = {}
        for step, dimension in enumerate(qualification.dimensions, start=1):
            total = len(qualification.dimensions)
            choice = await self.app.push_screen_wait(
                ChoiceForm(
                    f"Qualify {self._label(ids)} · {step}/{total} {dimension.label}",
                    [(c, c) for c in dimension.choices],
                    note=dimension.definition,
                )
            )
            if choice is None:
                return
            answers[dimension.key] = choice
        suggested = suggested_bucket(answers, qualification)
        buckets = [(b.key, b.label) for b in qualification.buckets]
        keys = [key for key, _ in buckets]
        bucket = await self.app.push_screen_wait(
            ChoiceForm(
                f"Qualify {self._label(ids)} · bucket",
                buckets,
                note="\n".join(
                    f"{b.label}: {b.definition}" for b in qualification.buckets
                ),
                highlight=keys.index(suggested) if suggested in keys else 0,
            )
        )
        if bucket == QUALIFIED:
            self._act("qualified", lambda: qualify_leads(self._ws, ids, answers)[0])
        elif bucket == NURTURE:
            await self._nurture(ids, answers)
        elif bucket == DISQUALIFIED:
            await self._disqualify(ids, answers)

    @work(exclusive=True, group="form")
    async def _nurture_form(self, ids: list[int]) -> None:
        await self._nurture(ids, {})

    async def _nurture(self, ids: list[int], answers: dict[str, str]) -> None:
        process = await asyncio.to_thread(lambda: self._ws.process)
        today = team_today(self._ws.clock.now(), process.team.zone)
        typed = await self.app.push_screen_wait(
            DateForm(f"Nurture {self._label(ids)}", today, today + DEFAULT_REVISIT)
        )
        if typed is None:
            return
        revisit = parse_when(typed, today)
        self._act("nurtured", lambda: nurture_leads(self._ws, ids, revisit, answers))

    @work(exclusive=True, group="form")
    async def _disqualify_form(self, ids: list[int]) -> None:
        await self._disqualify(ids, {})

    async def _disqualify(self, ids: list[int], answers: dict[str, str]) -> None:
        process = await asyncio.to_thread(lambda: self._ws.process)
        reasons = [(r.key, r.label) for r in process.qualification.disqualify_reasons]
        reason = await self.app.push_screen_wait(
            ChoiceForm(f"Disqualify {self._label(ids)}: why?", reasons)
        )
        if reason is None:
            return
        question = self._disqualify_question(ids, dict(reasons)[reason], reason)
        if question and not await self.app.push_screen_wait(Confirm(question)):
            return
        self._act(
            "disqualified",
            lambda: disqualify_leads(self._ws, ids, reason, answers),
        )

    def _disqualify_question(self, ids: list[int], label: str, reason: str) -> str:
        """What the rep confirms before leads are disqualified, or "" when
        there is nothing to confirm (the one lead under the cursor)."""
        lines = []
        if self.marked() or len(ids) > 1:
            # Marks are easy to lose sight of (space moves down): the leads
            # are named, so a slip shows before it is done.
            names = self.lead_names(ids)
            more = len(names) - NAMED
            lines.append(f"Disqualify {self._label(ids)} as {label}?")
            # The form reads markup; a name is shown as typed.
            lines += [f"  {escape(name)}" for name in names[:NAMED]]
            if more > 0:
                lines.append(f"  and {more} more")
        if reason == DUPLICATE:
            # The disqualification keeps the reason only, not which lead this
            # one repeats: the rep is told so, and pointed at merging.
            if not lines:
                name = escape(self.lead_names(ids)[0])
                lines.append(f"Disqualify {name} as {label}?")
            lines.append(
                "This records the reason only, not which lead it repeats. "
                "To keep one lead with both histories, a manager merges the two "
                "(A, Duplicates)."
            )
        return "\n".join(lines)

    @work(exclusive=True, group="form")
    async def _touch_form(self, ids: list[int]) -> None:
        process = await asyncio.to_thread(lambda: self._ws.process)
        kinds = {t.key: t for t in process.touches}
        kind = await self.app.push_screen_wait(
            ChoiceForm(
                f"Log a touch on {self._label(ids)}",
                [(t.key, t.label) for t in process.touches],
            )
        )
        if kind is None:
            return
        touch = kinds[kind]
        outcome = await self.app.push_screen_wait(
            ChoiceForm(
                f"{touch.label}: what came of it?", [(o, o) for o in touch.outcomes]
            )
        )
        if outcome is None:
            return
        self._act("touched", lambda: touch_leads(self._ws, ids, kind, outcome))

    # Running the action ---------------------------------------------------

    def _act(self, verb: str, call: Callable[[], Outcome]) -> None:
        self._run_action(verb, call)

    @work(thread=True, exit_on_error=False, group="act")
    def _run_action(self, verb: str, call: Callable[[], Outcome]) -> None:
        try:
            outcome = call()
        except CrmError as error:
            self.app.call_from_thread(
                self.notify, str(error), title="Not done", severity="warning"
            )
            return
        self.post_message(
            LeadsActed(
                verb,
                outcome.done,
                {lead_id: str(e) for lead_id, e in outcome.refused.items()},
            )
        )

    def tell(self, message: LeadsActed) -> None:
        """What the rep reads after an action: the line itself for one lead,
        a count for many, and every refusal."""
        if len(message.done) == 1:
            [line] = message.done.values()
            self.notify(line, title=message.verb.capitalize())
        elif message.done:
            self.notify(
                f"{len(message.done)} leads {message.verb}.",
                title=message.verb.capitalize(),
            )
        for reason in message.refused.values():
            self.notify(reason, title="Not done", severity="warning")

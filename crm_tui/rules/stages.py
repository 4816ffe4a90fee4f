"""Stage rules: what a deal needs to enter or leave a stage, which tasks
entering creates, and when an open deal has stalled.

Pure functions over plain values and the typed process, so the services,
the importer and the tests all apply the same rules without a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from crm_tui.errors import CrmError, ProcessError
from crm_tui.normalize import InvalidValue, parse_amount, parse_timestamp
from crm_tui.process import BusinessHours, Process, Stage, TaskTemplate
from crm_tui.rules.gate_fields import DISQUALIFY, GATE_FIELDS, FieldKind
from crm_tui.rules.sla import is_business_day

# A meeting that has already happened is not a next meeting: these fields
# only satisfy a gate while they lie ahead.
FUTURE_FIELDS = frozenset({"next_meeting_at"})

TASK_KINDS = ("call", "email", "meeting", "demo", "review", "deadline")


class BadValue(CrmError):
    """A value typed for a gate field cannot be read."""


@dataclass(frozen=True)
class Need:
    """One thing a deal lacks for a move: the field to ask for, and why."""

    field: str
    label: str
    kind: FieldKind
    why: str
    choices: tuple[tuple[str, str], ...] = ()  # (key, label) for a choice
    hint: str = ""


def has_value(name: str, value: Any, now: datetime) -> bool:
    """Whether ``value`` satisfies a gate on field ``name`` at ``now``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if name in FUTURE_FIELDS and isinstance(value, datetime):
        return value > now
    return True


def missing_to_move(
    process: Process,
    deal: Mapping[str, Any],
    from_key: str | None,
    to_key: str,
    now: datetime,
) -> list[Need]:
    """What a deal with fields ``deal`` lacks to go from one stage to another.

    ``deal`` holds the deal's current gate fields with any values the person
    supplied for this move already merged in. An empty list means it may go.
    """
    target = process.stage(to_key)
    needs: list[Need] = []
    if from_key is not None and from_key != target.key:
        source = process.stage(from_key)
        needs.extend(_leave_needs(process, source, target, deal, now))
        # A deal that jumps ahead still owes what each stage it skips would
        # have asked on the way, in the order it would have been asked.
        for passed in passed_stages(process, source, target):
            for name in passed.requires:
                if not has_value(name, deal.get(name), now):
                    if name not in _fields(needs):
                        needs.append(_need(process, name, f"to pass {passed.name}"))
            for need in _leave_needs(process, passed, target, deal, now):
                if need.field not in _fields(needs):
                    needs.append(need)
    for name in target.requires:
        if not has_value(name, deal.get(name), now) and name not in _fields(needs):
            needs.append(_need(process, name, f"to enter {target.name}"))
    reason = deal.get("lost_reason")
    if (
        target.closed == "lost"
        and reason
        and not has_value("lost_note", deal.get("lost_note"), now)
    ):
        note = note_need(process, str(reason))
        if note is not None:
            needs.append(note)
    return needs


def note_need(process: Process, reason: str) -> Need | None:
    """The note a lost reason asks for (``Other`` needs words), or None.

    A form asks for it as soon as the reason is chosen, beside the reason."""
    choice = _known_reason(process, reason)
    if choice is None or not choice.needs_note:
        return None
    # Read as "… (for the lost reason “Other”)" and "… is needed for …".
    return _need(process, "lost_note", f"for the lost reason “{choice.label}”")


def passed_stages(process: Process, source: Stage, target: Stage) -> list[Stage]:
    """The selling stages a forward move from ``source`` to ``target`` skips,
    in board order. Only a move along the funnel (to a later selling stage,
    or to closed won) passes stages; moving back, parking a deal or closing
    it lost passes none."""
    if target.parked or target.closed == "lost":
        return []
    order = [s.key for s in process.stages]
    start, end = order.index(source.key), order.index(target.key)
    if end <= start:
        return []
    return [
        stage
        for stage in process.stages[start + 1 : end]
        if stage.closed is None and not stage.parked
    ]


def _leave_needs(
    process: Process,
    source: Stage,
    target: Stage,
    deal: Mapping[str, Any],
    now: datetime,
) -> list[Need]:
    options = source.leave_requires_any
    if not options:
        return []
    if DISQUALIFY in options and target.closed == "lost":
        return []
    if any(has_value(name, deal.get(name), now) for name in options):
        return []
    askable = [name for name in options if name in GATE_FIELDS]
    if not askable:
        return []
    others = [n for n in options if n != askable[0]]
    alternative = ""
    if DISQUALIFY in others:
        alternative = ", or close it lost with a reason"
    why = f"to leave {source.name}{alternative}"
    return [_need(process, askable[0], why)]


def _fields(needs: list[Need]) -> set[str]:
    return {n.field for n in needs}


def _need(process: Process, name: str, why: str) -> Need:
    spec = GATE_FIELDS.get(name)
    if spec is None:
        raise ProcessError(
            f"The process asks for {name!r}, which no deal has; "
            f"gates can ask for: {', '.join(GATE_FIELDS)}."
        )
    choices: tuple[tuple[str, str], ...] = ()
    if name == "lost_reason":
        choices = tuple(
            (r.key, r.label) for r in process.lost_reasons if not r.internal
        )
    return Need(name, spec.label, spec.kind, why, choices, spec.hint)


def _known_reason(process: Process, key: str) -> Any:
    try:
        return process.lost_reason(key)
    except ProcessError:
        return None


def describe_needs(needs: list[Need]) -> str:
    """``Amount (to enter Proposal sent), Close date (…)`` for one line."""
    return "; ".join(f"{n.label} ({n.why})" for n in needs)


# -- Reading typed values -----------------------------------------------------


def parse_value(process: Process, name: str, text: str) -> Any:
    """A gate field's value from what a person typed (CLI ``--set``, a form)."""
    spec = GATE_FIELDS.get(name)
    if spec is None:
        raise BadValue(
            f"{name!r} is not a field a move can set; use one of: "
            f"{', '.join(GATE_FIELDS)}."
        )
    text = text.strip()
    if not text:
        return None
    if spec.kind == "money":
        try:
            return parse_amount(text)
        except InvalidValue as exc:
            raise BadValue(f"{spec.label}: {exc}.") from exc
    if spec.kind == "date":
        return _date(spec.label, text)
    if spec.kind == "datetime":
        try:
            return parse_timestamp(text, process.team.zone)
        except InvalidValue as exc:
            raise BadValue(f"{spec.label}: {exc}.") from exc
    if spec.kind == "choice":
        try:
            return process.lost_reason(text).key
        except ProcessError as exc:
            raise BadValue(str(exc)) from exc
    return text


def check_ahead(name: str, value: Any, now: datetime) -> None:
    """Refuse a value that must lie ahead (a next meeting) and does not.

    A form checks this as it checks a typo: a move given a past meeting
    would only ask for the meeting again, with nothing said of why."""
    if name in FUTURE_FIELDS and isinstance(value, datetime) and value <= now:
        raise BadValue(f"The {GATE_FIELDS[name].label.lower()} must be after now.")


def _date(label: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_timestamp(text).date()
    except InvalidValue as exc:
        raise BadValue(f"{label}: {exc}.") from exc


# -- Tasks a stage creates ----------------------------------------------------


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    title: str
    due_at: datetime


def tasks_on_entry(
    process: Process, stage: Stage, entered_at: datetime
) -> list[TaskSpec]:
    """The tasks entering ``stage`` at ``entered_at`` creates."""
    return [
        TaskSpec(t.kind, t.title, task_due(process, t, entered_at)) for t in stage.tasks
    ]


def task_due(process: Process, template: TaskTemplate, start: datetime) -> datetime:
    """When a task made from ``template`` at ``start`` is due: wall-clock
    hours, or business days in the team's time zone (same local time, weekends
    and holidays skipped)."""
    if template.due_business_days is not None:
        days = math.ceil(template.due_business_days)
        return add_business_days(process, start, days)
    return start + timedelta(hours=template.due_hours or 24)


def add_business_days(process: Process, start: datetime, days: int) -> datetime:
    """``days`` working days after ``start`` on the team's calendar (the
    one the SLA clocks count), at the same local time within the day."""
    hours: BusinessHours = process.business_hours
    zone = process.team.zone
    local = start.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, hours):
            left -= 1
    when = local.time()
    if when < hours.start or when > hours.end:
        when = hours.start if when < hours.start else hours.end
    return datetime.combine(day, when, tzinfo=zone).astimezone(start.tzinfo)


# -- Next-step discipline -------------------------------------------------------


def is_stalled(stage: Stage, last_touch: datetime, now: datetime) -> bool:
    """No activity (nor a stage change) for longer than the stage allows."""
    if stage.closed or stage.parked or stage.stalled_after_days is None:
        return False
    return now - last_touch > timedelta(days=stage.stalled_after_days)


@dataclass(frozen=True)
class Flags:
    """What a rep should fix on an open deal."""

    no_next_step: bool = False
    no_decision_date: bool = False
    stalled: bool = False

    @property
    def any(self) -> bool:
        return self.no_next_step or self.no_decision_date or self.stalled

    def words(self) -> list[str]:
        found = []
        if self.no_next_step:
            found.append("no next step")
        if self.no_decision_date:
            found.append("no decision date")
        if self.stalled:
            found.append("stalled")
        return found


def deal_flags(
    stage: Stage,
    *,
    next_step_at: datetime | None,
    decision_on: date | None,
    last_touch: datetime,
    now: datetime,
) -> Flags:
    """The flags of one deal; closed deals have none."""
    if stage.closed:
        return Flags()
    return Flags(
        no_next_step=next_step_at is None or next_step_at <= now,
        no_decision_date=decision_on is None and not stage.parked,
        stalled=is_stalled(stage, last_touch, now),
    )


def neighbour_stage(process: Process, key: str, step: int) -> Stage | None:
    """The stage ``step`` places after (or before) ``key`` on the board."""
    keys = [s.key for s in process.stages]
    index = keys.index(process.stage(key).key) + step
    if 0 <= index < len(keys):
        return process.stages[index]
    return None

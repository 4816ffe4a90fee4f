"""The team's sales process, read from ``process.toml`` into typed settings.

Teams change their process by editing the file, so a mistake in it must come
back as one line a manager can fix (which entry, what is wrong), never as a
traceback. pydantic does the checking; ``ProcessError`` carries the message.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crm_tui.config import DATA_DIR
from crm_tui.errors import ProcessError
from crm_tui.rules.gate_fields import DISQUALIFY, GATE_FIELDS
from crm_tui.rules.health import Condition, RuleError, parse_condition

DEFAULT_PROCESS = DATA_DIR / "process.toml"

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    # An unknown key is almost always a typo that would otherwise be ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Team(_Strict):
    name: str = "Sales"
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a time zone name") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class BusinessHours(_Strict):
    days: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: list[date] = []


class Choice(_Strict):
    key: str
    label: str
    definition: str = ""
    needs_note: bool = False
    # Set by imports and audits only (``not recorded``); never offered to a rep.
    internal: bool = False


class Dimension(_Strict):
    key: str
    label: str
    definition: str = ""
    choices: list[str]


class Qualification(_Strict):
    dimensions: list[Dimension] = []
    buckets: list[Choice] = []
    disqualify_reasons: list[Choice] = []


class TouchKind(_Strict):
    """A way of reaching a lead (call, e-mail, meeting) and its outcomes."""

    key: str
    label: str
    outcomes: list[str]


DEFAULT_TOUCHES = [
    TouchKind(
        key="call",
        label="Call",
        outcomes=["connected", "left voicemail", "no answer", "wrong number"],
    ),
    TouchKind(key="email", label="E-mail", outcomes=["sent", "replied", "bounced"]),
    TouchKind(
        key="meeting", label="Meeting", outcomes=["held", "no-show", "rescheduled"]
    ),
]


class Sla(_Strict):
    """How long a lead from these sources may wait for its first touch."""

    sources: list[str] = []
    minutes: int | None = None
    business_hours: float | None = None
    business_days: float | None = None


class RoutingRule(_Strict):
    """One routing rule: every condition given must match; first match wins."""

    name: str
    countries: list[str] = []
    territories: list[str] = []
    sources: list[str] = []
    languages: list[str] = []
    segments: list[str] = []
    product_interest: list[str] = []
    named_account: bool = False
    assign: str | None = None
    pool: str | None = None


class Routing(_Strict):
    rules: list[RoutingRule] = []
    pools: dict[str, list[str]] = {}


class TaskTemplate(_Strict):
    kind: str = "call"
    title: str
    due_hours: float | None = None
    due_business_days: float | None = None


class Stage(_Strict):
    key: str
    name: str
    definition: str = ""
    requires: list[str] = []
    leave_requires_any: list[str] = []
    tasks: list[TaskTemplate] = []
    stalled_after_days: int | None = None
    closed: Literal["won", "lost"] | None = None
    # A parked stage (nurture) holds real deals that are not being worked
    # now: they are open but not flagged for missing decision dates or stalling.
    parked: bool = False

    # A gate naming a field no deal has would refuse every move into the
    # stage, long after the file was checked: refuse the file instead.
    @field_validator("requires")
    @classmethod
    def _known_gate_fields(cls, names: list[str]) -> list[str]:
        return _gate_fields(names, tuple(GATE_FIELDS))

    @field_validator("leave_requires_any")
    @classmethod
    def _known_leave_fields(cls, names: list[str]) -> list[str]:
        return _gate_fields(names, (*GATE_FIELDS, DISQUALIFY))


def _gate_fields(names: list[str], known: tuple[str, ...]) -> list[str]:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not a field a deal has; gates can ask for: "
            f"{', '.join(known)}"
        )
    return names


class ChecklistItem(_Strict):
    key: str
    label: str
    kind: Literal["text", "date", "contacts", "user"] = "text"
    required: bool = True
    # Each line of a promise item becomes a promise the account keeps open
    # until someone marks it kept (it counts in `unresolved_promises`).
    promise: bool = False


class Handoff(_Strict):
    checklist: list[ChecklistItem] = []

    @field_validator("checklist")
    @classmethod
    def _unique_keys(cls, items: list[ChecklistItem]) -> list[ChecklistItem]:
        keys = [item.key for item in items]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"the key {twice[0]!r} is used twice")
        return items

    onboarding_task: TaskTemplate | None = None
    waiting_too_long_days: int = 3


class HealthRule(_Strict):
    status: str
    when: str

    @field_validator("when")
    @classmethod
    def _readable(cls, value: str) -> str:
        try:
            parse_condition(value)
        except RuleError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @property
    def condition(self) -> Condition:
        return parse_condition(self.when)


class Retention(_Strict):
    renewal_task_days_before: int = 90
    # A hand-off's contract start date plus this gives the renewal date.
    renewal_after_months: int = 12
    health_rules: list[HealthRule] = []

    @property
    def rules(self) -> list[tuple[str, Condition]]:
        """The health rules, parsed, in the order they are tried."""
        return [(rule.status, rule.condition) for rule in self.health_rules]


class Process(_Strict):
    """Everything ``process.toml`` says, checked."""

    team: Team = Team()
    business_hours: BusinessHours = BusinessHours()
    qualification: Qualification = Qualification()
    sla: list[Sla] = []
    touches: list[TouchKind] = DEFAULT_TOUCHES
    routing: Routing = Routing()
    stages: list[Stage] = Field(default_factory=list)
    lost_reasons: list[Choice] = []
    handoff: Handoff = Handoff()
    retention: Retention = Retention()
    definitions: dict[str, str] = {}
    # Territory -> the countries in it, for leads that arrive without one.
    territories: dict[str, list[str]] = {}

    def stage(self, key_or_name: str) -> Stage:
        """A stage by its key or its name, case-insensitively."""
        wanted = key_or_name.strip().casefold()
        for stage in self.stages:
            if wanted in (stage.key.casefold(), stage.name.casefold()):
                return stage
        names = ", ".join(s.name for s in self.stages)
        raise ProcessError(f"There is no stage {key_or_name!r}; stages are: {names}.")

    def territory_of(self, country: str | None) -> str | None:
        """The territory a country belongs to, if the process names one."""
        if not country:
            return None
        wanted = country.strip().casefold()
        for territory, countries in self.territories.items():
            if any(wanted == c.casefold() for c in countries):
                return territory
        return None

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.closed is None]

    @property
    def selling_stages(self) -> list[Stage]:
        """The open stages a deal moves through on its way to a decision:
        the funnel, without a parked stage such as Nurture."""
        return [s for s in self.open_stages if not s.parked]

    def lost_reason(self, key_or_label: str) -> Choice:
        """A lost reason by its key or label, case-insensitively."""
        wanted = key_or_label.strip().casefold()
        for reason in self.lost_reasons:
            if wanted in (reason.key.casefold(), reason.label.casefold()):
                return reason
        keys = ", ".join(r.key for r in self.lost_reasons if not r.internal)
        raise ProcessError(
            f"There is no lost reason {key_or_label!r}; use one of: {keys}."
        )


def load_process(path: Path | None = None) -> Process:
    """Read and check a process file; a problem is one readable line."""
    path = path or DEFAULT_PROCESS
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProcessError(
            f"Cannot read the process file {path}: {exc.strerror}."
        ) from exc
    try:
        return Process.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ProcessError(_first_problem(path, text)) from exc


def _first_problem(path: Path, text: str) -> str:
    """The line ``crm rules check`` prints first for a file that does not
    load, with the line to open the file at, so that every command refusing
    the file says what the check says."""
    from crm_tui.rules.check import check_process

    problems = check_process(text)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return problems[0].render(str(path)) + more

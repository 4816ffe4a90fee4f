"""What a hand-off checklist item accepts, and when a checklist is complete.

Item values are kept as text: a date as ``YYYY-MM-DD``, a user by name,
people as JSON (``[{"name", "role", "contact_id"}]``), free text as written.
These functions turn what a rep typed into that form, or say in one line
why they cannot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from dateutil import parser as dateparser

from crm_tui.errors import CrmError


class ItemLike(Protocol):
    key: str
    label: str
    kind: str
    required: bool
    value: str | None


class BadValue(CrmError):
    """What was typed does not fit the item (a date that is not one, ...)."""


def parse_date(text: str) -> date:
    """A date as a rep types it: ``2026-04-01``, ``1 Apr 2026``,
    ``April 1, 2026``; slashes read month first (``4/1/2026``)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dateparser.parse(text).date()
    except (ValueError, OverflowError, AttributeError, TypeError) as exc:
        raise BadValue(f"{text!r} is not a date; write it as 2026-04-01.") from exc


@dataclass(frozen=True)
class Person:
    """A stakeholder named in a hand-off: who they are and their role."""

    name: str
    role: str
    contact_id: int | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


_PERSON = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<role>[^()]+)\)$")


def parse_people(text: str) -> list[Person]:
    """People with their roles, one per line or separated by ``;``:
    ``Dana Lee (CFO, decision-maker); Raj Patel (IT lead)``."""
    people = []
    for part in re.split(r"[;\n]", text):
        part = part.strip()
        if not part:
            continue
        match = _PERSON.match(part)
        if match is None:
            raise BadValue(
                f"Give {part!r} a role, like: {part.split('(')[0].strip()} (CFO)."
            )
        people.append(Person(match["name"].strip(), match["role"].strip()))
    return people


def people_value(people: Iterable[Person]) -> str:
    return json.dumps(
        [{"name": p.name, "role": p.role, "contact_id": p.contact_id} for p in people]
    )


def people_of(value: str | None) -> list[Person]:
    if not value:
        return []
    raw: list[dict[str, Any]] = json.loads(value)
    return [Person(p["name"], p["role"], p.get("contact_id")) for p in raw]


def shown(kind: str, value: str | None) -> str:
    """An item's value as a person reads it (and types it back)."""
    if not value:
        return ""
    if kind == "contacts":
        return "; ".join(str(person) for person in people_of(value))
    return value


def promise_lines(value: str | None) -> list[str]:
    """The separate promises in a promise item: one per non-empty line,
    without list bullets."""
    lines = (line.strip().lstrip("-*•").strip() for line in (value or "").splitlines())
    return [line for line in lines if line]


def missing(items: Iterable[ItemLike]) -> list[ItemLike]:
    """The required items still empty, in checklist order."""
    return [item for item in items if item.required and not (item.value or "").strip()]

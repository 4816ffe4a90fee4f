"""Qualification: the answers to the four dimensions, the bucket, and the
reason codes, checked against the process file.

A rep may type a choice's key, its label, its number in the list, or the
start of it (``dec`` for decision-maker): whatever is unambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm_tui.errors import NotValid
from crm_tui.process import Choice, Qualification

QUALIFIED = "qualified"
NURTURE = "nurture"
DISQUALIFIED = "disqualified"

# Statuses a lead moves through. "new" and "working" are open: the response
# clock runs and the lead shows in an inbox or a rep's list.
OPEN_STATUSES = ("new", "working")
STATUS_OF_BUCKET = {
    QUALIFIED: "converted",
    NURTURE: "nurture",
    DISQUALIFIED: "disqualified",
}


def pick(text: str, options: Sequence[str], what: str) -> str:
    """The one option ``text`` names: exactly, by number, or by a prefix."""
    wanted = " ".join(text.casefold().split())
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1]
    folded = {" ".join(o.casefold().split()): o for o in options}
    if wanted in folded:
        return folded[wanted]
    starts = [o for f, o in folded.items() if f.startswith(wanted)] if wanted else []
    if len(starts) == 1:
        return starts[0]
    choices = ", ".join(options)
    raise NotValid(f"{text!r} is not a {what}; choose one of: {choices}.")


def pick_choice(text: str, choices: Sequence[Choice], what: str) -> Choice:
    """A bucket or reason by key, label, number or prefix."""
    folded = " ".join(text.casefold().split())
    for choice in choices:
        if folded == choice.label.casefold():
            return choice
    key = pick(folded.replace(" ", "_"), [c.key for c in choices], what)
    return next(c for c in choices if c.key == key)


def check_answers(
    answers: Mapping[str, str], qualification: Qualification, *, complete: bool
) -> dict[str, str]:
    """The answers with each value the dimension's own spelling. With
    ``complete``, every dimension must be answered (a qualified lead)."""
    dimensions = {d.key: d for d in qualification.dimensions}
    labels = {d.label.casefold(): d.key for d in qualification.dimensions}
    checked: dict[str, str] = {}
    for name, value in answers.items():
        key = name if name in dimensions else labels.get(name.casefold().strip())
        if key is None:
            known = ", ".join(dimensions)
            raise NotValid(f"There is no dimension {name!r}; they are: {known}.")
        dimension = dimensions[key]
        checked[key] = pick(value, dimension.choices, dimension.label.lower())
    missing = [d.label for d in qualification.dimensions if d.key not in checked]
    if complete and missing:
        raise NotValid(f"To qualify a lead, answer {', '.join(missing)} too.")
    return {d.key: checked[d.key] for d in qualification.dimensions if d.key in checked}


def suggested_bucket(answers: Mapping[str, str], qualification: Qualification) -> str:
    """The bucket the answers point to, offered first in the form: a poor
    fit is disqualified, no date or no budget is nurtured, else qualified.
    The last choice of a dimension is its weakest answer."""
    weakest = {d.key: d.choices[-1] for d in qualification.dimensions if d.choices}
    if answers.get("fit") is not None and answers.get("fit") == weakest.get("fit"):
        return DISQUALIFIED
    for key in ("urgency", "budget"):
        if answers.get(key) is not None and answers.get(key) == weakest.get(key):
            return NURTURE
    return QUALIFIED


def team_today(now: datetime, zone: ZoneInfo) -> date:
    """Today where the team works: revisit dates are the team's dates."""
    return now.astimezone(zone).date()


def check_revisit(revisit_on: date, today: date) -> date:
    if revisit_on <= today:
        raise NotValid(
            f"A revisit date must be after today ({today.isoformat()}); "
            f"{revisit_on.isoformat()} is not."
        )
    return revisit_on

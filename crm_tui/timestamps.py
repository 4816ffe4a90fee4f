"""Timestamps as a person reads them: in their own time zone, to the
minute, ``Tue 3 Mar 14:05`` (with the year when it is not this year). The
app and the ``crm`` command both show times through here; the database and
``--json`` keep UTC.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from crm_tui.clock import as_utc
from crm_tui.models import User

# An ISO timestamp as the event log stores one (a date alone is no time).
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def local_time(at: datetime, zone: ZoneInfo, now: datetime) -> str:
    """``at`` in ``zone``: ``Tue 3 Mar 14:05``, ``Mon 29 Dec 2025 09:00``
    when its year is not the year of ``now`` there."""
    local = as_utc(at).astimezone(zone)
    year = "" if local.year == as_utc(now).astimezone(zone).year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M}"


def zone_label(zone: ZoneInfo) -> str:
    """The zone as a column heading names it: ``New York`` for
    ``America/New_York``, ``UTC`` for UTC."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def readable(value: Any, zone: ZoneInfo, now: datetime) -> Any:
    """A value of a change as shown: timestamps (a datetime, or an ISO
    string from the event log) in local time, anything else as it is."""
    if isinstance(value, datetime):
        return local_time(value, zone, now)
    if isinstance(value, str) and _ISO_TIMESTAMP.match(value):
        try:
            return local_time(datetime.fromisoformat(value), zone, now)
        except ValueError:
            return value
    return value


def user_zone(session: Session, user_id: int | None) -> ZoneInfo:
    """The time zone a user works in (UTC when unknown or not a zone)."""
    user = session.get(User, user_id) if user_id is not None else None
    try:
        return ZoneInfo(user.time_zone) if user and user.time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")

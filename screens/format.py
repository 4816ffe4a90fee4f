"""How times and changes read on screen: short, the same on every screen."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crm_tui.timestamps import local_time, readable


def age(created_at: datetime, now: datetime) -> str:
    """The age of a record at a glance: ``12m``, ``5h``, ``3d``."""
    minutes = max(0, int((now - created_at).total_seconds() // 60))
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def when(at: datetime, zone: ZoneInfo, now: datetime) -> str:
    """A timestamp to the minute in the rep's time zone: ``Tue 3 Mar 14:05``
    (the database keeps UTC)."""
    return local_time(at, zone, now)


def value(item: Any) -> str:
    """One value of a change, with a dash for "nothing"."""
    if item is None or item == "":
        return "—"
    return str(item)


def changes(entries: dict[str, Any], zone: ZoneInfo, now: datetime) -> str:
    """An event's changes as ``owner: — → sam, status: new → working``.

    The event log stores ``[old, new]`` pairs; anything else (a note, a
    count) is shown as it is. Timestamps read in the rep's time zone.
    """

    def shown(item: Any) -> str:
        return value(readable(item, zone, now))

    parts = []
    for field, change in entries.items():
        if isinstance(change, list | tuple) and len(change) == 2:
            old, new = change
            parts.append(f"{field}: {shown(old)} → {shown(new)}")
        else:
            parts.append(f"{field}: {shown(change)}")
    return ", ".join(parts)

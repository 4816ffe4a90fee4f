"""How times and changes read on screen: short, the same on every screen."""

from __future__ import annotations

from datetime import datetime
from typing import Any


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


def when(at: datetime) -> str:
    """A timestamp to the minute; the database keeps UTC and so do we."""
    return at.strftime("%Y-%m-%d %H:%M")


def value(item: Any) -> str:
    """One value of a change, with a dash for "nothing"."""
    if item is None or item == "":
        return "—"
    return str(item)


def changes(entries: dict[str, Any]) -> str:
    """An event's changes as ``owner: — → sam, status: new → working``.

    The event log stores ``[old, new]`` pairs; anything else (a note, a
    count) is shown as it is.
    """
    parts = []
    for field, change in entries.items():
        if isinstance(change, list | tuple) and len(change) == 2:
            old, new = change
            parts.append(f"{field}: {value(old)} → {value(new)}")
        else:
            parts.append(f"{field}: {value(change)}")
    return ", ".join(parts)

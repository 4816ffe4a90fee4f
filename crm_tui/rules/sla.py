"""Response clocks: when a lead's first touch is due, counted in the team's
business hours in the team's time zone.

Times go in and out as aware UTC datetimes. Business hours are local
(09:00-17:00 in New York), so each business day's window is built in the
team's zone and converted to UTC with zoneinfo: a daylight-saving Monday
still opens at 09:00 local, whatever its UTC offset. The due time is a fixed
instant, so every viewer in any zone sees the same due time and breach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_tui.process import WEEKDAYS, BusinessHours, Sla

# Walking further than this many days for business time means the process
# has (nearly) no business days; ``crm rules check`` says so.
# The source whose SLA an imported lead answers by (counted from the import),
# whatever source the file names.
IMPORT_CHANNEL = "Import"

_MAX_DAYS = 3 * 366


def source_key(source: str | None) -> str:
    """A lead source as compared: ``Web form``, ``web-form`` and ``WebForm``
    are one source."""
    return re.sub(r"[^a-z0-9]", "", (source or "").casefold())


def sla_for(source: str | None, slas: Sequence[Sla]) -> Sla | None:
    """The SLA of a lead source: the first entry listing it, else the first
    entry listing no sources (the default), else none."""
    wanted = source_key(source)
    for sla in slas:
        if wanted and wanted in {source_key(s) for s in sla.sources}:
            return sla
    for sla in slas:
        if not sla.sources:
            return sla
    return None


def business_day_length(hours: BusinessHours) -> timedelta:
    start = timedelta(hours=hours.start.hour, minutes=hours.start.minute)
    end = timedelta(hours=hours.end.hour, minutes=hours.end.minute)
    return max(end - start, timedelta(0))


def sla_length(sla: Sla, hours: BusinessHours) -> tuple[timedelta, bool]:
    """How long the SLA allows, and whether it runs in business time."""
    if sla.minutes is not None:
        return timedelta(minutes=sla.minutes), False
    if sla.business_hours is not None:
        return timedelta(hours=sla.business_hours), True
    days = sla.business_days or 0
    return business_day_length(hours) * days, True


def is_business_day(day: date, hours: BusinessHours) -> bool:
    return WEEKDAYS[day.weekday()] in hours.days and day not in hours.holidays


def windows(
    start: datetime, hours: BusinessHours, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The business-hour windows (UTC) from the local day of ``start`` on."""
    day = start.astimezone(zone).date()
    for offset in range(_MAX_DAYS):
        current = day + timedelta(days=offset)
        if not is_business_day(current, hours):
            continue
        opens = datetime.combine(current, hours.start, tzinfo=zone)
        closes = datetime.combine(current, hours.end, tzinfo=zone)
        if closes > opens:
            yield opens.astimezone(UTC), closes.astimezone(UTC)


def add_business_time(
    start: datetime, amount: timedelta, hours: BusinessHours, zone: ZoneInfo
) -> datetime:
    """``start`` plus ``amount`` of business time. Outside hours the clock
    waits for the next opening; inside it runs to closing and carries on."""
    remaining = amount
    for opens, closes in windows(start, hours, zone):
        if closes <= start:
            continue
        begin = max(opens, start)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    # No business days at all: the wall clock is the only clock left.
    return start + amount


def business_time_between(
    start: datetime, end: datetime, hours: BusinessHours, zone: ZoneInfo
) -> timedelta:
    """Business time from ``start`` to ``end``: a response time as the SLA
    counts it."""
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in windows(start, hours, zone):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return total


def due_at(
    arrived: datetime, sla: Sla, hours: BusinessHours, zone: ZoneInfo
) -> datetime:
    """When the first touch of a lead that arrived at ``arrived`` is due."""
    arrived = arrived.astimezone(UTC)
    length, business = sla_length(sla, hours)
    if not business:
        return arrived + length
    return add_business_time(arrived, length, hours, zone)


def is_breached(
    due: datetime | None, first_response: datetime | None, now: datetime
) -> bool:
    """Late: due, and no touch yet (or the first touch came after the due
    time)."""
    if due is None:
        return False
    if first_response is not None:
        return first_response > due
    return now > due


def clock_text(due: datetime, now: datetime) -> str:
    """Time left, or how late, at a glance: ``4m left``, ``1h05m late``."""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    if minutes < 60:
        amount = f"{minutes}m"
    elif minutes < 10 * 60:
        amount = f"{minutes // 60}h{minutes % 60:02d}m"
    elif minutes < 48 * 60:
        amount = f"{minutes // 60}h"
    else:
        amount = f"{minutes // (24 * 60)}d"
    return f"{amount} late" if seconds < 0 else f"{amount} left"


def lead_due_at(
    source: str | None,
    arrived: datetime,
    slas: Sequence[Sla],
    hours: BusinessHours,
    zone: ZoneInfo,
) -> datetime | None:
    """When a lead from ``source`` that arrived at ``arrived`` must have its
    first touch; None when the process gives that source no SLA."""
    sla = sla_for(source, slas)
    return due_at(arrived, sla, hours, zone) if sla is not None else None

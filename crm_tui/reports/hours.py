"""Business hours between two moments, by the team's calendar.

A lead that arrives at 16:50 on a Friday and is answered at 09:10 on Monday
waited twenty minutes of the team's time, not a weekend. Pure: the calendar
comes in as ``process.toml``'s ``[business_hours]`` and the team's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crm_tui.process import WEEKDAYS, BusinessHours


def business_hours_between(
    start: datetime, end: datetime, calendar: BusinessHours, zone: ZoneInfo
) -> float:
    """Hours of ``calendar`` that lie between ``start`` and ``end`` (aware
    datetimes); zero when ``end`` is not after ``start``."""
    if end <= start:
        return 0.0
    open_days = set(calendar.days)
    holidays = set(calendar.holidays)
    seconds = 0.0
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if WEEKDAYS[day.weekday()] in open_days and day not in holidays:
            # combine() with the zone gives each day its own UTC offset, so a
            # daylight-saving change moves the opening hour with the clocks.
            opens = datetime.combine(day, calendar.start, tzinfo=zone)
            closes = datetime.combine(day, calendar.end, tzinfo=zone)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return seconds / 3600

"""Response clocks in the team's business hours (New York, 9 to 5, Monday
to Friday, Christmas off), across weekends, holidays and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_tui.process import BusinessHours, Sla, load_process
from crm_tui.rules.sla import (
    business_time_between,
    clock_text,
    due_at,
    is_breached,
    sla_for,
)

NEW_YORK = ZoneInfo("America/New_York")
HOURS = BusinessHours(
    start=time(9), end=time(17), holidays=[date(2026, 12, 25), date(2027, 1, 1)]
)
ONE_HOUR = Sla(business_hours=1)
ONE_DAY = Sla(business_days=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]


def test_an_hour_asked_on_friday_afternoon_is_due_monday_morning() -> None:
    # Friday 27 Feb 16:30 EST; half an hour left Friday, half on Monday.
    assert due_at(utc(2026, 2, 27, 21, 30), ONE_HOUR, HOURS, NEW_YORK) == utc(
        2026, 3, 2, 14, 30
    )


def test_the_spring_clock_change_over_a_weekend_keeps_nine_to_five_local() -> None:
    # Same Friday 16:30 a week later; clocks go forward on Sunday 8 March,
    # so Monday 09:30 EDT is 13:30 UTC: an hour less on the wall clock.
    due = due_at(utc(2026, 3, 6, 21, 30), ONE_HOUR, HOURS, NEW_YORK)
    assert due == utc(2026, 3, 9, 13, 30)
    assert due.astimezone(NEW_YORK).time() == time(9, 30)
    assert due - utc(2026, 3, 6, 21, 30) == timedelta(hours=64)


def test_the_autumn_clock_change() -> None:
    # Friday 30 Oct 16:00 EDT + 2 business hours: Monday 10:00 EST.
    due = due_at(utc(2026, 10, 30, 20, 0), Sla(business_hours=2), HOURS, NEW_YORK)
    assert due == utc(2026, 11, 2, 15, 0)


def test_a_business_day_skips_a_holiday_and_the_weekend() -> None:
    # Thursday 24 Dec 16:00 EST; Friday is Christmas: due Monday 16:00.
    due = due_at(utc(2026, 12, 24, 21, 0), ONE_DAY, HOURS, NEW_YORK)
    assert due.astimezone(NEW_YORK) == datetime(2026, 12, 28, 16, 0, tzinfo=NEW_YORK)


def test_before_opening_the_clock_waits_for_nine() -> None:
    # Monday 07:00 EST: due at 10:00 EST.
    assert due_at(utc(2026, 3, 2, 12, 0), ONE_HOUR, HOURS, NEW_YORK) == utc(
        2026, 3, 2, 15, 0
    )


def test_minutes_run_on_the_wall_clock_even_at_the_weekend() -> None:
    saturday_3am = utc(2026, 2, 28, 8, 0)
    assert due_at(saturday_3am, Sla(minutes=5), HOURS, NEW_YORK) == utc(
        2026, 2, 28, 8, 5
    )


def test_business_time_between_counts_only_open_hours() -> None:
    friday = utc(2026, 3, 6, 21, 0)  # 16:00 EST
    monday = utc(2026, 3, 9, 14, 0)  # 10:00 EDT
    assert business_time_between(friday, monday, HOURS, NEW_YORK) == timedelta(hours=2)


def test_sources_find_their_sla_and_others_the_default() -> None:
    slas = load_process().sla
    web = sla_for("web-form", slas)
    assert web is not None and web.minutes == 5
    phone = sla_for("Phone", slas)
    assert phone is not None and phone.business_hours == 1
    other = sla_for("Trade show", slas)
    assert other is not None and other.business_days == 1 and not other.sources


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(4, "4m left"), (65, "1h05m left"), (-3, "3m late"), (-60 * 30, "30h late")],
)
def test_the_clock_reads_at_a_glance(minutes: int, text: str) -> None:
    now = utc(2026, 3, 2, 9, 0)
    assert clock_text(now + timedelta(minutes=minutes), now) == text


def test_a_breach_is_late_and_untouched() -> None:
    due = utc(2026, 3, 2, 10, 0)
    assert is_breached(due, None, due + timedelta(seconds=1))
    assert not is_breached(due, None, due)
    assert not is_breached(due, due - timedelta(minutes=1), due + timedelta(hours=1))
    assert not is_breached(None, None, due)

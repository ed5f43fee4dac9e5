"""Time as people here read it: Nepal time (UTC+05:45) on screen, `...Z` UTC in attributes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from khalti_portal.clock import ensure_utc
from khalti_portal.i18n.dates import NEPAL, Calendar, format_day, format_moment, to_nepal

__all__ = ["NEPAL", "format_nepal", "format_nepal_day", "iso_utc", "nepal_month_bounds", "nepal_months", "to_nepal"]


def format_nepal(dt: datetime) -> str:
    """`26 Dec 2026, 5:45 PM NPT`: the AD form of `i18n.dates.format_moment`."""
    return format_moment(dt, Calendar.AD)


def format_nepal_day(dt: datetime) -> str:
    """`26 Dec 2026`: the day it is in Nepal at that instant, the AD form of `i18n.dates.format_day`."""
    return format_day(dt, Calendar.AD)


def iso_utc(dt: datetime) -> str:
    """`2026-12-26T12:00:00Z`: whole seconds, UTC, the form `data-*` attributes carry."""
    return ensure_utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def nepal_month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the (Gregorian) month that `now` falls in on Nepal's wall clock."""
    return _month_bounds(to_nepal(now).date().replace(day=1))


def _month_bounds(first: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the Nepal month beginning on `first`."""
    start = datetime.combine(first, time(0), tzinfo=NEPAL)
    if start.month == 12:
        end = start.replace(year=start.year + 1, month=1)
    else:
        end = start.replace(month=start.month + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def nepal_months(now: datetime, count: int) -> list[tuple[date, datetime, datetime]]:
    """The `count` Nepal months up to and including `now`'s, oldest first: (first day, start, end) in UTC."""
    first = to_nepal(now).date().replace(day=1)
    firsts = []
    for _ in range(count):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return [(day, *_month_bounds(day)) for day in reversed(firsts)]

"""Time as people here read it: Nepal time (UTC+05:45) on screen, `...Z` UTC in attributes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from khalti_portal.clock import ensure_utc

NEPAL = ZoneInfo("Asia/Kathmandu")


def to_nepal(dt: datetime) -> datetime:
    """The same instant on Nepal's wall clock."""
    return ensure_utc(dt).astimezone(NEPAL)


def format_nepal(dt: datetime) -> str:
    """`26 Dec 2026, 5:45 PM NPT`: day and hour without leading zeros, 12-hour clock."""
    return f"{format_datetime(ensure_utc(dt), 'd MMM y, h:mm a', tzinfo=NEPAL, locale='en')} NPT"


def format_nepal_day(dt: datetime) -> str:
    """`26 Dec 2026`: the day it is in Nepal at that instant."""
    return format_datetime(ensure_utc(dt), "d MMM y", tzinfo=NEPAL, locale="en")


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

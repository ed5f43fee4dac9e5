"""Nepal time on screen, UTC in attributes, month bounds, and the frozen clock tests travel with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from khalti_portal.billing.nepal_time import NEPAL, format_nepal, iso_utc, nepal_month_bounds, nepal_months, to_nepal
from khalti_portal.clock import ensure_utc, utcnow
from tests.clocks import FrozenClock


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2026, 12, 26, 12, 0, tzinfo=UTC), "26 Dec 2026, 5:45 PM NPT"),
        (datetime(2026, 12, 5, 0, 0, tzinfo=UTC), "5 Dec 2026, 5:45 AM NPT"),
        (datetime(2026, 1, 1, 6, 15, tzinfo=UTC), "1 Jan 2026, 12:00 PM NPT"),
        (datetime(2025, 12, 31, 18, 15, tzinfo=UTC), "1 Jan 2026, 12:00 AM NPT"),
        (datetime(2026, 3, 9, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=45))), "9 Mar 2026, 12:00 PM NPT"),
    ],
)
def test_format_nepal(instant, text):
    assert format_nepal(instant) == text


def test_to_nepal_is_utc_plus_5_45():
    local = to_nepal(datetime(2026, 12, 26, 12, 0, tzinfo=UTC))
    assert local.utcoffset() == timedelta(hours=5, minutes=45)
    assert (local.hour, local.minute) == (17, 45)


def test_iso_utc_drops_microseconds_and_says_z():
    assert iso_utc(datetime(2026, 12, 26, 12, 0, 0, 999_999, tzinfo=UTC)) == "2026-12-26T12:00:00Z"
    assert iso_utc(datetime(2026, 12, 26, 17, 45, tzinfo=NEPAL)) == "2026-12-26T12:00:00Z"


@pytest.mark.parametrize("fn", [format_nepal, iso_utc, nepal_month_bounds, ensure_utc])
def test_naive_datetimes_are_refused(fn):
    with pytest.raises(ValueError, match="naive"):
        fn(datetime(2026, 1, 1, 12, 0))


def test_nepal_month_bounds_follow_nepal_midnight():
    # 2026-01-31 20:00 UTC is already 1 Feb 01:45 in Kathmandu.
    start, end = nepal_month_bounds(datetime(2026, 1, 31, 20, 0, tzinfo=UTC))
    assert start == datetime(2026, 1, 31, 18, 15, tzinfo=UTC)
    assert end == datetime(2026, 2, 28, 18, 15, tzinfo=UTC)


def test_nepal_month_bounds_across_the_year_end():
    start, end = nepal_month_bounds(datetime(2026, 12, 10, tzinfo=UTC))
    assert start == datetime(2026, 11, 30, 18, 15, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 18, 15, tzinfo=UTC)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_frozen_clock_stands_still_until_moved():
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock() == clock() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.advance(timedelta(days=2)) == datetime(2026, 1, 3, tzinfo=UTC)
    assert clock() == datetime(2026, 1, 3, tzinfo=UTC)
    clock.set(datetime(2026, 1, 1, 5, 45, tzinfo=NEPAL))
    assert clock() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock().tzinfo is UTC


def test_utcnow_is_aware_utc():
    assert utcnow().tzinfo is UTC


def test_the_last_months_run_back_across_the_year_end_and_join_without_gaps():
    # 1 Feb 00:10 NPT is still 31 January in UTC: the running month is February.
    months = nepal_months(datetime(2026, 1, 31, 18, 25, tzinfo=UTC), 3)
    assert [first.isoformat() for first, _, _ in months] == ["2025-12-01", "2026-01-01", "2026-02-01"]
    assert months[0][1] == datetime(2025, 11, 30, 18, 15, tzinfo=UTC)
    assert all(months[i][2] == months[i + 1][1] for i in range(2))
    assert (months[-1][1], months[-1][2]) == nepal_month_bounds(datetime(2026, 2, 10, tzinfo=UTC))

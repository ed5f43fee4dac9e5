"""The periods admin figures are grouped by: each runs from midnight to midnight in Nepal, back to back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from khalti_portal.billing.report_periods import (
    MAX_PERIODS,
    Grouping,
    default_grouping,
    nepal_midnight,
    parse_grouping,
    span_of,
    spans,
)
from khalti_portal.i18n.dates import Calendar

NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 11 Mangsir 2083 (NEPAL.md)


def test_the_choice_from_the_browser_is_one_of_three_or_nothing():
    assert [parse_grouping(v) for v in ("ad_month", "bs_month", "fiscal_year")] == list(Grouping)
    assert [parse_grouping(v) for v in ("BS_MONTH", "month", "", None, 1, ["bs_month"])] == [None] * 6


def test_bs_readers_start_on_bs_months_and_ad_readers_on_ad_months():
    assert [default_grouping(c) for c in (Calendar.BS, Calendar.BOTH, Calendar.AD)] == [
        Grouping.BS_MONTH,
        Grouping.BS_MONTH,
        Grouping.AD_MONTH,
    ]


@pytest.mark.parametrize("grouping", list(Grouping))
def test_periods_are_back_to_back_from_nepal_midnight_and_end_with_the_running_one(grouping: Grouping):
    periods = spans(NOW, grouping)
    assert len(periods) == (5 if grouping is Grouping.FISCAL_YEAR else 12)
    for before, after in pairwise(periods):
        assert before.end == after.start and before.last_day + timedelta(days=1) == after.first_day
    for p in periods:
        assert (p.start, p.end) == (nepal_midnight(p.first_day), nepal_midnight(p.last_day + timedelta(days=1)))
        assert (p.start.hour, p.start.minute) == (18, 15)  # midnight in Nepal is 18:15 UTC the evening before
    assert periods[-1] == span_of(NOW, grouping) and periods[-1].start <= NOW < periods[-1].end


def test_the_running_periods_by_hand():
    # NEPAL.md: 11 Mangsir 2083 = 27 Nov 2026, so Mangsir began 17 Nov; nepali-datetime gives it 29 days.
    mangsir = span_of(NOW, Grouping.BS_MONTH)
    assert (mangsir.key, mangsir.label, mangsir.first_day, mangsir.last_day) == (
        "2083-08",
        "Mangsir 2083",
        date(2026, 11, 17),
        date(2026, 12, 15),
    )
    november = span_of(NOW, Grouping.AD_MONTH)
    assert (november.key, november.label, november.title) == ("2026-11", "Nov 2026", "November 2026")
    year = span_of(NOW, Grouping.FISCAL_YEAR)
    assert (year.key, year.label, year.first_day) == ("2083/84", "FY 2083/84", date(2026, 7, 17))


def test_a_caller_gets_at_least_one_and_at_most_max_periods():
    assert len(spans(NOW, Grouping.BS_MONTH, 0)) == 1
    assert len(spans(NOW, Grouping.AD_MONTH, 10_000)) == MAX_PERIODS

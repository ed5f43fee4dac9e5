"""Dates admins type: read in their calendar (BS for a BS reader, AD otherwise), refused in words when impossible."""

from __future__ import annotations

from datetime import date

import pytest

from khalti_portal.i18n.bs_months import OutOfBsRange, ad_from_bs, days_in_bs_month, first_ad_day
from khalti_portal.i18n.date_input import input_calendar, input_hint, parse_day
from khalti_portal.i18n.dates import Calendar


@pytest.mark.parametrize(
    ("typed", "calendar", "expected"),
    [
        # NEPAL.md: 11 Mangsir 2083 = 27 Nov 2026 (the `nepali` package), 1 Shrawan 2081 = 16 Jul 2024,
        # 1 Baisakh 2080 = 14 Apr 2023, 1 Baisakh 2081 = 13 Apr 2024.
        ("2083-08-11", Calendar.BS, date(2026, 11, 27)),
        ("2081-04-01", Calendar.BS, date(2024, 7, 16)),
        ("2080-01-01", Calendar.BS, date(2023, 4, 14)),
        (" 2081/1/1 ", Calendar.BS, date(2024, 4, 13)),
        ("२०८३-०८-११", Calendar.BS, date(2026, 11, 27)),
        ("2083.08.11", Calendar.BS, date(2026, 11, 27)),
        ("2026-11-27", Calendar.AD, date(2026, 11, 27)),
        ("2026-11-27", Calendar.BOTH, date(2026, 11, 27)),  # the field takes AD for a reader of both
        ("2083-08-11 BS", Calendar.BOTH, date(2026, 11, 27)),
        ("2083-08-11bs", Calendar.AD, date(2026, 11, 27)),
        ("2026-11-27 AD", Calendar.BS, date(2026, 11, 27)),
        ("2000-01-01", Calendar.BS, date(1943, 4, 14)),  # the first BS day the portal converts
    ],
)
def test_typed_dates_are_the_days_known_independently(typed: str, calendar: Calendar, expected: date) -> None:
    assert parse_day(typed, calendar) == expected


@pytest.mark.parametrize(
    ("typed", "calendar", "problem"),
    [
        # nepali-datetime's table: Mangsir 2083 runs 17 Nov - 15 Dec 2026, 29 days.
        ("2083-08-32", Calendar.BS, "There is no 2083-08-32 BS: Mangsir 2083 has 29 days."),
        ("2083-08-30", Calendar.BS, "There is no 2083-08-30 BS: Mangsir 2083 has 29 days."),
        ("2083-13-01", Calendar.BS, "There is no 2083-13-01 BS: BS months run from 01 (Baisakh) to 12 (Chaitra)."),
        ("2083-00-10", Calendar.BS, "There is no 2083-00-10 BS: BS months run from 01 (Baisakh) to 12 (Chaitra)."),
        ("2083-08-00", Calendar.BS, "There is no 2083-08-00 BS: Mangsir 2083 has 29 days."),
        ("2100-01-01", Calendar.BS, "2100-01-01 BS is outside the years this portal converts: BS 2000 to 2099."),
        ("1999-12-30", Calendar.BS, "1999-12-30 BS is outside the years this portal converts: BS 2000 to 2099."),
        ("2026-02-30", Calendar.AD, "There is no 2026-02-30 in the AD calendar."),
        (
            "2083-08-11",
            Calendar.BOTH,
            "2083-08-11 is outside the dates this portal converts: 1943-04-14 to 2043-04-13. "
            "For a Bikram Sambat date write 2083-08-11 BS.",
        ),
        ("1900-01-01", Calendar.AD, "1900-01-01 is outside the dates this portal converts: 1943-04-14 to 2043-04-13."),
        ("27 Nov 2026", Calendar.AD, "Write the date as YYYY-MM-DD in AD, e.g. 2026-11-27."),
        ("", Calendar.BS, "Write the date as YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11."),
        ("2083-08-11 NS", Calendar.BS, "Write the date as YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11."),
        ("٢٠٢٦-١١-٢٧", Calendar.AD, "Write the date as YYYY-MM-DD in AD, e.g. 2026-11-27."),  # other scripts' digits
        ("9" * 33, Calendar.BS, "Write the date as YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11."),
        (None, Calendar.AD, "Write the date as YYYY-MM-DD in AD, e.g. 2026-11-27."),
        (20261127, Calendar.AD, "Write the date as YYYY-MM-DD in AD, e.g. 2026-11-27."),
    ],
)
def test_impossible_dates_are_refused_in_words(typed: object, calendar: Calendar, problem: str) -> None:
    assert parse_day(typed, calendar) == problem


def test_the_field_reads_bs_only_for_a_bs_reader_and_its_hint_says_so() -> None:
    assert [input_calendar(c) for c in (Calendar.BS, Calendar.BOTH, Calendar.AD)] == [
        Calendar.BS,
        Calendar.AD,
        Calendar.AD,
    ]
    assert input_hint(Calendar.BS) == "YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11; or add AD: 2026-11-27 AD"
    assert input_hint(Calendar.BOTH) == "YYYY-MM-DD in AD, e.g. 2026-11-27; or add BS: 2083-08-11 BS"


def test_bs_month_lengths_come_from_the_library_and_follow_its_first_days() -> None:
    # Independent: 1 Baisakh 2081 = 13 Apr 2024 and 1 Baisakh 2080 = 14 Apr 2023 (NEPAL.md), so BS 2080 had
    # 365 days; the twelve month lengths must add up to it.
    assert sum(days_in_bs_month(2080, month) for month in range(1, 13)) == (date(2024, 4, 13) - date(2023, 4, 14)).days
    assert first_ad_day(2081, 4) == date(2024, 7, 16)
    assert ad_from_bs(2099, 12, days_in_bs_month(2099, 12)) == date(2043, 4, 13)  # the last day the portal converts
    with pytest.raises(OutOfBsRange):
        first_ad_day(2100, 1)

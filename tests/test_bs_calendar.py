"""Bikram Sambat conversions against dates known independently of the library, and the three display forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from khalti_portal.billing.fiscal import fiscal_year, format_bs
from khalti_portal.billing.nepal_time import format_nepal, format_nepal_day
from khalti_portal.i18n.dates import (
    FIRST_SUPPORTED_AD,
    LAST_SUPPORTED_AD,
    Calendar,
    OutOfCalendarRange,
    bs_date,
    bs_from_ad,
    format_day,
    format_moment,
)


def bs(day: date) -> tuple[int, int, int]:
    converted = bs_from_ad(day)
    return converted.year, converted.month, converted.day


# (AD, BS as year, month, day): each published outside nepali-datetime's table.
KNOWN = [
    # Nepali new years, 1 Baisakh
    (date(2013, 4, 14), (2070, 1, 1)),
    (date(2016, 4, 13), (2073, 1, 1)),
    (date(2020, 4, 13), (2077, 1, 1)),
    (date(2023, 4, 14), (2080, 1, 1)),  # NEPAL.md
    (date(2024, 4, 13), (2081, 1, 1)),  # NEPAL.md
    (date(2025, 4, 14), (2082, 1, 1)),
    (date(2026, 4, 14), (2083, 1, 1)),
    # fiscal years begin, 1 Shrawan (the budget's year)
    (date(2023, 7, 17), (2080, 4, 1)),
    (date(2024, 7, 16), (2081, 4, 1)),  # NEPAL.md
    (date(2025, 7, 17), (2082, 4, 1)),
    # festivals as the government's holiday lists and the Panchang committee's notices give them (BS day and
    # weekday from the notice, AD day from a list that prints both, each pair checked on 2026-11-28)
    (date(2019, 10, 8), (2076, 6, 21)),  # Vijaya Dashami 2076: Asoj 21, a Tuesday
    (date(2022, 10, 24), (2079, 7, 7)),  # Laxmi Puja 2079: Kartik 7, a Monday (with Kukur Tihar)
    (date(2023, 10, 24), (2080, 7, 7)),  # Vijaya Dashami 2080 (FNCCI: Dashain holidays Kartik 5-9, 22-26 Oct)
    (date(2023, 11, 12), (2080, 7, 26)),  # Laxmi Puja 2080: Kartik 26, a Sunday (FNCCI holiday list 2080)
    (date(2024, 10, 12), (2081, 6, 26)),  # Vijaya Dashami 2081: Asoj 26, a Saturday
    (date(2024, 10, 31), (2081, 7, 15)),  # Laxmi Puja 2081: Kartik 15, a Thursday
    (date(2025, 10, 2), (2082, 6, 16)),  # Vijaya Dashami 2082: Asoj 16, a Thursday
    (date(2026, 11, 27), (2083, 8, 11)),  # NEPAL.md: "today", checked with the `nepali` package
    # days of history, written in both calendars wherever they are told
    (date(1951, 2, 18), (2007, 11, 7)),  # Democracy Day, 7 Falgun 2007
    (date(2006, 4, 24), (2063, 1, 11)),  # Loktantra Diwas, 11 Baisakh 2063
    (date(2008, 5, 28), (2065, 2, 15)),  # Republic Day, 15 Jestha 2065
    (date(2015, 4, 25), (2072, 1, 12)),  # the Gorkha earthquake, 12 Baisakh 2072
    (date(2015, 9, 20), (2072, 6, 3)),  # Constitution Day, 3 Asoj 2072
]


@pytest.mark.parametrize(("ad", "expected"), KNOWN, ids=[f"{ad}" for ad, _ in KNOWN])
def test_conversions_match_dates_known_independently(ad: date, expected: tuple[int, int, int]) -> None:
    assert bs(ad) == expected
    assert bs_from_ad(ad).to_datetime_date() == ad


def test_the_supported_range_is_bs_2000_to_2099_whole_years() -> None:
    assert (FIRST_SUPPORTED_AD, LAST_SUPPORTED_AD) == (date(1943, 4, 14), date(2043, 4, 13))
    assert bs(FIRST_SUPPORTED_AD) == (2000, 1, 1)
    assert bs(LAST_SUPPORTED_AD)[:2] == (2099, 12)
    # Each end is a whole year: the day before the first is the library's last of Chaitra 1999, the day
    # after the last its 1 Baisakh 2100 — so neither end cuts a BS year in two.
    assert bs(FIRST_SUPPORTED_AD + timedelta(days=365))[:2] == (2001, 1)
    assert bs(LAST_SUPPORTED_AD - timedelta(days=365))[:2] == (2098, 12)


@pytest.mark.parametrize(
    "day",
    [FIRST_SUPPORTED_AD - timedelta(days=1), LAST_SUPPORTED_AD + timedelta(days=1), date(1900, 1, 1), date(2200, 1, 1)],
)
def test_a_day_outside_the_range_is_refused_in_a_sentence(day: date) -> None:
    with pytest.raises(OutOfCalendarRange) as err:
        bs_from_ad(day)
    assert isinstance(err.value, ValueError)
    assert str(err.value) == (
        f"{day.isoformat()} is outside the dates this portal converts to Bikram Sambat "
        "(1943-04-14 to 2043-04-13, BS 2000 to 2099)"
    )


def test_instants_are_refused_too_and_so_are_fiscal_years_and_receipt_dates() -> None:
    late = datetime(2043, 4, 13, 18, 15, tzinfo=UTC)  # 00:00 NPT on 14 Apr 2043, 1 Baisakh 2100
    assert bs_date(late - timedelta(minutes=1)).year == 2099
    for refuse in (bs_date, fiscal_year, format_bs, lambda t: format_day(t, Calendar.BS)):
        with pytest.raises(OutOfCalendarRange):
            refuse(late)
    assert format_day(late, Calendar.AD) == "14 Apr 2043"  # AD alone needs no table


def test_fiscal_years_at_both_ends_of_the_range() -> None:
    first = datetime(1943, 4, 14, 6, tzinfo=UTC)  # 1 Baisakh 2000: still the fiscal year that began in 1999
    assert fiscal_year(first) == "1999/00"
    last = datetime(2043, 4, 13, 6, tzinfo=UTC)  # the end of Chaitra 2099
    assert fiscal_year(last) == "2099/00"


NOON_NPT = datetime(2026, 11, 27, 6, 15, tzinfo=UTC)  # 12:00 NPT, 11 Mangsir 2083


@pytest.mark.parametrize(
    ("instant", "calendar", "text"),
    [
        (datetime(2026, 11, 27, 12, 0, tzinfo=UTC), Calendar.AD, "27 Nov 2026, 5:45 PM NPT"),
        (datetime(2026, 11, 27, 12, 0, tzinfo=UTC), Calendar.BS, "11 Mangsir 2083, 5:45 PM NPT"),
        (datetime(2026, 11, 27, 12, 0, tzinfo=UTC), Calendar.BOTH, "11 Mangsir 2083 (27 Nov 2026), 5:45 PM NPT"),
        (NOON_NPT, Calendar.BOTH, "11 Mangsir 2083 (27 Nov 2026), 12:00 PM NPT"),
        # 18:15 UTC is midnight in Nepal: already the next day in both calendars
        (datetime(2026, 11, 27, 18, 15, tzinfo=UTC), Calendar.BOTH, "12 Mangsir 2083 (28 Nov 2026), 12:00 AM NPT"),
        (datetime(2026, 11, 27, 18, 14, tzinfo=UTC), Calendar.BOTH, "11 Mangsir 2083 (27 Nov 2026), 11:59 PM NPT"),
        # the last minute of a BS year and the first of the next
        (datetime(2026, 4, 13, 18, 14, tzinfo=UTC), Calendar.BS, "30 Chaitra 2082, 11:59 PM NPT"),
        (datetime(2026, 4, 13, 18, 15, tzinfo=UTC), Calendar.BS, "1 Baisakh 2083, 12:00 AM NPT"),
        # the fiscal year's first minute
        (datetime(2024, 7, 15, 18, 15, tzinfo=UTC), Calendar.BOTH, "1 Shrawan 2081 (16 Jul 2024), 12:00 AM NPT"),
    ],
)
def test_format_moment_in_each_calendar(instant: datetime, calendar: Calendar, text: str) -> None:
    assert format_moment(instant, calendar) == text


@pytest.mark.parametrize(
    ("calendar", "text"),
    [(Calendar.AD, "27 Nov 2026"), (Calendar.BS, "11 Mangsir 2083"), (Calendar.BOTH, "11 Mangsir 2083 (27 Nov 2026)")],
)
def test_format_day_in_each_calendar(calendar: Calendar, text: str) -> None:
    assert format_day(NOON_NPT, calendar) == text


def test_every_month_is_spelled_as_nepal_md_spells_it() -> None:
    firsts = [bs_from_ad(date(2025, 4, 14) + timedelta(days=n)) for n in range(366)]
    names = {
        d.month: format_day(datetime(*d.to_datetime_date().timetuple()[:3], 6, tzinfo=UTC), Calendar.BS)
        for d in firsts
        if d.day == 1
    }
    assert [names[m].split()[1] for m in range(1, 13)] == [
        "Baisakh", "Jestha", "Asar", "Shrawan", "Bhadra", "Asoj",
        "Kartik", "Mangsir", "Poush", "Magh", "Falgun", "Chaitra",
    ]  # fmt: skip
    assert format_bs(datetime(2025, 9, 20, 6, tzinfo=UTC)) == "4 Asoj 2082 BS"


def test_the_ad_functions_are_the_ad_form() -> None:
    assert format_nepal(NOON_NPT) == format_moment(NOON_NPT, Calendar.AD) == "27 Nov 2026, 12:00 PM NPT"
    assert format_nepal_day(NOON_NPT) == format_day(NOON_NPT, Calendar.AD) == "27 Nov 2026"


@pytest.mark.parametrize("value", ["ad", "bs", "both"])
def test_calendar_values_are_what_settings_store(value: str) -> None:
    assert Calendar(value).value == value

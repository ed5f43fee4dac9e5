"""Bikram Sambat months as AD days: a BS month's first day, its length and the day a BS date names.

The other way round from `dates.bs_from_ad`. Month lengths (29–32 days, different every year) come from
the pinned `nepali-datetime`'s published tables: we ask it for the first day of the next month rather
than keep a table or a formula of our own. Only BS years FIRST_SUPPORTED_BS_YEAR..LAST_SUPPORTED_BS_YEAR
are answered; outside them `OutOfBsRange` is raised rather than a date that may be wrong.
"""

from __future__ import annotations

from datetime import date

import nepali_datetime

from khalti_portal.i18n.dates import FIRST_SUPPORTED_BS_YEAR, LAST_SUPPORTED_BS_YEAR, bs_month_name


class OutOfBsRange(ValueError):
    """A Bikram Sambat year the portal does not convert (outside 2000–2099 BS)."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"BS {year} is outside the years this portal converts (BS {FIRST_SUPPORTED_BS_YEAR} "
            f"to {LAST_SUPPORTED_BS_YEAR})"
        )
        self.year = year


def _check_year(year: int) -> None:
    if not FIRST_SUPPORTED_BS_YEAR <= year <= LAST_SUPPORTED_BS_YEAR:
        raise OutOfBsRange(year)


def next_bs_month(year: int, month: int) -> tuple[int, int]:
    """(year, month) of the BS month after `month` of `year`: Chaitra is followed by Baisakh of the next year."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_bs_month(year: int, month: int) -> tuple[int, int]:
    """(year, month) of the BS month before: Baisakh is preceded by Chaitra of the year before."""
    return (year - 1, 12) if month == 1 else (year, month - 1)


def first_ad_day(year: int, month: int) -> date:
    """The AD day that is the 1st of BS `month` (1 = Baisakh) of `year`: 17 Nov 2026 for Mangsir 2083."""
    _check_year(year)
    if not 1 <= month <= 12:
        raise ValueError(f"a BS month is 1 to 12, not {month}")
    return nepali_datetime.date(year, month, 1).to_datetime_date()


def days_in_bs_month(year: int, month: int) -> int:
    """How many days BS `month` of `year` has, from the library's table (Mangsir 2083: 29)."""
    first = first_ad_day(year, month)
    # Chaitra 2099's successor, 1 Baisakh 2100, is still inside the library's table (1975–2100 BS).
    next_year, next_month = next_bs_month(year, month)
    return (nepali_datetime.date(next_year, next_month, 1).to_datetime_date() - first).days


def ad_from_bs(year: int, month: int, day: int) -> date:
    """The AD day of the BS date `day` `month` `year`; ValueError (in words) when that month has no such day."""
    length = days_in_bs_month(year, month)
    if not 1 <= day <= length:
        raise ValueError(f"{bs_month_name(month)} {year} has {length} days")
    return nepali_datetime.date(year, month, day).to_datetime_date()

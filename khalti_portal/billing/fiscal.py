"""Nepal's calendar for documents: Bikram Sambat dates and the fiscal year (from 1 Shrawan), via nepali-datetime."""

from __future__ import annotations

from datetime import datetime

from khalti_portal.i18n.dates import bs_date, bs_month_name

__all__ = ["SHRAWAN", "bs_date", "fiscal_year", "format_bs"]

SHRAWAN = 4  # the fiscal year starts on 1 Shrawan, the fourth month of Bikram Sambat (mid-July)


def fiscal_year(instant: datetime) -> str:
    """`2083/84`: the Nepal fiscal year that `instant` falls in (Nepal time)."""
    day = bs_date(instant)
    first = day.year if day.month >= SHRAWAN else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def format_bs(instant: datetime) -> str:
    """`12 Shrawan 2083 BS`: the day in Nepal at `instant`, in Bikram Sambat, with the month's English name."""
    day = bs_date(instant)
    return f"{day.day} {bs_month_name(day.month)} {day.year} BS"

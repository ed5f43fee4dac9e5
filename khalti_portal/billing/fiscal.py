"""Nepal's calendar for documents: Bikram Sambat dates and the fiscal year (from 1 Shrawan), via nepali-datetime."""

from __future__ import annotations

from datetime import datetime

import nepali_datetime

from khalti_portal.billing.nepal_time import to_nepal

SHRAWAN = 4  # the fiscal year starts on 1 Shrawan, the fourth month of Bikram Sambat (mid-July)


def bs_date(instant: datetime) -> nepali_datetime.date:
    """The Bikram Sambat date it is in Nepal at `instant`."""
    return nepali_datetime.date.from_datetime_date(to_nepal(instant).date())


def fiscal_year(instant: datetime) -> str:
    """`2083/84`: the Nepal fiscal year that `instant` falls in (Nepal time)."""
    day = bs_date(instant)
    first = day.year if day.month >= SHRAWAN else day.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def format_bs(instant: datetime) -> str:
    """`12 Shrawan 2083 BS`: the day in Nepal at `instant`, in Bikram Sambat, with the month's English name."""
    day = bs_date(instant)
    return f"{day.day} {day.strftime('%B')} {day.year} BS"

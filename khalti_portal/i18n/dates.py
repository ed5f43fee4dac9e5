"""Dates as people read them: AD, Bikram Sambat (BS) or both, in Nepal time; the one place that formats a date.

`format_moment(dt, calendar)` gives one of

    27 Nov 2026, 5:45 PM NPT                        Calendar.AD
    11 Mangsir 2083, 5:45 PM NPT                    Calendar.BS
    11 Mangsir 2083 (27 Nov 2026), 5:45 PM NPT      Calendar.BOTH

and `format_day(dt, calendar)` the same without the time. With `language=Language.NE` the same forms read
`११ मंसिर २०८३`, `२७ नोभेम्बर २०२६` and `११ मंसिर २०८३ (२७ नोभेम्बर २०२६), ५:४५ अपराह्न नेपाली समय`: the
months' Nepali names, Devanagari digits; the default stays English, word for word.

BS dates come from the pinned `nepali-datetime` (month lengths are published tables, never a formula of
ours), only within `FIRST_SUPPORTED_AD` .. `LAST_SUPPORTED_AD`; outside it `OutOfCalendarRange` is raised
rather than a date that may be wrong.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import nepali_datetime
from babel.dates import format_datetime

from khalti_portal.clock import ensure_utc
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.numbers import localise_digits

NEPAL = ZoneInfo("Asia/Kathmandu")

# The months' English names as NEPAL.md spells them (the library says Baishakh, Bhadau, Aswin).
BS_MONTHS = (
    "Baisakh",
    "Jestha",
    "Asar",
    "Shrawan",
    "Bhadra",
    "Asoj",
    "Kartik",
    "Mangsir",
    "Poush",
    "Magh",
    "Falgun",
    "Chaitra",
)
# The same months in Nepali, as NEPAL.md writes them (what calendars on a Nepali wall say).
BS_MONTHS_NE = ("बैशाख", "जेठ", "असार", "साउन", "भदौ", "असोज", "कार्तिक", "मंसिर", "पुष", "माघ", "फागुन", "चैत")
# "NPT" in Nepali: Nepal's time, as Nepali sites write it beside a clock time.
NEPAL_TIME_NAME = {Language.EN: "NPT", Language.NE: "नेपाली समय"}

# The BS years the portal converts: a century inside the library's table (1975–2100 BS), away from its
# edges; wide enough for every payment the portal records and any expiry a subscriber can stack.
FIRST_SUPPORTED_BS_YEAR = 2000
LAST_SUPPORTED_BS_YEAR = 2099
FIRST_SUPPORTED_AD = nepali_datetime.date(FIRST_SUPPORTED_BS_YEAR, 1, 1).to_datetime_date()  # 14 Apr 1943
# 13 Apr 2043, the last day of Chaitra 2099: the day before 1 Baisakh 2100.
LAST_SUPPORTED_AD = nepali_datetime.date(LAST_SUPPORTED_BS_YEAR + 1, 1, 1).to_datetime_date() - timedelta(days=1)


class Calendar(StrEnum):
    """Which calendar a person reads dates in: the value is what settings and profiles store."""

    AD = "ad"
    BS = "bs"
    BOTH = "both"


class OutOfCalendarRange(ValueError):
    """A date the portal will not convert to Bikram Sambat, rather than risk a wrong one."""

    def __init__(self, day: date) -> None:
        super().__init__(
            f"{day.isoformat()} is outside the dates this portal converts to Bikram Sambat "
            f"({FIRST_SUPPORTED_AD.isoformat()} to {LAST_SUPPORTED_AD.isoformat()}, "
            f"BS {FIRST_SUPPORTED_BS_YEAR} to {LAST_SUPPORTED_BS_YEAR})"
        )
        self.day = day


def to_nepal(dt: datetime) -> datetime:
    """The same instant on Nepal's wall clock."""
    return ensure_utc(dt).astimezone(NEPAL)


def bs_from_ad(day: date) -> nepali_datetime.date:
    """The Bikram Sambat date of the AD day `day`, or OutOfCalendarRange outside the supported years."""
    if not FIRST_SUPPORTED_AD <= day <= LAST_SUPPORTED_AD:
        raise OutOfCalendarRange(day)
    return nepali_datetime.date.from_datetime_date(day)


def bs_date(instant: datetime) -> nepali_datetime.date:
    """The Bikram Sambat date it is in Nepal at `instant`."""
    return bs_from_ad(to_nepal(instant).date())


def bs_month_name(month: int, language: Language = Language.EN) -> str:
    """`Mangsir` (`मंसिर` in Nepali) for 8: a BS month's name as NEPAL.md spells it."""
    return (BS_MONTHS_NE if language is Language.NE else BS_MONTHS)[month - 1]


def _ad_day(dt: datetime, language: Language) -> str:
    # Nepali spells the month out (नोभेम्बर): CLDR's Nepali has no shorter form.
    pattern = "d MMMM y" if language is Language.NE else "d MMM y"
    return localise_digits(format_datetime(ensure_utc(dt), pattern, tzinfo=NEPAL, locale=language.value), language)


def _bs_day(dt: datetime, language: Language) -> str:
    day = bs_date(dt)
    return localise_digits(f"{day.day} {bs_month_name(day.month, language)} {day.year}", language)


def _clock(dt: datetime, language: Language) -> str:
    clock = format_datetime(ensure_utc(dt), "h:mm a", tzinfo=NEPAL, locale=language.value)
    return f"{localise_digits(clock, language)} {NEPAL_TIME_NAME[language]}"


def format_day(dt: datetime, calendar: Calendar, language: Language = Language.EN) -> str:
    """`27 Nov 2026`, `11 Mangsir 2083` or `11 Mangsir 2083 (27 Nov 2026)`: the day in Nepal at `dt`."""
    if calendar is Calendar.AD:
        return _ad_day(dt, language)
    if calendar is Calendar.BS:
        return _bs_day(dt, language)
    return f"{_bs_day(dt, language)} ({_ad_day(dt, language)})"


def format_moment(dt: datetime, calendar: Calendar, language: Language = Language.EN) -> str:
    """`format_day` and the time in Nepal, 12-hour, no leading zeros: `27 Nov 2026, 5:45 PM NPT`."""
    return f"{format_day(dt, calendar, language)}, {_clock(dt, language)}"

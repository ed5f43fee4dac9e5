"""`format_moment`/`format_day` for text that must always be written: AD where Bikram Sambat does not reach.

`i18n.dates` refuses a BS date outside its supported years rather than guess. A page, a mail queued or an invoice
drawn in the transaction that completes a payment must not fail on that: an expiry stacked past 2099 BS
(13 Apr 2043) is still a date the subscriber should read, so it is written in AD, which is always exact.
"""

from __future__ import annotations

from datetime import datetime

from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.dates import Calendar, OutOfCalendarRange, format_day, format_moment


def format_moment_or_ad(dt: datetime, calendar: Calendar, language: Language = Language.EN) -> str:
    """`format_moment(dt, calendar)`, or its AD form when `dt` is beyond the BS years the portal converts."""
    try:
        return format_moment(dt, calendar, language)
    except OutOfCalendarRange:
        return format_moment(dt, Calendar.AD, language)


def format_day_or_ad(dt: datetime, calendar: Calendar, language: Language = Language.EN) -> str:
    """`format_day(dt, calendar)`, or its AD form when `dt` is beyond the BS years the portal converts."""
    try:
        return format_day(dt, calendar, language)
    except OutOfCalendarRange:
        return format_day(dt, Calendar.AD, language)

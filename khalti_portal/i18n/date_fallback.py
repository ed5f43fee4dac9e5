"""`format_moment`/`format_day` for text that must always be written: AD where Bikram Sambat does not reach.

`i18n.dates` refuses a BS date outside its supported years rather than guess. A mail queued, or an invoice
drawn, in the transaction that completes a payment must not fail on that: an expiry stacked past 2099 BS
(13 Apr 2043) is still a date the subscriber should read, so it is written in AD, which is always exact.
"""

from __future__ import annotations

from datetime import datetime

from khalti_portal.i18n.dates import Calendar, OutOfCalendarRange, format_day, format_moment


def format_moment_or_ad(dt: datetime, calendar: Calendar) -> str:
    """`format_moment(dt, calendar)`, or its AD form when `dt` is beyond the BS years the portal converts."""
    try:
        return format_moment(dt, calendar)
    except OutOfCalendarRange:
        return format_moment(dt, Calendar.AD)


def format_day_or_ad(dt: datetime, calendar: Calendar) -> str:
    """`format_day(dt, calendar)`, or its AD form when `dt` is beyond the BS years the portal converts."""
    try:
        return format_day(dt, calendar)
    except OutOfCalendarRange:
        return format_day(dt, Calendar.AD)

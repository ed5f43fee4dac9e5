"""What the dashboard's timeline shows: the current period, the periods paid after it, and today, along one bar.

Positions are percentages of the bar worked out here, on the server; every date is also there in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.subscription import PeriodView
from khalti_portal.clock import ensure_utc
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.date_fallback import format_day_or_ad
from khalti_portal.i18n.dates import Calendar

CURRENT = "current"  # running now
ENDED = "ended"  # the period that ended last, while the subscriber is in grace
LATER = "later"  # already paid, starts after the current one


@dataclass
class TimelineSegment:
    """One period on the bar: its plan and days in words, UTC instants for attributes, and where it sits."""

    plan_name: str = ""
    kind: str = CURRENT
    starts: str = ""  # 17 Falgun 2082 (1 Mar 2026): the day in Nepal, in the viewer's calendar
    ends: str = ""
    starts_iso: str = ""
    ends_iso: str = ""
    left: str = "0%"  # from the bar's left edge
    width: str = "0%"


@dataclass
class TimelineView:
    """The whole bar: its segments in order, today's mark, and the first and last day it spans."""

    segments: list[TimelineSegment] = field(default_factory=list)
    today: str = ""
    today_iso: str = ""
    today_left: str = "0%"
    first_day: str = ""
    last_day: str = ""


def _percent(value: float) -> str:
    return f"{min(max(value, 0.0), 100.0):.3f}%"


def access_timeline(
    current: PeriodView | None,
    upcoming: Sequence[PeriodView],
    now: datetime,
    calendar: Calendar,
    language: Language = Language.EN,
) -> TimelineView:
    """The bar from the start of `current` (or now) to the end of the last period (or now); empty without periods.

    Its days are in `calendar` (the viewer's), written in `language`; the instants in attributes stay ISO UTC.
    """
    now = ensure_utc(now)
    periods = [p for p in (current, *upcoming) if p is not None]
    if not periods:
        return TimelineView()
    start = min(ensure_utc(periods[0].starts_at), now)
    end = max(ensure_utc(periods[-1].ends_at), now)
    span = (end - start).total_seconds()

    def position(at: datetime) -> float:
        return (ensure_utc(at) - start).total_seconds() / span * 100

    segments = [
        TimelineSegment(
            plan_name=p.plan_name,
            kind=LATER if p is not current else (ENDED if ensure_utc(p.ends_at) <= now else CURRENT),
            starts=format_day_or_ad(p.starts_at, calendar, language),
            ends=format_day_or_ad(p.ends_at, calendar, language),
            starts_iso=iso_utc(p.starts_at),
            ends_iso=iso_utc(p.ends_at),
            left=_percent(position(p.starts_at)),
            width=_percent(position(p.ends_at) - position(p.starts_at)),
        )
        for p in periods
    ]
    return TimelineView(
        segments=segments,
        today=format_day_or_ad(now, calendar, language),
        today_iso=iso_utc(now),
        today_left=_percent(position(now)),
        first_day=format_day_or_ad(start, calendar, language),
        last_day=format_day_or_ad(end, calendar, language),
    )

"""The periods the admin figures are grouped by: AD months, BS months or Nepal fiscal years, as exact UTC spans.

Every period starts at midnight in Nepal (Asia/Kathmandu, UTC+05:45) on its first day and ends, exclusive,
at midnight in Nepal on the first day of the next one: `start <= t < end` in UTC. BS months and their
lengths come from nepali-datetime (`i18n.bs_months`); a fiscal year runs from 1 Shrawan to the end of Asar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from babel.dates import format_date

from khalti_portal.billing.fiscal import SHRAWAN
from khalti_portal.billing.nepal_time import nepal_months
from khalti_portal.clock import ensure_utc
from khalti_portal.i18n.bs_months import first_ad_day, next_bs_month, previous_bs_month
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.dates import NEPAL, Calendar, bs_date, bs_month_name
from khalti_portal.i18n.numbers import localise_digits


class Grouping(StrEnum):
    """How the admin figures are grouped: the value is what the page's choice sends."""

    AD_MONTH = "ad_month"
    BS_MONTH = "bs_month"
    FISCAL_YEAR = "fiscal_year"


# English here; pages show them with translate(language, name).
GROUPING_NAMES = {
    Grouping.AD_MONTH: N_("AD month"),
    Grouping.BS_MONTH: N_("BS month"),
    Grouping.FISCAL_YEAR: N_("Fiscal year"),
}
GROUPING_PROBLEM = N_("Group the figures by AD month, BS month or fiscal year.")
# TRANSLATORS: a fiscal year as a period's name, e.g. "FY 2083/84".
FISCAL_YEAR_NAME = N_("FY {years}")
# How many periods the page shows: a year of months, or five fiscal years.
SHOWN = {Grouping.AD_MONTH: 12, Grouping.BS_MONTH: 12, Grouping.FISCAL_YEAR: 5}
MAX_PERIODS = 120  # the most any caller may ask for: one query column per period


def parse_grouping(raw: object) -> Grouping | None:
    """The grouping the browser sent, or None when it is not one of ours."""
    if not isinstance(raw, str):
        return None
    try:
        return Grouping(raw)
    except ValueError:
        return None


def default_grouping(calendar: Calendar) -> Grouping:
    """BS months for an admin who reads BS (alone or beside AD), AD months for one who reads AD."""
    return Grouping.AD_MONTH if calendar is Calendar.AD else Grouping.BS_MONTH


@dataclass(frozen=True)
class Span:
    """One period: its name, its days (AD, Nepal calendar) and its exact [start, end) in UTC."""

    key: str  # sortable and unique within a grouping: "2026-11", "2083-08", "2083/84"
    label: str  # short, for a table row or a chart axis: "Nov 2026", "Mangsir 2083", "FY 2083/84"
    title: str  # for a heading: "November 2026", "Mangsir 2083", "FY 2083/84"
    first_day: date  # AD
    last_day: date  # AD, inclusive
    start: datetime  # UTC: midnight in Nepal on first_day
    end: datetime  # UTC: midnight in Nepal on the day after last_day (exclusive)


def nepal_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins in Nepal (18:15 UTC the evening before)."""
    return datetime.combine(day, time(0), tzinfo=NEPAL).astimezone(UTC)


def _span(key: str, label: str, title: str, first: date, after: date) -> Span:
    """A period from `first` up to (not including) `after`."""
    return Span(key, label, title, first, after - timedelta(days=1), nepal_midnight(first), nepal_midnight(after))


def _ad_months(now: datetime, count: int) -> list[Span]:
    return [
        _span(first.strftime("%Y-%m"), _month(first, "MMM y"), _month(first, "MMMM y"), first, _next_ad_month(first))
        for first, _, _ in nepal_months(now, count)
    ]


def _month(first: date, pattern: str) -> str:
    return format_date(first, pattern, locale="en")


def _next_ad_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _bs_months(now: datetime, count: int) -> list[Span]:
    today = bs_date(now)
    year, month = today.year, today.month
    spans = []
    for _ in range(count):
        name = f"{bs_month_name(month)} {year}"
        after = first_ad_day(*next_bs_month(year, month))
        spans.append(_span(f"{year}-{month:02d}", name, name, first_ad_day(year, month), after))
        year, month = previous_bs_month(year, month)
    return spans[::-1]


def _fiscal_years(now: datetime, count: int) -> list[Span]:
    today = bs_date(now)
    first_year = today.year if today.month >= SHRAWAN else today.year - 1
    spans = []
    for year in range(first_year, first_year - count, -1):
        name = f"{year}/{(year + 1) % 100:02d}"
        label = FISCAL_YEAR_NAME.format(years=name)
        spans.append(_span(name, label, label, first_ad_day(year, SHRAWAN), first_ad_day(year + 1, SHRAWAN)))
    return spans[::-1]


def spans(now: datetime, grouping: Grouping, count: int | None = None) -> list[Span]:
    """The `count` periods (default: SHOWN) up to and including the one running at `now`, oldest first."""
    now = ensure_utc(now)
    count = max(1, min(count if count is not None else SHOWN[grouping], MAX_PERIODS))
    if grouping is Grouping.AD_MONTH:
        return _ad_months(now, count)
    if grouping is Grouping.BS_MONTH:
        return _bs_months(now, count)
    return _fiscal_years(now, count)


def span_of(now: datetime, grouping: Grouping) -> Span:
    """The period running at `now`."""
    return spans(now, grouping, 1)[0]


def span_name(span: Span, language: Language, *, long: bool = False) -> str:
    """The period's name in `language`: its `label` (`long`: `title`) in English; `मंसिर २०८३`, `आ.व. २०८३/८४`.

    Which kind of period it is reads from its key: a fiscal year's has a `/`, a BS month's year is not the
    AD year of its first day (BS runs 56-57 years ahead).
    """
    if language is Language.EN:
        return span.title if long else span.label
    if "/" in span.key:
        return translate(language, FISCAL_YEAR_NAME, years=localise_digits(span.key, language))
    year, month = (int(part) for part in span.key.split("-"))
    if year != span.first_day.year:
        return localise_digits(f"{bs_month_name(month, language)} {year}", language)
    # CLDR's Nepali has no short month names: the long one serves the chart axis too.
    return localise_digits(format_date(span.first_day, "MMMM y", locale=language.value), language)

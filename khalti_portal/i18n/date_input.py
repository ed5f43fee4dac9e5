"""Dates people type: `YYYY-MM-DD` read as Bikram Sambat or AD, checked, and answered as the AD day or a problem.

A date field takes one calendar (`input_calendar`): BS for someone who reads BS, AD for someone who reads AD
or both (the field's label says which). Writing ` BS` or ` AD` after the date overrides it, so whoever reads
both can type either. Digits may be ASCII or Devanagari (०–९). BS dates are converted with nepali-datetime's
tables (`bs_months`), only within 2000–2099 BS; AD dates only within the days those years cover, so every
accepted day can be shown in either calendar. Whatever is refused is refused in words that say why, in the
reader's language (`language`); a Nepali reader may write the marker as `वि.सं.` or `ई.सं.`.
"""

from __future__ import annotations

import re
from datetime import date

from khalti_portal.i18n.bs_months import OutOfBsRange, ad_from_bs, days_in_bs_month
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.dates import (
    FIRST_SUPPORTED_AD,
    FIRST_SUPPORTED_BS_YEAR,
    LAST_SUPPORTED_AD,
    LAST_SUPPORTED_BS_YEAR,
    Calendar,
    bs_month_name,
)
from khalti_portal.i18n.numbers import localise_digits

MAX_INPUT = 32  # longer than any date written with a calendar marker and spaces
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Four-digit year, one- or two-digit month and day, `-`, `/` or `.` between; an optional calendar marker,
# in English letters or as Nepali writes it (वि.सं. Bikram Sambat, ई.सं. AD).
_DATE_RE = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s*(BS|AD|वि\.\s?सं\.?|ई\.\s?सं\.?))?", re.ASCII | re.IGNORECASE
)

EXAMPLES = {Calendar.BS: "2083-08-11", Calendar.AD: "2026-11-27"}  # the same day, 27 Nov 2026
CALENDAR_WORDS = {Calendar.BS: N_("Bikram Sambat (BS)"), Calendar.AD: N_("AD")}
# What a date written in the other calendar ends with: the marker the parser reads.
# TRANSLATORS: the marker typed after a date to say its calendar: BS (Bikram Sambat) or AD.
MARKERS = {Calendar.BS: N_("BS"), Calendar.AD: N_("AD")}
# TRANSLATORS: the shape of a typed date: year, month and day of the month, with dashes.
DATE_SHAPE = N_("YYYY-MM-DD")


def input_calendar(calendar: Calendar) -> Calendar:
    """The calendar a date field reads for someone who reads dates in `calendar`: BS only for BS readers."""
    return Calendar.BS if calendar is Calendar.BS else Calendar.AD


def _example(calendar: Calendar, language: Language) -> str:
    return localise_digits(EXAMPLES[calendar], language)


def _words(calendar: Calendar, language: Language) -> str:
    return translate(language, CALENDAR_WORDS[calendar])


def input_hint(calendar: Calendar, language: Language = Language.EN) -> str:
    """What a date field asks for: `YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11; or add AD: 2026-11-27 AD`."""
    taken = input_calendar(calendar)
    other = Calendar.AD if taken is Calendar.BS else Calendar.BS
    return translate(
        language,
        "{shape} in {calendar}, e.g. {example}; or add {marker}: {other_example} {marker}",
        shape=translate(language, DATE_SHAPE),
        calendar=_words(taken, language),
        example=_example(taken, language),
        marker=translate(language, MARKERS[other]),
        other_example=_example(other, language),
    )


def _marked(marker: str) -> Calendar:
    """The calendar a marker names: `BS`/`वि.सं.` or `AD`/`ई.सं.`."""
    return Calendar.BS if marker.upper() == "BS" or marker.startswith("व") else Calendar.AD


def parse_day(raw: object, calendar: Calendar, language: Language = Language.EN) -> date | str:
    """The AD day the text names (read in `input_calendar(calendar)` unless it says BS or AD), or why it is refused."""
    taken = input_calendar(calendar)
    # Bounded before any work: whatever a browser sends, at most MAX_INPUT characters are looked at.
    text = raw.strip() if isinstance(raw, str) and len(raw) <= 4 * MAX_INPUT else ""
    found = _DATE_RE.fullmatch(text.translate(_DEVANAGARI_DIGITS)) if len(text) <= MAX_INPUT else None
    if found is None:
        return translate(
            language,
            "Write the date as {shape} in {calendar}, e.g. {example}.",
            shape=translate(language, DATE_SHAPE),
            calendar=_words(taken, language),
            example=_example(taken, language),
        )
    year, month, day = int(found[1]), int(found[3]), int(found[4])
    if found[5]:
        taken = _marked(found[5])
    if taken is Calendar.BS:
        return _bs_day(year, month, day, language)
    return _ad_day(year, month, day, language)


def _bs_day(year: int, month: int, day: int, language: Language) -> date | str:
    marker = translate(language, MARKERS[Calendar.BS])
    written = localise_digits(f"{year}-{month:02d}-{day:02d}", language) + " " + marker
    if not 1 <= month <= 12:
        return translate(
            language,
            "There is no {date}: BS months run from {first} to {last}.",
            date=written,
            first=localise_digits("01", language) + f" ({bs_month_name(1, language)})",
            last=localise_digits("12", language) + f" ({bs_month_name(12, language)})",
        )
    try:
        length = days_in_bs_month(year, month)
    except OutOfBsRange:
        return translate(
            language,
            "{date} is outside the years this portal converts: BS {first} to {last}.",
            date=written,
            first=localise_digits(str(FIRST_SUPPORTED_BS_YEAR), language),
            last=localise_digits(str(LAST_SUPPORTED_BS_YEAR), language),
        )
    if not 1 <= day <= length:  # the month has fewer days
        return translate(
            language,
            "There is no {date}: {month} has {days} days.",
            date=written,
            month=localise_digits(f"{bs_month_name(month, language)} {year}", language),
            days=localise_digits(str(length), language),
        )
    return ad_from_bs(year, month, day)


def _ad_day(year: int, month: int, day: int, language: Language) -> date | str:
    written = localise_digits(f"{year}-{month:02d}-{day:02d}", language)
    try:
        found = date(year, month, day)
    except ValueError:
        return translate(language, "There is no {date} in the AD calendar.", date=written)
    if not FIRST_SUPPORTED_AD <= found <= LAST_SUPPORTED_AD:
        problem = translate(
            language,
            "{date} is outside the dates this portal converts: {first} to {last}.",
            date=written,
            first=localise_digits(FIRST_SUPPORTED_AD.isoformat(), language),
            last=localise_digits(LAST_SUPPORTED_AD.isoformat(), language),
        )
        if found > LAST_SUPPORTED_AD:
            # The likeliest reason is a BS date in a field that reads AD: say how to give one.
            problem += " " + translate(
                language,
                "For a Bikram Sambat date write {date} {marker}.",
                date=written,
                marker=translate(language, MARKERS[Calendar.BS]),
            )
        return problem
    return found

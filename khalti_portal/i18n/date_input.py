"""Dates people type: `YYYY-MM-DD` read as Bikram Sambat or AD, checked, and answered as the AD day or a problem.

A date field takes one calendar (`input_calendar`): BS for someone who reads BS, AD for someone who reads AD
or both (the field's label says which). Writing ` BS` or ` AD` after the date overrides it, so whoever reads
both can type either. Digits may be ASCII or Devanagari (०–९). BS dates are converted with nepali-datetime's
tables (`bs_months`), only within 2000–2099 BS; AD dates only within the days those years cover, so every
accepted day can be shown in either calendar. Whatever is refused is refused in words that say why.
"""

from __future__ import annotations

import re
from datetime import date

from khalti_portal.i18n.bs_months import OutOfBsRange, ad_from_bs
from khalti_portal.i18n.dates import (
    FIRST_SUPPORTED_AD,
    FIRST_SUPPORTED_BS_YEAR,
    LAST_SUPPORTED_AD,
    LAST_SUPPORTED_BS_YEAR,
    Calendar,
)

MAX_INPUT = 32  # longer than any date written with a calendar marker and spaces
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Four-digit year, one- or two-digit month and day, `-`, `/` or `.` between; an optional calendar marker.
_DATE_RE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s*(BS|AD))?", re.ASCII | re.IGNORECASE)

EXAMPLES = {Calendar.BS: "2083-08-11", Calendar.AD: "2026-11-27"}  # the same day, 27 Nov 2026
CALENDAR_WORDS = {Calendar.BS: "Bikram Sambat (BS)", Calendar.AD: "AD"}


def input_calendar(calendar: Calendar) -> Calendar:
    """The calendar a date field reads for someone who reads dates in `calendar`: BS only for BS readers."""
    return Calendar.BS if calendar is Calendar.BS else Calendar.AD


def input_hint(calendar: Calendar) -> str:
    """What a date field asks for: `YYYY-MM-DD in Bikram Sambat (BS), e.g. 2083-08-11; or add AD: 2026-11-27 AD`."""
    taken = input_calendar(calendar)
    other = Calendar.AD if taken is Calendar.BS else Calendar.BS
    marker = other.value.upper()
    return f"YYYY-MM-DD in {CALENDAR_WORDS[taken]}, e.g. {EXAMPLES[taken]}; or add {marker}: {EXAMPLES[other]} {marker}"


def parse_day(raw: object, calendar: Calendar) -> date | str:
    """The AD day the text names (read in `input_calendar(calendar)` unless it says BS or AD), or why it is refused."""
    taken = input_calendar(calendar)
    # Bounded before any work: whatever a browser sends, at most MAX_INPUT characters are looked at.
    text = raw.strip() if isinstance(raw, str) and len(raw) <= 4 * MAX_INPUT else ""
    found = _DATE_RE.fullmatch(text.translate(_DEVANAGARI_DIGITS)) if len(text) <= MAX_INPUT else None
    if found is None:
        return f"Write the date as YYYY-MM-DD in {CALENDAR_WORDS[taken]}, e.g. {EXAMPLES[taken]}."
    year, month, day = int(found[1]), int(found[3]), int(found[4])
    if found[5]:
        taken = Calendar(found[5].lower())
    if taken is Calendar.BS:
        return _bs_day(year, month, day)
    return _ad_day(year, month, day)


def _bs_day(year: int, month: int, day: int) -> date | str:
    written = f"{year}-{month:02d}-{day:02d} BS"
    if not 1 <= month <= 12:
        return f"There is no {written}: BS months run from 01 (Baisakh) to 12 (Chaitra)."
    try:
        return ad_from_bs(year, month, day)
    except OutOfBsRange:
        return (
            f"{written} is outside the years this portal converts: "
            f"BS {FIRST_SUPPORTED_BS_YEAR} to {LAST_SUPPORTED_BS_YEAR}."
        )
    except ValueError as why:  # the month has fewer days
        return f"There is no {written}: {why}."


def _ad_day(year: int, month: int, day: int) -> date | str:
    written = f"{year}-{month:02d}-{day:02d}"
    try:
        found = date(year, month, day)
    except ValueError:
        return f"There is no {written} in the AD calendar."
    if not FIRST_SUPPORTED_AD <= found <= LAST_SUPPORTED_AD:
        # The likeliest reason is a BS date in a field that reads AD: say how to give one.
        bs_hint = f" For a Bikram Sambat date write {written} BS." if found > LAST_SUPPORTED_AD else ""
        return (
            f"{written} is outside the dates this portal converts: "
            f"{FIRST_SUPPORTED_AD.isoformat()} to {LAST_SUPPORTED_AD.isoformat()}.{bs_hint}"
        )
    return found

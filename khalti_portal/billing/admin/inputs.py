"""The input checks the admin operations share: an id from the browser, a number of days, a reason.

Whatever arrives from a browser is untrusted: an id may be text, a bool, a float or a list. Each check
takes anything and answers with the value or None (or, for a reason, what is wrong with it).
"""

from __future__ import annotations

import re

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.numbers import format_number

MAX_ID = 2**31 - 1  # the largest integer primary key
MIN_DAYS, MAX_DAYS = 1, 3650
MAX_REASON = 500

# ASCII digits only: `int()` alone accepts `1_0` and other scripts' digits. At most 9 of them, an optional `+`.
_DAYS_RE = re.compile(r"\+?\d{1,9}", re.ASCII)


def id_of(value: object) -> int | None:
    """An id from the browser: a positive int (or its ASCII digits as text), else None. Never a bool or float."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def days_of(value: object) -> int | None:
    """A number of days: a whole number 1-3650 (an int, or its ASCII digits as text, spaces around), else None."""
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if _DAYS_RE.fullmatch(text) else None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS <= value <= MAX_DAYS:
        return None
    return value


def reason_problem(reason: object, language: Language = Language.EN) -> str | None:
    """Why this reason is refused (every decision needs one, 1-500 characters), in `language`, or None."""
    if not isinstance(reason, str) or not reason.strip():
        return translate(language, "Give a reason: it is kept in the audit trail with your name.")
    if len(reason.strip()) > MAX_REASON:
        return translate(
            language,
            "Keep the reason to {most} characters (it has {length}).",
            most=format_number(MAX_REASON, language),
            length=format_number(len(reason.strip()), language),
        )
    return None

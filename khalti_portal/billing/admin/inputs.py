"""The input checks the admin operations share: an id from the browser, a number of days, a reason.

Whatever arrives from a browser is untrusted: an id may be text, a bool, a float or a list. Each check
takes anything and answers with the value or None (or, for a reason, what is wrong with it).
"""

from __future__ import annotations

import re

from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import Message

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


def reason_problem(reason: object) -> str | None:
    """Why this reason is refused (every decision needs one, 1-500 characters), or None.

    The answer is English marked for the catalog: show it with `i18n.messages.in_language`.
    """
    if not isinstance(reason, str) or not reason.strip():
        return N_("Give a reason: it is kept in the audit trail with your name.")
    if len(reason.strip()) > MAX_REASON:
        return Message(N_("Keep the reason to {max} characters (it has {n})."), max=MAX_REASON, n=len(reason.strip()))
    return None

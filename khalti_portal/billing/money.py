"""Rupees on screen and back: integer paisa in, `Rs 1,00,000` out (babel, lakh grouping); never float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import Message, Rupees
from khalti_portal.i18n.numbers import PAISA_PER_RUPEE, format_rupees  # noqa: F401  (billing's amounts, in English)

LOCALE = "en_IN"  # lakh grouping: 1,00,000
# Our paisa columns are INTEGER; anything larger cannot be stored, so it cannot be an amount.
MAX_PAISA = 2**31 - 1

_PREFIX = re.compile(r"^(?:rs\.?|npr|रु\.?)\s*", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(?:,\d+)*(?:\.\d*)?$|^\.\d+$", re.ASCII)


class MoneyError(ValueError):
    """An amount a person typed could not be read; the message (`args[0]`, a `Message`) says how to write it."""


def parse_rupees(text: str) -> int:
    """Paisa from what a person typed: `12.99` → 1299, `1,00,000` → 10000000, `Rs 10` → 1000."""
    cleaned = _PREFIX.sub("", (text or "").strip()).strip()
    if not cleaned:
        raise MoneyError(N_("Enter an amount in rupees, for example 499 or 1,299.50."))
    if cleaned.startswith("-"):
        raise MoneyError(N_("An amount cannot be negative."))
    if not _NUMBER.match(cleaned):
        raise MoneyError(
            Message(N_("{text} is not an amount in rupees; write it like 499 or 1,299.50."), text=repr(text.strip()))
        )
    whole, _, fraction = cleaned.replace(",", "").partition(".")
    if len(fraction) > 2:
        raise MoneyError(N_("Use at most two digits after the decimal point (paisa), for example 1,299.50."))
    try:
        paisa = int(Decimal(f"{whole or '0'}.{fraction or '0'}") * PAISA_PER_RUPEE)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only digits
        raise MoneyError(Message(N_("{text} is not an amount in rupees."), text=repr(text.strip()))) from None
    if paisa > MAX_PAISA:
        raise MoneyError(
            Message(N_("That amount is too large; the most we can handle is {amount}."), amount=Rupees(MAX_PAISA))
        )
    return paisa


def rupees_in_words(paisa: int) -> str:
    """`Rupees One Lakh Twenty-Three Thousand and Fifty Paisa Only`: lakh and crore, as invoices here say it."""
    from num2words import num2words

    rupees, cents = divmod(abs(int(paisa)), PAISA_PER_RUPEE)
    words = f"Rupees {num2words(rupees, lang=LOCALE).replace(',', '')}"
    if cents:
        words += f" and {num2words(cents, lang=LOCALE)} Paisa"
    return f"{words} Only".title().replace(" And ", " and ")

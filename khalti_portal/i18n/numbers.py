"""Numbers and rupees as people read them: lakh grouping in both languages, Devanagari digits in Nepali.

    format_number(1234567, Language.NE)   १२,३४,५६७
    format_rupees(129950, Language.NE)    रु १,२९९.५०
    format_rupees(129950)                 Rs 1,299.50   (the same text as billing.money.format_rupees)

Babel does the grouping (`#,##,##0`, the en_IN / ne_NP pattern). Babel 2.18 knows that `ne_NP`'s default
numbering system is `deva` but only uses it for symbols, never for the digits themselves, so the digits
are swapped here, after Babel: one table, ten characters.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from khalti_portal.i18n.catalogs import Language, translate_plural

LAKH_PATTERN = "#,##,##0"
PAISA_PER_RUPEE = 100
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")
RUPEE_SIGN = {Language.EN: "Rs", Language.NE: "रु"}


def localise_digits(text: str, language: Language) -> str:
    """`text` with its digits in the language's script: `2083` → `२०८३` in Nepali, unchanged in English."""
    return text.translate(DEVANAGARI_DIGITS) if language is Language.NE else text


def format_number(value: int | Decimal, language: Language = Language.EN, *, decimals: int = 0) -> str:
    """`12,34,567` / `१२,३४,५६७`: lakh grouping, `decimals` digits after the point."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"format_number takes an int or a Decimal, got {type(value).__name__}")
    pattern = LAKH_PATTERN + ("." + "0" * decimals if decimals else "")
    return localise_digits(format_decimal(value, format=pattern, locale="en_IN"), language)


def format_rupees(paisa: int, language: Language = Language.EN) -> str:
    """`Rs 1,00,000` / `रु १,००,०००` for whole rupees, `Rs 1,299.50` / `रु १,२९९.५०` otherwise; never a float."""
    if isinstance(paisa, bool) or not isinstance(paisa, int):
        raise TypeError(f"format_rupees takes integer paisa, got {type(paisa).__name__}")
    sign = "-" if paisa < 0 else ""
    rupees = Decimal(abs(paisa)) / PAISA_PER_RUPEE
    decimals = 0 if abs(paisa) % PAISA_PER_RUPEE == 0 else 2
    return f"{sign}{RUPEE_SIGN[language]} {format_number(rupees, language, decimals=decimals)}"


def format_days(days: int, language: Language = Language.EN) -> str:
    """`1 day`, `30 days` / `३० दिन`: a length of access as the catalog and checkout say it."""
    return translate_plural(language, "{n} day", "{n} days", days, n=format_number(days, language))

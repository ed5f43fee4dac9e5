"""`Message`: a sentence billing writes with numbers in it, kept translatable until a page shows it.

Billing does not know who reads its answers, so it cannot pick a language; an f-string would freeze the
English and its digits. A `Message` is the English sentence (it *is* a `str`: logs, tests and older callers
read it as before) that remembers its catalog id and its values, so the state that shows it can write it
again in the reader's language:

    problem = Message(N_("Keep the reason to {max} characters (it has {n})."), max=500, n=501)
    str(problem)                        'Keep the reason to 500 characters (it has 501).'
    in_language(Language.NE, problem)   'कारण ५०० अक्षरभित्र लेख्नुहोस् (अहिले ५०१ छ)।'

Values are formatted for the language when the sentence is written: an int as its plain digits in the
language's script (`3650` / `३६५०`, as a limit reads), `Number(n)` grouped in lakhs with `format_number`,
`Rupees(paisa)` with `format_rupees`, `Moment(dt, calendar)` with `format_moment_or_ad`, a nested `Message` in
the same language; any other value (a name, an address, a slug, an id) is put in as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_number, format_rupees, localise_digits


@dataclass(frozen=True)
class Number:
    """A large number in a message, grouped in lakhs: `10,00,000` / `१०,००,०००`."""

    value: int


@dataclass(frozen=True)
class Rupees:
    """An amount in a message: integer paisa, written `Rs 1,299.50` / `रु १,२९९.५०`."""

    paisa: int


@dataclass(frozen=True)
class Moment:
    """A date and time in a message, written in `calendar` (Nepal time)."""

    at: datetime
    calendar: Calendar


def _value(value: object, language: Language) -> object:
    if isinstance(value, Message):
        return in_language(language, value)
    if isinstance(value, Number):
        return format_number(value.value, language)
    if isinstance(value, Rupees):
        return format_rupees(value.paisa, language)
    if isinstance(value, Moment):
        return format_moment_or_ad(value.at, value.calendar, language)
    if isinstance(value, int) and not isinstance(value, bool):
        return localise_digits(str(value), language)
    return value


class Message(str):
    """English text that can be written again in another language (see the module's docstring).

    `text` must be marked `N_(...)` where it is written, so `make messages` puts it in the catalog.
    """

    text: str
    values: dict[str, object]

    def __new__(cls, text: str, /, **values: object) -> Message:
        """The English sentence of `text` with `values` put in."""
        english = text.format(**{name: _value(value, Language.EN) for name, value in values.items()})
        message = super().__new__(cls, english)
        message.text, message.values = text, dict(values)
        return message


def in_language(language: Language, text: str) -> str:
    """`text` as `language` writes it: a `Message` with its values, any other `N_`-marked string as it is."""
    if isinstance(text, Message):
        return translate(language, text.text, **{name: _value(v, language) for name, v in text.values.items()})
    return translate(language, text) if text else text

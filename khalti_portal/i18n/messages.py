"""Text a domain module writes before it knows who reads it: English now, the reader's language where shown.

Billing and the account rules do not know who reads their answers, so they cannot pick a language, and an
f-string would freeze the English and its digits. A `Message` is the English sentence (it *is* a `str`:
logs, tests and older callers read it as before) that remembers its catalog id and its values, so the state
that shows it writes it again in the reader's language:

    problem = Message(N_("Keep the reason to {max} characters (it has {n})."), max=500, n=501)
    str(problem)                     'Keep the reason to 500 characters (it has 501).'
    shown(problem, Language.NE)      'कारण ५०० अक्षरभित्र लेख्नुहोस् (अहिले ५०१ छ)।'
    shown(N_("Enter a name."), lang) a plain N_-marked constant is translated too

Values are formatted for the language when the sentence is written: an int as its plain digits in the
language's script (`3650` / `३६५०`, as a limit reads), `Number(n)` grouped in lakhs with `format_number`,
`Rupees(paisa)` with `format_rupees`, `Moment(dt, calendar)` with `format_moment_or_ad`, a nested `Message` in
the same language; any other value (a name, an address, a slug, an id) is put in as it is.

A count whose words change with it (`1 second`, `5 seconds`) is a `Said`, made from a function of the
language (`Said(lambda language: translate_plural(language, ...))`), so extraction still finds both forms.
States keep only `shown(...)`'s plain text, never a `Message` or `Said` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language, translate
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
    if isinstance(value, str) and isinstance(value, (Message, Said)):
        return shown(value, language)
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
        english = text.format(**{name: _value(value, SOURCE_LANGUAGE) for name, value in values.items()})
        message = super().__new__(cls, english)
        message.text, message.values = text, dict(values)
        return message


class Said(str):
    """The English text of a function of the language (a plural, say), which writes itself in another."""

    _render: Callable[[Language], str]

    def __new__(cls, render: Callable[[Language], str]) -> Said:  # noqa: D102
        text = super().__new__(cls, render(SOURCE_LANGUAGE))
        text._render = render
        return text


def shown(message: str, language: Language) -> str:
    """A domain module's message in `language`, as a plain str.

    A `Message` or `Said` writes itself; any other string is looked up as an `N_`-marked msgid.
    """
    if isinstance(message, Message):
        return translate(language, message.text, **{name: _value(v, language) for name, v in message.values.items()})
    if isinstance(message, Said):
        return message._render(language)
    return translate(language, message) if message else message


def in_every_language(message: str) -> dict[str, str]:
    """`message` written in each language (by code): a page shows it again in another language without redoing it."""
    return {language.value: shown(message, language) for language in Language}

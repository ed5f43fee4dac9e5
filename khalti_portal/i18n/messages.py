"""Text a domain module writes before it knows who reads it: English now, the reader's language where shown.

    answer = said(N_("A new link is on its way to {email}."), email=address)
    answer                        'A new link is on its way to asha@example.com.'  (a str: logs and tests read it)
    shown(answer, Language.NE)    the Nepali, the address kept as written
    shown(N_("Saved."), lang)     a plain N_-marked constant is translated too

Integers among the values are written with `format_number` in the reader's digits, so a number is never
put into the English before translation. A count whose words change with it (`1 second`, `5 seconds`)
is made with `Said(lambda language: translate_plural(language, ...))`, so extraction still finds both forms.
A `Said` holds a function: states keep only `shown(...)`'s plain text, never the `Said` itself.
"""

from __future__ import annotations

from collections.abc import Callable

from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language, translate
from khalti_portal.i18n.numbers import format_number


class Said(str):
    """The English text, which also knows how to write itself in another language."""

    _render: Callable[[Language], str]

    def __new__(cls, render: Callable[[Language], str]) -> Said:  # noqa: D102
        text = super().__new__(cls, render(SOURCE_LANGUAGE))
        text._render = render
        return text

    def in_language(self, language: Language) -> str:
        """The text in `language` (a plain str)."""
        return self._render(language)


def _value(value: object, language: Language) -> object:
    return format_number(value, language) if isinstance(value, int) and not isinstance(value, bool) else value


def said(message: str, /, **values: object) -> Said:
    """`message` (an N_-marked msgid with `{placeholders}`) filled from `values` in whichever language shows it."""
    return Said(lambda language: translate(language, message, **{k: _value(v, language) for k, v in values.items()}))


def shown(message: str, language: Language) -> str:
    """A domain module's message in `language`: a `Said` writes itself, any other string is looked up as a msgid."""
    if isinstance(message, Said):
        return message.in_language(language)
    return translate(language, message) if message else message


def in_every_language(message: str) -> dict[str, str]:
    """`message` written in each language (by code): a page shows it again in another language without redoing it."""
    return {language.value: shown(message, language) for language in Language}

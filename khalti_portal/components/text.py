"""`t("Plans")`: page text in the person's language, chosen in the browser at run time.

Pages are compiled to JavaScript once, so a server-side gettext call in a page function would freeze one
language into the bundle. `t` looks the string up in every catalog when the page is compiled and returns
a Var that picks the one for `LanguageState.language` as the page renders:

    t("Plans")                                   ((lang === "ne") ? "योजनाहरू" : "Plans")
    t("for {duration}", duration=card.duration)  the same, with the Var put into each language's text

Only the strings a page uses reach its bundle, each once per language. A string the catalog lacks shows in
English (and tests/test_translations.py fails). Text built on the server (prices, dates, errors) comes
translated from the state instead: see i18n/catalogs.translate and states/language.language_for.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex.vars.base import Var

from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language, translate
from khalti_portal.i18n.numbers import format_rupees, localise_digits
from khalti_portal.states.language import LanguageState


def _filled(text: str, values: dict[str, Var | str]) -> Var | str:
    # A Var formats into a marked string that Var.create turns back into a JavaScript template.
    return Var.create(text.format(**values)) if values else text


def t(message: str, **values: Var | str) -> Var | str:
    """`message` (English, the catalog's msgid) in the language the person reads the page in."""
    shown: Var | str = _filled(message, values)
    for language in Language:
        if language is SOURCE_LANGUAGE:
            continue
        translated = translate(language, message)
        if translated == message:
            continue  # untranslated, or a name that reads the same: no condition in the bundle
        shown = rx.cond(LanguageState.language == language.value, _filled(translated, values), shown)
    return shown


def per_language(render: Callable[[Language], str]) -> Var | str:
    """Page text written by `render` once for each language when the page is compiled, shown in the person's.

    For text whose numbers are fixed (a password's length): `t` fills one value into every language, while
    `per_language(lambda lang: translate(lang, "At least {n} characters.", n=format_number(8, lang)))`
    gives each its own digits.
    """
    english = render(SOURCE_LANGUAGE)
    shown: Var | str = english
    for language in Language:
        if language is SOURCE_LANGUAGE:
            continue
        translated = render(language)
        if translated != english:
            shown = rx.cond(LanguageState.language == language.value, translated, shown)
    return shown


def number(value: int) -> Var | str:
    """A limit fixed in the page, plain digits in the reader's script: `t("At most {n}.", n=number(1000))`."""
    return per_language(lambda language: localise_digits(str(value), language))


def rupees(paisa: int) -> Var | str:
    """An amount fixed in the page in the reader's language: `Rs 10` / `रु १०`."""
    return per_language(lambda language: format_rupees(paisa, language))

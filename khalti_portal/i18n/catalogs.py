"""The languages the portal speaks and their gettext catalogs (`khalti_portal/locale/<lang>/LC_MESSAGES/messages.po`).

The message ids are the English text, so English needs no catalog. The set-up compiles each `.po` into its
`.mo` (`make catalogs`, part of `make setup`; `.mo` files are not committed), and the compiled one is read
while it is at least as new as its `.po`. An edited `.po` is never shadowed by an older `.mo`: it is compiled
in memory instead (Babel reads it and writes the `.mo` into a buffer), so a translator needs no build step.
A broken `.po` fails loudly at the first use.

Server-side text (errors, status names, mails) goes through `translate(language, "...")`; page text
through `components.text.t("...")`, which looks each string up here when the page is compiled. `N_("...")`
marks a string translated later (a constant in a table): `make messages` finds all of them (babel.cfg).
"""

from __future__ import annotations

import gettext
import io
from enum import StrEnum
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


class Language(StrEnum):
    """A language a person can read the portal in: the value is what browsers and profiles store."""

    EN = "en"
    NE = "ne"


SOURCE_LANGUAGE = Language.EN  # the msgids are written in it
# Each language's own name for itself, as the switch lists it whatever the page's language.
LANGUAGE_NAMES = {Language.EN: "English", Language.NE: "नेपाली"}


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now (a constant translated where it is shown)."""
    return message


def parse_language(raw: object) -> Language | None:
    """The language a client or a profile sent, or None when it is not one we speak."""
    if not isinstance(raw, str):
        return None
    try:
        return Language(raw.strip().lower())
    except ValueError:
        return None


def po_path(language: Language) -> Path:
    """Where `language`'s catalog is kept: `khalti_portal/locale/ne/LC_MESSAGES/messages.po`."""
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: Language) -> Path:
    """Where the set-up writes `language`'s compiled catalog, beside its `.po`."""
    return po_path(language).with_suffix(".mo")


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The language's catalog, read once per process; English is the message ids themselves."""
    if language is SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    po, mo = po_path(language), mo_path(language)
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    with po.open("rb") as po:
        catalog = read_po(po, locale=language.value)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as pybabel compile does: a guess is not shown
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translate(language: Language, message: str, /, **values: object) -> str:
    """`message` in `language`, with `{name}` placeholders filled from `values` (English if not translated)."""
    text = translations(language).gettext(message)
    return text.format(**values) if values else text


def translate_plural(language: Language, singular: str, plural: str, count: int, /, **values: object) -> str:
    """The form for `count` in `language`: `translate_plural(lang, "{n} day", "{n} days", 30, n="30")`."""
    text = translations(language).ngettext(singular, plural, count)
    return text.format(**values) if values else text

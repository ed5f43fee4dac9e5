"""The languages the portal speaks and their gettext catalogs (`khalti_portal/locale/<lang>/LC_MESSAGES/messages.po`).

The message ids are the English text, so English needs no catalog. Each `.po` is compiled in memory the
first time it is asked for (Babel reads it, writes the `.mo` into a buffer, `gettext` reads that): an edited
`.po` needs no build step and no compiled file can be stale. A broken `.po` fails loudly at the first use.

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


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The language's catalog, compiled once per process; English is the message ids themselves."""
    if language is SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language.value)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out: a guess is not shown to people
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

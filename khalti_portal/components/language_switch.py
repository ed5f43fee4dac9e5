"""The header's language switch (`#language`); `<html lang>` and the page's title kept to the chosen language.

`rx.App(html_lang=...)` and `rx.page(title=...)` are fixed when the frontend is compiled, while the choice
is made at run time: a small effect sets both in the browser whenever the language changes.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex_base.components.component import field
from reflex_base.vars.base import Var

from khalti_portal.components.brand import asset_url
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import LANGUAGE_NAMES
from khalti_portal.states.language import STORAGE_KEY, LanguageState

SHOW_ANYWAY_AFTER_MS = 3000  # a page hidden for its language is shown after this, whatever happened

# Devanagari code points (and the joiners, the rupee sign and the dotted circle Nepali text uses).
DEVANAGARI_RANGE = "U+0900-097F, U+1CD0-1CFF, U+200C-200D, U+20A8, U+25CC, U+A830-A839, U+A8E0-A8FF"


# The Devanagari fonts phones and computers already have, tried before the shipped one is downloaded:
# Android and Linux (Noto, Lohit), Windows (Nirmala UI), macOS and iOS (Kohinoor, Devanagari Sangam).
LOCAL_DEVANAGARI = {
    "Regular": (
        "Noto Sans Devanagari",
        "NotoSansDevanagari-Regular",
        "Nirmala UI",
        "Kohinoor Devanagari",
        "Devanagari Sangam MN",
        "Lohit Devanagari",
    ),
    "Bold": (
        "Noto Sans Devanagari Bold",
        "NotoSansDevanagari-Bold",
        "Nirmala UI Bold",
        "Kohinoor Devanagari Bold",
        "Devanagari Sangam MN Bold",
    ),
}


def devanagari_font_css() -> str:
    """Nepali text in a Devanagari font on every machine, at no cost to a page read in English.

    The face is used only while `<html lang="ne">`, and covers only Devanagari (unicode-range): a page in
    English never asks for it. In Nepali the machine's own Devanagari font is used when it has one (`local`);
    the shipped Noto Sans Devanagari (~230 KB) is downloaded only when it has none, as on a server's
    headless Chromium.
    """
    faces = ""
    for weight, name in (("100 500", "Regular"), ("600 900", "Bold")):
        sources = ", ".join(f"local('{font}')" for font in LOCAL_DEVANAGARI[name])
        url = asset_url(f"fonts/NotoSansDevanagari-{name}.ttf")
        faces += (
            f"@font-face {{ font-family: 'Portal Devanagari'; font-weight: {weight}; font-display: swap;"
            f" src: {sources}, url('{url}') format('truetype'); unicode-range: {DEVANAGARI_RANGE}; }}\n"
        )
    stack = "'Portal Devanagari', -apple-system, BlinkMacSystemFont, 'Segoe UI (Custom)', Roboto, 'Helvetica Neue'"
    stack += ", 'Open Sans (Custom)', system-ui, sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji'"
    # A native select does not inherit the page's font: without the last rule its Nepali would need a system font.
    in_nepali = f"html[lang='ne'] .radix-themes {{ --default-font-family: {stack}; }}\n"
    return faces + in_nepali + ".language-select { font: inherit; }\n"


class BrowserEffects(rx.Fragment):
    """Nothing on screen: runs its `effects` (JavaScript statements with their Vars) when those Vars change."""

    effects: list = field(default_factory=list, is_javascript_property=False)

    def add_imports(self) -> dict:
        """React's useEffect, which the hooks below call."""
        return {"react": ["useEffect"]}

    def add_hooks(self) -> list[str | Var]:
        """One useEffect per effect, re-run when one of its Vars changes (their state contexts come along)."""
        return [
            Var(
                f"useEffect(() => {{ {code}; }}, [{', '.join(str(v) for v in deps)}]);",
                _var_data=Var.create(deps)._get_all_var_data(),
            )
            for code, deps in self.effects
        ]


def early_language() -> rx.Component:
    """In `<head>`: a browser that chose Nepali keeps the page hidden until it can be shown in Nepali.

    Pages are prerendered in English and the choice arrives with the socket's first answer, so without this
    a Nepali reader sees the English for a moment on every full page load. The script runs as the HTML is
    read, before anything is painted; `html_lang` shows the page once the state has arrived, and the page
    is shown after SHOW_ANYWAY_AFTER_MS whatever happened (no script, no socket). Written without quotes,
    `<` or `&`, which the prerendered HTML would escape.
    """
    root = "document.documentElement"
    return rx.el.script(
        f"try {{ if (window.localStorage.getItem(`{STORAGE_KEY}`) === `ne`) {{ {root}.lang = `ne`;"
        f" {root}.style.visibility = `hidden`;"
        f" setTimeout(function () {{ {root}.style.visibility = `` }}, {SHOW_ANYWAY_AFTER_MS}) }} }} catch (e) {{}}"
    )


def html_lang() -> rx.Component:
    """`<html lang="ne">` while the page is in Nepali: screen readers and browsers' translators read it so.

    Once the state has arrived the page is shown (`early_language` may have hidden it for its language).
    """
    lang, hydrated = LanguageState.html_lang, rx.State.is_hydrated
    show = f"if ({hydrated!s}) document.documentElement.style.visibility = ``"
    return BrowserEffects.create(effects=[(f"document.documentElement.lang = {lang!s}; {show}", [lang, hydrated])])


def document_title(title: str, site: str) -> rx.Component:
    """`योजनाहरू · Site` in the browser's tab: the page's title (an N_-marked msgid) in the chosen language."""
    shown = Var.create(t(title))
    return BrowserEffects.create(effects=[(f"document.title = {shown!s} + {json.dumps(' · ' + site)}", [shown])])


def language_switch() -> rx.Component:
    """A labelled native select: reachable by Tab, changed with the arrow keys, read out by screen readers."""
    return rx.hstack(
        html_lang(),
        rx.el.label(t("Language"), html_for="language", font_size="var(--font-size-2)"),
        rx.el.select(
            # Each language named in itself (and marked so), so a person finds theirs whatever the page is in.
            *[rx.el.option(name, value=code.value, lang=code.value) for code, name in LANGUAGE_NAMES.items()],
            id="language",
            value=LanguageState.html_lang,
            on_change=LanguageState.choose,
            class_name="language-select",
        ),
        rx.cond(
            LanguageState.problem != "",
            rx.text(LanguageState.problem, role="alert", size="1", color_scheme="red", id="language-problem"),
        ),
        spacing="2",
        align="center",
        on_mount=LanguageState.follow_account,
    )

"""The header's language switch (`#language`); `<html lang>` and the page's title kept to the chosen language.

`rx.App(html_lang=...)` and `rx.page(title=...)` are fixed when the frontend is compiled, while the choice
is made at run time: a small effect sets both in the browser whenever the language changes.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex_base.components.component import field
from reflex_base.vars.base import Var

from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import LANGUAGE_NAMES
from khalti_portal.states.language import LanguageState


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


def html_lang() -> rx.Component:
    """`<html lang="ne">` while the page is in Nepali: screen readers and browsers' translators read it so."""
    lang = LanguageState.html_lang
    return BrowserEffects.create(effects=[(f"document.documentElement.lang = {lang!s}", [lang])])


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

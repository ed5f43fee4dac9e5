"""The language a person reads the portal in: kept in the browser, and on the account while signed in.

Page text follows `language` in the browser (components/text.py compiles each string's translations into
the page); text a state builds on the server (prices, dates, errors) reads `language_for(state)`, and a
change of language re-runs the page's on_load so that text is built again in the new language.
"""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.state import OnLoadInternalState

from khalti_portal import accounts, reading_preferences
from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language, parse_language, translate
from khalti_portal.states.auth import AuthState

STORAGE_KEY = "khalti_portal_language"


def _account_language(session_token: str) -> tuple[int | None, Language | None]:
    user_id = accounts.session_user(session_token)
    return user_id, (reading_preferences.chosen_language(user_id) if user_id is not None else None)


class LanguageState(rx.State):
    """The header's switch and `<html lang>` read `language`; it is client-controlled, so always parsed."""

    # "" until the person chooses; any other value a browser sends is read as English (`current`).
    language: str = rx.LocalStorage("", name=STORAGE_KEY, sync=True)
    # Why the last choice was refused, in the language the page is in ("" when it was not).
    problem: str = ""
    # The session token whose account language was last brought into this browser: once per sign-in.
    _synced_token: str = ""

    def current(self) -> Language:
        """The language this tab shows, English for anything we do not speak."""
        return parse_language(self.language) or SOURCE_LANGUAGE

    @rx.var
    def html_lang(self) -> str:
        """`<html lang>`: what screen readers and browsers' translators read the page as."""
        return self.current().value

    @rx.event
    async def choose(self, raw: str) -> list | None:
        """The switch: show the page in `raw` (and remember it on the account when signed in)."""
        language = parse_language(raw)
        if language is None:
            self.problem = translate(self.current(), reading_preferences.LANGUAGE_PROBLEM)
            return None
        self.problem = ""
        if language.value == self.language:
            return None
        self.language = language.value
        auth = await self.get_state(AuthState)
        user_id = await auth._user_id_async()
        if user_id is not None:
            await asyncio.to_thread(reading_preferences.set_language, user_id, language.value)
        self._synced_token = auth.session_token
        return [OnLoadInternalState.on_load_internal]  # rebuild the text states wrote in the old language

    @rx.event
    async def follow_account(self) -> list | None:
        """On each page: a person who signed in here reads the language their account chose elsewhere.

        Once per session token, so a page view costs one look-up per sign-in, not one per page. A choice
        made in this browser before signing in is kept on an account that has none yet (its mails follow).
        """
        auth = await self.get_state(AuthState)
        if not auth.session_token or auth.session_token == self._synced_token:
            return None
        self._synced_token = auth.session_token
        user_id, chosen = await asyncio.to_thread(_account_language, auth.session_token)
        if user_id is None:
            return None
        if chosen is None:
            here = parse_language(self.language)
            if here is not None:
                await asyncio.to_thread(reading_preferences.set_language, user_id, here.value)
            return None
        if chosen.value == self.language:
            return None
        self.language = chosen.value
        return [OnLoadInternalState.on_load_internal]


async def chosen_here(state: rx.State) -> Language | None:
    """The language chosen in this browser, or None when the person never chose one (not English by default)."""
    return parse_language((await state.get_state(LanguageState)).language)


async def language_for(state: rx.State) -> Language:
    """The language of the tab `state` belongs to, for text a handler builds on the server."""
    return (await state.get_state(LanguageState)).current()

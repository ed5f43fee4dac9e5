"""`/unsubscribe`: a renewal reminder's link turns reminders off (no sign-in), and the page can turn them back on.

As on `/verify-email`, the link's token is read from the page's URL on the server at each call and never
kept in a var the browser is sent: the page shows only what the backend said, and whether reminders are on.
"""

from __future__ import annotations

import asyncio
import hashlib

import reflex as rx

from khalti_portal import mail_preferences
from khalti_portal.i18n.messages import in_every_language
from khalti_portal.mail_preferences import Preference
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for


class UnsubscribeState(AuthState):
    """What opening an unsubscribe link (and then, maybe, Turn reminders back on) did."""

    checked: bool = False  # the link was looked at: until then the page says it is working on it
    ok: bool = False
    # "on" / "off" once a link of ours has set them; "" when the link could not say whose reminders they are.
    reminders: str = ""
    message: str = ""
    # What the last call said in each language, a digest of its link and the language it was shown in:
    # switching language re-runs on_load, which then shows the same answer in the new language instead of
    # turning reminders off again (a reload in the same language still opens the link anew).
    _answers: dict[str, str] = {}
    _answered_for: str = ""
    _answered_in: str = ""

    def _token(self) -> str:
        token = self.router.url.query_parameters.get("token", "")
        return token if isinstance(token, str) else ""

    def _digest(self) -> str:
        return hashlib.sha256(self._token().encode()).hexdigest()

    async def _show(self, done: Preference) -> None:
        self._answers, self._answered_for = in_every_language(done.message), self._digest()
        self._answered_in = (await language_for(self)).value
        self.ok, self.message, self.checked = done.ok, self._answers[self._answered_in], True
        # A refused link changed nothing and names nobody: whether reminders are on is not ours to say then.
        self.reminders = ("on" if done.reminders_enabled else "off") if done.ok else ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Turn the link holder's renewal reminders off (opening the link again does no harm)."""
        if not self.is_hydrated:
            return UnsubscribeState.load
        language = (await language_for(self)).value
        if self.checked and self._answered_for == self._digest() and self._answered_in != language:
            self.message, self._answered_in = self._answers[language], language
            return None
        await self._show(await asyncio.to_thread(mail_preferences.unsubscribe, self._token()))
        return None

    @rx.event
    async def resubscribe(self) -> None:
        """Undo a mistaken click: the same link turns the reminders back on."""
        await self._show(await asyncio.to_thread(mail_preferences.resubscribe, self._token()))

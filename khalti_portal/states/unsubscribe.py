"""`/unsubscribe`: a renewal reminder's link turns reminders off (no sign-in), and the page can turn them back on.

As on `/verify-email`, the link's token is read from the page's URL on the server at each call and never
kept in a var the browser is sent: the page shows only what the backend said, and whether reminders are on.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from khalti_portal import mail_preferences
from khalti_portal.i18n.messages import shown
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

    def _token(self) -> str:
        token = self.router.url.query_parameters.get("token", "")
        return token if isinstance(token, str) else ""

    async def _show(self, done: Preference) -> None:
        self.ok, self.message, self.checked = done.ok, shown(done.message, await language_for(self)), True
        # A refused link changed nothing and names nobody: whether reminders are on is not ours to say then.
        self.reminders = ("on" if done.reminders_enabled else "off") if done.ok else ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Turn the link holder's renewal reminders off (opening the link again does no harm)."""
        if not self.is_hydrated:
            return UnsubscribeState.load
        await self._show(await asyncio.to_thread(mail_preferences.unsubscribe, self._token()))
        return None

    @rx.event
    async def resubscribe(self) -> None:
        """Undo a mistaken click: the same link turns the reminders back on."""
        await self._show(await asyncio.to_thread(mail_preferences.resubscribe, self._token()))

"""The one auth base every page state inherits: the tab's sign-in session, re-read from the database.

We keep reflex-local-auth's tables and password hashing but not its LocalAuthState, whose public
`authenticated_user` var sends a table row to the browser. Here the browser holds only its own
session token; who it belongs to is looked up on the server on every call.

Signing in or out empties every page state of the tab (`_forget_tab`): a reload hydrates whatever the
server still holds for the tab, so the next person at a shared computer would otherwise see the last
one's payments or an admin's audit trail.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import reflex as rx

from khalti_portal import accounts, routes

SESSION_STORAGE_KEY = "khalti_portal_session"
RECHECK = timedelta(minutes=1)  # how often the navigation bar re-reads an open tab's session
NAV_SHARED_FOR = timedelta(seconds=2)  # one page load's three navigation vars share one look-up


def _replace_session(old_token: str, user_id: int) -> str:
    accounts.end_session(old_token)
    return accounts.start_session(user_id)


class AuthState(rx.State):
    """Session token in localStorage (client-controlled, so only ever looked up, never trusted)."""

    session_token: str = rx.LocalStorage(name=SESSION_STORAGE_KEY)

    def _user_id(self) -> int | None:
        """The signed-in user's id, or None; every handler asks this instead of trusting the page gate."""
        return accounts.session_user(self.session_token)

    async def _user_id_async(self) -> int | None:
        """`_user_id`, with the database read in a worker thread so other tabs are not held up."""
        return await asyncio.to_thread(accounts.session_user, self.session_token)

    async def _login(self, user_id: int) -> None:
        """Replace this tab's session with a fresh one for `user_id`, on a tab emptied of the last one's data."""
        old_token = self.session_token
        await self._forget_tab()  # resets the token too
        self.session_token = await asyncio.to_thread(_replace_session, old_token, user_id)

    async def _forget_tab(self) -> None:
        """Reset every page state of this tab, and the session token with them.

        `reset()` only reaches substates loaded for the current event, and with Redis an event loads
        just its own state's branch (a sign-in on /login does not load the dashboard's state): so each
        state is loaded first. The list is walked from Reflex's state tree, so a new page is never missed.
        """
        for state_class in tab_state_classes():
            (await self.get_state(state_class)).reset()

    # The navigation bar's one session look-up, shared by its three vars below (one token, one page load).
    _nav_key: tuple[str, str] = ("", "")
    _nav_read_at: float = 0.0
    _nav_identity: accounts.Identity | None = None

    def _navigation_identity(self) -> accounts.Identity | None:
        # Every hydrate re-applies the token from localStorage, which recomputes all three vars: without
        # this, each page load cost five queries for what one answers. Shared within one page load only
        # (a full load opens a new socket, so a new session id) and only for a moment, so that coming back
        # from Khalti's page, however quickly, shows a session ended meanwhile (a reset, another device).
        now, key = time.time(), (self.session_token, self.router.session.session_id)
        if self._nav_key != key or not 0 <= now - self._nav_read_at < NAV_SHARED_FOR.total_seconds():
            self._nav_identity = accounts.session_identity(self.session_token)
            self._nav_key, self._nav_read_at = key, now
        return self._nav_identity

    @rx.var(cache=True, interval=RECHECK, initial_value=False, deps=["session_token"], auto_deps=False)
    def is_authenticated(self) -> bool:
        """Whether to show the signed-in navigation."""
        return self._navigation_identity() is not None

    @rx.var(cache=True, interval=RECHECK, initial_value=False, deps=["session_token"], auto_deps=False)
    def is_admin(self) -> bool:
        """Whether to show admin links; every admin handler checks again on the server."""
        identity = self._navigation_identity()
        return identity is not None and identity.is_admin

    @rx.var(cache=True, interval=RECHECK, initial_value="", deps=["session_token"], auto_deps=False)
    def username(self) -> str:
        """The signed-in user's name, for the navigation bar."""
        identity = self._navigation_identity()
        return identity.username if identity is not None else ""

    @rx.event
    async def sign_out(self) -> rx.event.EventSpec:
        """End the session everywhere, empty the tab, and go back to the catalog."""
        await asyncio.to_thread(accounts.end_session, self.session_token)
        await self._forget_tab()
        return rx.redirect(routes.CATALOG_ROUTE)


def tab_state_classes() -> list[type[rx.State]]:
    """AuthState and every state below it (each page's), parents first, from Reflex's registry of substates."""
    found: list[type[rx.State]] = []
    waiting: list[type[rx.State]] = [AuthState]
    while waiting:
        state_class = waiting.pop(0)
        found.append(state_class)
        waiting += sorted(state_class.get_substates(), key=lambda sub: sub.get_full_name())
    return found

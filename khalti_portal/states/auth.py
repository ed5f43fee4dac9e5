"""The one auth base every page state inherits: the tab's sign-in session, re-read from the database.

We keep reflex-local-auth's tables and password hashing but not its LocalAuthState, whose public
`authenticated_user` var sends a table row to the browser. Here the browser holds only its own
session token; who it belongs to is looked up on the server on every call.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import reflex as rx

from khalti_portal import accounts

SESSION_STORAGE_KEY = "khalti_portal_session"
RECHECK = timedelta(minutes=1)  # how often the navigation bar re-reads an open tab's session


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

    def _login(self, user_id: int) -> None:
        """Replace this tab's session with a fresh one for `user_id`."""
        accounts.end_session(self.session_token)
        self.session_token = accounts.start_session(user_id)

    async def _login_async(self, user_id: int) -> None:
        """`_login`, with the database writes in a worker thread."""
        self.session_token = await asyncio.to_thread(_replace_session, self.session_token, user_id)

    @rx.var(cache=True, interval=RECHECK, initial_value=False)
    def is_authenticated(self) -> bool:
        """Whether to show the signed-in navigation."""
        return accounts.session_user(self.session_token) is not None

    @rx.var(cache=True, interval=RECHECK, initial_value=False)
    def is_admin(self) -> bool:
        """Whether to show admin links; every admin handler checks again on the server."""
        return accounts.is_admin(accounts.session_user(self.session_token))

    @rx.var(cache=True, interval=RECHECK, initial_value="")
    def username(self) -> str:
        """The signed-in user's name, for the navigation bar."""
        user_id = accounts.session_user(self.session_token)
        return accounts.username_of(user_id) if user_id is not None else ""

    @rx.event
    def sign_out(self) -> rx.event.EventSpec:
        """End the session everywhere and go back to the catalog."""
        accounts.end_session(self.session_token)
        self.session_token = ""
        return rx.redirect("/")

"""The one auth base every page state inherits: who is signed in, and whether they are an admin."""

from __future__ import annotations

import reflex as rx
import reflex_local_auth
from sqlmodel import select

from khalti_portal.db.models import UserProfile
from khalti_portal.db.session import session_scope


class AuthState(reflex_local_auth.LocalAuthState):
    """Session user plus the admin role, re-read from the database when asked."""

    def _user_id(self) -> int | None:
        """The signed-in user's id, or None: handlers call this instead of trusting the page gate."""
        user = self.authenticated_user
        if user is None or user.id is None or user.id < 0:
            return None
        return int(user.id)

    def _is_admin(self) -> bool:
        """Re-read the role from the database (never cached from the browser)."""
        user_id = self._user_id()
        if user_id is None:
            return False
        with session_scope() as session:
            profile = session.exec(select(UserProfile).where(UserProfile.user_id == user_id)).first()
            return bool(profile and profile.is_admin)

    @rx.var(cache=True, initial_value=False)
    def is_admin(self) -> bool:
        """Whether to show admin links; every admin handler checks again on the server."""
        return self._is_admin()

    @rx.var(cache=True, initial_value="")
    def username(self) -> str:
        """The signed-in user's name, for the navigation bar."""
        user = self.authenticated_user
        return user.username if user is not None and user.id is not None and user.id >= 0 else ""

    @rx.event
    def sign_out(self) -> rx.event.EventSpec:
        """End the session and go back to the catalog."""
        self.do_logout()
        return rx.redirect("/")

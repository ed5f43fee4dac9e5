"""The admin guard every admin page state inherits: who is calling is re-read from the database on every call.

A page's on_load redirect only keeps honest browsers away; every public handler of an admin state starts
with `self._admin_id()` and, when it is None, does nothing it was asked and returns `self._refuse()`, which
empties the page's state first.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal import accounts, routes
from khalti_portal.states.auth import AuthState


class AdminState(AuthState):
    """Base of the admin pages' states (plans, payments)."""

    def _admin_id(self) -> int | None:
        """The signed-in admin's user id, or None.

        Re-reads on every call, never from a cached var: the session must still be live (signing out in
        another tab ends it) and `accounts.is_admin` must hold now (a demoted admin loses access at once).
        """
        user_id = self._user_id()  # the live session, from the database
        return user_id if user_id is not None and accounts.is_admin(user_id) else None

    def _refuse(self) -> rx.event.EventSpec:
        """Empty this page's state, then send the non-admin (signed out, or not an admin any more) to the catalog.

        Emptied first: what an admin opened here (payments, audit trails) must not wait in the tab's state
        for a reload to hydrate it again for whoever sits at this browser next.
        """
        self.reset()
        return rx.redirect(routes.CATALOG_ROUTE)

    @rx.event
    def guard(self) -> rx.event.EventSpec | None:
        """on_load: send anyone who is not an admin to the catalog."""
        if not self.is_hydrated:
            # on_load runs before hydration finishes; look again once it has.
            return AdminState.guard
        return self._refuse() if self._admin_id() is None else None

"""The admin guard every admin page state inherits: who is calling is re-read from the database on every call.

A page's on_load redirect only keeps honest browsers away. Every public handler of an admin state is
wrapped in `admin_only`: it re-reads who is calling and, for anyone but an admin, does nothing it was asked
and returns `_refuse()`, which empties the page's state first. A handler that writes an audit row names
its actor with `self._actor()`, the admin `admin_only` just checked.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import reflex as rx

from khalti_portal import accounts, reading_preferences, routes
from khalti_portal.i18n.dates import Calendar
from khalti_portal.states.auth import AuthState

H = TypeVar("H", bound=Callable[..., Any])

# The admin an `admin_only` handler runs for: set for the length of one call (a background task's included).
_acting_admin: ContextVar[int | None] = ContextVar("acting_admin", default=None)


@contextmanager
def _acting_as(admin_id: int) -> Iterator[None]:
    token = _acting_admin.set(admin_id)
    try:
        yield
    finally:
        _acting_admin.reset(token)


def admin_only(handler: H) -> H:
    """Run `handler` only for a signed-in admin, re-read now; anyone else is refused and the page emptied.

    Goes under `@rx.event` (`@rx.event(background=True)` for a background task). `functools.wraps` keeps
    the handler's name, signature and annotations, which Reflex reads for its arguments. A background
    task's check runs under the state lock (`async with self`), the handler's own blocks after it.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def checked_async(self: AdminState, *args: Any, **kwargs: Any) -> Any:
            async with self:
                admin_id = self._admin_id()
                if admin_id is None:
                    return self._refuse()
            with _acting_as(admin_id):
                return await handler(self, *args, **kwargs)

        return checked_async  # type: ignore[return-value]

    @functools.wraps(handler)
    def checked(self: AdminState, *args: Any, **kwargs: Any) -> Any:
        admin_id = self._admin_id()
        if admin_id is None:
            return self._refuse()
        with _acting_as(admin_id):
            return handler(self, *args, **kwargs)

    return checked  # type: ignore[return-value]


class AdminState(AuthState):
    """Base of the admin pages' states (plans, payments, mail)."""

    def _admin_id(self) -> int | None:
        """The signed-in admin's user id, or None.

        Re-reads on every call, never from a cached var: the session must still be live (signing out in
        another tab ends it) and `accounts.is_admin` must hold now (a demoted admin loses access at once).
        """
        user_id = self._user_id()  # the live session, from the database
        return user_id if user_id is not None and accounts.is_admin(user_id) else None

    def _actor(self) -> int:
        """The admin this `admin_only` call runs for: the actor its audit rows name."""
        admin_id = _acting_admin.get()
        if admin_id is None:
            raise RuntimeError("_actor() is only known inside an admin_only handler")
        return admin_id

    def _calendar(self) -> Calendar:
        """The calendar the acting admin reads dates in: their profile's choice, else the site's default."""
        return reading_preferences.calendar_of(_acting_admin.get())

    def _refuse(self) -> rx.event.EventSpec:
        """Empty this page's state, then send the non-admin (signed out, or not an admin any more) to the catalog.

        Emptied first: what an admin opened here (payments, audit trails) must not wait in the tab's state
        for a reload to hydrate it again for whoever sits at this browser next.
        """
        self.reset()
        return rx.redirect(routes.CATALOG_ROUTE)

    def _refusal(self) -> rx.event.EventSpec | None:
        """None while the caller is still an admin (re-read now); otherwise `_refuse()`.

        For the second look a background task takes after Khalti answered: the admin may have signed out
        or been demoted meanwhile, and then nothing more is shown.
        """
        return self._refuse() if self._admin_id() is None else None

    @rx.event
    def guard(self) -> rx.event.EventSpec | None:
        """on_load: send anyone who is not an admin to the catalog."""
        if not self.is_hydrated:
            # on_load runs before hydration finishes; look again once it has.
            return AdminState.guard
        return self._refusal()

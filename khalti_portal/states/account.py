"""Sign-up and sign-in over reflex-local-auth's session, with our password rules and throttling."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from khalti_portal import accounts, routes
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import shown
from khalti_portal.states.auth import AuthState
from khalti_portal.states.form_data import form_text
from khalti_portal.states.language import chosen_here, language_for

T = TypeVar("T")

PASSWORDS_DIFFER = N_("The two passwords differ.")

# bcrypt takes a core for a quarter of a second: sign-ins and sign-ups queue on a pool of their own, so
# a burst of them never fills the default pool that every page's database reads go through.
_PASSWORD_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="password-hashing")


async def off_the_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run password work (bcrypt plus its database reads and writes) on the password pool."""
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_POOL, functools.partial(fn, *args, **kwargs))


def safe_next(target: str) -> str:
    """Only a local path may be a post-sign-in destination (no `//host` or `https://` open redirect)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return routes.DASHBOARD_ROUTE
    # Control characters (a newline, a tab, DEL…) have no place in a path: browsers strip some, which
    # can turn `/\t/evil.example` into `//evil.example`.
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in target):
        return routes.DASHBOARD_ROUTE
    return target


def client_key(state: rx.State) -> str:
    """The caller's address as Reflex resolved it (through TRUSTED_PROXY_HOPS): what throttles count by.

    Never the client token, which the client chooses and can change at every request.
    """
    return state.router.session.client_ip or "unknown"


def login_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` (path and query) afterwards."""
    return f"{routes.LOGIN_ROUTE}?next={quote(next_path, safe='')}"


class RegisterState(AuthState):
    """The sign-up form."""

    error_message: str = ""
    error_field: str = ""

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Check the form on the server, create the account (bcrypt, off the event loop), sign in."""
        self.error_message, self.error_field = "", ""
        language = await language_for(self)
        username = form_text(form_data, "username", 64).strip()
        email = form_text(form_data, "email", 255).strip()
        password = form_text(form_data, "password", 256)
        confirm = form_text(form_data, "confirm_password", 256)
        problem = accounts.password_problem(password)
        if problem is None and password != confirm:
            problem = PASSWORDS_DIFFER
            self.error_field = "confirm_password"
        if problem is not None:
            self.error_message = shown(problem, language)
            self.error_field = self.error_field or "password"
            return rx.set_value("confirm_password", "")
        try:
            user_id = await off_the_loop(
                accounts.register,
                username,
                password,
                email=email,
                client_key=client_key(self),
                language=await chosen_here(self),  # the confirmation mail is written in it
            )
        except accounts.AccountError as err:
            self.error_message, self.error_field = err.text(language), err.field
            return None
        await self._login(user_id)
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))


class LoginState(AuthState):
    """The sign-in form; failures slow the client and the username down (1 s doubling to 60 s)."""

    error_message: str = ""

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Authenticate on the server (bcrypt, off the event loop), then go where the person was headed."""
        self.error_message = ""
        language = await language_for(self)
        username = form_text(form_data, "username", 255)
        password = form_text(form_data, "password", 256)
        if problem := accounts.password_problem(password):
            self.error_message = shown(problem, language)
            return rx.set_value("password", "")
        try:
            user_id = await off_the_loop(accounts.authenticate, username, password, client_key=client_key(self))
        except accounts.AccountError as err:
            self.error_message = err.text(language)
            return rx.set_value("password", "")
        await self._login(user_id)
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))

    @rx.event
    async def skip_if_signed_in(self) -> rx.event.EventSpec | None:
        """A signed-in visitor does not need the form."""
        if await self._user_id_async() is not None:
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))
        return None

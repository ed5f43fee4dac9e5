"""Sign-up and sign-in over reflex-local-auth's session, with our password rules and throttling."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import reflex as rx

from khalti_portal import accounts, routes
from khalti_portal.states.auth import AuthState
from khalti_portal.states.form_data import form_text


def safe_next(target: str) -> str:
    """Only a local path may be a post-sign-in destination (no `//host` or `https://` open redirect)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return routes.DASHBOARD_ROUTE
    return target


def login_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` (path and query) afterwards."""
    return f"{routes.LOGIN_ROUTE}?next={quote(next_path, safe='')}"


class RegisterState(AuthState):
    """The sign-up form."""

    error_message: str = ""
    error_field: str = ""

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Check the form on the server, create the account, sign in."""
        self.error_message, self.error_field = "", ""
        username = form_text(form_data, "username", 64).strip()
        password = form_text(form_data, "password", 256)
        confirm = form_text(form_data, "confirm_password", 256)
        problem = accounts.password_problem(password)
        if problem is None and password != confirm:
            problem = "The two passwords differ."
            self.error_field = "confirm_password"
        if problem is not None:
            self.error_message = problem
            self.error_field = self.error_field or "password"
            return rx.set_value("confirm_password", "")
        try:
            user_id = accounts.create_user(username, password)
        except accounts.AccountError as err:
            self.error_message, self.error_field = str(err), err.field
            return None
        await self._login(user_id)
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))


class LoginState(AuthState):
    """The sign-in form; five failures in 15 minutes lock a username or a client for 15 minutes."""

    error_message: str = ""

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Authenticate on the server, then go where the person was headed."""
        self.error_message = ""
        username = form_text(form_data, "username", 255)
        password = form_text(form_data, "password", 256)
        if problem := accounts.password_problem(password):
            self.error_message = problem
            return rx.set_value("password", "")
        client_key = self.router.session.client_ip or self.router.session.client_token or "unknown"
        try:
            user_id = accounts.authenticate(username, password, client_key=client_key)
        except accounts.AccountError as err:
            self.error_message = str(err)
            return rx.set_value("password", "")
        await self._login(user_id)
        return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))

    @rx.event
    def skip_if_signed_in(self) -> rx.event.EventSpec | None:
        """A signed-in visitor does not need the form."""
        if self._user_id() is not None:
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next", "")))
        return None

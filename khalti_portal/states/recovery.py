"""Getting back in: `/forgot-password`, `/reset-password` (a mailed link) and `/verify-email` (a mailed link).

The links' tokens are read from the page's URL on the server at each call, never kept in a var the
browser is sent; what a page shows is only the backend's sentence about the link.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import reflex as rx

from khalti_portal import accounts, password_reset, routes
from khalti_portal.account_email import verify_email
from khalti_portal.i18n.catalogs import translate
from khalti_portal.i18n.messages import in_every_language, shown
from khalti_portal.states.account import PASSWORDS_DIFFER, client_key, off_the_loop
from khalti_portal.states.auth import AuthState
from khalti_portal.states.form_data import form_text
from khalti_portal.states.language import language_for

# Above any address we accept (254), so an over-long one still reaches the backend and gets its answer.
EMAIL_READ_CHARS = 320
PASSWORD_READ_CHARS = 256  # above the 72-byte limit, so a long password is refused in words, not cut


class ForgotPasswordState(AuthState):
    """The request for a reset link: one sentence back, the same whether or not the address has an account."""

    answer: str = ""
    email_error: str = ""

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> None:
        """Ask for a link to be mailed (throttled per address and per client by the backend)."""
        self.answer, self.email_error = "", ""
        language = await language_for(self)
        email = form_text(form_data, "email", EMAIL_READ_CHARS, strip=True)
        if not email:
            self.email_error = translate(language, "Enter the email address on your account.")
            return
        answer = await asyncio.to_thread(password_reset.request_reset, email, client_key=client_key(self))
        self.answer = shown(answer, language)


class ResetPasswordState(AuthState):
    """A new password chosen with a mailed link; the person is then signed in with a fresh session."""

    checked: bool = False  # the link was looked at: until then neither the form nor a problem shows
    link_problem: str = ""
    errors: dict[str, str] = {}

    def _token(self) -> str:
        token = self.router.url.query_parameters.get("token", "")
        return token if isinstance(token, str) else ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Say at once whether the link still works, instead of after the person typed a password twice."""
        if not self.is_hydrated:
            return ResetPasswordState.load
        self.errors = {}
        problem = await asyncio.to_thread(password_reset.reset_link_problem, self._token())
        self.link_problem = shown(problem or "", await language_for(self))
        self.checked = True
        return None

    @rx.event
    async def submit(self, form_data: dict[str, Any]) -> list[rx.event.EventSpec]:
        """Check the two passwords agree, set the new one (bcrypt, off the event loop), sign in, go to the dashboard."""
        self.errors = {}
        language = await language_for(self)
        password = form_text(form_data, "password", PASSWORD_READ_CHARS)
        confirm = form_text(form_data, "confirm_password", PASSWORD_READ_CHARS)
        clear = [rx.set_value("password", ""), rx.set_value("confirm_password", "")]
        if problem := accounts.password_problem(password):
            self.errors = {"password": shown(problem, language)}
            return clear
        if password != confirm:
            self.errors = {"confirm_password": shown(PASSWORDS_DIFFER, language)}
            return [rx.set_value("confirm_password", "")]
        try:
            user_id = await off_the_loop(password_reset.reset_password, self._token(), password)
        except accounts.AccountError as err:
            if err.field == "token":
                self.link_problem, self.checked = err.text(language), True
            else:
                self.errors = {"password": err.text(language)}
            return clear
        await self._login(user_id)  # every other session of the account has just ended
        return [rx.redirect(routes.DASHBOARD_ROUTE)]


class VerifyEmailState(AuthState):
    """What opening an address confirmation link did."""

    checked: bool = False
    ok: bool = False
    message: str = ""
    # The answer in each language, a digest of its link and the language it was shown in: switching language
    # re-runs on_load, which shows the same answer in the new language (the link is spent: opening it again
    # would say so); a reload in the same language opens the link anew.
    _answers: dict[str, str] = {}
    _answered_for: str = ""
    _answered_in: str = ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Confirm the address the link was sent to (once); say what happened either way."""
        if not self.is_hydrated:
            return VerifyEmailState.load
        token = self.router.url.query_parameters.get("token", "")
        token = token if isinstance(token, str) else ""
        digest, language = hashlib.sha256(token.encode()).hexdigest(), (await language_for(self)).value
        if not (self.checked and self._answered_for == digest and self._answered_in != language):
            result = await asyncio.to_thread(verify_email, token)
            self.ok, self.checked = result.ok, True
            self._answers, self._answered_for = in_every_language(result.message), digest
        self.message, self._answered_in = self._answers[language], language
        return None

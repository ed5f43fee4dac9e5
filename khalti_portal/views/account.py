"""The sign-in and sign-up forms (our own, with labels: reflex-local-auth's stock ones have placeholders)."""

from __future__ import annotations

import reflex as rx

from khalti_portal import accounts
from khalti_portal.components.forms import error_callout, field
from khalti_portal.states.account import LoginState, RegisterState

PASSWORD_HINT = f"At least {accounts.MIN_PASSWORD_CHARS} characters, at most {accounts.MAX_PASSWORD_BYTES} bytes."


def login_form() -> rx.Component:
    """Username and password, then Sign in."""
    return rx.form(
        rx.vstack(
            error_callout(LoginState.error_message),
            field("Username", "username", autocomplete="username", required=True),
            field("Password", "password", type_="password", autocomplete="current-password", required=True),
            rx.button("Sign in", type="submit", id="sign-in", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
        width="100%",
    )


def register_form() -> rx.Component:
    """Username, email, password twice, then Create account."""
    return rx.form(
        rx.vstack(
            error_callout(RegisterState.error_message),
            field(
                "Username",
                "username",
                autocomplete="username",
                required=True,
                hint="3–32 letters, digits, dots, dashes or underscores.",
            ),
            field(
                "Email",
                "email",
                type_="email",
                autocomplete="email",
                required=True,
                hint="For receipts and reminders, and to get back in if you forget your password.",
            ),
            field(
                "Password", "password", type_="password", autocomplete="new-password", required=True, hint=PASSWORD_HINT
            ),
            field("Confirm password", "confirm_password", type_="password", autocomplete="new-password", required=True),
            rx.button("Create account", type="submit", id="register", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=RegisterState.submit,
        reset_on_submit=False,
        width="100%",
    )

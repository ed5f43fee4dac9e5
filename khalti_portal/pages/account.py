"""`/login` and `/register`: our own labelled forms."""

from __future__ import annotations

import reflex as rx

from khalti_portal import accounts, routes
from khalti_portal.components.forms import error_callout, field, form_card
from khalti_portal.components.layout import page
from khalti_portal.states.account import LoginState, RegisterState

PASSWORD_HINT = f"At least {accounts.MIN_PASSWORD_CHARS} characters, at most {accounts.MAX_PASSWORD_BYTES} bytes."


@page(routes.LOGIN_ROUTE, "Sign in", on_load=LoginState.skip_if_signed_in)
def login() -> rx.Component:
    return form_card(
        "Sign in",
        rx.form(
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
        ),
        rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER_ROUTE, id="to-register"), size="2"),
    )


@page(routes.REGISTER_ROUTE, "Create an account")
def register() -> rx.Component:
    return form_card(
        "Create an account",
        rx.form(
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
                    "Password",
                    "password",
                    type_="password",
                    autocomplete="new-password",
                    required=True,
                    hint=PASSWORD_HINT,
                ),
                field(
                    "Confirm password", "confirm_password", type_="password", autocomplete="new-password", required=True
                ),
                rx.button("Create account", type="submit", id="register", size="3", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=RegisterState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text("Have an account? ", rx.link("Sign in", href=routes.LOGIN_ROUTE, id="to-login"), size="2"),
    )

"""The sign-in and sign-up forms (our own, with labels: reflex-local-auth's stock ones have placeholders)."""

from __future__ import annotations

import reflex as rx

from khalti_portal import accounts
from khalti_portal.components.forms import error_callout, field
from khalti_portal.components.text import per_language, t
from khalti_portal.i18n.catalogs import translate
from khalti_portal.i18n.numbers import format_number
from khalti_portal.states.account import LoginState, RegisterState

PASSWORD_HINT = per_language(
    lambda language: translate(
        language,
        "At least {least} characters, at most {most} bytes.",
        least=format_number(accounts.MIN_PASSWORD_CHARS, language),
        most=format_number(accounts.MAX_PASSWORD_BYTES, language),
    )
)
USERNAME_HINT = per_language(
    lambda language: translate(
        language,
        "{least}–{most} letters, digits, dots, dashes or underscores.",
        least=format_number(3, language),
        most=format_number(32, language),
    )
)


def login_form() -> rx.Component:
    """Username and password, then Sign in; a refusal is about both, so both inputs are described by it."""
    login_error = {"error_id": "form-error", "invalid": LoginState.error_message != ""}
    return rx.form(
        rx.vstack(
            error_callout(LoginState.error_message),
            field(t("Username"), "username", autocomplete="username", required=True, **login_error),
            field(
                t("Password"),
                "password",
                type_="password",
                autocomplete="current-password",
                required=True,
                **login_error,
            ),
            rx.button(t("Sign in"), type="submit", id="sign-in", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
        width="100%",
    )


REGISTER_FIELDS = ("username", "email", "password", "confirm_password")


def register_error(name: str) -> rx.Component:
    """The sign-up's refusal, under the field it is about (`<name>-error`)."""
    return rx.cond(
        RegisterState.error_field == name,
        rx.text(
            RegisterState.error_message,
            id=f"{name}-error",
            class_name="field-error",
            size="2",
            color_scheme="red",
            role="alert",
        ),
    )


def register_form() -> rx.Component:
    """Username, email, password twice, then Create account; a refusal shows under its field (above, if none)."""
    return rx.form(
        rx.vstack(
            rx.cond(
                rx.Var.create(list(REGISTER_FIELDS)).contains(RegisterState.error_field),
                rx.fragment(),
                error_callout(RegisterState.error_message),
            ),
            field(
                t("Username"),
                "username",
                autocomplete="username",
                required=True,
                hint=USERNAME_HINT,
                error=register_error("username"),
                invalid=RegisterState.error_field == "username",
            ),
            field(
                t("Email"),
                "email",
                type_="email",
                autocomplete="email",
                required=True,
                hint=t("For receipts and reminders, and to get back in if you forget your password."),
                error=register_error("email"),
                invalid=RegisterState.error_field == "email",
            ),
            field(
                t("Password"),
                "password",
                type_="password",
                autocomplete="new-password",
                required=True,
                hint=PASSWORD_HINT,
                error=register_error("password"),
                invalid=RegisterState.error_field == "password",
            ),
            field(
                t("Confirm password"),
                "confirm_password",
                type_="password",
                autocomplete="new-password",
                required=True,
                error=register_error("confirm_password"),
                invalid=RegisterState.error_field == "confirm_password",
            ),
            rx.button(t("Create account"), type="submit", id="register", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=RegisterState.submit,
        reset_on_submit=False,
        width="100%",
    )

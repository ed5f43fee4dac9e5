"""The sections of `/forgot-password`, `/reset-password` and `/verify-email`: a form or what the link did."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import field, field_error
from khalti_portal.components.text import t
from khalti_portal.states.auth import AuthState
from khalti_portal.states.recovery import ForgotPasswordState, ResetPasswordState, VerifyEmailState
from khalti_portal.views.account import PASSWORD_HINT


def forgot_password_form() -> rx.Component:
    """The account's email address, then Send reset link; the answer is the same whoever asks."""
    email_error = rx.cond(
        ForgotPasswordState.email_error != "",
        rx.text(
            ForgotPasswordState.email_error,
            id="email-error",
            class_name="field-error",
            size="2",
            color_scheme="red",
            role="alert",
        ),
    )
    return rx.form(
        rx.vstack(
            rx.text(
                t(
                    "Enter the email address on your account. If it is confirmed, we mail it a link to choose a new "
                    "password."
                ),
                size="2",
                color_scheme="gray",
            ),
            field(
                t("Email"),
                "email",
                type_="email",
                autocomplete="email",
                required=True,
                error=email_error,
                invalid=ForgotPasswordState.email_error != "",
            ),
            rx.cond(
                ForgotPasswordState.answer != "",
                rx.callout(
                    ForgotPasswordState.answer, icon="mail", color_scheme="blue", role="status", id="reset-requested"
                ),
            ),
            rx.button(t("Send reset link"), type="submit", id="send-reset", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=ForgotPasswordState.submit,
        reset_on_submit=False,
        width="100%",
    )


def reset_link_problem() -> rx.Component:
    """Why the link cannot be used, and where to get a new one."""
    return rx.vstack(
        rx.callout(
            ResetPasswordState.link_problem,
            icon="triangle_alert",
            color_scheme="red",
            role="alert",
            id="reset-link-problem",
            width="100%",
        ),
        rx.link(t("Ask for a new link"), href=routes.FORGOT_PASSWORD_ROUTE, id="reset-ask-again"),
        spacing="3",
        width="100%",
    )


def reset_password_form() -> rx.Component:
    """The new password twice, then Set password."""
    errors = ResetPasswordState.errors
    return rx.form(
        rx.vstack(
            field(
                t("New password"),
                "password",
                type_="password",
                autocomplete="new-password",
                required=True,
                hint=PASSWORD_HINT,
                error=field_error(errors, "password", "password-error"),
                invalid=errors.contains("password"),
            ),
            field(
                t("Confirm new password"),
                "confirm_password",
                type_="password",
                autocomplete="new-password",
                required=True,
                error=field_error(errors, "confirm_password", "confirm_password-error"),
                invalid=errors.contains("confirm_password"),
            ),
            rx.button(t("Set password and sign in"), type="submit", id="set-password", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=ResetPasswordState.submit,
        reset_on_submit=False,
        width="100%",
    )


def reset_password_section() -> rx.Component:
    """Nothing until the link is checked; then its problem, or the form."""
    return rx.cond(
        ResetPasswordState.checked,
        rx.cond(ResetPasswordState.link_problem != "", reset_link_problem(), reset_password_form()),
        rx.text(t("Checking your link…"), size="2", color_scheme="gray", id="reset-checking"),
    )


def verify_email_result() -> rx.Component:
    """What the confirmation link did, and the way on: the dashboard when signed in, sign-in otherwise."""
    return rx.cond(
        VerifyEmailState.checked,
        rx.vstack(
            rx.callout.root(
                rx.callout.icon(rx.cond(VerifyEmailState.ok, rx.icon("check"), rx.icon("triangle_alert"))),
                rx.callout.text(VerifyEmailState.message),
                color_scheme=rx.cond(VerifyEmailState.ok, "green", "red"),
                role="status",
                id="verify-result",
                custom_attrs={"data-ok": rx.cond(VerifyEmailState.ok, "true", "false")},
                width="100%",
            ),
            rx.cond(
                AuthState.is_authenticated,
                rx.link(t("Go to your dashboard"), href=routes.DASHBOARD_ROUTE, id="verify-to-dashboard"),
                rx.link(t("Sign in"), href=routes.LOGIN_ROUTE, id="verify-to-sign-in"),
            ),
            spacing="3",
            width="100%",
        ),
        rx.text(t("Confirming your address…"), size="2", color_scheme="gray", id="verify-checking"),
    )

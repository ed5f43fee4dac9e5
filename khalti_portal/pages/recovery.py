"""`/forgot-password`, `/reset-password` and `/verify-email`: getting back in, open to anyone."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.recovery import ResetPasswordState, VerifyEmailState
from khalti_portal.views.recovery import forgot_password_form, reset_password_section, verify_email_result


@page(routes.FORGOT_PASSWORD_ROUTE, N_("Forgot your password"))
def forgot_password() -> rx.Component:
    return form_card(
        t("Forgot your password?"),
        forgot_password_form(),
        rx.text(
            t("Remembered it?"), " ", rx.link(t("Sign in"), href=routes.LOGIN_ROUTE, id="forgot-to-login"), size="2"
        ),
    )


@page(routes.RESET_PASSWORD_ROUTE, N_("Choose a new password"), on_load=ResetPasswordState.load)
def reset_password() -> rx.Component:
    return form_card(t("Choose a new password"), reset_password_section())


@page(routes.VERIFY_EMAIL_ROUTE, N_("Confirm your email address"), on_load=VerifyEmailState.load)
def verify_email() -> rx.Component:
    return form_card(t("Confirm your email address"), verify_email_result())

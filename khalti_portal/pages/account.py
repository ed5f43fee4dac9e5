"""`/login` and `/register`: our own labelled forms."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.states.account import LoginState
from khalti_portal.views.account import login_form, register_form


@page(routes.LOGIN_ROUTE, "Sign in", on_load=LoginState.skip_if_signed_in)
def login() -> rx.Component:
    return form_card(
        "Sign in",
        login_form(),
        rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD_ROUTE, id="forgot-password", size="2"),
        rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER_ROUTE, id="to-register"), size="2"),
    )


@page(routes.REGISTER_ROUTE, "Create an account")
def register() -> rx.Component:
    return form_card(
        "Create an account",
        register_form(),
        rx.text("Have an account? ", rx.link("Sign in", href=routes.LOGIN_ROUTE, id="to-login"), size="2"),
    )

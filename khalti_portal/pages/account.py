"""`/login` and `/register`: our own labelled forms."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.account import LoginState
from khalti_portal.views.account import login_form, register_form


@page(routes.LOGIN_ROUTE, N_("Sign in"), on_load=LoginState.skip_if_signed_in)
def login() -> rx.Component:
    return form_card(
        t("Sign in"),
        login_form(),
        rx.link(t("Forgot your password?"), href=routes.FORGOT_PASSWORD_ROUTE, id="forgot-password", size="2"),
        rx.text(
            t("New here?"), " ", rx.link(t("Create an account"), href=routes.REGISTER_ROUTE, id="to-register"), size="2"
        ),
    )


@page(routes.REGISTER_ROUTE, N_("Create an account"))
def register() -> rx.Component:
    return form_card(
        t("Create an account"),
        register_form(),
        rx.text(t("Have an account?"), " ", rx.link(t("Sign in"), href=routes.LOGIN_ROUTE, id="to-login"), size="2"),
    )

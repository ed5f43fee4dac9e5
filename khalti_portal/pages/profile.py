"""`/profile`: contact details passed to Khalti as customer_info, reminders, the calendar of dates, a new password."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.profile import ProfileState
from khalti_portal.views.profile import calendar_choice, change_password_form, profile_form, reminders_switch


@page(routes.PROFILE_ROUTE, N_("Your profile"), on_load=ProfileState.load)
def profile() -> rx.Component:
    return rx.vstack(
        form_card(
            t("Your profile"),
            rx.text(
                t("Optional. Khalti shows these on its payment page as the customer's details."),
                size="2",
                color_scheme="gray",
            ),
            profile_form(),
        ),
        form_card(t("Renewal reminders"), reminders_switch(), level=2),
        form_card(t("Dates"), calendar_choice(), level=2),
        form_card(
            t("Change password"),
            rx.text(t("Every other device signed in to your account is signed out."), size="2", color_scheme="gray"),
            change_password_form(),
            level=2,
        ),
        spacing="0",
        width="100%",
    )

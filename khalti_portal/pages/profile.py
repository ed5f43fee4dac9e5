"""`/profile`: optional contact details passed to Khalti as customer_info."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import form_card
from khalti_portal.components.layout import page
from khalti_portal.states.profile import ProfileState
from khalti_portal.views.profile import profile_form


@page(routes.PROFILE_ROUTE, "Your profile", on_load=ProfileState.load)
def profile() -> rx.Component:
    return form_card(
        "Your profile",
        rx.text(
            "Optional. Khalti shows these on its payment page as the customer's details.", size="2", color_scheme="gray"
        ),
        profile_form(),
    )

"""`/profile`: optional contact details passed to Khalti as customer_info."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import field, form_card
from khalti_portal.components.layout import page
from khalti_portal.states.profile import ProfileState

S = ProfileState


def field_error(name: str) -> rx.Component:
    return rx.cond(
        S.errors.contains(name), rx.text(S.errors[name], color_scheme="red", size="2", id=f"{name}-error", role="alert")
    )


@page(routes.PROFILE_ROUTE, "Your profile", on_load=ProfileState.load)
def profile() -> rx.Component:
    return form_card(
        "Your profile",
        rx.text(
            "Optional. Khalti shows these on its payment page as the customer's details.", size="2", color_scheme="gray"
        ),
        rx.form(
            rx.vstack(
                field("Name", "display_name", autocomplete="name", default_value=S.display_name, key=S.display_name),
                field_error("display_name"),
                field("Email", "email", type_="email", autocomplete="email", default_value=S.email, key=S.email),
                field_error("email"),
                field(
                    "Mobile number",
                    "phone",
                    type_="tel",
                    autocomplete="tel",
                    default_value=S.phone,
                    key=S.phone,
                    hint="10 digits, e.g. 9800000001",
                ),
                field_error("phone"),
                rx.cond(S.saved, rx.callout("Saved.", icon="check", color_scheme="green", id="profile-saved")),
                rx.button("Save", type="submit", id="profile-save", size="3", width="100%"),
                spacing="3",
                width="100%",
            ),
            on_submit=ProfileState.save,
            reset_on_submit=False,
            width="100%",
        ),
    )

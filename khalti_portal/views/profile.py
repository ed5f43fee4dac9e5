"""The profile form: optional name, email and mobile number, each with its error under it."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import field, field_error
from khalti_portal.states.profile import ProfileState as S


def contact_field(label: str, name: str, value: rx.Var[str], **props: object) -> rx.Component:
    """One labelled input filled from the saved profile (remounted when the saved value changes)."""
    error = field_error(S.errors, name, f"{name}-error")
    return field(label, name, default_value=value, key=value, error=error, **props)


def profile_form() -> rx.Component:
    """Name, email and mobile number, then Save."""
    return rx.form(
        rx.vstack(
            contact_field("Name", "display_name", S.display_name, autocomplete="name"),
            contact_field(
                "Email",
                "email",
                S.email,
                type_="email",
                autocomplete="email",
                hint="Payment confirmations are sent here.",
            ),
            contact_field(
                "Mobile number", "phone", S.phone, type_="tel", autocomplete="tel", hint="10 digits, e.g. 9800000001"
            ),
            rx.cond(S.saved, rx.callout("Saved.", icon="check", color_scheme="green", id="profile-saved")),
            rx.button("Save", type="submit", id="profile-save", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
    )

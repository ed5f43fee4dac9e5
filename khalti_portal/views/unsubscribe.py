"""The section of `/unsubscribe`: what the link did, Turn reminders back on, and the way to the account."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.text import t
from khalti_portal.states.unsubscribe import UnsubscribeState as S


def unsubscribe_result() -> rx.Component:
    """The backend's sentence, with `data-ok` and (for a link of ours) `data-reminders` on it."""
    return rx.callout.root(
        rx.callout.icon(rx.cond(S.ok, rx.icon("check"), rx.icon("triangle_alert"))),
        rx.callout.text(S.message),
        color_scheme=rx.cond(S.ok, "green", "red"),
        role="status",
        id="unsubscribe-result",
        custom_attrs={
            "data-ok": rx.cond(S.ok, "true", "false"),
            # Absent (not "") when the link named nobody: React leaves out an attribute whose value is null.
            "data-reminders": rx.cond(S.reminders != "", S.reminders, rx.Var.create(None)),
        },
        width="100%",
    )


def unsubscribe_section() -> rx.Component:
    """Nothing until the link is checked; then the result, the undo while reminders are off, and the links on."""
    return rx.cond(
        S.checked,
        rx.vstack(
            unsubscribe_result(),
            rx.cond(
                S.reminders == "off",
                rx.button(
                    t("Turn reminders back on"),
                    id="resubscribe",
                    on_click=S.resubscribe,
                    variant="soft",
                    size="3",
                    width="100%",
                ),
            ),
            rx.text(
                # TRANSLATORS: two sentences with a link each, so that each language may order its words.
                t("You can turn reminders on or off at any time on your profile."),
                " ",
                rx.link(t("Open your profile"), href=routes.PROFILE_ROUTE, id="unsubscribe-to-profile"),
                " · ",
                rx.link(t("Go to your dashboard"), href=routes.DASHBOARD_ROUTE, id="unsubscribe-to-dashboard"),
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        rx.text(t("Updating your reminders…"), size="2", color_scheme="gray", id="unsubscribe-checking"),
    )

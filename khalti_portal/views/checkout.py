"""The sections of `/checkout/[plan]`: the order with its Pay with Khalti button, or "not on sale"."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import error_callout
from khalti_portal.components.moments import moment_text
from khalti_portal.components.text import t
from khalti_portal.states.checkout import CheckoutState as S


def not_found() -> rx.Component:
    """The plan in the address is not on sale (or never was)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle_alert")),
        rx.callout.text(t("That plan is not on sale."), " ", rx.link(t("See the plans"), href=routes.CATALOG_ROUTE)),
        color_scheme="orange",
        id="not-found",
    )


def order_facts() -> rx.Component:
    """Amount, length of access, and when the period starts and ends."""
    return rx.data_list.root(
        rx.data_list.item(rx.data_list.label(t("Amount")), rx.data_list.value(S.card.price, id="order-amount")),
        rx.data_list.item(rx.data_list.label(t("Access")), rx.data_list.value(S.card.duration)),
        rx.data_list.item(
            rx.data_list.label(t("Starts")), rx.data_list.value(moment_text(S.period_starts), id="order-starts")
        ),
        rx.data_list.item(
            rx.data_list.label(t("Ends")), rx.data_list.value(moment_text(S.period_ends), id="order-ends")
        ),
        orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
    )


def order() -> rx.Component:
    """The order card and the button that sends the buyer to Khalti."""
    return rx.card(
        rx.vstack(
            rx.heading(rx.cond(S.renewing, t("Renew: {plan}", plan=S.card.name), S.card.name), size="6", as_="h2"),
            order_facts(),
            rx.cond(
                S.renewing,
                rx.text(
                    t("Your current access keeps running; this period starts when it ends."),
                    size="2",
                    color_scheme="gray",
                ),
            ),
            error_callout(S.error_message, "checkout-error"),
            rx.cond(S.reference != "", rx.text(t("Reference:"), " ", rx.code(S.reference), size="1")),
            rx.button(
                rx.cond(S.busy, t("Sending you to Khalti…"), t("Pay with Khalti")),
                id="pay-with-khalti",
                on_click=S.pay,
                loading=S.busy,
                disabled=S.busy,
                size="3",
                width="100%",
                color_scheme="purple",
            ),
            rx.text(t("You will pay on Khalti's own page and come back here."), size="1", color_scheme="gray"),
            spacing="4",
            width="100%",
        ),
        max_width="32rem",
        width="100%",
        size="3",
    )

"""`/checkout/[plan]`: the order and the Pay with Khalti button."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import error_callout
from khalti_portal.components.layout import page
from khalti_portal.states.checkout import CheckoutState


def not_found() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("circle_alert")),
        rx.callout.text("That plan is not on sale. ", rx.link("See the plans", href=routes.CATALOG_ROUTE)),
        color_scheme="orange",
        id="not-found",
    )


def order() -> rx.Component:
    s = CheckoutState
    return rx.card(
        rx.vstack(
            rx.heading(rx.cond(s.renewing, "Renew: ", ""), s.card.name, size="6"),
            rx.data_list.root(
                rx.data_list.item(rx.data_list.label("Amount"), rx.data_list.value(s.card.price, id="order-amount")),
                rx.data_list.item(rx.data_list.label("Access"), rx.data_list.value(s.card.duration)),
                rx.data_list.item(rx.data_list.label("Starts"), rx.data_list.value(s.period_starts, id="order-starts")),
                rx.data_list.item(rx.data_list.label("Ends"), rx.data_list.value(s.period_ends, id="order-ends")),
                orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
            ),
            rx.cond(
                s.renewing,
                rx.text(
                    "Your current access keeps running; this period starts when it ends.", size="2", color_scheme="gray"
                ),
            ),
            error_callout(s.error_message, "checkout-error"),
            rx.cond(s.reference != "", rx.text("Reference: ", rx.code(s.reference), size="1")),
            rx.button(
                rx.cond(s.busy, "Sending you to Khalti…", "Pay with Khalti"),
                id="pay-with-khalti",
                on_click=CheckoutState.pay,
                loading=s.busy,
                disabled=s.busy,
                size="3",
                width="100%",
                color_scheme="purple",
            ),
            rx.text("You will pay on Khalti's own page and come back here.", size="1", color_scheme="gray"),
            spacing="4",
            width="100%",
        ),
        max_width="32rem",
        width="100%",
        size="3",
    )


@page(routes.CHECKOUT_ROUTE, "Checkout", on_load=CheckoutState.load)
def checkout() -> rx.Component:
    return rx.vstack(
        rx.heading("Checkout", size="7"),
        rx.cond(CheckoutState.loaded, rx.cond(CheckoutState.found, order(), not_found()), rx.spinner()),
        spacing="4",
        width="100%",
    )

"""`/payment/return`: what happened to the payment, in words, with the next step."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.status import status_badge
from khalti_portal.states.payment_return import PaymentReturnState

S = PaymentReturnState

MESSAGES = {
    "verifying": ("Checking your payment with Khalti…", "This takes a moment."),
    "pending": (
        "Your payment is still being processed.",
        "We check with Khalti again by ourselves; you can also leave — it will be applied when it clears.",
    ),
    "completed": ("Payment received — thank you!", "Your subscription is active."),
    "canceled": ("You canceled the payment.", "Nothing was charged. You can try again whenever you like."),
    "expired": ("The payment link expired before it was paid.", "Nothing was charged. Start a new payment."),
    "failed": ("The payment did not go through.", "Nothing was charged. Please try again."),
    "flagged": (
        "We received a payment that needs a manual check.",
        "Our team will review it; quote the reference below if you contact us.",
    ),
    "refunded": ("This payment was refunded.", "It gives no access. Start a new payment to subscribe."),
    "not_found": ("We could not find this payment.", "If you paid, sign in with the account you paid from."),
    "created": ("Your payment was not started.", "Please try again."),
}


def next_step() -> rx.Component:
    return rx.match(
        S.status,
        (
            "completed",
            rx.link(rx.button("Go to your dashboard", size="3"), href=routes.DASHBOARD_ROUTE, id="to-dashboard"),
        ),
        (
            "pending",
            rx.link(
                rx.button("Go to your dashboard", variant="soft", size="3"),
                href=routes.DASHBOARD_ROUTE,
                id="to-dashboard",
            ),
        ),
        (
            "flagged",
            rx.link(
                rx.button("Go to your dashboard", variant="soft", size="3"),
                href=routes.DASHBOARD_ROUTE,
                id="to-dashboard",
            ),
        ),
        ("verifying", rx.spinner(size="3")),
        rx.link(rx.button("Choose a plan", size="3"), href=routes.CATALOG_ROUTE, id="try-again"),
    )


def outcome() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(
                    rx.match(S.status, *[(k, v[0]) for k, v in MESSAGES.items()], "Checking your payment…"), size="5"
                ),
                status_badge(S.status),
                justify="between",
                width="100%",
                wrap="wrap",
                gap="2",
            ),
            rx.text(rx.match(S.status, *[(k, v[1]) for k, v in MESSAGES.items()], ""), color_scheme="gray"),
            rx.cond(
                S.expires_display != "",
                rx.text("Your access now runs until ", rx.text.strong(S.expires_display), ".", id="return-expiry"),
            ),
            rx.cond(
                S.khalti_unreachable,
                rx.callout(
                    "Khalti is not answering right now; we keep checking and will apply your payment "
                    "as soon as it does.",
                    icon="info",
                    color_scheme="amber",
                ),
            ),
            rx.cond(S.reference != "", rx.text("Reference: ", rx.code(S.reference, id="payment-reference"), size="2")),
            next_step(),
            spacing="3",
            width="100%",
        ),
        id="payment-status",
        custom_attrs={"data-status": S.status},
        width="100%",
        max_width="36rem",
        size="3",
    )


def signed_out() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Sign in to see your payment", size="5"),
            rx.text("We are applying it to your account either way; sign in to see the result.", color_scheme="gray"),
            rx.link(rx.button("Sign in", size="3"), href=S.sign_in_href, id="return-sign-in"),
            spacing="3",
        ),
        max_width="36rem",
        size="3",
    )


@page(routes.RETURN_ROUTE, "Your payment", on_load=PaymentReturnState.load)
def payment_return() -> rx.Component:
    return rx.vstack(
        rx.heading("Your payment", size="7"),
        rx.cond(S.signed_out, signed_out(), outcome()),
        spacing="4",
        width="100%",
    )

"""The sections of `/payment/return`: what happened to the payment in words with the next step, or sign in."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.actions import link_button
from khalti_portal.components.moments import moment_text
from khalti_portal.components.status import status_badge
from khalti_portal.states.payment_return import PaymentReturnState as S

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


def to_dashboard(variant: str | None = None) -> rx.Component:
    """The way on once the payment is paid or in our hands."""
    return link_button("Go to your dashboard", routes.DASHBOARD_ROUTE, id="to-dashboard", variant=variant, size="3")


def next_step() -> rx.Component:
    """To the dashboard once paid or in hand, a spinner while checking, otherwise back to the plans."""
    return rx.match(
        S.status,
        ("completed", to_dashboard()),
        ("pending", "flagged", to_dashboard("soft")),
        ("verifying", rx.spinner(size="3")),
        link_button("Choose a plan", routes.CATALOG_ROUTE, id="try-again", size="3"),
    )


def outcome() -> rx.Component:
    """The payment's status in words, what it means, the new expiry and the reference to quote."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(
                    rx.match(S.status, *[(k, v[0]) for k, v in MESSAGES.items()], "Checking your payment…"),
                    size="5",
                    as_="h2",
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
                rx.text(
                    "Your access now runs until ",
                    rx.text.strong(moment_text(S.expires_display)),
                    ".",
                    id="return-expiry",
                ),
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
        # The outcome replaces "Checking…" while the page is open: screen readers hear it when it comes.
        custom_attrs={"data-status": S.status, "aria-live": "polite"},
        width="100%",
        max_width="36rem",
        size="3",
    )


def signed_out() -> rx.Component:
    """Someone came back from Khalti signed out: the payment is applied anyway; sign in to see it."""
    return rx.card(
        rx.vstack(
            rx.heading("Sign in to see your payment", size="5", as_="h2"),
            rx.text("We are applying it to your account either way; sign in to see the result.", color_scheme="gray"),
            link_button("Sign in", S.sign_in_href, id="return-sign-in", size="3"),
            spacing="3",
        ),
        max_width="36rem",
        size="3",
    )

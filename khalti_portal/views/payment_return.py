"""The sections of `/payment/return`: what happened to the payment in words with the next step, or sign in."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from khalti_portal import routes
from khalti_portal.components.actions import link_button
from khalti_portal.components.moments import moment_text
from khalti_portal.components.status import status_badge
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.payment_return import PaymentReturnState as S

# Marked for the catalog here, shown through t() below.
MESSAGES = {
    "verifying": (N_("Checking your payment with Khalti…"), N_("This takes a moment.")),
    "pending": (
        N_("Your payment is still being processed."),
        N_("We check with Khalti again by ourselves; you can also leave — it will be applied when it clears."),
    ),
    "completed": (N_("Payment received — thank you!"), N_("Your subscription is active.")),
    "canceled": (N_("You canceled the payment."), N_("Nothing was charged. You can try again whenever you like.")),
    "expired": (N_("The payment link expired before it was paid."), N_("Nothing was charged. Start a new payment.")),
    "failed": (N_("The payment did not go through."), N_("Nothing was charged. Please try again.")),
    "flagged": (
        N_("We received a payment that needs a manual check."),
        N_("Our team will review it; quote the reference below if you contact us."),
    ),
    "refunded": (N_("This payment was refunded."), N_("It gives no access. Start a new payment to subscribe.")),
    "not_found": (N_("We could not find this payment."), N_("If you paid, sign in with the account you paid from.")),
    "created": (N_("Your payment was not started."), N_("Please try again.")),
}


def around_date() -> tuple:
    """The new expiry, in bold, inside its sentence: the words before and after it differ by language."""
    # t() fills `{date}` with itself, so the translated sentence is split where the date goes.
    # TRANSLATORS: {date} is the new expiry, e.g. "13 Poush 2083 (28 Dec 2026), 9:08 AM NPT".
    parts = Var.create(t("Your access now runs until {date}.", date="{date}")).to(str).split("{date}")
    return parts[0], rx.text.strong(moment_text(S.expires_display)), parts[1]


def to_dashboard(variant: str | None = None) -> rx.Component:
    """The way on once the payment is paid or in our hands."""
    return link_button(t("Go to your dashboard"), routes.DASHBOARD_ROUTE, id="to-dashboard", variant=variant, size="3")


def next_step() -> rx.Component:
    """To the dashboard once paid or in hand, a spinner while checking, otherwise back to the plans."""
    return rx.match(
        S.status,
        ("completed", to_dashboard()),
        ("pending", "flagged", to_dashboard("soft")),
        ("verifying", rx.spinner(size="3")),
        link_button(t("Choose a plan"), routes.CATALOG_ROUTE, id="try-again", size="3"),
    )


def outcome() -> rx.Component:
    """The payment's status in words, what it means, the new expiry and the reference to quote."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(
                    rx.match(S.status, *[(k, t(v[0])) for k, v in MESSAGES.items()], t("Checking your payment…")),
                    size="5",
                    as_="h2",
                ),
                status_badge(S.status),
                justify="between",
                width="100%",
                wrap="wrap",
                gap="2",
            ),
            rx.text(rx.match(S.status, *[(k, t(v[1])) for k, v in MESSAGES.items()], ""), color_scheme="gray"),
            rx.cond(
                S.expires_display != "",
                rx.text(*around_date(), id="return-expiry"),
            ),
            rx.cond(
                S.khalti_unreachable,
                rx.callout(
                    t(
                        "Khalti is not answering right now; we keep checking and will apply your payment "
                        "as soon as it does."
                    ),
                    icon="info",
                    color_scheme="amber",
                ),
            ),
            rx.cond(
                S.reference != "", rx.text(t("Reference:"), " ", rx.code(S.reference, id="payment-reference"), size="2")
            ),
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
            rx.heading(t("Sign in to see your payment"), size="5", as_="h2"),
            rx.text(
                t("We are applying it to your account either way; sign in to see the result."), color_scheme="gray"
            ),
            link_button(t("Sign in"), S.sign_in_href, id="return-sign-in", size="3"),
            spacing="3",
        ),
        max_width="36rem",
        size="3",
    )

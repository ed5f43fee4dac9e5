"""`status_badge`: one mapping of payment, subscription and outbox statuses to words and colours."""

from __future__ import annotations

import reflex as rx

PAYMENT_COLOURS = {
    "completed": "green",
    "pending": "amber",
    "created": "gray",
    "verifying": "gray",
    "flagged": "orange",
    "canceled": "gray",
    "expired": "gray",
    "failed": "red",
    "refunded": "blue",
    "not_found": "gray",
}
SUBSCRIPTION_COLOURS = {"active": "green", "expiring": "amber", "grace": "orange", "expired": "red", "none": "gray"}
MAIL_COLOURS = {"queued": "amber", "sent": "green", "failed": "red"}


def status_badge(status: rx.Var[str], colours: dict[str, str] = PAYMENT_COLOURS) -> rx.Component:
    """A coloured badge with the status word."""
    return rx.badge(
        status,
        color_scheme=rx.match(status, *[(k, v) for k, v in colours.items()], "gray"),
        size="2",
        variant="soft",
    )

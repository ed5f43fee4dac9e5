"""`status_badge`: one mapping of payment, subscription and outbox statuses to words and colours."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_

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
# The word on the badge: in English the status itself (pages and tests read it so), in Nepali the catalog's.
# TRANSLATORS: a status on a badge, one or two words (a payment's, a subscription's or a mail's).
STATUS_WORDS = {
    "completed": N_("completed"),
    "pending": N_("pending"),
    "created": N_("created"),
    "verifying": N_("verifying"),
    "flagged": N_("flagged"),
    "canceled": N_("canceled"),
    "expired": N_("expired"),
    "failed": N_("failed"),
    "refunded": N_("refunded"),
    "not_found": N_("not_found"),
    "active": N_("active"),
    "expiring": N_("expiring"),
    "grace": N_("grace"),
    "none": N_("none"),
    "queued": N_("queued"),
    "sent": N_("sent"),
    "archived": N_("archived"),
}


def status_badge(status: rx.Var[str], colours: dict[str, str] = PAYMENT_COLOURS) -> rx.Component:
    """A coloured badge with the status word, in the reader's language (an unknown status as it is)."""
    return rx.badge(
        rx.match(status, *[(k, t(word)) for k, word in STATUS_WORDS.items()], status),
        color_scheme=rx.match(status, *[(k, v) for k, v in colours.items()], "gray"),
        size="2",
        variant="soft",
    )

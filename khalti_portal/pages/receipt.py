"""`/receipts/[number]`: an invoice or credit note as a page (printable on A4) with its PDF; owner or admin only."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.receipt import ReceiptState as S
from khalti_portal.views.receipt import document, not_found, print_stylesheet


@page(routes.RECEIPT_ROUTE, N_("Receipt"), on_load=S.load)
def receipt() -> rx.Component:
    return rx.vstack(
        print_stylesheet(),
        rx.cond(S.loaded, rx.cond(S.found, document(), not_found()), loading(t("Loading the receipt…"))),
        spacing="4",
        width="100%",
        max_width="48rem",
    )

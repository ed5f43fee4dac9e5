"""`/checkout/[plan]`: the order and the Pay with Khalti button."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import loading
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.checkout import CheckoutState as S
from khalti_portal.views.checkout import not_found, order


@page(routes.CHECKOUT_ROUTE, N_("Checkout"), on_load=S.load)
def checkout() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Checkout"), size="7"),
        rx.cond(S.loaded, rx.cond(S.found, order(), not_found()), loading(t("Loading the plan…"))),
        spacing="4",
        width="100%",
    )

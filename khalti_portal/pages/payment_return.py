"""`/payment/return`: what happened to the payment, in words, with the next step."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.payment_return import PaymentReturnState as S
from khalti_portal.views.payment_return import outcome, signed_out


@page(routes.RETURN_ROUTE, N_("Your payment"), on_load=S.load)
def payment_return() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Your payment"), size="7"),
        rx.cond(S.signed_out, signed_out(), outcome()),
        spacing="4",
        width="100%",
    )

"""`/`: the plan catalog; and what an address that is not ours shows (the way back to the catalog)."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.actions import link_button
from khalti_portal.components.layout import page
from khalti_portal.components.placeholders import empty_state
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.catalog import CatalogState as S
from khalti_portal.views.catalog import plan_card


@page(routes.CATALOG_ROUTE, N_("Plans"), on_load=S.load)
def catalog() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Choose your plan"), size="8"),
        rx.text(
            t("Pay securely with Khalti. Renew early and the new period starts when the current one ends."),
            color_scheme="gray",
        ),
        rx.cond(
            S.loaded & (S.cards.length() == 0),
            empty_state(t("No plans are on sale right now. Please check back soon."), id_="catalog-empty"),
        ),
        rx.grid(
            rx.foreach(S.cards, plan_card),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        id="catalog",
        spacing="4",
        width="100%",
    )


@page("404", N_("Page not found"))  # Reflex's route for any address no page has
def page_not_found() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Page not found"), size="7"),
        empty_state(
            t("There is no page at this address."),
            link_button(t("See the plans"), routes.CATALOG_ROUTE, id="not-found-to-catalog", size="3"),
            id_="page-not-found",
            icon="map",
        ),
        spacing="4",
        width="100%",
    )

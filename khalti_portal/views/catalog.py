"""The catalog's plan card: name, price, features and Subscribe (Renew on the buyer's own plan)."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.actions import link_button
from khalti_portal.components.text import t
from khalti_portal.states.catalog import CatalogState
from khalti_portal.states.views import PlanCard


def plan_card(card: PlanCard) -> rx.Component:
    """One plan on sale."""
    mine = CatalogState.my_plan_slug == card.slug
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(card.name, size="5", as_="h2"),
                rx.cond(mine, rx.badge(t("Your plan"), color_scheme="green", class_name="your-plan")),
                justify="between",
                width="100%",
                align="center",
            ),
            rx.text(card.description, color_scheme="gray", size="2", class_name="plan-description"),
            rx.hstack(
                rx.text(card.price, size="7", weight="bold", class_name="plan-price"),
                rx.text(t("for {duration}", duration=card.duration), size="2", color_scheme="gray"),
                align="baseline",
                spacing="2",
                wrap="wrap",
            ),
            rx.el.ul(
                rx.foreach(card.features, lambda f: rx.el.li(rx.text(f, size="2"))),
                padding_left="1.2rem",
                margin="0",
                list_style_type="disc",
            ),
            rx.spacer(),
            link_button(
                rx.cond(mine, t("Renew"), t("Subscribe")),
                routes.checkout_path(card.slug),  # a Var formats into the same path, built in the browser
                size="3",
                width="100%",
                class_name="subscribe",
            ),
            spacing="3",
            height="100%",
        ),
        custom_attrs={"data-plan-slug": card.slug},
        class_name="plan-card",
        size="3",
    )

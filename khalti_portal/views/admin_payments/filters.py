"""The bar over the payments list: status filter, search, refresh and the CSV download."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import labelled
from khalti_portal.states.admin_payments import STATUS_CHOICES
from khalti_portal.states.admin_payments import AdminPaymentsState as S


def status_filter() -> rx.Component:
    """Which statuses the list shows."""
    control = rx.select(STATUS_CHOICES, value=S.status_filter, on_change=S.filter_status, id="payment-status-filter")
    return labelled("Status", control, for_id="payment-status-filter", width=None)


def search_form() -> rx.Component:
    """Search by username, order id or pidx; Clear shows only while a search is on."""
    box = rx.input(
        id="payment-search",
        name="q",
        default_value=S.search_text,
        max_length=64,
        placeholder="username, order id or pidx",
        auto_complete="off",
        spell_check=False,
        width="100%",
    )
    return rx.form(
        rx.hstack(
            labelled("Search", box, for_id="payment-search", width="18rem", max_width="100%"),
            rx.button("Search", type="submit", id="payment-search-submit"),
            rx.cond(
                S.search_text != "",
                rx.button(
                    "Clear",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    id="payment-search-clear",
                    on_click=S.clear_search,
                ),
            ),
            align="end",
            spacing="2",
            wrap="wrap",
        ),
        on_submit=S.search,
        key=S.search_key,
        max_width="100%",
    )


def filter_bar() -> rx.Component:
    """Filter and search on the left, refresh and download on the right."""
    return rx.hstack(
        status_filter(),
        search_form(),
        rx.spacer(),
        rx.button("Refresh", variant="soft", on_click=S.refresh, id="payments-refresh"),
        rx.button(
            rx.icon("download", size=16), "Download CSV", variant="soft", on_click=S.download_csv, id="payments-csv"
        ),
        align="end",
        spacing="3",
        wrap="wrap",
        width="100%",
    )

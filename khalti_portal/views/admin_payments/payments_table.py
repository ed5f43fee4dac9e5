"""The payments list: one row per payment with its Details button, and the pager under it."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.data_table import pager as data_pager
from khalti_portal.components.placeholders import empty_state
from khalti_portal.components.status import status_badge
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_payment_views import PaymentRowView
from khalti_portal.states.admin_payments import AdminPaymentsState as S

HEADERS = (N_("Created"), N_("Order"), N_("User"), N_("Plan"), N_("Amount"), N_("Status"), N_("Actions"))


def payment_row(row: PaymentRowView) -> rx.Component:
    """One payment; Details opens it in the panel above the list."""
    return rx.table.row(
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(rx.code(row.purchase_order_id)),
        rx.table.cell(row.username),
        rx.table.cell(row.plan),
        rx.table.cell(row.amount, white_space="nowrap"),
        rx.table.cell(status_badge(row.status), class_name="payment-status"),
        rx.table.cell(
            rx.button(t("Details"), size="1", variant="soft", class_name="payment-open", on_click=S.open_detail(row.id))
        ),
        custom_attrs={"data-payment-id": row.id, "data-status": row.status},
        class_name="admin-payment-row",
    )


def payments_table() -> rx.Component:
    """The payments on the current page, or a line saying none match."""
    return rx.cond(
        S.rows.length() == 0,
        empty_state(
            rx.cond(S.search_text != "", t("No payments match the search."), t("No payments to show yet.")),
            rx.cond(
                S.search_text != "",
                rx.button(t("Clear the search"), variant="soft", on_click=S.clear_search, id="payments-empty-clear"),
            ),
            id_="admin-payments-empty",
        ),
        data_table(
            [t(header) for header in HEADERS], S.rows, payment_row, id_="admin-payments", label=t("Payments"), size="1"
        ),
    )


def pager() -> rx.Component:
    """Previous, where we are, Next; where we are is written on the server, in the admin's digits."""
    return data_pager(
        id_prefix="payments",
        page=S.page,
        pages=S.pages,
        go_to_page=S.go_to_page,
        summary=S.pager_words,
    )

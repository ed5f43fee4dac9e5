"""Periods already paid that start later, and the payment history (a table, or cards on a phone)."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.moments import moment_text
from khalti_portal.components.placeholders import empty_state
from khalti_portal.components.status import status_badge
from khalti_portal.components.text import t
from khalti_portal.states.dashboard import DashboardState as S
from khalti_portal.states.views import PaymentRow, PeriodRow


def upcoming_row(p: PeriodRow) -> rx.Component:
    """One period paid for in advance."""
    return rx.table.row(rx.table.cell(p.plan_name), rx.table.cell(p.starts), rx.table.cell(p.ends))


def upcoming() -> rx.Component:
    """Periods already paid that start later; nothing when there are none."""
    return rx.cond(
        S.upcoming.length() > 0,
        rx.vstack(
            rx.heading(t("Already paid, starting later"), size="4", as_="h2"),
            data_table(
                (t("Plan"), t("Starts"), t("Ends")),
                S.upcoming,
                upcoming_row,
                id_="upcoming-periods",
                label=t("Already paid"),
                size="2",
            ),
            width="100%",
        ),
    )


def receipt_link(p: PaymentRow) -> rx.Component:
    """A link to the payment's invoice; nothing while it has none (pending, failed)."""
    return rx.cond(p.receipt_href != "", rx.link(t("Receipt"), href=p.receipt_href, class_name="receipt-link"))


def payment_row(p: PaymentRow) -> rx.Component:
    """One payment as a table row."""
    return rx.table.row(
        rx.table.cell(p.date, white_space="nowrap"),
        rx.table.cell(p.plan_name),
        rx.table.cell(p.amount),
        rx.table.cell(status_badge(p.status)),
        rx.table.cell(rx.code(p.transaction_id), rx.text(p.reference, size="1", color_scheme="gray")),
        rx.table.cell(receipt_link(p)),
    )


def payment_card(p: PaymentRow) -> rx.Component:
    """One payment as a small card: a phone has no room for five columns."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(p.plan_name, weight="bold"), status_badge(p.status), justify="between", width="100%"),
            rx.hstack(
                rx.text(p.amount, white_space="nowrap"),
                # A long date (both calendars) wraps between day and time, at the right, leaving the amount whole.
                rx.text(moment_text(p.date), size="1", color_scheme="gray", text_align="right"),
                justify="between",
                width="100%",
                align="center",
            ),
            rx.cond(p.transaction_id != "", rx.text(t("Khalti:"), " ", rx.code(p.transaction_id), size="1")),
            rx.text(t("Reference:"), " ", p.reference, size="1", color_scheme="gray"),
            receipt_link(p),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="payment-card",
    )


def payment_history() -> rx.Component:
    """Every payment of the subscriber, or a line saying there are none yet."""
    return rx.cond(
        S.payments.length() > 0,
        rx.box(
            rx.tablet_and_desktop(
                data_table(
                    (t("Date"), t("Plan"), t("Amount"), t("Status"), t("Khalti transaction"), t("Receipt")),
                    S.payments,
                    payment_row,
                    id_="payment-history",
                    label=t("Your payments"),
                    size="2",
                ),
            ),
            rx.mobile_only(rx.vstack(rx.foreach(S.payments, payment_card), spacing="2", width="100%")),
            width="100%",
        ),
        empty_state(
            t("No payments yet. Once you pay for a plan, each payment shows here with its receipt."),
            id_="payment-history-empty",
            icon="receipt",
        ),
    )

"""`/dashboard`: when access ends, what is already paid, and the payment history."""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.layout import page
from khalti_portal.components.status import SUBSCRIPTION_COLOURS, status_badge
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.views import PaymentRow, PeriodRow

S = DashboardState

HEADLINES = {
    "active": "Your subscription is active",
    "expiring": "Your subscription ends soon",
    "grace": "Your subscription has ended — you are in the grace period",
    "expired": "Your subscription has expired",
    "none": "You have no subscription yet",
}


def summary() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.match(S.status, *HEADLINES.items(), ""), size="5"),
                status_badge(S.status, SUBSCRIPTION_COLOURS),
                justify="between",
                width="100%",
                wrap="wrap",
                gap="2",
            ),
            rx.cond(
                S.expires_iso != "",
                rx.vstack(
                    rx.text("Plan: ", rx.text.strong(S.plan_name)),
                    rx.text(
                        rx.cond(S.status == "expired", "Ended ", "Access until "),
                        rx.el.time(
                            S.expires_display,
                            date_time=S.expires_iso,
                            id="subscription-expiry",
                            custom_attrs={"data-expires-at": S.expires_iso},
                            font_weight="600",
                        ),
                    ),
                    rx.cond(
                        S.days_left > 0,
                        rx.text(
                            S.days_left,
                            rx.cond(S.days_left == 1, " day left", " days left"),
                            color_scheme="gray",
                            id="days-left",
                        ),
                    ),
                    spacing="1",
                ),
                rx.text("Pick a plan to get started.", color_scheme="gray"),
            ),
            rx.cond(S.rechecking, rx.text("Checking a pending payment with Khalti…", size="2", color_scheme="amber")),
            rx.link(
                rx.button(rx.cond(S.status == "none", "Choose a plan", "Renew"), size="3"),
                href=S.renew_href,
                id="renew",
            ),
            spacing="3",
            width="100%",
        ),
        id="subscription-status",
        custom_attrs={"data-status": S.status},
        width="100%",
        size="3",
    )


def upcoming_row(p: PeriodRow) -> rx.Component:
    return rx.table.row(rx.table.cell(p.plan_name), rx.table.cell(p.starts), rx.table.cell(p.ends))


def payment_row(p: PaymentRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p.date, white_space="nowrap"),
        rx.table.cell(p.plan_name),
        rx.table.cell(p.amount),
        rx.table.cell(status_badge(p.status)),
        rx.table.cell(rx.code(p.transaction_id), rx.text(p.reference, size="1", color_scheme="gray")),
    )


def payment_card(p: PaymentRow) -> rx.Component:
    """One payment as a small card: a phone has no room for five columns."""
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(p.plan_name, weight="bold"), status_badge(p.status), justify="between", width="100%"),
            rx.hstack(
                rx.text(p.amount),
                rx.text(p.date, size="1", color_scheme="gray"),
                justify="between",
                width="100%",
                align="center",
            ),
            rx.cond(p.transaction_id != "", rx.text("Khalti: ", rx.code(p.transaction_id), size="1")),
            rx.text("Reference: ", p.reference, size="1", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="payment-card",
    )


def table(headers: list[str], rows: rx.Component, id_: str) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rows),
            variant="surface",
            size="2",
            id=id_,
        ),
        overflow_x="auto",
        width="100%",
    )


@page(routes.DASHBOARD_ROUTE, "Dashboard", on_load=DashboardState.load)
def dashboard() -> rx.Component:
    return rx.vstack(
        rx.heading("Your subscription", size="7"),
        rx.cond(S.loaded, summary(), rx.spinner()),
        rx.cond(
            S.upcoming.length() > 0,
            rx.vstack(
                rx.heading("Already paid, starting later", size="4"),
                table(["Plan", "Starts", "Ends"], rx.foreach(S.upcoming, upcoming_row), "upcoming-periods"),
                width="100%",
            ),
        ),
        rx.heading("Payments", size="4"),
        rx.cond(
            S.payments.length() > 0,
            rx.box(
                rx.tablet_and_desktop(
                    table(
                        ["Date", "Plan", "Amount", "Status", "Khalti transaction"],
                        rx.foreach(S.payments, payment_row),
                        "payment-history",
                    ),
                ),
                rx.mobile_only(rx.vstack(rx.foreach(S.payments, payment_card), spacing="2", width="100%")),
                width="100%",
            ),
            rx.text("No payments yet.", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )

"""`/admin/payments`: figures, the payments list and one payment's detail, decisions, access by hand; admins only.

The list has a status filter, a search box, pages and a CSV download; the detail panel has Check now,
Refund (completed payments) or the flagged decisions, each confirmed in a dialog that asks for a reason.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.admin_nav import admin_nav
from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.layout import page
from khalti_portal.components.status import status_badge
from khalti_portal.states.admin_access import AdminAccessState
from khalti_portal.states.admin_payment_views import EventView, PaymentRowView
from khalti_portal.states.admin_payments import STATUS_CHOICES, AdminPaymentsState

S = AdminPaymentsState
REASON_HINT = "Required, at most 500 characters. Kept in the audit trail with your name."


# -- figures -------------------------------------------------------------------------------------------------


def figure(label: str, value: rx.Var, id_: str, hint: rx.Var | str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="6", weight="bold", class_name="figure-value"),
            rx.text(hint, size="1", color_scheme="gray") if isinstance(hint, rx.Var) or hint else rx.fragment(),
            spacing="1",
        ),
        id=id_,
        width="100%",
    )


def figures() -> rx.Component:
    f = S.figures
    return rx.grid(
        figure("Active subscribers", f.active, "figure-active", "grace period included"),
        figure("Revenue, " + f.month, f.revenue, "figure-revenue", f.gross + " paid − " + f.refunds + " refunded"),
        figure("Expiring in 7 days", f.expiring, "figure-expiring"),
        figure("Pending payments", f.pending, "figure-pending"),
        figure("Flagged payments", f.flagged, "figure-flagged", "an admin must decide"),
        columns=rx.breakpoints(initial="1", sm="2", md="5"),
        spacing="3",
        width="100%",
        id="admin-figures",
    )


# -- the list ------------------------------------------------------------------------------------------------


def filter_bar() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.el.label("Status", html_for="payment-status-filter", font_weight="500", font_size="0.9rem"),
            rx.select(STATUS_CHOICES, value=S.status_filter, on_change=S.filter_status, id="payment-status-filter"),
            spacing="1",
        ),
        rx.form(
            rx.hstack(
                rx.vstack(
                    rx.el.label("Search", html_for="payment-search", font_weight="500", font_size="0.9rem"),
                    rx.input(
                        id="payment-search",
                        name="q",
                        default_value=S.search_text,
                        max_length=64,
                        placeholder="username, order id or pidx",
                        auto_complete="off",
                        spell_check=False,
                        width="100%",
                    ),
                    spacing="1",
                    width="18rem",
                    max_width="100%",
                ),
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
        ),
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


def payment_row(row: PaymentRowView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(rx.code(row.purchase_order_id)),
        rx.table.cell(row.username),
        rx.table.cell(row.plan),
        rx.table.cell(row.amount, white_space="nowrap"),
        rx.table.cell(status_badge(row.status), class_name="payment-status"),
        rx.table.cell(
            rx.button("Details", size="1", variant="soft", class_name="payment-open", on_click=S.open_detail(row.id))
        ),
        custom_attrs={"data-payment-id": row.id, "data-status": row.status},
        class_name="admin-payment-row",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Previous",
            size="1",
            variant="soft",
            id="payments-prev",
            disabled=S.page <= 1,
            on_click=S.go_to_page(S.page - 1),
        ),
        rx.text("Page ", S.page, " of ", S.pages, " · ", S.total, " payment(s)", size="2", id="payments-page"),
        rx.button(
            "Next",
            size="1",
            variant="soft",
            id="payments-next",
            disabled=S.page >= S.pages,
            on_click=S.go_to_page(S.page + 1),
        ),
        align="center",
        spacing="3",
    )


def payments_table() -> rx.Component:
    return rx.cond(
        S.rows.length() == 0,
        rx.callout("No payments match.", icon="info", id="admin-payments-empty"),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(t)
                            for t in ("Created", "Order", "User", "Plan", "Amount", "Status", "")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(S.rows, payment_row)),
                id="admin-payments",
                width="100%",
                variant="surface",
                size="1",
            ),
            overflow_x="auto",
            width="100%",
        ),
    )


# -- one payment ---------------------------------------------------------------------------------------------


def confirm_dialog(
    trigger: str,
    trigger_id: str,
    title: rx.Var | str,
    description: rx.Var | str,
    confirm: str,
    on_submit: rx.EventHandler,
    colour: str,
) -> rx.Component:
    """A dialog asking for a reason before a decision; it stays open (saying why) until the reason is usable."""
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(trigger, size="2", color_scheme=colour, id=trigger_id, disabled=S.busy)),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="payment_id", value=S.detail.id),
                    rx.el.label("Reason", html_for=trigger_id + "-reason", font_weight="500"),
                    rx.text_area(id=trigger_id + "-reason", name="reason", max_length=500, rows="3", width="100%"),
                    rx.text(REASON_HINT, size="1", color_scheme="gray"),
                    error_callout(S.dialog_error, trigger_id + "-error"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button(
                            confirm, type="submit", color_scheme=colour, id=trigger_id + "-confirm", loading=S.busy
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                    margin_top="0.75rem",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
        ),
        key=S.dialog_key,  # a new key after the action ran remounts the dialog closed
    )


def detail_field(label: str, value: rx.Var, id_: str = "") -> rx.Component:
    return rx.cond(
        value.to(str) != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="9rem"),
            rx.text(value, size="2", id=id_ or None, word_break="break-all"),
            spacing="2",
            width="100%",
        ),
    )


def event_item(event: EventView) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(event.at, size="1", color_scheme="gray"),
            rx.badge(event.source, variant="outline", size="1"),
            rx.badge(event.kind, variant="soft", size="1"),
            rx.text(event.change, size="1"),
            rx.cond(event.actor != "", rx.text("by ", rx.text.strong(event.actor), size="1")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.cond(event.detail != "", rx.text(event.detail, size="2", white_space="pre-wrap")),
        rx.cond(
            event.khalti_json != "",
            rx.el.details(
                rx.el.summary("Khalti's answer", font_size="0.85rem", cursor="pointer"),
                rx.el.pre(event.khalti_json, font_size="0.8rem", overflow_x="auto", class_name="khalti-json"),
            ),
        ),
        class_name="payment-event",
        custom_attrs={"data-kind": event.kind},
        padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def decisions() -> rx.Component:
    d = S.detail
    return rx.hstack(
        rx.cond(
            d.checkable,
            rx.button(
                "Check now",
                size="2",
                variant="soft",
                id="payment-check-now",
                loading=S.busy,
                on_click=S.check_now(d.id),
            ),
        ),
        rx.cond(
            d.refundable,
            confirm_dialog(
                "Refund…",
                "payment-refund",
                "Refund " + d.amount + " to " + d.username + "?",
                "Khalti returns the full amount to the payer, and the access this payment bought ends now.",
                "Refund in full",
                S.refund,
                "red",
            ),
        ),
        rx.cond(
            d.flagged,
            rx.hstack(
                confirm_dialog(
                    "Accept and grant access…",
                    "payment-grant",
                    "Accept this flagged payment?",
                    "It becomes completed and " + d.username + " gets the access it would have bought.",
                    "Accept and grant",
                    S.resolve_grant,
                    "green",
                ),
                confirm_dialog(
                    "Refund…",
                    "payment-refund-flagged",
                    "Refund this flagged payment?",
                    "Khalti returns what was paid to the payer; no access is granted.",
                    "Refund",
                    S.resolve_refund,
                    "red",
                ),
                spacing="3",
            ),
        ),
        spacing="3",
        wrap="wrap",
    )


def detail_panel() -> rx.Component:
    d = S.detail
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Payment ", rx.code(d.purchase_order_id), size="4"),
                status_badge(d.status),
                rx.spacer(),
                rx.button(
                    "Close",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    id="payment-detail-close",
                    on_click=S.close_detail,
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            notice_callout(S.detail_notice, "payment-detail-notice"),
            error_callout(S.detail_error, "payment-detail-error"),
            rx.grid(
                rx.vstack(
                    detail_field("User", d.username + " (#" + d.user_id.to(str) + ")"),
                    detail_field("Plan", d.plan),
                    detail_field("Amount", d.amount, "payment-detail-amount"),
                    detail_field("Khalti fee", d.fee),
                    detail_field("pidx", d.pidx, "payment-detail-pidx"),
                    detail_field("Transaction", d.transaction_id, "payment-detail-transaction"),
                    detail_field("Access", d.period, "payment-detail-period"),
                    detail_field("Why", d.failure_reason, "payment-detail-reason"),
                    spacing="1",
                    width="100%",
                ),
                rx.vstack(
                    detail_field("Created", d.created),
                    detail_field("Updated", d.updated),
                    detail_field("Completed", d.completed),
                    detail_field("Refunded", d.refunded),
                    detail_field("Link expires", d.link_expires),
                    detail_field("Lookups", d.checks),
                    detail_field("Next check", d.next_check),
                    spacing="1",
                    width="100%",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            decisions(),
            rx.cond(
                d.last_lookup_json != "",
                rx.vstack(
                    rx.heading("Last lookup", size="3"),
                    rx.el.pre(
                        d.last_lookup_json,
                        id="payment-last-lookup",
                        font_size="0.8rem",
                        overflow_x="auto",
                        width="100%",
                    ),
                    width="100%",
                ),
            ),
            rx.heading("Audit trail", size="3"),
            rx.box(rx.foreach(d.events, event_item), id="payment-events", width="100%"),
            spacing="3",
            width="100%",
        ),
        id="payment-detail",
        custom_attrs={"data-payment-id": d.id, "data-status": d.status},
        width="100%",
        size="3",
    )


# -- access by hand ------------------------------------------------------------------------------------------


def manual_access() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Access by hand", size="4"),
            rx.text(
                "Grant: N days from when the user's access ends (or now). Extend: the same, keeping their "
                "plan's name. Revoke: ends all their access now, grace included; it refunds nothing.",
                size="2",
                color_scheme="gray",
            ),
            notice_callout(AdminAccessState.manual_notice, "manual-notice"),
            error_callout(AdminAccessState.manual_error, "manual-error"),
            rx.form(
                rx.vstack(
                    rx.grid(
                        rx.vstack(
                            rx.el.label("Action", html_for="manual-action", font_weight="500"),
                            rx.select(
                                ["grant", "extend", "revoke"], name="action", default_value="grant", id="manual-action"
                            ),
                            spacing="1",
                        ),
                        rx.vstack(
                            rx.el.label("User", html_for="manual-user", font_weight="500"),
                            rx.input(
                                id="manual-user",
                                name="user",
                                max_length=255,
                                placeholder="username or #id",
                                auto_complete="off",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        rx.vstack(
                            rx.el.label("Days (grant, extend)", html_for="manual-days", font_weight="500"),
                            rx.input(
                                id="manual-days",
                                name="days",
                                input_mode="numeric",
                                max_length=4,
                                auto_complete="off",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        columns=rx.breakpoints(initial="1", sm="3"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.el.label("Reason", html_for="manual-reason", font_weight="500"),
                    rx.text_area(id="manual-reason", name="reason", max_length=500, rows="2", width="100%"),
                    rx.text(REASON_HINT, size="1", color_scheme="gray"),
                    rx.button("Apply", type="submit", id="manual-submit"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=AdminAccessState.manual_action,
                key=AdminAccessState.manual_key,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        id="manual-access",
        width="100%",
    )


@page(routes.ADMIN_PAYMENTS_ROUTE, "Admin: payments", on_load=AdminPaymentsState.load)
def admin_payments() -> rx.Component:
    return rx.vstack(
        admin_nav(routes.ADMIN_PAYMENTS_ROUTE),
        rx.heading("Payments", size="7"),
        rx.cond(
            S.loaded,
            rx.vstack(
                figures(),
                notice_callout(S.notice, "admin-notice"),
                error_callout(S.error_message, "admin-error"),
                rx.cond(S.detail_open, detail_panel()),
                filter_bar(),
                payments_table(),
                pager(),
                manual_access(),
                spacing="4",
                width="100%",
            ),
            rx.spinner(),
        ),
        spacing="4",
        width="100%",
    )

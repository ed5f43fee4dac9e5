"""The open payment's panel: its header, what is known about it, the decisions, the last lookup, the audit trail."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import error_callout, notice_callout
from khalti_portal.components.status import status_badge
from khalti_portal.components.text import t
from khalti_portal.states.admin_payments import AdminPaymentsState as S
from khalti_portal.views.admin_payments.audit_trail import audit_trail
from khalti_portal.views.admin_payments.decisions import decisions


def detail_field(label: rx.Var | str, value: rx.Var, id_: str = "") -> rx.Component:
    """One label and value; nothing at all when the value is empty."""
    return rx.cond(
        value.to(str) != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="9rem"),
            rx.text(value, size="2", id=id_ or None, word_break="break-all"),
            spacing="2",
            width="100%",
        ),
    )


def detail_header() -> rx.Component:
    """The order id, its status, and Close."""
    d = S.detail
    return rx.hstack(
        rx.heading(t("Payment"), " ", rx.code(d.purchase_order_id), size="4", as_="h2"),
        status_badge(d.status),
        rx.spacer(),
        rx.button(
            t("Close"),
            size="1",
            variant="soft",
            color_scheme="gray",
            id="payment-detail-close",
            on_click=S.close_detail,
        ),
        align="center",
        width="100%",
        wrap="wrap",
    )


def payment_facts() -> rx.Component:
    """Who paid what for which plan, Khalti's ids, the access it bought and why it failed."""
    d = S.detail
    return rx.vstack(
        detail_field(t("User"), d.username + " (#" + d.user_id.to(str) + ")"),
        detail_field(t("Plan"), d.plan),
        detail_field(t("Amount"), d.amount, "payment-detail-amount"),
        detail_field(t("Khalti fee"), d.fee),
        detail_field("pidx", d.pidx, "payment-detail-pidx"),
        detail_field(t("Transaction"), d.transaction_id, "payment-detail-transaction"),
        detail_field(t("Access"), d.period, "payment-detail-period"),
        detail_field(t("Why"), d.failure_reason, "payment-detail-reason"),
        document_link(t("Invoice"), d.invoice_number, d.invoice_href, "payment-detail-invoice"),
        document_link(t("Credit note"), d.credit_note_number, d.credit_note_href, "payment-detail-credit-note"),
        spacing="1",
        width="100%",
    )


def document_link(label: rx.Var | str, number: rx.Var, href: rx.Var, id_: str) -> rx.Component:
    """A link to one of the payment's documents (invoice, credit note); nothing when it has none."""
    return rx.cond(
        href != "",
        rx.hstack(
            rx.text(label, size="2", color_scheme="gray", min_width="9rem"),
            rx.link(number, href=href, id=id_, size="2"),
            spacing="2",
            width="100%",
        ),
    )


def payment_times() -> rx.Component:
    """When it was created, changed, completed or refunded, and how often we asked Khalti about it."""
    d = S.detail
    return rx.vstack(
        detail_field(t("Created"), d.created),
        detail_field(t("Updated"), d.updated),
        detail_field(t("Completed"), d.completed),
        detail_field(t("Refunded"), d.refunded),
        detail_field(t("Link expires"), d.link_expires),
        detail_field(t("Lookups"), d.checks),
        detail_field(t("Next check"), d.next_check),
        spacing="1",
        width="100%",
    )


def last_lookup() -> rx.Component:
    """Khalti's last lookup answer as it came, when there is one."""
    d = S.detail
    return rx.cond(
        d.last_lookup_json != "",
        rx.vstack(
            rx.heading(t("Last lookup"), size="3", as_="h3"),
            rx.el.pre(
                d.last_lookup_json,
                id="payment-last-lookup",
                class_name="scroll-region",
                tab_index=0,  # it scrolls sideways on a phone: the keyboard must reach it
                custom_attrs={"role": "region", "aria-label": t("Last lookup")},
                font_size="0.8rem",
                width="100%",
            ),
            width="100%",
        ),
    )


def detail_panel() -> rx.Component:
    """The open payment, above the list."""
    d = S.detail
    return rx.card(
        rx.vstack(
            detail_header(),
            notice_callout(S.detail_notice, "payment-detail-notice"),
            error_callout(S.detail_error, "payment-detail-error"),
            rx.grid(
                payment_facts(),
                payment_times(),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            decisions(),
            last_lookup(),
            audit_trail(),
            spacing="3",
            width="100%",
        ),
        id="payment-detail",
        custom_attrs={"data-payment-id": d.id, "data-status": d.status},
        width="100%",
        size="3",
    )

"""The sections of `/receipts/[number]`: the document (header, parties, what was bought, amounts), or not found.

Labels go through `t` (the same words the PDF writes with `translate`); title, amounts and dates come from the
state, written on the server in the reader's language.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal import routes
from khalti_portal.components.forms import error_callout
from khalti_portal.components.text import t
from khalti_portal.states.receipt import ReceiptState as S

# Browser print gives the document alone on A4: no navigation, banners, buttons or toasts.
PRINT_CSS = """
@media print {
  @page { size: A4; margin: 15mm; }
  .site-nav, .mode-banner, .no-print, button, [data-sonner-toaster] { display: none !important; }
  main { max-width: none !important; padding: 0 !important; margin: 0 !important; }
  #receipt { box-shadow: none !important; border: none !important; }
}
"""


def print_stylesheet() -> rx.Component:
    """The `@media print` rules, placed in the page itself (the shared layout has no per-page head)."""
    return rx.el.style(PRINT_CSS)


def not_found() -> rx.Component:
    """No such document, or not the caller's: the same words, so numbers cannot be probed."""
    return rx.vstack(
        rx.heading(t("Receipt not found"), size="7", as_="h1"),
        rx.callout.root(
            rx.callout.icon(rx.icon("circle_alert")),
            rx.callout.text(
                t("We cannot find that receipt in your account."),
                " ",
                rx.link(t("See your payments"), href=routes.DASHBOARD_ROUTE),
            ),
            color_scheme="orange",
            id="not-found",
        ),
        spacing="4",
        width="100%",
    )


def line(label: rx.Var | str, value: rx.Var, id_: str = "") -> rx.Component:
    """One label and value; nothing when the value is empty (a buyer without a PAN, say)."""
    return rx.cond(
        value != "",
        rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value, id=id_ or None)),
    )


def header() -> rx.Component:
    """The test marker, the title, the merchant, and the number with its dates."""
    r = S.receipt
    return rx.vstack(
        rx.cond(
            r.test_marker != "",
            rx.callout.root(
                rx.callout.text(r.test_marker, weight="bold"),
                color_scheme="amber",
                id="receipt-test-marker",
                width="100%",
            ),
        ),
        rx.heading(r.title, size="7", as_="h1", id="receipt-title"),
        rx.text(r.merchant_name, weight="bold", size="4", id="receipt-merchant"),
        rx.cond(r.merchant_address != "", rx.text(r.merchant_address, size="2", id="receipt-merchant-address")),
        rx.cond(
            r.merchant_pan != "", rx.text(t("PAN: {pan}", pan=r.merchant_pan), size="2", id="receipt-merchant-pan")
        ),
        spacing="1",
        width="100%",
    )


def facts() -> rx.Component:
    """Number, dates, buyer, plan, period and Khalti's ids."""
    r = S.receipt
    return rx.data_list.root(
        rx.data_list.item(rx.data_list.label(t("Number")), rx.data_list.value(r.number, id="receipt-number")),
        line(t("Reverses invoice"), r.reverses_number, "receipt-reverses"),
        line(t("Date (BS)"), r.issued_bs, "receipt-issued-bs"),
        line(t("Date (AD)"), r.issued_ad, "receipt-issued-ad"),
        line(t("Billed to"), r.buyer_name, "receipt-buyer"),
        line(t("Buyer's PAN"), r.buyer_pan, "receipt-buyer-pan"),
        line(t("Plan"), r.plan_name, "receipt-plan"),
        line(t("Access"), r.duration),
        line(t("Period from"), r.period_from, "receipt-period-from"),
        line(t("Period to"), r.period_to, "receipt-period-to"),
        line(t("Khalti transaction"), r.transaction_id, "receipt-transaction"),
        line(t("Order reference"), r.order, "receipt-order"),
        orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
    )


def amounts() -> rx.Component:
    """Taxable amount and VAT (when VAT is charged), the total, and the total in words."""
    r = S.receipt
    has_vat = (r.vat_paisa != 0) | (r.vat_rate_percent != 0)
    return rx.vstack(
        rx.cond(
            has_vat,
            rx.hstack(
                rx.text(t("Taxable amount")), rx.spacer(), rx.text(r.taxable_text, id="receipt-taxable"), width="100%"
            ),
        ),
        rx.hstack(
            rx.text(r.vat_label),
            rx.spacer(),
            rx.text(r.vat_text),
            id="receipt-vat",
            custom_attrs={"data-paisa": r.vat_paisa},
            display=rx.cond(has_vat, "flex", "none"),
            width="100%",
        ),
        rx.hstack(
            rx.text(t("Total"), weight="bold"),
            rx.spacer(),
            rx.text(r.total_text, weight="bold"),
            id="receipt-total",
            custom_attrs={"data-paisa": r.total_paisa},
            width="100%",
        ),
        rx.cond(
            r.total_words != "", rx.text(t("In words: {words}", words=r.total_words), size="2", id="receipt-words")
        ),
        spacing="2",
        width="100%",
        border_top=f"1px solid {rx.color('gray', 6)}",
        padding_top="0.75rem",
    )


def document() -> rx.Component:
    """The whole document, then the PDF button (not printed)."""
    return rx.vstack(
        rx.card(
            rx.vstack(header(), facts(), amounts(), spacing="4", width="100%"),
            id="receipt",
            custom_attrs={"data-kind": rx.cond(S.receipt.is_credit_note, "credit_note", "invoice")},
            width="100%",
            size="3",
        ),
        rx.hstack(
            rx.button(t("Download PDF"), id="download-pdf", on_click=S.download_pdf, variant="soft"),
            rx.text(t("Or print this page: only the document is printed."), size="1", color_scheme="gray"),
            class_name="no-print",
            align="center",
            wrap="wrap",
        ),
        error_callout(S.pdf_error, "pdf-error"),
        spacing="3",
        width="100%",
    )

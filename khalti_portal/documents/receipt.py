"""A stored invoice or credit note as the document shows it (`receipt_view`), and who may open one (`find_for`).

Everything comes from the `Invoice` row as issued (its amounts and its `details`), never from the live
payment, plan or profile: an invoice says the same however often it is drawn. Only the calendar the period
is written in is the reader's (drawn from the stored instants); the date of issue shows in BS and AD to all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from khalti_portal.billing.money import format_rupees
from khalti_portal.db.models import Invoice
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar

CREDIT_NOTE = "credit_note"
TEST_MARKER = "TEST — not valid for tax"
# The URL form of a number (`2083-84-000123`, `CN-...`, `TEST-...`); anything else is not looked up at all.
SLUG_RE = re.compile(r"^(TEST-)?(CN-)?\d{4}-\d{2}-\d{6}$", re.ASCII)


@dataclass(frozen=True)
class ReceiptView:
    """One document as text to show (HTML or PDF), with its amounts in paisa for `data-paisa`."""

    number: str = ""
    slug: str = ""
    title: str = ""
    is_credit_note: bool = False
    reverses_number: str = ""
    test_marker: str = ""  # "" for a live document
    merchant_name: str = ""
    merchant_address: str = ""
    merchant_pan: str = ""
    buyer_name: str = ""
    buyer_pan: str = ""
    plan_name: str = ""
    duration: str = ""
    period_from: str = ""
    period_to: str = ""
    transaction_id: str = ""
    order: str = ""
    issued_bs: str = ""
    issued_ad: str = ""
    taxable_text: str = ""
    vat_label: str = ""
    vat_text: str = ""
    total_text: str = ""
    total_words: str = ""
    total_paisa: int = 0
    taxable_paisa: int = 0
    vat_paisa: int = 0
    vat_rate_percent: int = 0


def _text(mapping: Any, key: str) -> str:
    """A stored detail as text; a missing or odd one is an empty line, not an error on the page."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _period_text(details: dict[str, Any], key: str, calendar: Calendar) -> str:
    """`period_from`/`period_to` in `calendar`, from the stored instant (`<key>_utc`).

    A document issued before the instants were stored keeps the words it was issued with.
    """
    stamp = _text(details, f"{key}_utc")
    try:
        instant = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        return _text(details, key)
    return format_moment_or_ad(instant, calendar)


def title_of(invoice: Invoice) -> str:
    """`Credit Note`, `Tax Invoice` (VAT charged or the merchant VAT-registered) or plain `Invoice`."""
    if invoice.kind == CREDIT_NOTE:
        return "Credit Note"
    merchant = invoice.details.get("merchant") if isinstance(invoice.details, dict) else None
    registered = bool(merchant.get("vat_registered")) if isinstance(merchant, dict) else False
    return "Tax Invoice" if invoice.vat_paisa or registered else "Invoice"


def receipt_view(invoice: Invoice, calendar: Calendar) -> ReceiptView:
    """The document's every line as it was issued, the period written in the reader's `calendar`."""
    details = invoice.details if isinstance(invoice.details, dict) else {}
    merchant, buyer = details.get("merchant") or {}, details.get("buyer") or {}
    days = details.get("duration_days")
    has_vat = bool(invoice.vat_paisa or invoice.vat_rate_percent)
    return ReceiptView(
        number=invoice.number,
        slug=invoice.slug,
        title=title_of(invoice),
        is_credit_note=invoice.kind == CREDIT_NOTE,
        reverses_number=invoice.reverses_number or "",
        test_marker=TEST_MARKER if invoice.is_test else "",
        merchant_name=_text(merchant, "name"),
        merchant_address=_text(merchant, "address"),
        merchant_pan=_text(merchant, "pan"),
        buyer_name=_text(buyer, "name"),
        buyer_pan=_text(buyer, "pan"),
        plan_name=_text(details, "plan_name"),
        duration=f"{days} day{'' if days == 1 else 's'}" if isinstance(days, int) else "",
        period_from=_period_text(details, "period_from", calendar),
        period_to=_period_text(details, "period_to", calendar),
        transaction_id=_text(details, "transaction_id"),
        order=_text(details, "order"),
        issued_bs=_text(details, "issued_bs"),
        issued_ad=_text(details, "issued_ad"),
        taxable_text=format_rupees(invoice.taxable_paisa),
        vat_label=f"VAT {invoice.vat_rate_percent}%" if has_vat else "VAT",
        vat_text=format_rupees(invoice.vat_paisa),
        total_text=_text(details, "total_text") or format_rupees(invoice.total_paisa),
        total_words=_text(details, "total_words"),
        total_paisa=invoice.total_paisa,
        taxable_paisa=invoice.taxable_paisa,
        vat_paisa=invoice.vat_paisa,
        vat_rate_percent=invoice.vat_rate_percent,
    )


def is_slug(slug: object) -> bool:
    """Whether `slug` has the shape of a document number in a URL."""
    return isinstance(slug, str) and len(slug) <= 40 and SLUG_RE.fullmatch(slug) is not None


def find_for(slug: str, *, user_id: int | None, is_admin: bool, engine: Engine | None = None) -> Invoice | None:
    """The document under `slug` when the caller owns it or is an admin; None otherwise (shown as not found).

    Someone else's document and one that does not exist look the same, so numbers cannot be probed.
    """
    if not is_slug(slug) or (user_id is None and not is_admin):
        return None
    with session_scope(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.slug == slug)).first()
        if invoice is None or not (is_admin or invoice.user_id == user_id):
            return None
        session.expunge(invoice)
        return invoice

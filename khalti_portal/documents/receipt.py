"""A stored invoice or credit note as the document shows it (`receipt_view`), and who may open one (`find_for`).

Everything comes from the `Invoice` row as issued (its amounts and its `details`), never from the live
payment, plan or profile: an invoice says the same however often it is drawn. Only the words around them are the
reader's: the labels, the calendar the period is written in (drawn from the stored instants) and the language
(`receipt_view(invoice, calendar, language)`). The date of issue shows in BS and AD to all; in English as it
was stored, in Nepali drawn again from `issued_at` with Nepali months and digits. In Nepali the amounts are
written again from the stored paisa (`रु १,२९९.५०`); the total in words is stored in English only, and is left
out rather than shown in another language than the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from khalti_portal.db.models import Invoice
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, SOURCE_LANGUAGE, Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar, OutOfCalendarRange, format_day
from khalti_portal.i18n.numbers import format_days, format_number, format_rupees

CREDIT_NOTE = "credit_note"
# TRANSLATORS: the marker across a document issued for an emulator or sandbox payment.
TEST_MARKER = N_("TEST — not valid for tax")
# TRANSLATORS: the document's title; a Tax Invoice is the VAT Rules' कर बीजक.
CREDIT_NOTE_TITLE, TAX_INVOICE_TITLE, INVOICE_TITLE = N_("Credit Note"), N_("Tax Invoice"), N_("Invoice")
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
    language: str = SOURCE_LANGUAGE.value  # the reader's: the PDF writes its labels in it


def _text(mapping: Any, key: str) -> str:
    """A stored detail as text; a missing or odd one is an empty line, not an error on the page."""
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _period_text(details: dict[str, Any], key: str, calendar: Calendar, language: Language) -> str:
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
    return format_moment_or_ad(instant, calendar, language)


def _issued(invoice: Invoice, details: dict[str, Any], language: Language) -> tuple[str, str]:
    """The date of issue in BS and AD: as stored in English, drawn again from `issued_at` in another language."""
    stored, issued_at = (_text(details, "issued_bs"), _text(details, "issued_ad")), invoice.issued_at
    if language is SOURCE_LANGUAGE or issued_at is None:
        return stored
    try:
        return format_day(issued_at, Calendar.BS, language), format_day(issued_at, Calendar.AD, language)
    except OutOfCalendarRange:  # not for any date the portal issues on; the stored words rather than none
        return stored


def title_of(invoice: Invoice, language: Language = SOURCE_LANGUAGE) -> str:
    """`Credit Note`, `Tax Invoice` (VAT charged or the merchant VAT-registered) or plain `Invoice`."""
    if invoice.kind == CREDIT_NOTE:
        return translate(language, CREDIT_NOTE_TITLE)
    merchant = invoice.details.get("merchant") if isinstance(invoice.details, dict) else None
    registered = bool(merchant.get("vat_registered")) if isinstance(merchant, dict) else False
    return translate(language, TAX_INVOICE_TITLE if invoice.vat_paisa or registered else INVOICE_TITLE)


def _vat_label(invoice: Invoice, language: Language) -> str:
    if not (invoice.vat_paisa or invoice.vat_rate_percent):
        return translate(language, "VAT")
    return translate(language, "VAT {rate}%", rate=format_number(invoice.vat_rate_percent, language))


def receipt_view(invoice: Invoice, calendar: Calendar, language: Language = SOURCE_LANGUAGE) -> ReceiptView:
    """The document's every line as it was issued, written for a reader of `language` in `calendar`."""
    details = invoice.details if isinstance(invoice.details, dict) else {}
    merchant, buyer = details.get("merchant") or {}, details.get("buyer") or {}
    days = details.get("duration_days")
    english = language is SOURCE_LANGUAGE
    issued_bs, issued_ad = _issued(invoice, details, language)
    return ReceiptView(
        number=invoice.number,
        slug=invoice.slug,
        title=title_of(invoice, language),
        is_credit_note=invoice.kind == CREDIT_NOTE,
        reverses_number=invoice.reverses_number or "",
        test_marker=translate(language, TEST_MARKER) if invoice.is_test else "",
        merchant_name=_text(merchant, "name"),
        merchant_address=_text(merchant, "address"),
        merchant_pan=_text(merchant, "pan"),
        buyer_name=_text(buyer, "name"),
        buyer_pan=_text(buyer, "pan"),
        plan_name=_text(details, "plan_name"),
        duration=format_days(days, language) if isinstance(days, int) and not isinstance(days, bool) else "",
        period_from=_period_text(details, "period_from", calendar, language),
        period_to=_period_text(details, "period_to", calendar, language),
        transaction_id=_text(details, "transaction_id"),
        order=_text(details, "order"),
        issued_bs=issued_bs,
        issued_ad=issued_ad,
        taxable_text=format_rupees(invoice.taxable_paisa, language),
        vat_label=_vat_label(invoice, language),
        vat_text=format_rupees(invoice.vat_paisa, language),
        total_text=(_text(details, "total_text") if english else "") or format_rupees(invoice.total_paisa, language),
        total_words=_text(details, "total_words") if english else "",
        total_paisa=invoice.total_paisa,
        taxable_paisa=invoice.taxable_paisa,
        vat_paisa=invoice.vat_paisa,
        vat_rate_percent=invoice.vat_rate_percent,
        language=language.value,
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

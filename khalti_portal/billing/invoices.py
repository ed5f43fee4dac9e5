"""Invoices and credit notes: numbered per Nepal fiscal year in the transaction that completes (or refunds) a payment.

A number is taken by one UPDATE of the series' counter row (`last_number = last_number + 1 ... RETURNING`)
inside the payment's own transaction: the row stays locked until it commits, so concurrent completions
queue there and get consecutive numbers, and a transaction that rolls back gives its number back. Only the
verifier whose transition won issues anything (and `uq_invoice_payment_kind` would refuse a second).

Live payments use the legal series (`2083/84-000123`, credit notes `CN-2083/84-000007`); emulator and
sandbox payments use `TEST-` series and are marked not valid for tax. Prices include VAT: with
VAT_REGISTERED the taxable amount is the total / (1 + rate) rounded half-up and the VAT the rest, so the
lines always add up to what Khalti took. Everything the document shows is stored on the row (`details`).

The date of issue is stored written in both calendars (`issued_bs`, `issued_ad`): it is the document's own
date and reads the same to everyone. The period bought is stored as its instants (`period_from_utc`,
`period_to_utc`, ISO UTC) so each reader sees it in their own calendar without anything issued changing;
`period_from`/`period_to` keep the AD wording older documents were issued with (and are drawn from).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select, update

from khalti_portal.billing.fiscal import fiscal_year, format_bs
from khalti_portal.billing.money import format_rupees, rupees_in_words
from khalti_portal.billing.nepal_time import format_nepal, format_nepal_day, iso_utc
from khalti_portal.config import Settings
from khalti_portal.db.models import Invoice, InvoiceCounter, LocalUser, Payment, SubscriptionPeriod, UserProfile

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class VatSplit:
    """A VAT-inclusive total as the document shows it: taxable + vat == total, in paisa."""

    total: int
    taxable: int
    vat: int


def split_vat(total_paisa: int, rate_percent: int, *, registered: bool) -> VatSplit:
    """The taxable amount rounded half-up and the VAT the difference; all of it taxable-free without VAT."""
    if not registered:
        return VatSplit(total_paisa, total_paisa, 0)
    base = 100 + rate_percent
    taxable = (2 * total_paisa * 100 + base) // (2 * base)  # total * 100 / base, half up, in integers
    return VatSplit(total_paisa, taxable, total_paisa - taxable)


def _series(kind: str, is_test: bool) -> str:
    return ("TEST-" if is_test else "") + ("CN" if kind == CREDIT_NOTE else "INV")


def _printed(kind: str, is_test: bool, year: str, sequence: int) -> str:
    prefix = ("TEST-" if is_test else "") + ("CN-" if kind == CREDIT_NOTE else "")
    return f"{prefix}{year}-{sequence:06d}"


def slug_of(number: str) -> str:
    """`2083/84-000123` → `2083-84-000123`: the number as it goes in a URL."""
    return number.replace("/", "-")


def _take_number(session: Session, series: str, year: str) -> int:
    """The next number of `series` in `year`, under the counter row's lock until the caller commits."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.exec(
        insert(InvoiceCounter)  # type: ignore[call-overload]
        .values(series=series, fiscal_year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "fiscal_year"])
    )
    return session.exec(
        update(InvoiceCounter)
        .where(col(InvoiceCounter.series) == series, col(InvoiceCounter.fiscal_year) == year)
        .values(last_number=col(InvoiceCounter.last_number) + 1)
        .returning(col(InvoiceCounter.last_number)),
        execution_options={"synchronize_session": False},
    ).one()[0]


def _details(session: Session, settings: Settings, payment: Payment, now: datetime) -> dict[str, Any]:
    """Everything else the document shows, as it stands now (never read again from the live rows)."""
    buyer = session.exec(
        select(UserProfile.display_name, UserProfile.pan, LocalUser.username)
        .select_from(LocalUser)
        .join(UserProfile, col(UserProfile.user_id) == LocalUser.id, isouter=True)
        .where(LocalUser.id == payment.user_id)
    ).first()
    period = session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == payment.id)).first()
    merchant = settings.merchant
    return {
        "merchant": {
            "name": merchant.name,
            "address": merchant.address,
            "pan": merchant.pan,
            "vat_registered": merchant.vat_registered,
        },
        "buyer": {"name": (buyer[0] or buyer[2]) if buyer else "", "pan": (buyer[1] or "") if buyer else ""},
        "plan_name": payment.plan_name,
        "duration_days": payment.duration_days,
        "period_from": format_nepal(period.starts_at) if period else "",
        "period_to": format_nepal(period.ends_at) if period else "",
        "period_from_utc": iso_utc(period.starts_at) if period else "",
        "period_to_utc": iso_utc(period.ends_at) if period else "",
        "transaction_id": payment.transaction_id or "",
        "order": payment.purchase_order_id,
        "issued_ad": format_nepal_day(now),
        "issued_bs": format_bs(now),
        "khalti_mode": payment.khalti_mode,
    }


def issue(session: Session, settings: Settings, payment_id: int, *, kind: str, now: datetime) -> Invoice | None:
    """Issue the payment's invoice (kind INVOICE) or the credit note reversing it (CREDIT_NOTE), once.

    Call it in the transaction that completes (or refunds) the payment. None when there is nothing to
    issue: no such payment, one already issued, or a credit note for a payment that never had an invoice.
    """
    payment = session.get(Payment, payment_id)
    if payment is None or payment.id is None:
        return None
    issued = session.exec(select(Invoice).where(Invoice.payment_id == payment.id)).all()
    if any(doc.kind == kind for doc in issued):
        return None
    reverses = next((doc for doc in issued if doc.kind == INVOICE), None)
    if kind == CREDIT_NOTE and reverses is None:
        return None
    is_test = payment.khalti_mode != "live"
    year = fiscal_year(now)
    sequence = _take_number(session, _series(kind, is_test), year)
    number = _printed(kind, is_test, year, sequence)
    if kind == CREDIT_NOTE and reverses is not None:
        # A credit note gives back what its invoice said, split the same way.
        amounts = VatSplit(reverses.total_paisa, reverses.taxable_paisa, reverses.vat_paisa)
        rate = reverses.vat_rate_percent
        details = {**reverses.details, "issued_ad": format_nepal_day(now), "issued_bs": format_bs(now)}
    else:
        merchant = settings.merchant
        amounts = split_vat(payment.amount_paisa, merchant.vat_rate_percent, registered=merchant.vat_registered)
        rate = merchant.vat_rate_percent if merchant.vat_registered else 0
        details = _details(session, settings, payment, now)
    details["total_words"] = rupees_in_words(amounts.total)
    details["total_text"] = format_rupees(amounts.total)
    invoice = Invoice(
        number=number,
        slug=slug_of(number),
        kind=kind,
        payment_id=payment.id,
        user_id=payment.user_id,
        fiscal_year=year,
        sequence=sequence,
        is_test=is_test,
        issued_at=now,
        total_paisa=amounts.total,
        taxable_paisa=amounts.taxable,
        vat_paisa=amounts.vat,
        vat_rate_percent=rate,
        reverses_number=reverses.number if kind == CREDIT_NOTE and reverses is not None else None,
        details=details,
    )
    session.add(invoice)
    session.flush()
    return invoice

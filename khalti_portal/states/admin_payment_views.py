"""What the admin payments page shows: each payment, its detail and audit trail, and the figures, as text.

Small display objects built from `billing.admin` rows: these are the only shapes of payment data that
reach the browser. Every date is written in the admin's calendar (AD, BS or both: `reading_preferences`).
`check_message` says in words what Check now found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from khalti_portal.billing.admin import reports
from khalti_portal.billing.admin.payments import AdminPaymentRow, PaymentDetail, period_words
from khalti_portal.billing.money import PAISA_PER_RUPEE, format_rupees
from khalti_portal.billing.transitions import can_check, can_refund
from khalti_portal.billing.verification import VerifyOutcome
from khalti_portal.db.models import PaymentStatus
from khalti_portal.i18n.date_fallback import format_day_or_ad, format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.reading_preferences import site_calendar
from khalti_portal.routes import receipt_path


@dataclass
class PaymentRowView:
    """One row of the payments table."""

    id: int = 0
    created: str = ""
    purchase_order_id: str = ""
    username: str = ""
    plan: str = ""
    amount: str = ""
    status: str = ""
    pidx: str = ""
    transaction_id: str = ""

    @classmethod
    def of(cls, row: AdminPaymentRow, calendar: Calendar) -> PaymentRowView:
        """Shape a billing row for the page, its date in `calendar`."""
        return cls(
            id=row.id,
            created=format_moment_or_ad(row.created_at, calendar),
            purchase_order_id=row.purchase_order_id,
            username=row.username,
            plan=row.plan_name,
            amount=format_rupees(row.amount_paisa),
            status=row.status,
            pidx=row.pidx or "",
            transaction_id=row.transaction_id or "",
        )


@dataclass
class EventView:
    """One audit row in the detail panel."""

    id: int = 0
    at: str = ""
    source: str = ""
    kind: str = ""
    actor: str = ""
    change: str = ""
    detail: str = ""
    khalti_json: str = ""


@dataclass
class DetailView:
    """The open payment, every field as text."""

    id: int = 0
    purchase_order_id: str = ""
    username: str = ""
    user_id: int = 0
    plan: str = ""
    amount: str = ""
    status: str = ""
    pidx: str = ""
    transaction_id: str = ""
    fee: str = ""
    created: str = ""
    updated: str = ""
    completed: str = ""
    refunded: str = ""
    link_expires: str = ""
    checks: str = ""
    next_check: str = ""
    failure_reason: str = ""
    period: str = ""
    invoice_number: str = ""
    invoice_href: str = ""
    credit_note_number: str = ""
    credit_note_href: str = ""
    last_lookup_json: str = ""
    checkable: bool = False
    refundable: bool = False
    flagged: bool = False
    events: list[EventView] = field(default_factory=list)

    @classmethod
    def of(cls, detail: PaymentDetail, calendar: Calendar | None = None) -> DetailView:
        """Shape a billing detail for the page, its dates in `calendar` (default: the site's)."""
        row = detail.row
        calendar = calendar or site_calendar()

        def when(value: Any) -> str:
            return format_moment_or_ad(value, calendar) if value is not None else ""

        return cls(
            id=row.id,
            purchase_order_id=row.purchase_order_id,
            username=row.username,
            user_id=row.user_id,
            plan=row.plan_name,
            amount=format_rupees(row.amount_paisa),
            status=row.status,
            pidx=row.pidx or "",
            transaction_id=row.transaction_id or "",
            fee=format_rupees(detail.fee_paisa) if detail.fee_paisa is not None else "",
            created=when(row.created_at),
            updated=when(detail.updated_at),
            completed=when(detail.completed_at),
            refunded=(
                f"{when(detail.refunded_at)} ({format_rupees(detail.refunded_paisa)})"
                if detail.refunded_at is not None
                else ""
            ),
            link_expires=when(detail.link_expires_at),
            checks=lookups_in_words(detail.check_count, detail.repeat_lookups),
            next_check=when(detail.next_check_at),
            failure_reason=detail.failure_reason,
            period=period_words(detail.period, calendar),
            invoice_number=detail.invoice[0],
            invoice_href=receipt_path(detail.invoice[1]) if detail.invoice[1] else "",
            credit_note_number=detail.credit_note[0],
            credit_note_href=receipt_path(detail.credit_note[1]) if detail.credit_note[1] else "",
            last_lookup_json=detail.last_lookup_json,
            checkable=can_check(row),
            # A flagged payment is refunded from its own decision, not the plain Refund button.
            refundable=can_refund(row) and row.status != PaymentStatus.FLAGGED,
            flagged=row.status == PaymentStatus.FLAGGED,
            events=[
                EventView(
                    id=e.id,
                    at=when(e.at),
                    source=e.source,
                    kind=e.kind,
                    actor=e.actor,
                    change=f"{e.from_status or '–'} → {e.to_status}" if e.to_status else e.from_status,
                    detail=e.detail,
                    khalti_json=e.khalti_json,
                )
                for e in detail.events
            ],
        )


@dataclass
class FiguresView:
    """The headline numbers as text."""

    period: str = ""  # "November 2026", "Mangsir 2083", "FY 2083/84": what the revenue figure covers
    active: int = 0
    revenue: str = ""
    gross: str = ""
    refunds: str = ""
    expiring: int = 0
    pending: int = 0
    flagged: int = 0

    @classmethod
    def of(cls, figures: reports.Figures) -> FiguresView:
        """Shape the billing figures for the page."""
        return cls(
            period=figures.period_label,
            active=figures.active_subscribers,
            revenue=format_rupees(figures.revenue_paisa),
            gross=format_rupees(figures.gross_paisa),
            refunds=format_rupees(figures.refunds_paisa),
            expiring=figures.expiring_soon,
            pending=figures.pending,
            flagged=figures.flagged,
        )


@dataclass
class PeriodView:
    """One of the last periods (months or fiscal years), for the charts (numbers) and the table beside them (text)."""

    key: str = ""  # 2026-02, 2083-08, 2083/84
    label: str = ""  # Feb 2026, Mangsir 2083, FY 2083/84
    first_day: str = ""  # its first and last day in the admin's calendar
    last_day: str = ""
    paid: str = ""
    refunded: str = ""
    revenue: str = ""
    # Whole rupees, only for the height of the period's bar: the table and the CSV have the exact figure.
    revenue_rupees: int = 0
    active: int = 0

    @classmethod
    def of(cls, period: reports.PeriodFigures, calendar: Calendar) -> PeriodView:
        """Shape one period's figures for the page, its days in `calendar`."""
        span = period.span
        return cls(
            key=span.key,
            label=span.label,
            first_day=format_day_or_ad(span.start, calendar),
            last_day=format_day_or_ad(span.end - timedelta(seconds=1), calendar),
            paid=format_rupees(period.gross_paisa),
            refunded=format_rupees(period.refunds_paisa),
            revenue=format_rupees(period.revenue_paisa),
            revenue_rupees=whole_rupees(period.revenue_paisa),
            active=period.active_subscribers,
        )


def whole_rupees(paisa: int) -> int:
    """Paisa rounded to whole rupees, half away from zero (a bar's height, not an amount anyone is charged)."""
    return int((Decimal(paisa) / PAISA_PER_RUPEE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_message(outcome: VerifyOutcome) -> str:
    """What Check now found, in words."""
    if outcome.kind == "not_found":
        return "This payment never reached Khalti (it has no pidx), so there is nothing to check."
    if outcome.kind == "final":
        return f"This payment is {outcome.status}: that is final, so Khalti was not asked again."
    if outcome.kind == "unavailable":
        return "Khalti could not be reached just now; nothing changed. Try again in a minute."
    if outcome.kind == "error":
        return "Khalti did not answer this lookup properly; nothing changed. The detail below has what it said."
    said = f"Khalti says {outcome.lookup_status!r}" if outcome.lookup_status else "Khalti answered"
    if outcome.kind == "unknown_status":
        return f"{said}, a status we do not know; nothing changed."
    if outcome.changed:
        return f"{said}: the payment is now {outcome.status}."
    return f"{said}: the payment stays {outcome.status}."


def lookups_in_words(count: int, repeats: int) -> str:
    """`12`, or `12 (9 repeated the answer before them and are not listed in the audit trail)`."""
    if not repeats:
        return str(count)
    return f"{count} ({repeats} repeated the answer before them and are not listed in the audit trail)"

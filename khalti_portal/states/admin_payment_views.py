"""What the admin payments page shows: each payment, its detail and audit trail, and the figures, as text.

Small display objects built from `billing.admin` rows: these are the only shapes of payment data that
reach the browser. Every date is written in the admin's calendar (AD, BS or both: `reading_preferences`),
every word, amount and count in the admin's language (`language`, English unless given). What the audit trail
recorded (its detail text, Khalti's answers) is shown as it was logged. `check_message` says in words what
Check now found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from khalti_portal.billing.admin import reports
from khalti_portal.billing.admin.payments import (
    AdminPaymentRow,
    PaymentDetail,
    khalti_status_words,
    period_words,
    status_words,
)
from khalti_portal.billing.money import PAISA_PER_RUPEE
from khalti_portal.billing.report_periods import span_name
from khalti_portal.billing.transitions import can_check, can_refund
from khalti_portal.billing.verification import VerifyOutcome
from khalti_portal.db.models import PaymentStatus
from khalti_portal.i18n.catalogs import N_, Language, translate, translate_plural
from khalti_portal.i18n.date_fallback import format_day_or_ad, format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_number, format_rupees
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
    def of(cls, row: AdminPaymentRow, calendar: Calendar, language: Language = Language.EN) -> PaymentRowView:
        """Shape a billing row for the page, its date in `calendar`, written in `language`."""
        return cls(
            id=row.id,
            created=format_moment_or_ad(row.created_at, calendar, language),
            purchase_order_id=row.purchase_order_id,
            username=row.username,
            plan=row.plan_name,
            amount=format_rupees(row.amount_paisa, language),
            status=row.status,
            pidx=row.pidx or "",
            transaction_id=row.transaction_id or "",
        )


# Who wrote an audit row and what it records (billing.audit), as an admin reads them on the badges.
# TRANSLATORS: who wrote a payment's audit row: the page or process that acted.
SOURCE_WORDS = {
    "checkout": N_("checkout"),
    "return": N_("return page"),
    "dashboard": N_("dashboard"),
    "reconciler": N_("reconciler"),
    "admin": N_("admin"),
}
# TRANSLATORS: what a payment's audit row records, one or two words on a badge.
KIND_WORDS = {
    "created": N_("created"),
    "reused": N_("link reused"),
    "transition": N_("status change"),
    "initiate_error": N_("link error"),
    "late_initiate": N_("late link"),
    "lookup": N_("lookup"),
    "lookup_error": N_("lookup error"),
    "anomaly": N_("anomaly"),
    "refund": N_("refund"),
    "grant": N_("grant"),
    "extend": N_("extend"),
    "revoke": N_("revoke"),
    "plan": N_("plan"),
    "mail_retry": N_("mail retry"),
}


def _in_words(table: dict[str, str], code: str, language: Language) -> str:
    """A code's words in `language`: the code itself in English (pages and tests read it so), or when unknown."""
    return translate(language, table[code]) if language is not Language.EN and code in table else code


@dataclass
class EventView:
    """One audit row in the detail panel."""

    id: int = 0
    at: str = ""
    source: str = ""  # the code (`admin`), for attributes
    kind: str = ""
    source_words: str = ""  # the same in the admin's language, for the badges
    kind_words: str = ""
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
    def of(
        cls, detail: PaymentDetail, calendar: Calendar | None = None, language: Language = Language.EN
    ) -> DetailView:
        """Shape a billing detail for the page, its dates in `calendar` (default: the site's), in `language`."""
        row = detail.row
        calendar = calendar or site_calendar()

        def when(value: Any) -> str:
            return format_moment_or_ad(value, calendar, language) if value is not None else ""

        def money(paisa: int) -> str:
            return format_rupees(paisa, language)

        def change(before: str, after: str) -> str:
            before_words = status_words(before, language) if before else ""
            if not after:
                return before_words
            return f"{before_words or '–'} → {status_words(after, language)}"

        return cls(
            id=row.id,
            purchase_order_id=row.purchase_order_id,
            username=row.username,
            user_id=row.user_id,
            plan=row.plan_name,
            amount=money(row.amount_paisa),
            status=row.status,
            pidx=row.pidx or "",
            transaction_id=row.transaction_id or "",
            fee=money(detail.fee_paisa) if detail.fee_paisa is not None else "",
            created=when(row.created_at),
            updated=when(detail.updated_at),
            completed=when(detail.completed_at),
            refunded=(
                f"{when(detail.refunded_at)} ({money(detail.refunded_paisa)})" if detail.refunded_at is not None else ""
            ),
            link_expires=when(detail.link_expires_at),
            checks=lookups_in_words(detail.check_count, detail.repeat_lookups, language),
            next_check=when(detail.next_check_at),
            failure_reason=detail.failure_reason,
            period=period_words(detail.period, calendar, language),
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
                    source_words=_in_words(SOURCE_WORDS, e.source, language),
                    kind_words=_in_words(KIND_WORDS, e.kind, language),
                    actor=e.actor,
                    change=change(e.from_status, e.to_status),
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
    # The counts as the page shows them, in the admin's digits (१२ in Nepali).
    active_text: str = "0"
    expiring_text: str = "0"
    pending_text: str = "0"
    flagged_text: str = "0"

    @classmethod
    def of(cls, figures: reports.Figures, language: Language = Language.EN) -> FiguresView:
        """Shape the billing figures for the page, in `language`."""
        period = span_name(figures.span, language, long=True) if figures.span is not None else figures.period_label
        return cls(
            period=period,
            active=figures.active_subscribers,
            revenue=format_rupees(figures.revenue_paisa, language),
            gross=format_rupees(figures.gross_paisa, language),
            refunds=format_rupees(figures.refunds_paisa, language),
            expiring=figures.expiring_soon,
            pending=figures.pending,
            flagged=figures.flagged,
            active_text=format_number(figures.active_subscribers, language),
            expiring_text=format_number(figures.expiring_soon, language),
            pending_text=format_number(figures.pending, language),
            flagged_text=format_number(figures.flagged, language),
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
    active_text: str = "0"  # the same count in the admin's digits, for the table

    @classmethod
    def of(cls, period: reports.PeriodFigures, calendar: Calendar, language: Language = Language.EN) -> PeriodView:
        """Shape one period's figures for the page, its days in `calendar`, written in `language`."""
        span = period.span
        return cls(
            key=span.key,
            label=span_name(span, language),
            first_day=format_day_or_ad(span.start, calendar, language),
            last_day=format_day_or_ad(span.end - timedelta(seconds=1), calendar, language),
            paid=format_rupees(period.gross_paisa, language),
            refunded=format_rupees(period.refunds_paisa, language),
            revenue=format_rupees(period.revenue_paisa, language),
            revenue_rupees=whole_rupees(period.revenue_paisa),
            active=period.active_subscribers,
            active_text=format_number(period.active_subscribers, language),
        )


def whole_rupees(paisa: int) -> int:
    """Paisa rounded to whole rupees, half away from zero (a bar's height, not an amount anyone is charged)."""
    return int((Decimal(paisa) / PAISA_PER_RUPEE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_message(outcome: VerifyOutcome, language: Language = Language.EN) -> str:
    """What Check now found, in words, in `language` (Khalti's status translated; the audit trail keeps its text)."""
    if outcome.kind == "not_found":
        return translate(language, "This payment never reached Khalti (it has no pidx), so there is nothing to check.")
    status = status_words(outcome.status, language)
    if outcome.kind == "final":
        return translate(
            language, "This payment is {status}: that is final, so Khalti was not asked again.", status=status
        )
    if outcome.kind == "unavailable":
        return translate(language, "Khalti could not be reached just now; nothing changed. Try again in a minute.")
    if outcome.kind == "error":
        return translate(
            language,
            "Khalti did not answer this lookup properly; nothing changed. The detail below has what it said.",
        )
    said = (
        translate(language, "Khalti says {status}", status=khalti_status_words(outcome.lookup_status, language))
        if outcome.lookup_status
        else translate(language, "Khalti answered")
    )
    if outcome.kind == "unknown_status":
        return translate(language, "{said}, a status we do not know; nothing changed.", said=said)
    if outcome.changed:
        return translate(language, "{said}: the payment is now {status}.", said=said, status=status)
    return translate(language, "{said}: the payment stays {status}.", said=said, status=status)


def lookups_in_words(count: int, repeats: int, language: Language = Language.EN) -> str:
    """`12`, or `12 (9 repeated the answer before them and are not listed in the audit trail)`."""
    shown = format_number(count, language)
    if not repeats:
        return shown
    return translate_plural(
        language,
        "{count} ({n} repeated the answer before it and is not listed in the audit trail)",
        "{count} ({n} repeated the answer before them and are not listed in the audit trail)",
        repeats,
        count=shown,
        n=format_number(repeats, language),
    )

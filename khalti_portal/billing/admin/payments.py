"""The admin payments list: filter by status, search and dates, page, one payment's detail, and the CSV of a filter.

Search is server-side and parameterised: the text (at most 64 characters) is matched, case-insensitively,
as a part of the username, the purchase order id or the pidx, with LIKE wildcards escaped, so `%` and `_`
mean themselves. The dates bound the day the payment was created on in Nepal, both days included; they are
typed in the admin's calendar (`i18n.date_input`: BS for an admin who reads BS, AD otherwise).
Newest first (created_at, then id). A page holds `PAGE_SIZE` payments.

The CSV holds every payment of the filter (not only the page shown), up to `MAX_CSV_ROWS`, newest first, with
columns `CSV_COLUMNS`: created in Nepal time in both calendars (AD and BS, whatever the admin reads) and in
UTC, the amount as rupee text and as integer paisa. A cell starting
with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so a spreadsheet never runs it as a
formula (CSV injection).

Only payments made in the Khalti mode the portal runs in are listed, exported or shown: the others belong
to another Khalti (switching modes back shows them again), and no admin action may reach them here.

A payment's detail shows its audit trail and the raw lookups, pretty-printed. The secret key is never
stored (the client redacts it from anything it copies out of Khalti); the detail removes it once more
should it ever appear.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from khalti_portal.billing.admin.inputs import id_of
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.invoices import CREDIT_NOTE, INVOICE
from khalti_portal.billing.money import format_rupees
from khalti_portal.billing.nepal_time import iso_utc, to_nepal
from khalti_portal.billing.report_periods import nepal_midnight
from khalti_portal.db.models import Invoice, LocalUser, Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.date_input import DATE_SHAPE, parse_day
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_number
from khalti_portal.khalti.types import LookupStatus

PAGE_SIZE = 50
MAX_QUERY = 64
MAX_PAGE = 1_000_000
MAX_CSV_ROWS = 20_000
MAX_EVENTS = 500
STATUSES: tuple[str, ...] = tuple(status.value for status in PaymentStatus)
CSV_COLUMNS = (
    "created_ad",
    "created_bs",
    "created_utc",
    "purchase_order_id",
    "username",
    "plan",
    "amount",
    "amount_paisa",
    "status",
    "pidx",
    "transaction_id",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_LIKE_ESCAPE = "\\"
_REDACTED = "[redacted]"
_MIN_REDACTABLE = 8


# -- the filter --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilter:
    """Which payments to list: one status ("" for all), a search text ("" for none), the days created on (Nepal)."""

    status: str = ""
    query: str = ""
    created_from: date | None = None  # AD day, Nepal calendar, included; None for no bound
    created_to: date | None = None  # AD day, Nepal calendar, included; None for no bound

    @property
    def label(self) -> str:
        """The filter in words, for a file name or a heading."""
        parts = [self.status or "all"]
        if self.query:
            parts.append(f"matching {self.query!r}")
        return " ".join(parts)


# The date boxes' names, as the page labels them: a problem with a date says which box it is in.
DATE_FIELDS = (N_("From"), N_("To"))


def make_filter(
    status: object = "",
    query: object = "",
    created_from: object = "",
    created_to: object = "",
    calendar: Calendar = Calendar.AD,
    language: Language = Language.EN,
) -> PaymentFilter | str:
    """A checked filter from the browser's values (dates typed as `calendar`'s reader types them), or what is wrong.

    What is wrong is said in `language`.
    """
    status = status if isinstance(status, str) else None
    if status is None or (status and status not in STATUSES):
        return translate(language, "Pick a status from the list.")
    if not isinstance(query, str):
        return translate(language, "Search for a username, a purchase order id or a pidx.")
    text = " ".join(query.split())  # no control characters, no runs of spaces
    if len(text) > MAX_QUERY:
        return translate(language, "Search for at most {most} characters.", most=format_number(MAX_QUERY, language))
    days: list[date | None] = []
    for field, raw in zip(DATE_FIELDS, (created_from, created_to), strict=True):
        day = parse_day(raw, calendar, language) if isinstance(raw, str) and raw.strip() else None
        if raw is not None and not isinstance(raw, str):
            day = translate(language, "write the date as {shape}.", shape=translate(language, DATE_SHAPE))
        if isinstance(day, str):
            return translate(language, "{field}: {problem}", field=translate(language, field), problem=day)
        days.append(day)
    first, last = days
    if first is not None and last is not None and first > last:
        return translate(language, "The From date is after the To date: swap them to see the days between.")
    return PaymentFilter(status=status, query=text, created_from=first, created_to=last)


def page_of(value: object) -> int:
    """A page number from the browser: a whole number from 1, else 1."""
    number = id_of(value)
    return min(number, MAX_PAGE) if number is not None else 1


def _escape_like(text: str) -> str:
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text


def _where(query: Select[Any], flt: PaymentFilter, mode: str) -> Select[Any]:
    query = query.where(col(Payment.khalti_mode) == mode)
    if flt.created_from is not None:
        query = query.where(col(Payment.created_at) >= nepal_midnight(flt.created_from))
    if flt.created_to is not None:  # the whole of the last day, up to midnight in Nepal after it
        query = query.where(col(Payment.created_at) < nepal_midnight(flt.created_to + timedelta(days=1)))
    if flt.status:
        query = query.where(Payment.status == flt.status)
    if flt.query:
        pattern = f"%{_escape_like(flt.query)}%"
        query = query.where(
            or_(
                col(LocalUser.username).ilike(pattern, escape=_LIKE_ESCAPE),
                col(Payment.purchase_order_id).ilike(pattern, escape=_LIKE_ESCAPE),
                col(Payment.pidx).ilike(pattern, escape=_LIKE_ESCAPE),
            )
        )
    return query


def filtered_query(flt: PaymentFilter, mode: str) -> Select[Any]:
    """SELECT (Payment, username) of the filter among payments made in Khalti mode `mode`, newest first."""
    query = select(Payment, LocalUser.username).join(LocalUser, col(LocalUser.id) == Payment.user_id)
    return _where(query, flt, mode).order_by(col(Payment.created_at).desc(), col(Payment.id).desc())


def count_query(flt: PaymentFilter, mode: str) -> Select[Any]:
    """SELECT how many payments made in Khalti mode `mode` the filter holds."""
    query = select(func.count()).select_from(Payment).join(LocalUser, col(LocalUser.id) == Payment.user_id)
    return _where(query, flt, mode)


# Khalti's own status words, as an admin reads them in a message (the audit trail keeps Khalti's text verbatim).
# TRANSLATORS: a payment's status as Khalti's lookup names it.
KHALTI_STATUS_WORDS = {
    LookupStatus.COMPLETED: N_("Completed"),
    LookupStatus.PENDING: N_("Pending"),
    LookupStatus.INITIATED: N_("Initiated"),
    LookupStatus.REFUNDED: N_("Refunded"),
    LookupStatus.PARTIALLY_REFUNDED: N_("Partially Refunded"),
    LookupStatus.EXPIRED: N_("Expired"),
    LookupStatus.USER_CANCELED: N_("User canceled"),
    LookupStatus.FAILED: N_("Failed"),
}


def khalti_status_words(text: str, language: Language = Language.EN) -> str:
    """Khalti's status `text` quoted, in `language` (`'Refunded'`); one we do not know, as Khalti wrote it."""
    known = KHALTI_STATUS_WORDS.get(LookupStatus.parse(text))
    shown = translate(language, known) if known is not None and language is not Language.EN else text
    return f"'{shown}'"


def status_words(status: str, language: Language = Language.EN) -> str:
    """One of our payment statuses as its badge names it (`completed`, `सफल`)."""
    # The badge's words (components/status.py) are the catalog's: the status itself is their msgid.
    return translate(language, status) if status in STATUSES else status


# -- rows --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminPaymentRow:
    """One payment as the admin list shows it."""

    id: int
    created_at: datetime
    purchase_order_id: str
    user_id: int
    username: str
    plan_name: str
    amount_paisa: int
    status: PaymentStatus
    pidx: str | None
    transaction_id: str | None

    @classmethod
    def of(cls, payment: Payment, username: str) -> AdminPaymentRow:
        """Shape a payment and its payer's name."""
        return cls(
            id=int(payment.id or 0),
            created_at=payment.created_at,
            purchase_order_id=payment.purchase_order_id,
            user_id=payment.user_id,
            username=username,
            plan_name=payment.plan_name,
            amount_paisa=payment.amount_paisa,
            status=payment.status,
            pidx=payment.pidx,
            transaction_id=payment.transaction_id,
        )


@dataclass(frozen=True)
class PaymentPage:
    """One page of the filtered list."""

    rows: tuple[AdminPaymentRow, ...]
    total: int
    page: int
    pages: int
    page_size: int


def list_payments(
    flt: PaymentFilter, page: int = 1, *, page_size: int = PAGE_SIZE, deps: BillingDeps | None = None
) -> PaymentPage:
    """The filter's payments, newest first, one page of them (a page past the end shows the last page)."""
    deps = resolve(deps)
    page_size = max(1, min(page_size, 500))
    with Session(deps.engine) as session:
        mode = deps.settings.khalti_env
        total = int(session.exec(count_query(flt, mode)).one())
        pages = max(1, math.ceil(total / page_size))
        page = max(1, min(page_of(page), pages))
        found = session.exec(filtered_query(flt, mode).offset((page - 1) * page_size).limit(page_size)).all()
        rows = tuple(AdminPaymentRow.of(payment, username) for payment, username in found)
    return PaymentPage(rows=rows, total=total, page=page, pages=pages, page_size=page_size)


# -- one payment -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    """One audit row of a payment, ready to read."""

    id: int
    at: datetime
    source: str
    kind: str
    actor: str  # the admin's username, "" when no person acted
    from_status: str
    to_status: str
    detail: str
    khalti_json: str  # the Khalti answer pretty-printed, "" when none


@dataclass(frozen=True)
class PeriodLine:
    """The subscription period a payment bought: when it runs and, if revoked, when and why."""

    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None
    revoke_reason: str


@dataclass(frozen=True)
class PaymentDetail:
    """Everything about one payment an admin may need to decide."""

    row: AdminPaymentRow
    fee_paisa: int | None
    failure_reason: str
    updated_at: datetime
    completed_at: datetime | None
    refunded_at: datetime | None
    refunded_paisa: int
    link_expires_at: datetime | None
    check_count: int
    repeat_lookups: int  # lookups that repeated the answer before them: counted, not audited row by row
    next_check_at: datetime | None
    last_lookup_json: str
    period: PeriodLine | None  # the payment's subscription period, None when it has none
    events: tuple[EventLine, ...]
    # (number as printed, URL slug) of the payment's invoice and of the credit note reversing it; "" when none.
    invoice: tuple[str, str] = ("", "")
    credit_note: tuple[str, str] = ("", "")


def pretty_json(value: Any, *, secret: str = "") -> str:
    """`value` as indented JSON text ("" for None), with `secret` removed should it ever appear."""
    if value is None:
        return ""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    if secret and len(secret) >= _MIN_REDACTABLE:
        text = text.replace(secret, _REDACTED)
    return text


def payment_detail(payment_id: object, *, deps: BillingDeps | None = None) -> PaymentDetail | None:
    """One payment with its period and audit trail (oldest first), or None for an unknown id or another mode's."""
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return None
    secret = deps.settings.khalti_secret_key
    actor = aliased(LocalUser)
    with Session(deps.engine) as session:
        found = session.exec(
            select(Payment, LocalUser.username)
            .join(LocalUser, col(LocalUser.id) == Payment.user_id)
            .where(Payment.id == ident, col(Payment.khalti_mode) == deps.settings.khalti_env)
        ).first()
        if found is None:
            return None
        payment, username = found
        period = session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == ident)).first()
        events = session.exec(
            select(PaymentEvent, actor.username)
            .outerjoin(actor, col(actor.id) == PaymentEvent.actor_user_id)
            .where(PaymentEvent.payment_id == ident)
            .order_by(col(PaymentEvent.created_at), col(PaymentEvent.id))
            .limit(MAX_EVENTS)
        ).all()
        documents = {
            kind: (number, slug)
            for kind, number, slug in session.exec(
                select(Invoice.kind, Invoice.number, Invoice.slug).where(Invoice.payment_id == ident)
            ).all()
        }
        return PaymentDetail(
            row=AdminPaymentRow.of(payment, username),
            fee_paisa=payment.fee_paisa,
            failure_reason=payment.failure_reason or "",
            updated_at=payment.updated_at,
            completed_at=payment.completed_at,
            refunded_at=payment.refunded_at,
            refunded_paisa=payment.refunded_paisa,
            link_expires_at=payment.payment_url_expires_at,
            check_count=payment.check_count,
            repeat_lookups=payment.repeat_lookups,
            next_check_at=payment.next_check_at,
            last_lookup_json=pretty_json(payment.last_lookup, secret=secret),
            period=_period_line(period),
            events=tuple(
                EventLine(
                    id=int(event.id or 0),
                    at=event.created_at,
                    source=event.source,
                    kind=event.kind,
                    actor=actor_name or "",
                    from_status=event.from_status or "",
                    to_status=event.to_status or "",
                    detail=_redact(event.detail or "", secret),
                    khalti_json=pretty_json(event.khalti_response, secret=secret),
                )
                for event, actor_name in events
            ),
            invoice=documents.get(INVOICE, ("", "")),
            credit_note=documents.get(CREDIT_NOTE, ("", "")),
        )


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, _REDACTED) if secret and len(secret) >= _MIN_REDACTABLE else text


def _period_line(period: SubscriptionPeriod | None) -> PeriodLine | None:
    if period is None:
        return None
    return PeriodLine(period.starts_at, period.ends_at, period.revoked_at, period.revoke_reason or "")


def period_words(period: PeriodLine | None, calendar: Calendar, language: Language = Language.EN) -> str:
    """`11 Mangsir 2083, 5:45 PM NPT → ...`, with the revocation if any, in `language`: "" when there is no period."""
    if period is None:
        return ""

    def when(dt: datetime) -> str:
        return format_moment_or_ad(dt, calendar, language)

    words = f"{when(period.starts_at)} → {when(period.ends_at)}"
    if period.revoked_at is not None:
        # The reason is the admin's own words, as they typed it.
        reason = period.revoke_reason or translate(language, "no reason")
        words += " " + translate(language, "(revoked {when}: {reason})", when=when(period.revoked_at), reason=reason)
    return words


# -- CSV -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvExport:
    """The CSV text of a filter and how many payments it holds."""

    text: str
    rows: int
    truncated: bool  # the filter held more than MAX_CSV_ROWS payments; the newest are in the file


def csv_cell(value: object) -> str | int:
    """A CSV cell: integers as they are, text with a leading formula character defused by a quote."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_line(row: AdminPaymentRow) -> list[str | int]:
    """One payment in CSV_COLUMNS order."""
    return [
        csv_cell(format_moment_or_ad(row.created_at, Calendar.AD)),
        csv_cell(format_moment_or_ad(row.created_at, Calendar.BS)),
        csv_cell(iso_utc(row.created_at)),
        csv_cell(row.purchase_order_id),
        csv_cell(row.username),
        csv_cell(row.plan_name),
        csv_cell(format_rupees(row.amount_paisa)),
        csv_cell(row.amount_paisa),
        csv_cell(row.status),
        csv_cell(row.pidx),
        csv_cell(row.transaction_id),
    ]


def export_csv(flt: PaymentFilter, *, limit: int = MAX_CSV_ROWS, deps: BillingDeps | None = None) -> CsvExport:
    """The CSV of every payment in the filter, newest first (at most `limit`), header first."""
    deps = resolve(deps)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # English whatever the admin reads: the columns and cells are for spreadsheets and scripts, not people.
    writer.writerow(CSV_COLUMNS)
    with Session(deps.engine) as session:
        found = session.exec(filtered_query(flt, deps.settings.khalti_env).limit(limit + 1)).all()
    for payment, username in found[:limit]:
        writer.writerow(csv_line(AdminPaymentRow.of(payment, username)))
    return CsvExport(text=out.getvalue(), rows=min(len(found), limit), truncated=len(found) > limit)


def csv_filename(flt: PaymentFilter, now: datetime) -> str:
    """`payments-completed-2026-02-01.csv`: the status and the Nepal date (AD) of the download (no user text)."""
    dated = "-dates" if flt.created_from is not None or flt.created_to is not None else ""
    searched = "-search" if flt.query else ""
    return f"payments-{flt.status or 'all'}{searched}{dated}-{to_nepal(now).date().isoformat()}.csv"

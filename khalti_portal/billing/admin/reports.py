"""The admin figures, Cashier-style: each a small function over a matching query.

Definitions (all at one instant `now`; a period is an AD month, a BS month or a Nepal fiscal year, as the
admin groups them (`billing.report_periods`), from midnight to midnight on Nepal's wall clock, Asia/Kathmandu):

- active subscribers: users with access at `now`, grace included (`subscription.active_query`).
- revenue this period = gross - refunds, in paisa, cash basis:
  gross   = the sum of `amount_paisa` of payments whose `completed_at` falls in the period (whatever their
            status now: a payment refunded later still earned money in its own period);
  refunds = the money given back in the period: for payments whose `refunded_at` falls in it and
            that had been completed (`completed_at` set), `refunded_paisa`, or `amount_paisa` when
            `refunded_paisa` is 0 (a full refund recorded before that column was filled).
  A payment refunded before it ever completed (pending → refunded, or flagged → refunded) never counted
  as revenue, so its refund is not subtracted either. A flagged payment an admin accepts counts in the
  period of the decision, at the amount we asked for. A partial refund Khalti reports leaves the payment
  flagged with nothing refunded yet here, so it changes revenue only once an admin resolves it.
  A payment completed in one period and refunded in the next counts in the first and is subtracted in the
  second, so a period's revenue can be negative.
- expiring soon: users whose access ends within the next 7 days (`subscription` status `expiring`).
- pending / flagged: payments in that status now.

The last periods (`by_period`: twelve months or five fiscal years; the admin payments page's charts, its table
and its CSV), one row per period, oldest first, the one running now last (periods with nothing in them are
rows of zeros):

- revenue of a period: exactly the headline's gross - refunds above, for that period.
- active subscribers at a period's end: users who had access at the period's last instant (for the period
  running now: at `now`, so it equals the headline figure), grace included, read from the subscription
  periods as they are recorded now: one gives access from `starts_at` until `GRACE_DAYS` after `ends_at`, and a
  revoked one only until it was revoked. (A revocation moves the user's later subscription periods earlier, so
  it can change past counts too: they hold what was paid, not a log of who had access when.)

Each is one query with a column per period (`SUM(CASE WHEN <in period i> ...)`), the same on SQLite and
PostgreSQL: no date functions of either dialect, period bounds computed in `billing.report_periods`.

Every figure is about the Khalti mode the portal runs in (`mode`): payments made on the emulator or the
sandbox are no revenue in live mode, and periods they paid for give no access there.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, or_
from sqlmodel import Session, col, func, select

from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.money import PAISA_PER_RUPEE
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.periods import counts_in
from khalti_portal.billing.report_periods import Grouping, Span, nepal_midnight, span_of, spans
from khalti_portal.billing.subscription import SubscriptionStatus, active_query, status_query
from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import Payment, PaymentStatus, SubscriptionPeriod
from khalti_portal.i18n.dates import Calendar, format_day

# Both calendars on every row: the period as the admin grouped it, its days in AD (ISO, which a spreadsheet
# reads as dates) and in BS (words, which no spreadsheet mistakes for an AD date), and its exact UTC bounds.
PERIOD_CSV_COLUMNS = (
    "period",
    "first_day_ad",
    "last_day_ad",
    "first_day_bs",
    "last_day_bs",
    "starts_utc",
    "ends_utc",
    "paid_paisa",
    "refunded_paisa",
    "revenue_paisa",
    "revenue_rupees",
    "active_subscribers_at_end",
)


@dataclass(frozen=True)
class Figures:
    """The admin payments page's headline numbers at one instant."""

    at: datetime
    period_label: str  # e.g. "February 2026", "Mangsir 2083", "FY 2083/84": the period `at` falls in
    active_subscribers: int
    gross_paisa: int
    refunds_paisa: int
    expiring_soon: int
    pending: int
    flagged: int
    span: Span | None = None  # the period itself, for its name in another language (`span_name`)

    @property
    def revenue_paisa(self) -> int:
        """The period's gross minus the period's refunds."""
        return self.gross_paisa - self.refunds_paisa


@dataclass(frozen=True)
class PeriodFigures:
    """One period of the last few: its money and how many subscribers had access at its end."""

    span: Span
    gross_paisa: int
    refunds_paisa: int
    active_subscribers: int  # at the period's last instant; for the period running now, at `now`

    @property
    def revenue_paisa(self) -> int:
        """The period's gross minus the period's refunds (negative when refunds outweigh sales)."""
        return self.gross_paisa - self.refunds_paisa

    @property
    def key(self) -> str:
        """`2026-02`, `2083-08`, `2083/84`: the period as a sortable key."""
        return self.span.key

    @property
    def label(self) -> str:
        """`Feb 2026`, `Mangsir 2083`, `FY 2083/84`."""
        return self.span.label


# -- queries -------------------------------------------------------------------------------------------------


def active_subscribers_query(now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """SELECT the number of users with access at `now`, grace included."""
    return select(func.count()).select_from(active_query(now, grace_days, mode).subquery("active"))


def gross_revenue_query(start: datetime, end: datetime, mode: str) -> Select[Any]:
    """SELECT the paisa of payments completed in [start, end)."""
    return select(func.coalesce(func.sum(Payment.amount_paisa), 0)).where(
        col(Payment.completed_at) >= ensure_utc(start),
        col(Payment.completed_at) < ensure_utc(end),
        col(Payment.khalti_mode) == mode,
    )


def refunds_query(start: datetime, end: datetime, mode: str) -> Select[Any]:
    """SELECT the paisa given back in [start, end) on payments that had been completed."""
    return select(func.coalesce(func.sum(_given_back()), 0)).where(
        col(Payment.refunded_at) >= ensure_utc(start),
        col(Payment.refunded_at) < ensure_utc(end),
        col(Payment.completed_at).is_not(None),
        col(Payment.khalti_mode) == mode,
    )


def _given_back() -> Any:
    """The paisa a refunded payment gave back: `refunded_paisa`, or the amount for a full refund recorded as 0."""
    return case((col(Payment.refunded_paisa) > 0, col(Payment.refunded_paisa)), else_=col(Payment.amount_paisa))


def _per_period(when: Any, value: Any, bounds: Sequence[tuple[datetime, datetime]]) -> list[Any]:
    """One SUM column per [start, end): `value` of the rows whose `when` falls in it."""
    return [
        func.coalesce(func.sum(case((and_(when >= ensure_utc(s), when < ensure_utc(e)), value), else_=0)), 0)
        for s, e in bounds
    ]


def period_gross_query(bounds: Sequence[tuple[datetime, datetime]], mode: str) -> Select[Any]:
    """SELECT one column per [start, end) in `bounds`: the paisa of payments completed in it."""
    completed = col(Payment.completed_at)
    return select(*_per_period(completed, col(Payment.amount_paisa), bounds)).where(
        completed >= ensure_utc(bounds[0][0]),
        completed < ensure_utc(bounds[-1][1]),
        col(Payment.khalti_mode) == mode,
    )


def period_refunds_query(bounds: Sequence[tuple[datetime, datetime]], mode: str) -> Select[Any]:
    """SELECT one column per [start, end) in `bounds`: the paisa given back in it on payments that had completed."""
    refunded = col(Payment.refunded_at)
    return select(*_per_period(refunded, _given_back(), bounds)).where(
        refunded >= ensure_utc(bounds[0][0]),
        refunded < ensure_utc(bounds[-1][1]),
        col(Payment.completed_at).is_not(None),
        col(Payment.khalti_mode) == mode,
    )


def _gives_access_at(at: datetime, grace_days: int) -> ColumnElement[bool]:
    """SQL condition on SubscriptionPeriod: it gave access at `at` (grace included, and not yet revoked then)."""
    return and_(
        col(SubscriptionPeriod.starts_at) <= at,
        col(SubscriptionPeriod.ends_at) >= at - timedelta(days=grace_days),
        or_(col(SubscriptionPeriod.revoked_at).is_(None), col(SubscriptionPeriod.revoked_at) > at),
    )


def active_at_query(instants: Sequence[datetime], grace_days: int, mode: str) -> Select[Any]:
    """SELECT one column per instant: the number of users with access at it (grace included) in Khalti mode `mode`."""
    instants = [ensure_utc(at) for at in instants]
    user = col(SubscriptionPeriod.user_id)
    return select(*(func.count(case((_gives_access_at(at, grace_days), user)).distinct()) for at in instants)).where(
        counts_in(mode),
        col(SubscriptionPeriod.starts_at) <= max(instants),
        col(SubscriptionPeriod.ends_at) >= min(instants) - timedelta(days=grace_days),
    )


def expiring_soon_query(now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """SELECT the number of users whose access ends in the next 7 days."""
    return select(func.count()).select_from(
        status_query(SubscriptionStatus.EXPIRING, now, grace_days, mode).subquery("expiring")
    )


def status_count_query(status: PaymentStatus, mode: str) -> Select[Any]:
    """SELECT the number of payments in `status`."""
    return select(func.count()).select_from(Payment).where(Payment.status == status, col(Payment.khalti_mode) == mode)


# -- figures ---------------------------------------------------------------------------------------------


def active_subscribers(session: Session, now: datetime, grace_days: int, mode: str) -> int:
    """Users with access at `now`, grace included."""
    return int(session.exec(active_subscribers_query(now, grace_days, mode)).one())


def gross_revenue(session: Session, start: datetime, end: datetime, mode: str) -> int:
    """Paisa of payments completed in [start, end)."""
    return int(session.exec(gross_revenue_query(start, end, mode)).one())


def refunds(session: Session, start: datetime, end: datetime, mode: str) -> int:
    """Paisa given back in [start, end) on payments that had been completed."""
    return int(session.exec(refunds_query(start, end, mode)).one())


def expiring_soon(session: Session, now: datetime, grace_days: int, mode: str) -> int:
    """Users whose access ends in the next 7 days."""
    return int(session.exec(expiring_soon_query(now, grace_days, mode)).one())


def status_count(session: Session, status: PaymentStatus, mode: str) -> int:
    """Payments in `status` now."""
    return int(session.exec(status_count_query(status, mode)).one())


def figures(
    now: datetime | None = None, grouping: Grouping = Grouping.AD_MONTH, *, deps: BillingDeps | None = None
) -> Figures:
    """Every headline figure at `now` (default: the clock), revenue over the period running then, in one session."""
    deps = resolve(deps)
    now = ensure_utc(now) if now is not None else deps.now()
    grace, mode = deps.settings.grace_days, deps.settings.khalti_env
    period = span_of(now, grouping)
    start, end = period.start, period.end
    with Session(deps.engine) as session:
        return Figures(
            at=now,
            period_label=period.title,
            active_subscribers=active_subscribers(session, now, grace, mode),
            gross_paisa=gross_revenue(session, start, end, mode),
            refunds_paisa=refunds(session, start, end, mode),
            expiring_soon=expiring_soon(session, now, grace, mode),
            pending=status_count(session, PaymentStatus.PENDING, mode),
            flagged=status_count(session, PaymentStatus.FLAGGED, mode),
            span=period,
        )


# -- the last periods --------------------------------------------------------------------------------------


def _row(session: Session, query: Select[Any]) -> list[int]:
    """The one row of a query with a column per period, as ints (a Row even for a single column)."""
    return [int(value) for value in session.connection().execute(query).one()]


def by_period(
    now: datetime | None = None,
    grouping: Grouping = Grouping.AD_MONTH,
    *,
    count: int | None = None,
    deps: BillingDeps | None = None,
) -> tuple[PeriodFigures, ...]:
    """Revenue and active subscribers of the last `count` periods (the running one last), read in one session."""
    deps = resolve(deps)
    now = ensure_utc(now) if now is not None else deps.now()
    grace, mode = deps.settings.grace_days, deps.settings.khalti_env
    periods = spans(now, grouping, count)
    bounds = [(p.start, p.end) for p in periods]
    # A period's last instant (its end is exclusive); the period running now is counted at `now`.
    instants = [min(end - timedelta(microseconds=1), now) for _, end in bounds]
    with Session(deps.engine) as session:
        gross = _row(session, period_gross_query(bounds, mode))
        refunded = _row(session, period_refunds_query(bounds, mode))
        active = _row(session, active_at_query(instants, grace, mode))
    return tuple(
        PeriodFigures(span=p, gross_paisa=gross[i], refunds_paisa=refunded[i], active_subscribers=active[i])
        for i, p in enumerate(periods)
    )


def rupees_number(paisa: int) -> str:
    """`1299.50`, `-1000.00`: paisa as a plain decimal number of rupees, for a spreadsheet to read as a number."""
    return str((Decimal(paisa) / PAISA_PER_RUPEE).quantize(Decimal("0.01")))


def _bs_day(day: date) -> str:
    """`1 Mangsir 2083`: an AD day (Nepal calendar) in Bikram Sambat."""
    return format_day(nepal_midnight(day), Calendar.BS)


def periods_csv(periods: Sequence[PeriodFigures]) -> str:
    """The periods as CSV (PERIOD_CSV_COLUMNS), oldest first, each in both calendars.

    Every cell is a number or a date written here, never text a person typed: none needs defusing against
    spreadsheet formulas (a negative revenue stays a number).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # English whatever the admin reads: column names and period labels are for spreadsheets and scripts.
    writer.writerow(PERIOD_CSV_COLUMNS)
    for p in periods:
        span = p.span
        writer.writerow(
            [
                span.label,
                span.first_day.isoformat(),
                span.last_day.isoformat(),
                _bs_day(span.first_day),
                _bs_day(span.last_day),
                iso_utc(span.start),
                iso_utc(span.end),
                p.gross_paisa,
                p.refunds_paisa,
                p.revenue_paisa,
                rupees_number(p.revenue_paisa),
                p.active_subscribers,
            ]
        )
    return out.getvalue()

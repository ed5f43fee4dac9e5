"""The admin figures, Cashier-style: each a small function over a matching query.

Definitions (all at one instant `now`; months are Gregorian months on Nepal's wall clock, Asia/Kathmandu):

- active subscribers: users with access at `now`, grace included (`subscription.active_query`).
- revenue this month = gross - refunds, in paisa, cash basis:
  gross   = the sum of `amount_paisa` of payments whose `completed_at` falls in the month (whatever their
            status now: a payment refunded later still earned money in its own month);
  refunds = the money given back in the month: for payments whose `refunded_at` falls in the month and
            that had been completed (`completed_at` set), `refunded_paisa`, or `amount_paisa` when
            `refunded_paisa` is 0 (a full refund recorded before that column was filled).
  A payment refunded before it ever completed (pending → refunded, or flagged → refunded) never counted
  as revenue, so its refund is not subtracted either. A flagged payment an admin accepts counts in the
  month of the decision, at the amount we asked for. A partial refund Khalti reports leaves the payment
  flagged with nothing refunded yet here, so it changes revenue only once an admin resolves it.
  A payment completed in one month and refunded in the next counts in the first and is subtracted in the
  second, so a month's revenue can be negative.
- expiring soon: users whose access ends within the next 7 days (`subscription` status `expiring`).
- pending / flagged: payments in that status now.

Every figure is about the Khalti mode the portal runs in (`mode`): payments made on the emulator or the
sandbox are no revenue in live mode, and periods they paid for give no access there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy import Select, case
from sqlmodel import Session, col, func, select

from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.nepal_time import nepal_month_bounds, to_nepal
from khalti_portal.billing.subscription import SubscriptionStatus, active_query, status_query
from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import Payment, PaymentStatus


@dataclass(frozen=True)
class Figures:
    """The admin payments page's headline numbers at one instant."""

    at: datetime
    month_label: str  # e.g. "February 2026": the Nepal calendar month of `at`
    active_subscribers: int
    gross_paisa: int
    refunds_paisa: int
    expiring_soon: int
    pending: int
    flagged: int

    @property
    def revenue_paisa(self) -> int:
        """The month's gross minus the month's refunds."""
        return self.gross_paisa - self.refunds_paisa


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
    given_back = case((col(Payment.refunded_paisa) > 0, col(Payment.refunded_paisa)), else_=col(Payment.amount_paisa))
    return select(func.coalesce(func.sum(given_back), 0)).where(
        col(Payment.refunded_at) >= ensure_utc(start),
        col(Payment.refunded_at) < ensure_utc(end),
        col(Payment.completed_at).is_not(None),
        col(Payment.khalti_mode) == mode,
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


def month_label(now: datetime) -> str:
    """`February 2026`: the Nepal calendar month `now` falls in."""
    return format_date(to_nepal(now).date(), "MMMM y", locale="en")


def figures(now: datetime | None = None, *, deps: BillingDeps | None = None) -> Figures:
    """Every headline figure at `now` (default: the clock), read in one session."""
    deps = resolve(deps)
    now = ensure_utc(now) if now is not None else deps.now()
    grace, mode = deps.settings.grace_days, deps.settings.khalti_env
    start, end = nepal_month_bounds(now)
    with Session(deps.engine) as session:
        return Figures(
            at=now,
            month_label=month_label(now),
            active_subscribers=active_subscribers(session, now, grace, mode),
            gross_paisa=gross_revenue(session, start, end, mode),
            refunds_paisa=refunds(session, start, end, mode),
            expiring_soon=expiring_soon(session, now, grace, mode),
            pending=status_count(session, PaymentStatus.PENDING, mode),
            flagged=status_count(session, PaymentStatus.FLAGGED, mode),
        )

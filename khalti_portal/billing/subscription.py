"""A subscriber's access, Cashier-style: tiny predicates, each with a matching SQL query for admin figures.

Boundaries, with E = the user's expiry (latest `ends_at` of non-revoked periods) and G = `GRACE_DAYS`:

    active    now <  E - 7 days                (more than 7 days left)
    expiring  E - 7 days <= now < E            (exactly 7 days left is expiring)
    grace     E <= now <= E + G                (at the expiry instant access turns to grace; E + G still grace)
    expired   now >  E + G
    none      the user has no non-revoked period at all

Periods are half-open [starts_at, ends_at); `is_active` (access, grace included) is `now <= E + G`.
Only periods that count in the configured Khalti mode (`periods.counts_in`) make E: a period paid on the
emulator or the sandbox gives no access in live mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, Subquery
from sqlmodel import Session, col, func, select

from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.invoices import INVOICE
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.periods import counts_in, current_expiry, stacked_start
from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import Invoice, LocalUser, Payment, PaymentStatus, Plan, SubscriptionPeriod

EXPIRING_WITHIN = timedelta(days=7)
DEFAULT_PLAN_LABEL = "Subscription"


class SubscriptionStatus(StrEnum):
    """Where a subscriber stands; the dashboard's `data-status`."""

    ACTIVE = "active"
    EXPIRING = "expiring"
    GRACE = "grace"
    EXPIRED = "expired"
    NONE = "none"


@dataclass(frozen=True)
class PeriodView:
    """One stretch of access as the dashboard shows it."""

    id: int
    plan_name: str
    starts_at: datetime
    ends_at: datetime
    payment_id: int | None


@dataclass(frozen=True)
class PaymentRecord:
    """One line of a subscriber's payment history."""

    date: datetime
    plan_name: str
    amount_paisa: int
    status: PaymentStatus
    transaction_id: str | None
    purchase_order_id: str
    invoice_slug: str = ""  # the URL form of the payment's invoice number, "" when it has none


@dataclass(frozen=True)
class SubscriptionSummary:
    """Everything the dashboard says about a subscriber, computed at one instant."""

    status: SubscriptionStatus
    plan_name: str | None
    expires_at: datetime | None
    days_left: int
    upcoming: tuple[PeriodView, ...]
    # The period running now; in grace or after, the one that ended last; None without any.
    current: PeriodView | None = None
    at: datetime | None = None  # the instant all of the above is true at

    @property
    def expires_at_iso(self) -> str | None:
        """The expiry as `YYYY-MM-DDTHH:MM:SSZ`, for `data-expires-at`."""
        return iso_utc(self.expires_at) if self.expires_at else None


# -- pure rules -------------------------------------------------------------------------------------


def status_at(expires: datetime | None, now: datetime, grace_days: int) -> SubscriptionStatus:
    """The status for an expiry at `now` (the table in this module's docstring)."""
    if expires is None:
        return SubscriptionStatus.NONE
    now = ensure_utc(now)
    if now < expires - EXPIRING_WITHIN:
        return SubscriptionStatus.ACTIVE
    if now < expires:
        return SubscriptionStatus.EXPIRING
    if now <= expires + timedelta(days=grace_days):
        return SubscriptionStatus.GRACE
    return SubscriptionStatus.EXPIRED


def days_left_at(expires: datetime | None, now: datetime) -> int:
    """Whole days until the expiry, any part of a day counting as one; 0 once it has passed."""
    if expires is None or expires <= now:
        return 0
    return math.ceil((expires - ensure_utc(now)) / timedelta(days=1))


# -- matching queries (SELECTs of user ids, for admin figures) -------------------------------------


def expiry_by_user(mode: str) -> Subquery:
    """Subquery (user_id, expires_at): each user's latest non-revoked `ends_at` among periods counting in `mode`."""
    return (
        select(SubscriptionPeriod.user_id, func.max(SubscriptionPeriod.ends_at).label("expires_at"))
        .where(col(SubscriptionPeriod.revoked_at).is_(None), counts_in(mode))
        .group_by(SubscriptionPeriod.user_id)
        .subquery("expiry_by_user")
    )


def active_query(now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """User ids for whom `is_active` holds at `now` in Khalti mode `mode`."""
    expiry = expiry_by_user(mode)
    return select(expiry.c.user_id).where(expiry.c.expires_at >= ensure_utc(now) - timedelta(days=grace_days))


def on_grace_period_query(now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """User ids for whom `on_grace_period` holds at `now` in Khalti mode `mode`."""
    return status_query(SubscriptionStatus.GRACE, now, grace_days, mode)


def status_query(wanted: SubscriptionStatus, now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """User ids whose `status` at `now` in `mode` is `wanted` (NONE: users with no period counting in `mode`)."""
    now = ensure_utc(now)
    expiry = expiry_by_user(mode)
    expires = expiry.c.expires_at
    if wanted is SubscriptionStatus.NONE:
        return select(LocalUser.id).where(col(LocalUser.id).not_in(select(expiry.c.user_id)))
    conditions = {
        SubscriptionStatus.ACTIVE: (expires > now + EXPIRING_WITHIN,),
        SubscriptionStatus.EXPIRING: (expires <= now + EXPIRING_WITHIN, expires > now),
        SubscriptionStatus.GRACE: (expires <= now, expires >= now - timedelta(days=grace_days)),
        SubscriptionStatus.EXPIRED: (expires < now - timedelta(days=grace_days),),
    }[wanted]
    return select(expiry.c.user_id).where(*conditions)


def current_plan_query(now: datetime, grace_days: int, mode: str) -> Select[Any]:
    """(user_id, plan_id) for every user with access at `now` (grace included): the plan of their current period.

    The current period is the user's latest-starting non-revoked period that has started: the one running
    now, or during grace the one that ended last (periods stack without gaps or overlaps).
    """
    now = ensure_utc(now)
    ranked = (
        select(
            col(SubscriptionPeriod.user_id).label("user_id"),
            col(SubscriptionPeriod.plan_id).label("plan_id"),
            func.row_number()
            .over(
                partition_by=col(SubscriptionPeriod.user_id),
                order_by=(col(SubscriptionPeriod.starts_at).desc(), col(SubscriptionPeriod.id).desc()),
            )
            .label("position"),
        )
        .where(col(SubscriptionPeriod.revoked_at).is_(None), col(SubscriptionPeriod.starts_at) <= now, counts_in(mode))
        .subquery("current_period")
    )
    return select(ranked.c.user_id, ranked.c.plan_id).where(
        ranked.c.position == 1, ranked.c.user_id.in_(active_query(now, grace_days, mode))
    )


# -- predicates on one user -------------------------------------------------------------------------


def _now(deps: BillingDeps, now: datetime | None) -> datetime:
    return ensure_utc(now) if now is not None else deps.now()


def expires_at(user_id: int, *, deps: BillingDeps | None = None) -> datetime | None:
    """When the user's paid access ends: the latest `ends_at` of their non-revoked periods counting in this mode."""
    deps = resolve(deps)
    with Session(deps.engine) as session:
        return current_expiry(session, user_id, deps.settings.khalti_env)


def status(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> SubscriptionStatus:
    """The user's SubscriptionStatus (active, expiring, grace, expired, none) at `now` (default: the clock)."""
    deps = resolve(deps)
    return status_at(expires_at(user_id, deps=deps), _now(deps, now), deps.settings.grace_days)


def is_active(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> bool:
    """True while the user has access, grace period included."""
    return status(user_id, now, deps=deps) in _WITH_ACCESS


def on_grace_period(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> bool:
    """True after the expiry but within the grace days."""
    return status(user_id, now, deps=deps) is SubscriptionStatus.GRACE


_WITH_ACCESS = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.GRACE})


# -- periods and history ----------------------------------------------------------------------------


def _periods(session: Session, user_id: int, mode: str, *conditions: Any) -> list[PeriodView]:
    query = (
        select(SubscriptionPeriod, Payment.plan_name, Plan.name)
        .outerjoin(Payment, col(Payment.id) == SubscriptionPeriod.payment_id)
        .outerjoin(Plan, col(Plan.id) == SubscriptionPeriod.plan_id)
        .where(
            SubscriptionPeriod.user_id == user_id,
            col(SubscriptionPeriod.revoked_at).is_(None),
            counts_in(mode),
            *conditions,
        )
        .order_by(col(SubscriptionPeriod.starts_at), col(SubscriptionPeriod.id))
    )
    return [
        PeriodView(
            id=period.id or 0,
            plan_name=paid_name or plan_name or DEFAULT_PLAN_LABEL,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            payment_id=period.payment_id,
        )
        for period, paid_name, plan_name in session.exec(query).all()
    ]


def _current(session: Session, user_id: int, now: datetime, mode: str) -> PeriodView | None:
    running = _periods(
        session, user_id, mode, col(SubscriptionPeriod.starts_at) <= now, col(SubscriptionPeriod.ends_at) > now
    )
    return running[-1] if running else None


def current_period(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> PeriodView | None:
    """The period running at `now`, if any."""
    deps = resolve(deps)
    with Session(deps.engine) as session:
        return _current(session, user_id, _now(deps, now), deps.settings.khalti_env)


def upcoming_periods(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> list[PeriodView]:
    """Already-paid periods that start after `now`, soonest first."""
    deps = resolve(deps)
    with Session(deps.engine) as session:
        return _periods(session, user_id, deps.settings.khalti_env, col(SubscriptionPeriod.starts_at) > _now(deps, now))


def history(user_id: int, *, limit: int = 50, deps: BillingDeps | None = None) -> list[PaymentRecord]:
    """The user's payments made in this Khalti mode, newest first (a switch to live starts a clean history)."""
    deps = resolve(deps)
    query = (
        select(Payment, Invoice.slug)
        # One join for the whole page, not a query per row: a payment has at most one invoice (uq_invoice_payment_kind).
        .outerjoin(Invoice, (col(Invoice.payment_id) == Payment.id) & (col(Invoice.kind) == INVOICE))
        .where(Payment.user_id == user_id, col(Payment.khalti_mode) == deps.settings.khalti_env)
        .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
        .limit(limit)
    )
    with Session(deps.engine) as session:
        return [
            PaymentRecord(
                date=p.created_at,
                plan_name=p.plan_name,
                amount_paisa=p.amount_paisa,
                status=p.status,
                transaction_id=p.transaction_id,
                purchase_order_id=p.purchase_order_id,
                invoice_slug=slug or "",
            )
            for p, slug in session.exec(query).all()
        ]


def summary(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> SubscriptionSummary:
    """The dashboard's view of the user at `now`: status, plan, expiry, days left, what is already paid."""
    deps = resolve(deps)
    now = _now(deps, now)
    mode = deps.settings.khalti_env
    with Session(deps.engine) as session:
        expires = current_expiry(session, user_id, mode)
        current = _current(session, user_id, now, mode)
        upcoming = _periods(session, user_id, mode, col(SubscriptionPeriod.starts_at) > now)
        if current is None and expires is not None:
            # In grace or expired: name the plan of the period that ended last.
            ended = _periods(session, user_id, mode, col(SubscriptionPeriod.ends_at) == expires)
            current = ended[-1] if ended else None
    return SubscriptionSummary(
        status=status_at(expires, now, deps.settings.grace_days),
        plan_name=current.plan_name if current else None,
        expires_at=expires,
        days_left=days_left_at(expires, now),
        upcoming=tuple(upcoming),
        current=current,
        at=now,
    )


# -- what the catalog, checkout and dashboard ask ---------------------------------------------------


@dataclass(frozen=True)
class PeriodWindow:
    """The stretch a new payment would buy: from now, or from the current expiry when renewing early."""

    starts_at: datetime
    ends_at: datetime
    renewing: bool


def next_period_window(
    user_id: int, duration_days: int, now: datetime | None = None, *, deps: BillingDeps | None = None
) -> PeriodWindow:
    """What paying now would buy, by the same stacking rule `grant_period` applies."""
    deps = resolve(deps)
    now = _now(deps, now)
    expires = expires_at(user_id, deps=deps)
    starts = stacked_start(now, expires)
    return PeriodWindow(starts, starts + timedelta(days=duration_days), renewing=starts > now)


def current_plan_slug(user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None) -> str | None:
    """The slug of the plan the user's access runs on now (grace included), or None without access."""
    deps = resolve(deps)
    current = current_plan_query(_now(deps, now), deps.settings.grace_days, deps.settings.khalti_env).subquery(
        "current_plan"
    )
    query = select(Plan.slug).join(current, current.c.plan_id == Plan.id).where(current.c.user_id == user_id)
    with Session(deps.engine) as session:
        return session.exec(query).first()


def pending_pidxs(user_id: int, *, deps: BillingDeps | None = None) -> list[str]:
    """The pidx of each of the user's payments still waiting on the Khalti this portal runs with."""
    deps = resolve(deps)
    query = select(Payment.pidx).where(
        Payment.user_id == user_id,
        Payment.status == PaymentStatus.PENDING,
        col(Payment.pidx).is_not(None),
        col(Payment.khalti_mode) == deps.settings.khalti_env,
    )
    with Session(deps.engine) as session:
        return [pidx for pidx in session.exec(query).all() if pidx]

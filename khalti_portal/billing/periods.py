"""Subscription periods that stack: grant one after the current expiry, revoke one and close the gap.

Only periods that count in the Khalti mode the portal runs in give access (`counts_in`): those paid in
that mode, and those an admin granted by hand. A period paid on the emulator or Khalti's sandbox moved no
real money, so it gives nothing in live mode; switching back to the test mode finds it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select, text

from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import Payment, SubscriptionPeriod

# Namespace for pg_advisory_xact_lock(ns, user_id): "KP" so other advisory locks never collide.
_USER_LOCK_NAMESPACE = 0x4B50


def lock_user(session: Session, user_id: int) -> None:
    """Serialise period changes of one user until the caller's transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite needs none: a writer holds the whole
    database, and billing always writes before it reads the periods it stacks on.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(:ns, :uid)")
        session.exec(lock, params={"ns": _USER_LOCK_NAMESPACE, "uid": user_id})


def counts_in(mode: str) -> Any:
    """SQL condition on SubscriptionPeriod: granted by an admin (no payment), or paid in Khalti mode `mode`."""
    # Correlated on the period's own payment (a primary-key lookup), not `payment_id IN (every payment in
    # the mode)`: that list is built from the whole payment table on each query, so it grew with the business.
    paid_in_mode = (
        select(Payment.id)
        .where(col(Payment.id) == col(SubscriptionPeriod.payment_id), col(Payment.khalti_mode) == mode)
        .correlate(SubscriptionPeriod)
        .exists()
    )
    return or_(col(SubscriptionPeriod.payment_id).is_(None), paid_in_mode)


def current_expiry(session: Session, user_id: int, mode: str) -> datetime | None:
    """The latest `ends_at` of the user's non-revoked periods that count in `mode`, or None if there are none."""
    query = select(func.max(SubscriptionPeriod.ends_at)).where(
        SubscriptionPeriod.user_id == user_id, col(SubscriptionPeriod.revoked_at).is_(None), counts_in(mode)
    )
    return session.exec(query).one()


def stacked_start(now: datetime, expiry: datetime | None) -> datetime:
    """Where new access starts: when the current access ends, or now if there is none. No paid day is lost."""
    return max(now, expiry) if expiry is not None else now


def grant_period(
    session: Session,
    *,
    user_id: int,
    plan_id: int | None,
    payment_id: int | None,
    duration_days: int,
    now: datetime,
    mode: str,
    granted_by: int | None = None,
    note: str | None = None,
) -> SubscriptionPeriod:
    """Add `duration_days` of access starting when the current access in `mode` ends (or now, if it has ended)."""
    if duration_days < 1:
        raise ValueError(f"a period lasts at least one day, got {duration_days}")
    now = ensure_utc(now)
    lock_user(session, user_id)
    expiry = current_expiry(session, user_id, mode)
    starts_at = stacked_start(now, expiry)
    period = SubscriptionPeriod(
        user_id=user_id,
        plan_id=plan_id,
        payment_id=payment_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=duration_days),
        granted_by=granted_by,
        note=note,
        created_at=now,
    )
    session.add(period)
    session.flush()
    return period


def revoke_period(session: Session, period: SubscriptionPeriod, *, now: datetime, reason: str, mode: str) -> int:
    """Revoke `period` and move the user's later periods (those counting in `mode`) earlier by its unused time.

    Without the move, a refund of one period would leave a hole before the next already-paid one. Periods
    of other modes never stacked on this one, so they stay where they are. Returns how many moved.
    """
    now = ensure_utc(now)
    lock_user(session, period.user_id)
    if period.revoked_at is not None:
        return 0
    period.revoked_at = now
    period.revoke_reason = reason
    session.add(period)
    unused = period.ends_at - max(now, period.starts_at)
    if unused <= timedelta(0):
        session.flush()
        return 0
    later = session.exec(
        select(SubscriptionPeriod).where(
            SubscriptionPeriod.user_id == period.user_id,
            col(SubscriptionPeriod.revoked_at).is_(None),
            SubscriptionPeriod.starts_at >= period.ends_at,
            SubscriptionPeriod.id != period.id,
            counts_in(mode),
        )
    ).all()
    for other in later:
        other.starts_at -= unused
        other.ends_at -= unused
        session.add(other)
    session.flush()
    return len(later)

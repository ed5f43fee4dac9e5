"""`verify_payment`: the one function that asks Khalti and moves a payment, exactly once per transition."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from khalti_portal.billing import invoices
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.money import format_rupees
from khalti_portal.billing.notices import queue_payment_received
from khalti_portal.billing.periods import grant_period, revoke_period
from khalti_portal.billing.transitions import LOOKUP_STATES, LookupVerdict, move_payment, verdict_for
from khalti_portal.config import Settings
from khalti_portal.db.models import Payment, PaymentStatus, SubscriptionPeriod
from khalti_portal.khalti import KhaltiError, KhaltiUnavailableError, LookupResult, LookupStatus

logger = logging.getLogger("khalti_portal.billing")

VerifySource = Literal["return", "dashboard", "reconciler", "admin"]
VERIFY_SOURCES: frozenset[str] = frozenset({"return", "dashboard", "reconciler", "admin"})

VerifyKind = Literal[
    "not_found", "final", "not_asked", "changed", "unchanged", "unknown_status", "unavailable", "error"
]
"""not_found: no such pidx (Khalti not asked). final: the payment is settled, Khalti not asked.
not_asked: Khalti was asked about it moments ago, so the stored state is the answer (`page_limits`).
changed: this call applied a transition. unchanged: Khalti answered, nothing to do (or a racing call
did it first). unknown_status: Khalti answered a status we cannot place. unavailable / error: the
lookup failed (retryable / not), the payment is untouched."""

NOT_FOUND = "not_found"
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class VerifyOutcome:
    """What verification found: the payment's status afterwards and whether this call changed it."""

    status: str  # a PaymentStatus, or "not_found"
    changed: bool
    payment_id: int | None
    user_id: int | None
    period_ends_at: datetime | None  # ends_at of this payment's (non-revoked) period, if it has one
    kind: VerifyKind
    lookup_status: str | None = None  # Khalti's status text, when Khalti was asked
    purchase_order_id: str | None = None  # the reference a person can quote to support


@dataclass(frozen=True)
class _Snapshot:
    """The payment as read before the lookup; the transition checks `status` is still this."""

    id: int
    user_id: int
    plan_id: int
    status: PaymentStatus
    amount_paisa: int
    duration_days: int
    check_count: int
    purchase_order_id: str
    pidx: str
    last_lookup: dict[str, Any] | None = None
    ends_at: datetime | None = None  # its (non-revoked) period's end, when `ends_at_read`
    ends_at_read: bool = False


# Statuses that never hold a period: nothing to read about one.
_NO_PERIOD = frozenset(
    {PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.CANCELED, PaymentStatus.EXPIRED, PaymentStatus.FAILED}
)


async def verify_payment(pidx: str, *, source: VerifySource, deps: BillingDeps | None = None) -> VerifyOutcome:
    """Look the payment up with Khalti and apply what Khalti says; safe to call from anywhere, at once."""
    if source not in VERIFY_SOURCES:
        raise ValueError(f"verify_payment source must be one of {sorted(VERIFY_SOURCES)}, got {source!r}")
    deps = resolve(deps)
    # Database work runs in a worker thread: a busy database must not stall the event loop.
    snap = await asyncio.to_thread(_load, deps, pidx) if pidx else None
    return await _verify_loaded(snap, source, deps)


async def verify_claimed(
    pidx: str, *, source: VerifySource, every: timedelta, settled_every: timedelta, deps: BillingDeps | None = None
) -> VerifyOutcome:
    """`verify_payment` for pages: Khalti is asked only if no page asked within `every` (settled: `settled_every`).

    The claim and the read are one statement; a payment not due is answered from what is stored (`not_asked`).
    """
    if source not in VERIFY_SOURCES:
        raise ValueError(f"verify_claimed source must be one of {sorted(VERIFY_SOURCES)}, got {source!r}")
    deps = resolve(deps)
    claimed = await asyncio.to_thread(_claim_page_lookup, deps, pidx, every, settled_every) if pidx else None
    if claimed is not None:
        return await _verify_loaded(claimed, source, deps)
    return await stored_outcome(pidx, deps=deps)


async def _verify_loaded(snap: _Snapshot | None, source: VerifySource, deps: BillingDeps) -> VerifyOutcome:
    if snap is None:
        return VerifyOutcome(NOT_FOUND, False, None, None, None, "not_found")
    if snap.status not in LOOKUP_STATES:
        return VerifyOutcome(
            snap.status, False, snap.id, snap.user_id, snap.ends_at, "final", purchase_order_id=snap.purchase_order_id
        )
    audit_source = AuditSource(source)
    try:
        # The lookup happens before, and outside, any transaction.
        async with deps.khalti_factory() as client:
            result = await client.lookup(snap.pidx)
    except KhaltiError as exc:
        await asyncio.to_thread(_record_lookup_error, deps, snap, exc, audit_source)
        kind: VerifyKind = "unavailable" if isinstance(exc, KhaltiUnavailableError) else "error"
        ends_at = snap.ends_at
        if not snap.ends_at_read and snap.status not in _NO_PERIOD:
            ends_at = await asyncio.to_thread(_period_ends_at_of, deps, snap.id)
        return VerifyOutcome(
            snap.status, False, snap.id, snap.user_id, ends_at, kind, purchase_order_id=snap.purchase_order_id
        )
    return await asyncio.to_thread(_apply, deps, snap, result, audit_source)


_SNAPSHOT_COLUMNS = (
    Payment.id,
    Payment.user_id,
    Payment.plan_id,
    Payment.status,
    Payment.amount_paisa,
    Payment.duration_days,
    Payment.check_count,
    Payment.purchase_order_id,
    Payment.last_lookup,
)


def _snapshot(row: Any, pidx: str, ends_at: datetime | None = None, *, ends_at_read: bool = False) -> _Snapshot:
    payment_id, user_id, plan_id, status, amount_paisa, duration_days, check_count, order_id, last_lookup = row
    return _Snapshot(
        id=payment_id,
        user_id=user_id,
        plan_id=plan_id,
        status=PaymentStatus(status),
        amount_paisa=amount_paisa,
        duration_days=duration_days,
        check_count=check_count,
        purchase_order_id=order_id,
        pidx=pidx,
        last_lookup=last_lookup,
        ends_at=ends_at,
        ends_at_read=ends_at_read,
    )


def _ours(deps: BillingDeps, pidx: str) -> Any:
    # A payment made in another Khalti mode is not ours to look up: this key's Khalti never saw it, and a
    # test payment must never grant access in live mode (or the other way round). It counts as not found.
    return (col(Payment.pidx) == pidx) & (col(Payment.khalti_mode) == deps.settings.khalti_env)


def _load(deps: BillingDeps, pidx: str) -> _Snapshot | None:
    """The payment and its period's end, in one query."""
    period = (col(SubscriptionPeriod.payment_id) == col(Payment.id)) & col(SubscriptionPeriod.revoked_at).is_(None)
    query = (
        select(*_SNAPSHOT_COLUMNS, SubscriptionPeriod.ends_at)
        .select_from(Payment)
        .outerjoin(SubscriptionPeriod, period)
        .where(_ours(deps, pidx))
    )
    with Session(deps.engine) as session:
        row = session.exec(query).first()
    return None if row is None else _snapshot(row[:-1], pidx, row[-1], ends_at_read=True)


def _claim_page_lookup(deps: BillingDeps, pidx: str, every: timedelta, settled_every: timedelta) -> _Snapshot | None:
    """Mark the payment as asked about now and read it, if pages may ask about it now; else None."""
    now = deps.now()
    settled = (PaymentStatus.COMPLETED, PaymentStatus.FLAGGED)
    last = col(Payment.page_lookup_at)
    due = last.is_(None) | (
        (col(Payment.status).in_(settled) & (last <= now - settled_every))
        | (col(Payment.status).not_in(settled) & (last <= now - every))
    )
    claim = (
        update(Payment)
        .where(_ours(deps, pidx), col(Payment.status).in_(LOOKUP_STATES), due)
        .values(page_lookup_at=now)
        .returning(*_SNAPSHOT_COLUMNS)
    )
    # One statement: on PostgreSQL racing claimers queue on the row and the second finds it claimed;
    # on SQLite the write lock does the same.
    with Session(deps.engine) as session:
        row = session.execute(claim, execution_options={"synchronize_session": False}).first()
        session.commit()
    return None if row is None else _snapshot(row, pidx)


def _period_ends_at(session: Session, payment_id: int) -> datetime | None:
    query = select(SubscriptionPeriod.ends_at).where(
        SubscriptionPeriod.payment_id == payment_id, col(SubscriptionPeriod.revoked_at).is_(None)
    )
    return session.exec(query).first()


def _period_ends_at_of(deps: BillingDeps, payment_id: int) -> datetime | None:
    with Session(deps.engine) as session:
        return _period_ends_at(session, payment_id)


def _record_lookup_error(deps: BillingDeps, snap: _Snapshot, exc: KhaltiError, source: AuditSource) -> None:
    logger.warning(
        "lookup failed for order %s pidx %s (%s): %s", snap.purchase_order_id, snap.pidx, type(exc).__name__, exc
    )
    reason = getattr(exc, "reason", None)
    with Session(deps.engine) as session:
        record_event(
            session,
            at=deps.now(),
            source=source,
            kind=AuditKind.LOOKUP_ERROR,
            payment_id=snap.id,
            user_id=snap.user_id,
            from_status=snap.status,
            detail=f"{type(exc).__name__}{f' ({reason})' if reason else ''}: {exc}",
            khalti_response={"http_status": exc.http_status, "body": exc.body} if exc.http_status else None,
        )
        session.commit()


def next_check_after(now: datetime, check_count: int, settings: Settings) -> datetime:
    """When a still-pending payment is worth asking about again: doubling from the settle time, capped."""
    base = timedelta(seconds=max(1, settings.reconcile_settle_seconds))
    return now + min(base * 2 ** min(check_count, 20), MAX_BACKOFF)


def _apply(deps: BillingDeps, snap: _Snapshot, result: LookupResult, source: AuditSource) -> VerifyOutcome:
    """Record the lookup and apply its transition in one short transaction."""
    now = deps.now()
    verdict = verdict_for(snap.status, result, amount_paisa=snap.amount_paisa)
    if verdict.anomaly:
        logger.warning("order %s pidx %s: %s", snap.purchase_order_id, snap.pidx, verdict.reason)
    try:
        with Session(deps.engine, expire_on_commit=False) as session:
            changed, status, ends_at = _apply_in(session, deps, snap, result, verdict, source, now)
            if ends_at is None and status not in _NO_PERIOD:
                ends_at = _period_ends_at(session, snap.id)
            session.commit()
    except IntegrityError:
        # The unique payment_id on periods caught a second grant: another verifier won, nothing to add.
        logger.warning(
            "order %s pidx %s: a racing verifier already granted its period", snap.purchase_order_id, snap.pidx
        )
        changed = False
        with Session(deps.engine) as session:
            status = session.exec(select(Payment.status).where(Payment.id == snap.id)).one()
            ends_at = _period_ends_at(session, snap.id)
    if changed:
        kind: VerifyKind = "changed"
    else:
        kind = "unknown_status" if result.status is LookupStatus.UNKNOWN else "unchanged"
    return VerifyOutcome(
        status, changed, snap.id, snap.user_id, ends_at, kind, result.status_text, snap.purchase_order_id
    )


def _apply_in(
    session: Session,
    deps: BillingDeps,
    snap: _Snapshot,
    result: LookupResult,
    verdict: LookupVerdict,
    source: AuditSource,
    now: datetime,
) -> tuple[bool, PaymentStatus, datetime | None]:
    """(whether this call moved the payment, its status now, its period's end when this call granted one)."""
    # A lookup that repeats the previous answer and changes nothing adds no audit row (a hostile page
    # could otherwise fill the trail): it is counted on the payment instead.
    repeat = verdict.to_status is None and not verdict.anomaly and result.raw == snap.last_lookup
    counters: dict[str, Any] = {"check_count": col(Payment.check_count) + 1}
    if repeat:
        counters["repeat_lookups"] = col(Payment.repeat_lookups) + 1
    # Write first: on SQLite this takes the write lock before anything is read; on PostgreSQL it locks
    # the row, so racing verifiers queue here and each then sees the winner's committed status.
    status_now = session.execute(
        update(Payment)
        .where(col(Payment.id) == snap.id)
        .values(last_lookup=result.raw, updated_at=now, **counters)
        .returning(Payment.status),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    status_now = PaymentStatus(status_now)
    common: dict[str, Any] = {"payment_id": snap.id, "user_id": snap.user_id, "source": source, "at": now}
    if not repeat:
        record_event(
            session,
            kind=AuditKind.LOOKUP,
            from_status=snap.status,
            detail=f"Khalti says {result.status_text} for {format_rupees(result.total_amount)} "
            f"(HTTP {result.http_status})",
            khalti_response=result.raw,
            **common,
        )
    if verdict.anomaly:
        record_event(session, kind=AuditKind.ANOMALY, from_status=snap.status, detail=verdict.reason, **common)
    if verdict.to_status is None:
        if snap.status is PaymentStatus.PENDING:
            session.exec(
                update(Payment)
                .where(col(Payment.id) == snap.id, col(Payment.status) == PaymentStatus.PENDING)
                .values(next_check_at=next_check_after(now, snap.check_count, deps.settings)),
                execution_options={"synchronize_session": False},
            )
        return False, status_now, None
    moved, ends_at = _transition(session, deps, snap, result, verdict, verdict.to_status, source, now)
    return moved, verdict.to_status if moved else status_now, ends_at


def _transition(
    session: Session,
    deps: BillingDeps,
    snap: _Snapshot,
    result: LookupResult,
    verdict: LookupVerdict,
    to_status: PaymentStatus,
    source: AuditSource,
    now: datetime,
) -> tuple[bool, datetime | None]:
    """One conditional UPDATE; only the caller whose UPDATE matched goes on to grant or revoke.

    (whether it matched, the end of the period it granted, if it granted one).
    """
    event = move_payment(
        session,
        snap.id,
        snap.status,
        to_status,
        at=now,
        source=source,
        detail=verdict.reason or "",
        values=_moved_values(snap, result, verdict, to_status, now),
        khalti_response=result.raw,
    )
    if event is None:
        logger.info(
            "order %s pidx %s: lost the race to move it from %s to %s",
            snap.purchase_order_id,
            snap.pidx,
            snap.status,
            to_status,
        )
        return False, None
    ends_at = None
    if verdict.grant:
        note, ends_at = _grant_paid_period(session, deps, snap, now)
        event.detail = f"{event.detail}{note}"
    if verdict.revoke:
        event.detail = f"{event.detail}{_revoke_paid_period(session, deps, snap, verdict.reason or to_status, now)}"
    if to_status is PaymentStatus.REFUNDED:
        note = invoices.issue(session, deps.settings, snap.id, kind=invoices.CREDIT_NOTE, now=now)
        if note is not None:
            event.detail = f"{event.detail}; credit note {note.number} reverses {note.reverses_number}"
    return True, ends_at


def _moved_values(
    snap: _Snapshot, result: LookupResult, verdict: LookupVerdict, to_status: PaymentStatus, now: datetime
) -> dict[str, Any]:
    """What moving to `to_status` sets beside it: Khalti's transaction, when it was paid or refunded, or why not."""
    values: dict[str, Any] = {"next_check_at": None}
    if result.transaction_id:
        values["transaction_id"] = result.transaction_id
        values["fee_paisa"] = result.fee
    if to_status is PaymentStatus.COMPLETED:
        values["completed_at"] = now
    elif to_status is PaymentStatus.REFUNDED:
        values["refunded_at"] = now
        # What Khalti holds is what goes back: for a flagged payment that may differ from our amount.
        values["refunded_paisa"] = result.total_amount if result.total_amount > 0 else snap.amount_paisa
    else:
        values["failure_reason"] = verdict.reason
    return values


def _grant_paid_period(session: Session, deps: BillingDeps, snap: _Snapshot, now: datetime) -> tuple[str, datetime]:
    """Grant the period the payment bought; what the transition's audit row adds about it, and its end."""
    period = grant_period(
        session,
        user_id=snap.user_id,
        plan_id=snap.plan_id,
        payment_id=snap.id,
        duration_days=snap.duration_days,
        now=now,
        mode=deps.settings.khalti_env,
    )
    # In the same transaction as the grant: the invoice and the confirmation exist exactly when the period does.
    invoices.issue(session, deps.settings, snap.id, kind=invoices.INVOICE, now=now)
    queue_payment_received(session, deps.settings, snap.id, starts_at=period.starts_at, ends_at=period.ends_at, now=now)
    return f"; period {period.starts_at.isoformat()} → {period.ends_at.isoformat()}", period.ends_at


def _revoke_paid_period(session: Session, deps: BillingDeps, snap: _Snapshot, reason: str, now: datetime) -> str:
    """Revoke the payment's period, if it has one; what the transition's audit row adds about it ("" if none)."""
    period = session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == snap.id)).first()
    if period is None:
        return ""
    shifted = revoke_period(session, period, now=now, reason=reason, mode=deps.settings.khalti_env)
    return f"; period {period.id} revoked" + (f", {shifted} later period(s) moved earlier" if shifted else "")


async def stored_outcome(pidx: str, *, deps: BillingDeps | None = None) -> VerifyOutcome:
    """What the payment says now, without asking Khalti (kind `not_asked`, or `not_found` / `final`)."""
    deps = resolve(deps)
    snap = await asyncio.to_thread(_load, deps, pidx) if pidx else None
    if snap is None:
        return VerifyOutcome(NOT_FOUND, False, None, None, None, "not_found")
    kind: VerifyKind = "not_asked" if snap.status in LOOKUP_STATES else "final"
    return VerifyOutcome(
        snap.status, False, snap.id, snap.user_id, snap.ends_at, kind, purchase_order_id=snap.purchase_order_id
    )

"""Reconciliation without webhooks: look up stale pending payments, fail checkouts that never reached Khalti.

Khalti sends no webhooks, so a payer who closes the tab after paying never reaches the return page.
`reconcile_once` finds them:

1. `created` payments older than CREATED_TIMEOUT_SECONDS become `failed` ("never reached Khalti"):
   one conditional UPDATE per row (`WHERE status='created'`), audited with source "reconciler".
2. `pending` payments that are due — older than RECONCILE_SETTLE_SECONDS, `next_check_at` NULL or
   past, link expired less than LOOKUP_HORIZON ago, not leased — are CLAIMED in one short transaction
   (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the single writer serialises), which
   sets `claimed_until`/`claimed_by` only where no live lease exists, and commits.
3. Each claimed payment is then looked up, at most `concurrency` at once, through `verify_payment`
   (source "reconciler") — the only code that moves a payment out of `pending`, which also counts the
   check and sets the backed-off `next_check_at`. A lookup Khalti could not answer (`unavailable`) is
   retried a bounded number of times with a short backoff; then the lease is released.

The lease only keeps two reconcilers from asking Khalti about the same payment at once; exactly-once
granting never depends on it (verify_payment's conditional UPDATE and the unique payment_id of
periods do that), so a lease that runs out under a slow worker costs at most a second lookup.

A payment still `pending` LOOKUP_HORIZON after its link expired is no longer looked up: Khalti answers
`Expired` for an unpaid link, so one that is still pending by then is stuck (Khalti keeps saying
Pending, or every lookup fails) and is left for an admin; each run counts them in `left_for_admin`.

4. The refund check. A refund made in Khalti's merchant portal (or a reversal) tells us nothing, and an
   admin's refund that Khalti accepted may not show in its lookup at once. So `completed` and `flagged`
   payments that completed within REFUND_CHECK_WINDOW (30 days), and every one with a refund requested
   (`refund_requested_at`), are looked up again every REFUND_CHECK_INTERVAL_SECONDS (a day), the first
   time that long after they completed (a refund request brings it forward, see billing/admin/refunds.py).
   The same lease, the same `verify_payment` (which moves completed → refunded and revokes the period,
   or → flagged for a partial refund), at most REFUND_CHECK_BATCHES batches per run: the rest are due at
   the next run. `next_check_at` holds when each is due again.

5. Renewal reminders: `billing.reminders.queue_due_reminders`, each stage queued once (its outbox key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select, update

from khalti_portal.billing.audit import AuditSource
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.reminders import queue_due_reminders
from khalti_portal.billing.transitions import REFUNDABLE_STATES, move_payment
from khalti_portal.billing.verification import VerifyOutcome, next_check_after, verify_payment
from khalti_portal.config import Settings
from khalti_portal.db.models import Payment, PaymentStatus

logger = logging.getLogger("khalti_portal.billing.reconcile")

CREATED_FAILURE_REASON = "never reached Khalti"
# How long after its link expired a pending payment is still looked up; later it is left for an admin.
LOOKUP_HORIZON = timedelta(hours=24)
# Without a stored link expiry (never the case after checkout), assume Khalti's production link life.
ASSUMED_LINK_LIFE = timedelta(hours=1)
# Pauses before the extra attempts of a lookup Khalti could not answer: 3 attempts at most.
LOOKUP_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0)
# What one lookup attempt may take at worst: the client's 10 s connect + 30 s read, plus the database.
LOOKUP_BUDGET_SECONDS = 45.0
MIN_LEASE = timedelta(minutes=2)
# The refund check (step 4): which payments, how far back, how many per run, how soon after a failed lookup.
REFUND_CHECK_WINDOW = timedelta(days=30)
REFUND_CHECK_BATCHES = 4
REFUND_CHECK_SOON = timedelta(hours=1)
# Created payments failed per run, and batches of pending payments claimed per run, at most.
CREATED_BATCH = 500
MAX_BATCHES = 20

Sleep = Callable[[float], Awaitable[Any]]


@dataclass
class ReconcileReport:
    """What one run found and did; `summary()` is the one line the CLI prints."""

    worker_id: str
    dry_run: bool = False
    due: int = 0  # dry run only: pending payments due for a lookup now (a real run reports `claimed`)
    claimed: int = 0  # leases this run took
    looked_up: int = 0  # claimed payments Khalti answered about
    completed: int = 0  # payments this run moved to `completed` (each granted one period)
    changed: dict[str, int] = field(default_factory=dict)  # status this run moved payments to → how many
    unchanged: int = 0  # answered, nothing to apply (still in progress, or a racing verifier won)
    still_pending: int = 0  # claimed payments still pending after the run
    errors: int = 0  # claimed payments whose lookup failed even after the retries
    retries: int = 0  # extra lookup attempts after Khalti was unavailable
    created_failed: int = 0  # `created` payments moved to `failed` (dry run: how many would be)
    left_for_admin: int = 0  # pending past LOOKUP_HORIZON, no longer looked up
    refund_checks: int = 0  # completed/flagged payments leased for the refund check (dry run: how many are due)
    reminders: int = 0  # renewal reminders queued (billing/reminders.py)

    def summary(self) -> str:
        """`reconcile: claimed 3, completed 2, still pending 1, errors 0, created→failed 0`."""
        if self.dry_run:
            checks = f", refund checks due {self.refund_checks}" if self.refund_checks else ""
            return (
                f"reconcile (dry run): due {self.due}, created past the timeout {self.created_failed}, "
                f"left for an admin {self.left_for_admin}{checks}; nothing claimed or changed"
            )
        line = (
            f"reconcile: claimed {self.claimed}, completed {self.completed}, still pending {self.still_pending}, "
            f"errors {self.errors}, created→failed {self.created_failed}"
        )
        others = {status: n for status, n in sorted(self.changed.items()) if status != PaymentStatus.COMPLETED}
        if others:
            line += ", other changes " + ", ".join(f"{status} {n}" for status, n in others.items())
        if self.left_for_admin:
            line += f", left for an admin {self.left_for_admin}"
        if self.refund_checks:
            line += f", refund checks {self.refund_checks}"
        if self.reminders:
            line += f", reminders queued {self.reminders}"
        return line

    @property
    def busy(self) -> bool:
        """True when the run had anything to do (the loop logs quiet runs at debug level only)."""
        return bool(
            self.claimed or self.due or self.created_failed or self.errors or self.refund_checks or self.reminders
        )


@dataclass(frozen=True)
class _Claim:
    """A payment this worker holds a lease on."""

    id: int
    pidx: str
    purchase_order_id: str
    check_count: int
    status: PaymentStatus = PaymentStatus.PENDING


def default_worker_id() -> str:
    """`host:pid:random`: unique per call, so two loops in one process never share a lease."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_for(batch_size: int, concurrency: int, attempts: int) -> timedelta:
    """A lease long enough for a whole batch at its slowest: rounds of lookups, every attempt timing out."""
    rounds = math.ceil(max(1, batch_size) / max(1, concurrency))
    return max(MIN_LEASE, timedelta(seconds=rounds * attempts * LOOKUP_BUDGET_SECONDS))


async def reconcile_once(
    *,
    deps: BillingDeps | None = None,
    worker_id: str | None = None,
    batch_size: int = 50,
    concurrency: int = 5,
    dry_run: bool = False,
    max_batches: int = MAX_BATCHES,
    retry_delays: Sequence[float] = LOOKUP_RETRY_DELAYS,
    sleep: Sleep = asyncio.sleep,
) -> ReconcileReport:
    """One pass: fail stale `created` payments, then claim and look up due `pending` ones, batch by batch.

    Claims up to `batch_size` payments at a time and looks them up `concurrency` at once, until nothing
    is due or `max_batches` batches are done; a payment is looked up at most once per run. `dry_run`
    claims and changes nothing and reports what is due.
    """
    if batch_size < 1 or concurrency < 1 or max_batches < 1:
        raise ValueError("batch_size, concurrency and max_batches must be at least 1")
    deps = resolve(deps)
    report = ReconcileReport(worker_id=worker_id or default_worker_id(), dry_run=dry_run)
    now = deps.now()
    report.left_for_admin = await asyncio.to_thread(_count_left_for_admin, deps, now)
    if report.left_for_admin:
        logger.info(
            "reconcile: %d pending payment(s) are past the lookup horizon (%s after their link expired) "
            "and are left for an admin",
            report.left_for_admin,
            LOOKUP_HORIZON,
        )
    if dry_run:
        report.created_failed = await asyncio.to_thread(_count_stale_created, deps, now)
        report.due = await asyncio.to_thread(_count_due, deps, now)
        report.refund_checks = await asyncio.to_thread(_count_refund_checks_due, deps, now)
        return report
    report.created_failed = await asyncio.to_thread(_fail_stale_created, deps, now)

    lease = lease_for(batch_size, concurrency, 1 + len(retry_delays))
    semaphore = asyncio.Semaphore(concurrency)
    seen: set[int] = set()  # a payment is looked up at most once per run, whichever step claimed it

    async def check_in_batches(batches: int, *, refund_check: bool) -> int:
        """Claim due payments batch by batch and look them up, until nothing is due; how many were claimed."""
        claimed = 0
        for _ in range(batches):
            claims = await asyncio.to_thread(
                _claim, deps, report.worker_id, batch_size, lease, frozenset(seen), refund_check=refund_check
            )
            claimed += len(claims)
            seen.update(claim.id for claim in claims)
            await asyncio.gather(
                *(_check_one(deps, claim, report, semaphore, retry_delays, sleep, refund_check) for claim in claims)
            )
            if len(claims) < batch_size:
                break
        return claimed

    report.claimed = await check_in_batches(max_batches, refund_check=False)
    report.refund_checks = await check_in_batches(min(max_batches, REFUND_CHECK_BATCHES), refund_check=True)
    # 5. Renewal reminders due now, after the lookups above settled who has paid.
    report.reminders = await asyncio.to_thread(queue_due_reminders, deps=deps)
    return report


async def _check_one(
    deps: BillingDeps,
    claim: _Claim,
    report: ReconcileReport,
    semaphore: asyncio.Semaphore,
    retry_delays: Sequence[float],
    sleep: Sleep,
    refund_check: bool,
) -> None:
    """Look one claimed payment up (retrying while Khalti is unavailable), release it, count the outcome."""
    outcome: VerifyOutcome | None = None
    try:
        outcome = await _look_up(deps, claim, report, semaphore, retry_delays, sleep)
    finally:
        try:
            if refund_check:
                # Khalti unreachable (or a bug): again in an hour. An answer no retry changes waits the full interval.
                soon = outcome is None or outcome.kind == "unavailable"
                await asyncio.to_thread(_release_refund_check, deps, claim, report.worker_id, soon)
            else:
                # Not retryable (auth, not found, nonsense): back off as for a pending answer, not every run.
                back_off = outcome is not None and outcome.kind == "error"
                await asyncio.to_thread(_release, deps, claim, report.worker_id, back_off)
        except Exception:
            # The lease runs out by itself; nothing else depends on releasing it.
            logger.exception(
                "reconcile: order %s pidx %s: releasing the lease failed", claim.purchase_order_id, claim.pidx
            )
    failed = outcome is None or outcome.kind in ("unavailable", "error")
    if refund_check:
        _count_refund_check(deps, report, claim, outcome, failed)
    else:
        _count(report, claim, outcome, failed)


async def _look_up(
    deps: BillingDeps,
    claim: _Claim,
    report: ReconcileReport,
    semaphore: asyncio.Semaphore,
    retry_delays: Sequence[float],
    sleep: Sleep,
) -> VerifyOutcome | None:
    """verify_payment for a leased payment, tried again while Khalti is unavailable; None if it raised."""
    try:
        async with semaphore:
            outcome = await verify_payment(claim.pidx, source="reconciler", deps=deps)
            for delay in retry_delays:
                if outcome.kind != "unavailable":
                    break
                report.retries += 1
                await sleep(delay)
                outcome = await verify_payment(claim.pidx, source="reconciler", deps=deps)
            return outcome
    except Exception:
        # A bug or the database going away: this payment waits for the next run, the others go on.
        logger.exception("reconcile: order %s pidx %s: verification raised", claim.purchase_order_id, claim.pidx)
        return None


def _count(report: ReconcileReport, claim: _Claim, outcome: VerifyOutcome | None, failed: bool) -> None:
    if failed:
        report.errors += 1
        report.still_pending += 1
        kind = outcome.kind if outcome is not None else "exception"
        logger.warning(
            "reconcile: order %s pidx %s: lookup failed (%s); still pending, asked again when due",
            claim.purchase_order_id,
            claim.pidx,
            kind,
        )
        return
    assert outcome is not None
    if outcome.kind in ("changed", "unchanged", "unknown_status"):
        report.looked_up += 1
    if outcome.changed:
        report.changed[outcome.status] = report.changed.get(outcome.status, 0) + 1
        if outcome.status == PaymentStatus.COMPLETED:
            report.completed += 1
        logger.info(
            "reconcile: order %s pidx %s: pending → %s (Khalti: %s)",
            claim.purchase_order_id,
            claim.pidx,
            outcome.status,
            outcome.lookup_status,
        )
    else:
        report.unchanged += 1
    if outcome.status == PaymentStatus.PENDING:
        report.still_pending += 1


def _count_refund_check(
    deps: BillingDeps, report: ReconcileReport, claim: _Claim, outcome: VerifyOutcome | None, failed: bool
) -> None:
    if failed:
        report.errors += 1
        logger.warning(
            "reconcile: order %s pidx %s: refund check lookup failed (%s); asked again in %s",
            claim.purchase_order_id,
            claim.pidx,
            outcome.kind if outcome is not None else "exception",
            refund_check_soon(deps.settings)
            if outcome is None or outcome.kind == "unavailable"
            else _refund_check_interval(deps.settings),
        )
        return
    assert outcome is not None
    report.looked_up += 1
    if outcome.changed:
        report.changed[outcome.status] = report.changed.get(outcome.status, 0) + 1
        logger.info(
            "reconcile: order %s pidx %s: %s → %s (Khalti: %s)",
            claim.purchase_order_id,
            claim.pidx,
            claim.status,
            outcome.status,
            outcome.lookup_status,
        )


# -- database work (runs in worker threads) ---------------------------------------------------------------


def _horizon_clause(now: datetime) -> Any:
    """The payment's link expired less than LOOKUP_HORIZON ago (or has not expired)."""
    expires = col(Payment.payment_url_expires_at)
    return or_(
        and_(expires.is_not(None), expires > now - LOOKUP_HORIZON),
        and_(expires.is_(None), col(Payment.created_at) > now - LOOKUP_HORIZON - ASSUMED_LINK_LIFE),
    )


def _due_clauses(now: datetime, settings: Settings) -> list[Any]:
    """Pending in this Khalti mode, settled, due by its backoff, within the horizon, not leased by a live worker."""
    return [
        col(Payment.status) == PaymentStatus.PENDING,
        col(Payment.khalti_mode) == settings.khalti_env,  # another mode's payments are not this Khalti's
        col(Payment.pidx).is_not(None),
        col(Payment.created_at) <= now - timedelta(seconds=settings.reconcile_settle_seconds),
        or_(col(Payment.next_check_at).is_(None), col(Payment.next_check_at) <= now),
        _horizon_clause(now),
        _unleased(now),
    ]


def _unleased(now: datetime) -> Any:
    return or_(col(Payment.claimed_until).is_(None), col(Payment.claimed_until) < now)


def _refund_check_interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.refund_check_interval_seconds)


def refund_check_soon(settings: Settings) -> timedelta:
    """How soon a payment is looked up again after a refund request or an unreachable Khalti (at most the interval)."""
    return min(_refund_check_interval(settings), REFUND_CHECK_SOON)


def _refund_check_clauses(now: datetime, settings: Settings) -> list[Any]:
    """Completed or flagged in this Khalti mode, in the window or with a refund requested, due, not leased.

    Due: `next_check_at` past, or never set and one refund-check interval after the payment completed.
    """
    paid_at = func.coalesce(col(Payment.completed_at), col(Payment.created_at))
    return [
        col(Payment.status).in_(REFUNDABLE_STATES),
        col(Payment.khalti_mode) == settings.khalti_env,  # another mode's payments are not this Khalti's
        col(Payment.pidx).is_not(None),
        or_(col(Payment.refund_requested_at).is_not(None), paid_at > now - REFUND_CHECK_WINDOW),
        or_(
            col(Payment.next_check_at) <= now,
            and_(col(Payment.next_check_at).is_(None), paid_at <= now - _refund_check_interval(settings)),
        ),
        _unleased(now),
    ]


def _claim(
    deps: BillingDeps,
    worker_id: str,
    batch_size: int,
    lease: timedelta,
    exclude: frozenset[int],
    *,
    refund_check: bool = False,
) -> list[_Claim]:
    """One short transaction: pick due ids (skipping rows another claimer holds), lease them, commit.

    Pending payments due a lookup, or (`refund_check`) completed/flagged ones due their refund check.
    """
    now = deps.now()
    if refund_check:
        where, statuses = _refund_check_clauses(now, deps.settings), REFUNDABLE_STATES
    else:
        where, statuses = _due_clauses(now, deps.settings), frozenset({PaymentStatus.PENDING})
    query = (
        select(Payment.id)
        .where(*where)
        .order_by(func.coalesce(col(Payment.next_check_at), col(Payment.created_at)), col(Payment.id))
        .limit(batch_size)
        # FOR UPDATE SKIP LOCKED on PostgreSQL: concurrent claimers pass over each other's rows.
        # SQLite renders nothing: its one writer serialises the UPDATE below, which re-checks the lease.
        .with_for_update(skip_locked=True)
    )
    if exclude:
        query = query.where(col(Payment.id).not_in(exclude))
    with Session(deps.engine) as session:
        ids = list(session.exec(query).all())
        if not ids:
            session.rollback()
            return []
        claimed = session.exec(
            update(Payment)
            .where(
                col(Payment.id).in_(ids),
                col(Payment.status).in_(statuses),
                _unleased(now),
            )
            .values(claimed_until=now + lease, claimed_by=worker_id)
            .returning(
                col(Payment.id),
                col(Payment.pidx),
                col(Payment.purchase_order_id),
                col(Payment.check_count),
                col(Payment.status),
            ),
            execution_options={"synchronize_session": False},
        ).all()
        session.commit()
    return sorted(
        (
            _Claim(id=row[0], pidx=row[1], purchase_order_id=row[2], check_count=row[3], status=row[4])
            for row in claimed
        ),
        key=lambda claim: claim.id,
    )


def _release(deps: BillingDeps, claim: _Claim, worker_id: str, back_off: bool) -> None:
    """Drop this worker's lease; after a non-retryable lookup error also push `next_check_at` back."""
    values: dict[str, Any] = {"claimed_until": None, "claimed_by": None}
    now = deps.now()
    with Session(deps.engine) as session:
        session.exec(
            update(Payment).where(col(Payment.id) == claim.id, col(Payment.claimed_by) == worker_id).values(**values),
            execution_options={"synchronize_session": False},
        )
        if back_off:
            session.exec(
                update(Payment)
                .where(col(Payment.id) == claim.id, col(Payment.status) == PaymentStatus.PENDING)
                .values(next_check_at=next_check_after(now, claim.check_count, deps.settings)),
                execution_options={"synchronize_session": False},
            )
        session.commit()


def _release_refund_check(deps: BillingDeps, claim: _Claim, worker_id: str, soon: bool) -> None:
    """Drop the lease; a payment still completed/flagged is due again in a day (`soon`: in an hour)."""
    now = deps.now()
    wait = refund_check_soon(deps.settings) if soon else _refund_check_interval(deps.settings)
    with Session(deps.engine) as session:
        session.exec(
            update(Payment)
            .where(col(Payment.id) == claim.id, col(Payment.claimed_by) == worker_id)
            .values(claimed_until=None, claimed_by=None),
            execution_options={"synchronize_session": False},
        )
        session.exec(
            update(Payment)
            .where(col(Payment.id) == claim.id, col(Payment.status).in_(REFUNDABLE_STATES))
            .values(next_check_at=now + wait),
            execution_options={"synchronize_session": False},
        )
        session.commit()


def _count_refund_checks_due(deps: BillingDeps, now: datetime) -> int:
    with Session(deps.engine) as session:
        query = select(func.count()).select_from(Payment).where(*_refund_check_clauses(now, deps.settings))
        return int(session.exec(query).one())


def _count_due(deps: BillingDeps, now: datetime) -> int:
    with Session(deps.engine) as session:
        query = select(func.count()).select_from(Payment).where(*_due_clauses(now, deps.settings))
        return int(session.exec(query).one())


def _count_left_for_admin(deps: BillingDeps, now: datetime) -> int:
    with Session(deps.engine) as session:
        query = (
            select(func.count())
            .select_from(Payment)
            .where(
                col(Payment.status) == PaymentStatus.PENDING,
                col(Payment.khalti_mode) == deps.settings.khalti_env,
                ~_horizon_clause(now),
            )
        )
        return int(session.exec(query).one())


def _stale_created_clauses(now: datetime, settings: Settings) -> list[Any]:
    return [
        col(Payment.status) == PaymentStatus.CREATED,
        col(Payment.khalti_mode) == settings.khalti_env,
        col(Payment.created_at) <= now - timedelta(seconds=settings.created_timeout_seconds),
    ]


def _count_stale_created(deps: BillingDeps, now: datetime) -> int:
    with Session(deps.engine) as session:
        query = select(func.count()).select_from(Payment).where(*_stale_created_clauses(now, deps.settings))
        return int(session.exec(query).one())


def _fail_stale_created(deps: BillingDeps, now: datetime) -> int:
    """Move `created` payments past CREATED_TIMEOUT_SECONDS to `failed`, each by a conditional UPDATE."""
    timeout = deps.settings.created_timeout_seconds
    reason = f"{CREATED_FAILURE_REASON}: still created {timeout} s after checkout began (initiate never answered)"
    moved_count = 0
    with Session(deps.engine) as session:
        stale = session.exec(
            select(Payment.id, Payment.purchase_order_id)
            .where(*_stale_created_clauses(now, deps.settings))
            .order_by(col(Payment.id))
            .limit(CREATED_BATCH)
        ).all()
        for payment_id, purchase_order_id in stale:
            moved = move_payment(
                session,
                payment_id,
                PaymentStatus.CREATED,
                PaymentStatus.FAILED,
                at=now,
                source=AuditSource.RECONCILER,
                detail=reason,
                values={"failure_reason": reason},
            )
            if moved is None:
                continue  # checkout stored its link, or another reconciler failed it first
            moved_count += 1
            logger.warning("reconcile: order %s: created → failed (%s)", purchase_order_id, CREATED_FAILURE_REASON)
        session.commit()
    return moved_count


# -- running it for ever ---------------------------------------------------------------------------------


async def reconcile_loop(
    *,
    deps: BillingDeps | None = None,
    interval: float | None = None,
    stop: asyncio.Event | None = None,
    dry_run: bool = False,
    batch_size: int = 50,
    concurrency: int = 5,
    on_report: Callable[[ReconcileReport], None] | None = None,
) -> None:
    """Run `reconcile_once` every `interval` seconds (RECONCILE_INTERVAL_SECONDS) until `stop` is set.

    A run that raises is logged and the loop goes on; cancelling the task stops it at once.
    """
    deps = resolve(deps)
    interval = deps.settings.reconcile_interval_seconds if interval is None else interval
    stop = stop if stop is not None else asyncio.Event()
    worker_id = default_worker_id()
    logger.info("reconcile loop %s: every %.0f s", worker_id, interval)
    while not stop.is_set():
        try:
            report = await reconcile_once(
                deps=deps, worker_id=worker_id, batch_size=batch_size, concurrency=concurrency, dry_run=dry_run
            )
            logger.log(logging.INFO if report.busy else logging.DEBUG, "%s", report.summary())
            if on_report is not None:
                on_report(report)
        except Exception:
            logger.exception("reconcile run failed; trying again in %.0f s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    logger.info("reconcile loop %s: stopped", worker_id)


def run_in_process(settings: Settings) -> bool:
    """Whether the web server runs the reconcile loop itself (see docs/operations.md).

    On by default. `RECONCILE_IN_PROCESS=0` hands the work to `python -m khalti_portal reconcile --loop`
    (several copies may run on PostgreSQL; on SQLite run exactly one reconciler of either kind).
    """
    return settings.reconcile_in_process


async def reconcile_in_background() -> None:
    """Reflex lifespan task: this server process's reconcile loop, until shutdown cancels it."""
    await reconcile_loop()

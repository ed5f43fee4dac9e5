"""The decisions only a person can make: resolve a flagged payment, grant, extend or revoke access by hand.

Each takes the acting admin's id and a REQUIRED reason (1-500 characters, see `reason_problem`) and writes
one `PaymentEvent` (source "admin", the admin as `actor_user_id`, the reason in `detail`):

- `grant_flagged`: a flagged payment becomes completed and its period is granted, in ONE transaction that
  starts with the conditional UPDATE `WHERE status='flagged'`: two admins clicking at once grant once. Its
  audit row is the payment's transition (kind "transition", flagged → completed). `completed_at` is the
  moment of the decision, so the payment counts towards that month's revenue (see reports.py). A flagged
  payment that kept its period (Khalti reported a partial refund of a completed payment) keeps that period
  and gets no second one.
- `refund_flagged`: a flagged payment is refunded through `refund_payment`; `verify_payment` then moves it
  flagged → refunded and revokes its period, if it had one.
- `grant_access`: N days (1-3650) of access with no payment (`payment_id` None, `granted_by` the admin,
  `note` the reason), stacked like a paid period: from max(now, current expiry). No plan is attached; the
  dashboard calls it "Subscription". Audit kind "grant".
- `extend_access`: the same as `grant_access` — N more days from max(now, expiry) — but the new period
  carries the plan of the user's latest period, so the dashboard keeps naming their plan. Audit kind "extend".
- `revoke_access`: revokes, with the reason, every non-revoked period of the user that still gives access:
  the current one, any already-paid later ones, and one that ended within the grace days (otherwise the
  user would keep grace access). Access ends at once. It refunds nothing and leaves payments as they are:
  to give money back, refund the payment instead. Audit kind "revoke".

The target user of a manual action is a username or a user id, checked here (`find_user`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from khalti_portal.billing import invoices
from khalti_portal.billing.admin.inputs import MAX_DAYS, MIN_DAYS, days_of, id_of, reason_problem
from khalti_portal.billing.admin.refunds import RefundOutcome, refund_payment
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.notices import queue_payment_received
from khalti_portal.billing.periods import counts_in, grant_period, lock_user, revoke_period
from khalti_portal.billing.transitions import move_payment
from khalti_portal.db.models import LocalUser, Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.reading_preferences import calendar_of

MAX_USER_TEXT = 255  # reflex-local-auth's username column


@dataclass(frozen=True)
class DecisionOutcome:
    """How a decision went: whether it was applied and what to tell the admin."""

    ok: bool
    message: str
    user_id: int | None = None
    payment_id: int | None = None
    ends_at: datetime | None = None  # the access's new end, after a grant or extension


def _refused(message: str, **ids: int | None) -> DecisionOutcome:
    return DecisionOutcome(False, message, **ids)


# -- inputs ------------------------------------------------------------------------------------------------


def find_user(session: Session, who: object) -> tuple[int, str] | str:
    """(id, username) of the user meant by `who`, or what is wrong with it.

    An int is a user id. Text is a username; `#12` is user id 12; bare digits are a username when one
    matches exactly, else a user id.
    """
    if isinstance(who, int) and not isinstance(who, bool):
        return _user_by_id(session, who)
    if not isinstance(who, str) or not who.strip():
        return "Enter a username or a user id (like #12)."
    text = who.strip()
    if len(text) > MAX_USER_TEXT:
        return "That is not a username: it is too long."
    if text.startswith("#"):
        return _user_by_id(session, text[1:])
    row = session.exec(select(LocalUser.id, LocalUser.username).where(LocalUser.username == text)).first()
    if row is not None:
        return int(row[0]), row[1]
    if text.isascii() and text.isdigit():
        return _user_by_id(session, text)
    return f"There is no user named {text[:40]!r}."


def _user_by_id(session: Session, value: object) -> tuple[int, str] | str:
    ident = id_of(value)  # the same positive-id rule
    row = session.get(LocalUser, ident) if ident is not None else None
    if row is None or row.id is None:
        return f"There is no user with id {str(value)[:12]}."
    return int(row.id), row.username


def _check(reason: object, actor_user_id: object) -> str | None:
    if not isinstance(actor_user_id, int) or isinstance(actor_user_id, bool):
        return "Only a signed-in admin can decide this."
    return reason_problem(reason)


# -- flagged payments ------------------------------------------------------------------------------------


def grant_flagged(
    payment_id: int, *, actor_user_id: int, reason: str, deps: BillingDeps | None = None
) -> DecisionOutcome:
    """Accept a flagged payment: flagged → completed and its period granted, once, in one transaction."""
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return _refused("There is no such payment; reload the page and try again.")
    if problem := _check(reason, actor_user_id):
        return _refused(problem, payment_id=ident)
    why = reason.strip()
    now = deps.now()
    mode = deps.settings.khalti_env
    calendar = calendar_of(actor_user_id, engine=deps.engine)  # the acting admin reads the answer
    with session_scope(deps.engine) as session:
        # The conditional UPDATE comes first: it takes the row (PostgreSQL) or the database (SQLite) before
        # anything is read, so a second admin's grant finds the payment completed and grants nothing.
        event = move_payment(
            session,
            ident,
            PaymentStatus.FLAGGED,
            PaymentStatus.COMPLETED,
            at=now,
            source=AuditSource.ADMIN,
            detail="admin accepted the flagged payment",
            values={"completed_at": now, "next_check_at": None},
            only_if=(col(Payment.khalti_mode) == mode,),
            actor_user_id=actor_user_id,
        )
        payment = session.get(Payment, ident, populate_existing=True)
        if event is None or payment is None:
            return _not_accepted(payment, ident, mode)
        period, granted = _keep_or_grant_period(session, payment, actor_user_id, why, now, mode)
        ends_at = period.ends_at
        event.detail = f"{event.detail}; {granted}; reason: {why}"
        invoices.issue(session, deps.settings, ident, kind=invoices.INVOICE, now=now)
        queue_payment_received(
            session, deps.settings, ident, starts_at=period.starts_at, ends_at=period.ends_at, now=now
        )
        return DecisionOutcome(
            True,
            f"Accepted order {payment.purchase_order_id}: access until {format_moment_or_ad(ends_at, calendar)}.",
            user_id=payment.user_id,
            payment_id=ident,
            ends_at=ends_at,
        )


def _not_accepted(payment: Payment | None, ident: int, mode: str) -> DecisionOutcome:
    """Why accepting moved nothing: no such payment, one made in another Khalti mode, or one no longer flagged."""
    if payment is None:
        return _refused("There is no such payment; reload the page and try again.")
    if payment.khalti_mode != mode:
        return _refused(
            f"This payment was made in {payment.khalti_mode} mode and the portal runs in "
            f"{mode} mode: it can only be resolved in its own mode; nothing was changed.",
            payment_id=ident,
            user_id=payment.user_id,
        )
    return _refused(
        f"This payment is {payment.status}, not flagged (someone may have just resolved it); nothing was changed.",
        payment_id=ident,
        user_id=payment.user_id,
    )


def _keep_or_grant_period(
    session: Session, payment: Payment, actor: int, why: str, now: datetime, mode: str
) -> tuple[SubscriptionPeriod, str]:
    """The accepted payment's access: the period it kept through the flag, else a new one; it, and in words."""
    ident = payment.id
    existing = session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.payment_id == ident)).first()
    if existing is not None and existing.revoked_at is None:
        return existing, f"its period #{existing.id} (kept since before it was flagged) stays"
    period = grant_period(
        session,
        user_id=payment.user_id,
        plan_id=payment.plan_id,
        # A revoked period still holds this payment's one slot: the new one is a grant of its own.
        payment_id=ident if existing is None else None,
        duration_days=payment.duration_days,
        now=now,
        mode=mode,
        granted_by=actor,
        note=why if existing is None else f"for payment #{ident}: {why}",
    )
    return period, f"period #{period.id} {period.starts_at.isoformat()} → {period.ends_at.isoformat()} granted"


async def refund_flagged(
    payment_id: int, *, actor_user_id: int, reason: str, deps: BillingDeps | None = None
) -> RefundOutcome:
    """Give a flagged payment's money back: refund_payment, which verify_payment turns into flagged → refunded."""
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return RefundOutcome("invalid", "There is no such payment; reload the page and try again.")
    if problem := _check(reason, actor_user_id):
        return RefundOutcome("invalid", problem, ident)
    with Session(deps.engine) as session:
        status = session.exec(select(Payment.status).where(Payment.id == ident)).first()
    if status is None:
        return RefundOutcome("invalid", "There is no such payment; reload the page and try again.")
    if status != PaymentStatus.FLAGGED:
        return RefundOutcome(
            "not_refundable",
            f"This payment is {status}, not flagged (someone may have just resolved it); nothing was changed.",
            ident,
            status,
        )
    return await refund_payment(ident, actor_user_id=actor_user_id, reason=reason, deps=deps)


# -- access by hand --------------------------------------------------------------------------------------


def grant_access(
    user: int | str, days: int | str, *, actor_user_id: int, reason: str, deps: BillingDeps | None = None
) -> DecisionOutcome:
    """Give a user N days of access with no payment, from max(now, their current expiry)."""
    return _add_days(AuditKind.GRANT, user, days, actor_user_id, reason, resolve(deps))


def extend_access(
    user: int | str, days: int | str, *, actor_user_id: int, reason: str, deps: BillingDeps | None = None
) -> DecisionOutcome:
    """Add N days to a user's access (as grant_access), keeping the plan of their latest period."""
    return _add_days(AuditKind.EXTEND, user, days, actor_user_id, reason, resolve(deps))


def _add_days(
    kind: AuditKind, user: object, days: object, actor: int, reason: str, deps: BillingDeps
) -> DecisionOutcome:
    if problem := _check(reason, actor):
        return _refused(problem)
    count = days_of(days)
    if count is None:
        return _refused(f"Enter a whole number of days from {MIN_DAYS} to {MAX_DAYS}.")
    why = reason.strip()
    now = deps.now()
    calendar = calendar_of(actor, engine=deps.engine)  # the acting admin reads the answer
    with session_scope(deps.engine) as session:
        target = _named_user_audited(session, user, kind, actor, now, f"{kind} {count} days; reason: {why}")
        if isinstance(target, str):
            return _refused(target)
        user_id, username, event = target
        mode = deps.settings.khalti_env
        plan_id = _latest_plan(session, user_id, mode) if kind is AuditKind.EXTEND else None
        period = grant_period(
            session,
            user_id=user_id,
            plan_id=plan_id,
            payment_id=None,
            duration_days=count,
            now=now,
            mode=mode,
            granted_by=actor,
            note=why,
        )
        event.detail = (
            f"{kind}: {count} days for {username!r}, period #{period.id} "
            f"{period.starts_at.isoformat()} → {period.ends_at.isoformat()}; reason: {why}"
        )
        session.add(event)
        verb = "Extended" if kind is AuditKind.EXTEND else "Granted"
        days_text = f"{count} day{'s' if count != 1 else ''}"
        return DecisionOutcome(
            True,
            f"{verb} {username}'s access by {days_text}: now until {format_moment_or_ad(period.ends_at, calendar)}.",
            user_id=user_id,
            ends_at=period.ends_at,
        )


def _named_user_audited(
    session: Session, user: object, kind: AuditKind, actor: int, now: datetime, detail: str
) -> tuple[int, str, PaymentEvent] | str:
    """The user the admin named (or why not) and the decision's audit row, to be completed by the caller.

    The audit row is written first: on SQLite that takes the write lock before the user's periods are read.
    """
    target = find_user(session, user)
    if isinstance(target, str):
        return target
    user_id, username = target
    event = record_event(
        session, at=now, source=AuditSource.ADMIN, kind=kind, user_id=user_id, actor_user_id=actor, detail=detail
    )
    session.flush()
    return user_id, username, event


def _latest_plan(session: Session, user_id: int, mode: str) -> int | None:
    return session.exec(
        select(SubscriptionPeriod.plan_id)
        .where(SubscriptionPeriod.user_id == user_id, col(SubscriptionPeriod.revoked_at).is_(None), counts_in(mode))
        .order_by(col(SubscriptionPeriod.ends_at).desc(), col(SubscriptionPeriod.id).desc())
        .limit(1)
    ).first()


def revoke_access(
    user: int | str, *, actor_user_id: int, reason: str, deps: BillingDeps | None = None
) -> DecisionOutcome:
    """End a user's access now: revoke their current and upcoming periods with the reason (refunds nothing)."""
    deps = resolve(deps)
    if problem := _check(reason, actor_user_id):
        return _refused(problem)
    why = reason.strip()
    now = deps.now()
    with session_scope(deps.engine) as session:
        target = _named_user_audited(session, user, AuditKind.REVOKE, actor_user_id, now, f"revoke; reason: {why}")
        if isinstance(target, str):
            return _refused(target)
        user_id, username, event = target
        lock_user(session, user_id)
        # Every period still giving access, grace included; latest first, because revoking a period moves
        # the later live periods earlier, and by then there are none.
        live = session.exec(
            select(SubscriptionPeriod)
            .where(
                SubscriptionPeriod.user_id == user_id,
                col(SubscriptionPeriod.revoked_at).is_(None),
                SubscriptionPeriod.ends_at >= now - timedelta(days=deps.settings.grace_days),
                counts_in(deps.settings.khalti_env),  # other modes' periods give no access here: left alone
            )
            .order_by(col(SubscriptionPeriod.starts_at).desc(), col(SubscriptionPeriod.id).desc())
        ).all()
        if not live:
            session.rollback()
            return _refused(f"{username} has no access to revoke.", user_id=user_id)
        for period in live:
            revoke_period(session, period, now=now, reason=f"revoked by an admin: {why}", mode=deps.settings.khalti_env)
        ids = ", ".join(f"#{p.id}" for p in sorted(live, key=lambda p: p.id or 0))
        event.detail = f"revoke: {len(live)} period(s) of {username!r} ({ids}); reason: {why}"
        session.add(event)
        return DecisionOutcome(
            True,
            f"Revoked {username}'s access ({len(live)} period{'s' if len(live) != 1 else ''}): they have none now.",
            user_id=user_id,
        )

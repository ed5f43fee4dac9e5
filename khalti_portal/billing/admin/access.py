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

What each returns for the admin to read is in `language` (theirs); audit rows stay English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from khalti_portal.billing import invoices
from khalti_portal.billing.admin.inputs import MAX_DAYS, MIN_DAYS, days_of, id_of, reason_problem
from khalti_portal.billing.admin.payments import status_words
from khalti_portal.billing.admin.refunds import NO_SUCH_PAYMENT, RefundOutcome, refund_payment
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.notices import queue_payment_received
from khalti_portal.billing.periods import counts_in, grant_period, lock_user, revoke_period
from khalti_portal.billing.transitions import move_payment
from khalti_portal.db.models import LocalUser, Payment, PaymentEvent, PaymentStatus, SubscriptionPeriod
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import Language, translate, translate_plural
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.messages import shown
from khalti_portal.i18n.numbers import format_days, format_number, localise_digits
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


def find_user(session: Session, who: object, language: Language = Language.EN) -> tuple[int, str] | str:
    """(id, username) of the user meant by `who`, or what is wrong with it (in `language`).

    An int is a user id. Text is a username; `#12` is user id 12; bare digits are a username when one
    matches exactly, else a user id.
    """
    if isinstance(who, int) and not isinstance(who, bool):
        return _user_by_id(session, who, language)
    if not isinstance(who, str) or not who.strip():
        return translate(language, "Enter a username or a user id (like {example}).", example="#12")
    text = who.strip()
    if len(text) > MAX_USER_TEXT:
        return translate(language, "That is not a username: it is too long.")
    if text.startswith("#"):
        return _user_by_id(session, text[1:], language)
    row = session.exec(select(LocalUser.id, LocalUser.username).where(LocalUser.username == text)).first()
    if row is not None:
        return int(row[0]), row[1]
    if text.isascii() and text.isdigit():
        return _user_by_id(session, text, language)
    return translate(language, "There is no user named {name}.", name=repr(text[:40]))


def _user_by_id(session: Session, value: object, language: Language = Language.EN) -> tuple[int, str] | str:
    ident = id_of(value)  # the same positive-id rule
    row = session.get(LocalUser, ident) if ident is not None else None
    if row is None or row.id is None:
        # The id as typed (digits the admin wrote stay as they are).
        return translate(language, "There is no user with id {ident}.", ident=str(value)[:12])
    return int(row.id), row.username


def _check(reason: object, actor_user_id: object, language: Language = Language.EN) -> str | None:
    if not isinstance(actor_user_id, int) or isinstance(actor_user_id, bool):
        return translate(language, "Only a signed-in admin can decide this.")
    problem = reason_problem(reason)
    return shown(problem, language) if problem is not None else None


# -- flagged payments ------------------------------------------------------------------------------------


def grant_flagged(
    payment_id: int,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> DecisionOutcome:
    """Accept a flagged payment: flagged → completed and its period granted, once, in one transaction."""
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return _refused(translate(language, NO_SUCH_PAYMENT))
    if problem := _check(reason, actor_user_id, language):
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
            return _not_accepted(payment, ident, mode, language)
        period, granted = _keep_or_grant_period(session, payment, actor_user_id, why, now, mode)
        ends_at = period.ends_at
        event.detail = f"{event.detail}; {granted}; reason: {why}"
        invoices.issue(session, deps.settings, ident, kind=invoices.INVOICE, now=now)
        queue_payment_received(
            session, deps.settings, ident, starts_at=period.starts_at, ends_at=period.ends_at, now=now
        )
        return DecisionOutcome(
            True,
            translate(
                language,
                "Accepted order {order}: access until {ends}.",
                order=payment.purchase_order_id,
                ends=format_moment_or_ad(ends_at, calendar, language),
            ),
            user_id=payment.user_id,
            payment_id=ident,
            ends_at=ends_at,
        )


def _not_flagged(status: str, language: Language) -> str:
    return translate(
        language,
        "This payment is {status}, not flagged (someone may have just resolved it); nothing was changed.",
        status=status_words(status, language),
    )


def _not_accepted(payment: Payment | None, ident: int, mode: str, language: Language) -> DecisionOutcome:
    """Why accepting moved nothing: no such payment, one made in another Khalti mode, or one no longer flagged."""
    if payment is None:
        return _refused(translate(language, NO_SUCH_PAYMENT))
    if payment.khalti_mode != mode:
        return _refused(
            translate(
                language,
                "This payment was made in {mode} mode and the portal runs in {portal_mode} mode: "
                "it can only be resolved in its own mode; nothing was changed.",
                mode=payment.khalti_mode,
                portal_mode=mode,
            ),
            payment_id=ident,
            user_id=payment.user_id,
        )
    return _refused(_not_flagged(payment.status, language), payment_id=ident, user_id=payment.user_id)


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
    payment_id: int,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> RefundOutcome:
    """Give a flagged payment's money back: refund_payment, which verify_payment turns into flagged → refunded."""
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return RefundOutcome("invalid", translate(language, NO_SUCH_PAYMENT))
    if problem := _check(reason, actor_user_id, language):
        return RefundOutcome("invalid", problem, ident)
    with Session(deps.engine) as session:
        status = session.exec(select(Payment.status).where(Payment.id == ident)).first()
    if status is None:
        return RefundOutcome("invalid", translate(language, NO_SUCH_PAYMENT))
    if status != PaymentStatus.FLAGGED:
        return RefundOutcome("not_refundable", _not_flagged(status, language), ident, status)
    return await refund_payment(ident, actor_user_id=actor_user_id, reason=reason, deps=deps, language=language)


# -- access by hand --------------------------------------------------------------------------------------


def grant_access(
    user: int | str,
    days: int | str,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> DecisionOutcome:
    """Give a user N days of access with no payment, from max(now, their current expiry)."""
    return _add_days(AuditKind.GRANT, user, days, actor_user_id, reason, resolve(deps), language)


def extend_access(
    user: int | str,
    days: int | str,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> DecisionOutcome:
    """Add N days to a user's access (as grant_access), keeping the plan of their latest period."""
    return _add_days(AuditKind.EXTEND, user, days, actor_user_id, reason, resolve(deps), language)


def _add_days(
    kind: AuditKind, user: object, days: object, actor: int, reason: str, deps: BillingDeps, language: Language
) -> DecisionOutcome:
    if problem := _check(reason, actor, language):
        return _refused(problem)
    count = days_of(days)
    if count is None:
        return _refused(
            translate(
                language,
                "Enter a whole number of days from {least} to {most}.",
                # Digits as typed in the box (no grouping): the bounds of what it accepts.
                least=localise_digits(str(MIN_DAYS), language),
                most=localise_digits(str(MAX_DAYS), language),
            )
        )
    why = reason.strip()
    now = deps.now()
    calendar = calendar_of(actor, engine=deps.engine)  # the acting admin reads the answer
    with session_scope(deps.engine) as session:
        target = _named_user_audited(session, user, kind, actor, now, f"{kind} {count} days; reason: {why}", language)
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
        said = (
            "Extended {name}'s access by {days}: now until {ends}."
            if kind is AuditKind.EXTEND
            else "Granted {name}'s access by {days}: now until {ends}."
        )
        return DecisionOutcome(
            True,
            translate(
                language,
                said,
                name=username,
                days=format_days(count, language),
                ends=format_moment_or_ad(period.ends_at, calendar, language),
            ),
            user_id=user_id,
            ends_at=period.ends_at,
        )


def _named_user_audited(
    session: Session, user: object, kind: AuditKind, actor: int, now: datetime, detail: str, language: Language
) -> tuple[int, str, PaymentEvent] | str:
    """The user the admin named (or why not, in `language`) and the decision's audit row, completed by the caller.

    The audit row is written first: on SQLite that takes the write lock before the user's periods are read.
    """
    target = find_user(session, user, language)
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
    user: int | str,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> DecisionOutcome:
    """End a user's access now: revoke their current and upcoming periods with the reason (refunds nothing)."""
    deps = resolve(deps)
    if problem := _check(reason, actor_user_id, language):
        return _refused(problem)
    why = reason.strip()
    now = deps.now()
    with session_scope(deps.engine) as session:
        target = _named_user_audited(
            session, user, AuditKind.REVOKE, actor_user_id, now, f"revoke; reason: {why}", language
        )
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
            return _refused(translate(language, "{name} has no access to revoke.", name=username), user_id=user_id)
        for period in live:
            revoke_period(session, period, now=now, reason=f"revoked by an admin: {why}", mode=deps.settings.khalti_env)
        ids = ", ".join(f"#{p.id}" for p in sorted(live, key=lambda p: p.id or 0))
        event.detail = f"revoke: {len(live)} period(s) of {username!r} ({ids}); reason: {why}"
        session.add(event)
        return DecisionOutcome(
            True,
            translate_plural(
                language,
                "Revoked {name}'s access ({n} period): they have none now.",
                "Revoked {name}'s access ({n} periods): they have none now.",
                len(live),
                name=username,
                n=format_number(len(live), language),
            ),
            user_id=user_id,
        )

"""`start_checkout`: write the payment, ask Khalti for a payment link once, and say where to send the user."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlmodel import Session, col, select, update

from khalti_portal.accounts import Profile
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.money import format_rupees
from khalti_portal.billing.plans import find_plan
from khalti_portal.billing.transitions import move_payment
from khalti_portal.db.models import Payment, PaymentStatus, Plan
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.khalti import (
    CustomerInfo,
    InitiateResult,
    KhaltiAuthError,
    KhaltiError,
    KhaltiUnavailableError,
    KhaltiValidationError,
)
from khalti_portal.routes import RETURN_ROUTE

logger = logging.getLogger("khalti_portal.billing")

CheckoutKind = Literal[
    "redirect", "plan_not_found", "khalti_auth", "khalti_validation", "khalti_unavailable", "khalti_unexpected"
]
ORDER_PREFIX = "KP-"
DEDUP_WINDOW = timedelta(seconds=60)

# Marked for the catalog: pages show them translated (translate(language, outcome.message)).
MESSAGES: dict[str, str] = {
    "redirect": N_("Taking you to Khalti to pay."),
    "plan_not_found": N_("This plan is not available any more. Please pick another plan."),
    "khalti_auth": N_("Payments are not available right now. Please try again later."),
    "khalti_validation": N_("Khalti could not accept this payment. Please try again later or contact us."),
    "khalti_unavailable": N_("Khalti is not responding right now. Please try again in a few minutes."),
    "khalti_unexpected": N_("Something went wrong while contacting Khalti. Please try again."),
}


@dataclass(frozen=True)
class CheckoutOutcome:
    """Where checkout ended: a Khalti link to redirect to, or a typed reason why not."""

    kind: CheckoutKind
    message: str
    purchase_order_id: str | None = None
    payment_id: int | None = None
    payment_url: str | None = None
    reused: bool = False  # a double click: the link of the payment started moments ago

    @property
    def ok(self) -> bool:
        """True when the user should be sent to `payment_url`."""
        return self.kind == "redirect"


def new_purchase_order_id() -> str:
    """An unguessable order id with a short readable prefix, e.g. `KP-3q2...`."""
    return ORDER_PREFIX + secrets.token_urlsafe(16)


def _customer_info(profile: Profile | None) -> CustomerInfo | None:
    """The payer as Khalti's page shows them: the profile's details, empty ones left out by CustomerInfo."""
    return None if profile is None else CustomerInfo(profile.display_name, profile.email, profile.phone)


async def start_checkout(
    *,
    user_id: int,
    plan_slug: str,
    customer: Profile | None = None,
    deps: BillingDeps | None = None,
) -> CheckoutOutcome:
    """Start paying for `plan_slug`: the payment row is committed before Khalti hears of it."""
    deps = resolve(deps)
    prepared = await asyncio.to_thread(_prepare, deps, user_id, plan_slug)
    if isinstance(prepared, CheckoutOutcome):
        return prepared
    payment, plan_name = prepared
    settings = deps.settings
    try:
        # Never retried: a second initiate would be a second payment link for one order.
        async with deps.khalti_factory() as client:
            started = await client.initiate(
                return_url=settings.app_url + RETURN_ROUTE,
                website_url=settings.app_url,
                amount_paisa=payment.amount_paisa,
                purchase_order_id=payment.purchase_order_id,
                purchase_order_name=plan_name,
                customer_info=_customer_info(customer),
            )
    except Exception as exc:
        # A KhaltiError is expected; anything else is a bug, but the payment must still not hang in `created`.
        if not isinstance(exc, KhaltiError):
            logger.exception("checkout %s: initiate raised a non-Khalti error", payment.purchase_order_id)
        kind = _error_kind(exc)
        await asyncio.to_thread(_fail, deps, payment, kind, exc)
        return CheckoutOutcome(kind, MESSAGES[kind], payment.purchase_order_id, payment.id)
    return await asyncio.to_thread(_store_link, deps, payment, started)


def _prepare(deps: BillingDeps, user_id: int, plan_slug: str) -> CheckoutOutcome | tuple[Payment, str]:
    """Find the plan, reuse a link from a double click, or commit a new `created` payment."""
    now = deps.now()
    with Session(deps.engine, expire_on_commit=False) as session:
        plan = find_plan(session, plan_slug)
        if plan is None or plan.id is None:
            return CheckoutOutcome("plan_not_found", MESSAGES["plan_not_found"])
        recent = _recent_link(session, user_id, plan, now, deps.settings.khalti_env)
        if recent is not None:
            record_event(
                session,
                at=now,
                source=AuditSource.CHECKOUT,
                kind=AuditKind.REUSED,
                payment_id=recent.id,
                user_id=user_id,
                detail="a second checkout within a minute reuses the pending payment's link",
            )
            session.commit()
            return CheckoutOutcome(
                "redirect", MESSAGES["redirect"], recent.purchase_order_id, recent.id, recent.payment_url, reused=True
            )
        payment = Payment(
            purchase_order_id=new_purchase_order_id(),
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            khalti_mode=deps.settings.khalti_env,
            status=PaymentStatus.CREATED,
            created_at=now,
            updated_at=now,
        )
        session.add(payment)
        session.flush()
        record_event(
            session,
            at=now,
            source=AuditSource.CHECKOUT,
            kind=AuditKind.CREATED,
            payment_id=payment.id,
            user_id=user_id,
            to_status=PaymentStatus.CREATED,
            detail=f"{plan.name} ({plan.slug}): {format_rupees(payment.amount_paisa)} for {payment.duration_days} days",
        )
        session.commit()
        return payment, plan.name


def _recent_link(session: Session, user_id: int, plan: Plan, now: datetime, mode: str) -> Payment | None:
    """The user's pending payment for this plan (same price, same Khalti) from the last minute, its link still valid."""
    query = (
        select(Payment)
        .where(
            Payment.user_id == user_id,
            Payment.khalti_mode == mode,
            Payment.plan_id == plan.id,
            Payment.status == PaymentStatus.PENDING,
            Payment.amount_paisa == plan.price_paisa,
            col(Payment.created_at) >= now - DEDUP_WINDOW,
            col(Payment.payment_url).is_not(None),
            col(Payment.payment_url_expires_at) > now,
        )
        .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
    )
    return session.exec(query).first()


def _error_kind(exc: Exception) -> CheckoutKind:
    if isinstance(exc, KhaltiAuthError):
        return "khalti_auth"
    if isinstance(exc, KhaltiValidationError):
        return "khalti_validation"
    if isinstance(exc, KhaltiUnavailableError):
        return "khalti_unavailable"
    return "khalti_unexpected"


def _failure_reason(kind: str, exc: Exception) -> str:
    """The error's kind and shape only: never its body, which could echo what we sent."""
    parts = [f"initiate failed: {kind}", type(exc).__name__]
    http_status = getattr(exc, "http_status", None)
    if http_status is not None:
        parts.append(f"HTTP {http_status}")
    if isinstance(exc, KhaltiUnavailableError):
        parts.append(exc.reason)
    if isinstance(exc, KhaltiValidationError) and exc.field_errors:
        parts.append("fields: " + ", ".join(sorted(exc.field_errors)))
    return parts[0] + (f" ({'; '.join(parts[1:])})" if len(parts) > 1 else "")


def _fail(deps: BillingDeps, payment: Payment, kind: str, exc: Exception) -> None:
    reason = _failure_reason(kind, exc)
    logger.warning("checkout %s: %s", payment.purchase_order_id, reason)
    now = deps.now()
    with Session(deps.engine) as session:
        moved = move_payment(
            session,
            payment.id,
            PaymentStatus.CREATED,
            PaymentStatus.FAILED,
            at=now,
            source=AuditSource.CHECKOUT,
            detail=reason,
            values={"failure_reason": reason},
        )
        if moved is None:
            # The payment already left `created`: the error is kept on the trail, the status is not touched.
            record_event(
                session,
                at=now,
                source=AuditSource.CHECKOUT,
                kind=AuditKind.INITIATE_ERROR,
                payment_id=payment.id,
                user_id=payment.user_id,
                from_status=PaymentStatus.CREATED,
                detail=reason,
            )
        session.commit()


def _store_link(deps: BillingDeps, payment: Payment, started: InitiateResult) -> CheckoutOutcome:
    """One short transaction: the link, its expiry, `pending`, and when to look it up first."""
    now = deps.now()
    values: dict[str, Any] = {
        "pidx": started.pidx,
        "payment_url": started.payment_url,
        "payment_url_expires_at": started.expires_at,
    }
    # Stored once and read later by any admin, so it is written in the site's calendar, not one person's.
    until = format_moment_or_ad(started.expires_at, deps.settings.default_calendar)
    detail = f"Khalti gave pidx {started.pidx}; the payment link works until {until}"
    with Session(deps.engine) as session:
        moved = move_payment(
            session,
            payment.id,
            PaymentStatus.CREATED,
            PaymentStatus.PENDING,
            at=now,
            source=AuditSource.CHECKOUT,
            detail=detail,
            values={"next_check_at": now + timedelta(seconds=deps.settings.reconcile_settle_seconds), **values},
            khalti_response=started.raw,
        )
        if moved is None:
            # Timed out as `failed` while Khalti was answering: keep the pidx so the trail stays complete.
            session.exec(
                update(Payment).where(col(Payment.id) == payment.id).values(updated_at=now, **values),
                execution_options={"synchronize_session": False},
            )
            record_event(
                session,
                at=now,
                source=AuditSource.CHECKOUT,
                kind=AuditKind.LATE_INITIATE,
                payment_id=payment.id,
                user_id=payment.user_id,
                from_status=PaymentStatus.CREATED,
                detail=detail,
                khalti_response=started.raw,
            )
        session.commit()
    if moved is None:
        logger.warning("checkout %s: initiate answered after the payment left `created`", payment.purchase_order_id)
        kind: CheckoutKind = "khalti_unexpected"
        return CheckoutOutcome(kind, MESSAGES[kind], payment.purchase_order_id, payment.id)
    return CheckoutOutcome("redirect", MESSAGES["redirect"], payment.purchase_order_id, payment.id, started.payment_url)

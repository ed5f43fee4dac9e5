"""`refund_payment`: ask Khalti to refund a payment in full, then apply Khalti's answer through `verify_payment`.

The refund itself changes nothing here. Once Khalti accepts it, `verify_payment(pidx, source="admin")` looks
the payment up, sees `Refunded`, moves it completed→refunded (or flagged→refunded), records `refunded_at` /
`refunded_paisa` and revokes its period: the same code that applies a refund made anywhere else. When Khalti
refuses, nothing changes and the outcome says why in words a person understands (never Khalti's raw body,
never the key), in the admin's language; the audit rows and the log keep English and Khalti's words verbatim.

Every attempt writes two audit rows (`PaymentEvent` source "admin", kind "refund", the admin as actor): the
request with its reason, committed before Khalti is called, and the result.

A refund Khalti accepted, or whose answer was unclear (it may have gone through), is also recorded on the
payment (`refund_requested_at`, with the result's audit row): the reconciler then looks the payment up (first
within the hour, then on its daily refund check) until Khalti shows the refund. A clear refusal
records nothing there: no refund exists that this request made.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

from sqlmodel import col, update

from khalti_portal.billing.admin.inputs import id_of, reason_problem
from khalti_portal.billing.admin.payments import khalti_status_words, status_words
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.money import format_rupees
from khalti_portal.billing.reconcile import refund_check_soon
from khalti_portal.billing.transitions import REFUNDABLE_STATES
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import Payment, PaymentStatus
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.messages import shown
from khalti_portal.khalti import (
    KhaltiAuthError,
    KhaltiError,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiValidationError,
)

logger = logging.getLogger("khalti_portal.billing")

_MAX_KHALTI_WORDS = 200

RefundKind = Literal[
    "refunded",  # Khalti refunded it and the payment is now refunded here, its period revoked
    "accepted",  # Khalti accepted the refund, but its lookup does not show it yet: nothing applied here yet
    "invalid",  # no such payment id, or no reason given: Khalti not asked
    "not_refundable",  # the payment is not completed/flagged or has no Khalti transaction: Khalti not asked
    "khalti_refused",  # Khalti said no (already refunded, not refundable...): nothing changed
    "khalti_not_found",  # Khalti knows no such transaction: nothing changed
    "khalti_auth",  # Khalti refused our key: nothing changed
    "khalti_unclear",  # no clear answer (timeout, 5xx, nonsense): nothing changed here, the refund may have happened
]


@dataclass(frozen=True)
class RefundOutcome:
    """How a refund went: a kind, a message for the admin, and the payment's status afterwards."""

    kind: RefundKind
    message: str
    payment_id: int | None = None
    status: str | None = None

    @property
    def ok(self) -> bool:
        """True when Khalti refunded the money (applied here, or about to be)."""
        return self.kind in ("refunded", "accepted")


@dataclass(frozen=True)
class _Target:
    """The payment as read when the refund was requested."""

    id: int
    user_id: int
    status: PaymentStatus
    pidx: str
    transaction_id: str
    amount_paisa: int
    purchase_order_id: str


# -- the refund --------------------------------------------------------------------------------------------


NO_SUCH_PAYMENT = N_("There is no such payment; reload the page and try again.")


async def refund_payment(
    payment_id: int,
    *,
    actor_user_id: int,
    reason: str,
    deps: BillingDeps | None = None,
    language: Language = Language.EN,
) -> RefundOutcome:
    """Refund a completed (or flagged) payment in full through Khalti, then apply the result via verify_payment.

    The outcome's message is in `language` (the admin's).
    """
    deps = resolve(deps)
    ident = id_of(payment_id)
    if ident is None:
        return RefundOutcome("invalid", translate(language, NO_SUCH_PAYMENT))
    if problem := reason_problem(reason):
        return RefundOutcome("invalid", shown(problem, language), ident)
    why = reason.strip()
    target = await asyncio.to_thread(_request, deps, ident, actor_user_id, why, language)
    if isinstance(target, RefundOutcome):
        return target
    try:
        # Outside any transaction: the request row is already committed, the result row comes after.
        async with deps.khalti_factory() as client:
            result = await client.refund(target.transaction_id)
    except KhaltiError as exc:
        kind, message = _failure(exc, target, language)
        logger.warning("refund of order %s refused: %s (%s)", target.purchase_order_id, kind, type(exc).__name__)
        await asyncio.to_thread(_record_failure, deps, target, actor_user_id, kind, exc)
        return RefundOutcome(kind, message, target.id, target.status)
    await asyncio.to_thread(
        _record_result,
        deps,
        target,
        actor_user_id,
        f"Khalti accepted the refund: {_words(result.detail)}",
        result.raw,
        requested=True,
    )
    verified = await verify_payment(target.pidx, source="admin", deps=deps)
    amount = format_rupees(target.amount_paisa, language)
    if verified.status == PaymentStatus.REFUNDED:
        return RefundOutcome(
            "refunded",
            translate(
                language,
                "Refunded {amount} for order {order}; the access it bought has been revoked.",
                amount=amount,
                order=target.purchase_order_id,
            ),
            target.id,
            verified.status,
        )
    said = (
        translate(language, "still says {status}", status=khalti_status_words(verified.lookup_status, language))
        if verified.lookup_status
        else translate(language, "could not be read just now")
    )
    return RefundOutcome(
        "accepted",
        translate(
            language,
            "Khalti accepted the refund of {amount}, but its lookup {said}, so this payment is still {status}. "
            "The reconciler looks it up again within the hour and applies the refund once Khalti shows it; "
            "press Check now to do that sooner.",
            amount=amount,
            said=said,
            status=status_words(verified.status, language),
        ),
        target.id,
        verified.status,
    )


def _request(deps: BillingDeps, ident: int, actor: int, reason: str, language: Language) -> _Target | RefundOutcome:
    """Check the payment can be refunded and commit the audit row of the request."""
    with session_scope(deps.engine) as session:
        payment = session.get(Payment, ident)
        if payment is None or payment.id is None:
            return RefundOutcome("invalid", translate(language, NO_SUCH_PAYMENT))
        if payment.khalti_mode != deps.settings.khalti_env:
            # Another Khalti holds that money (or none moved at all): this key must not ask about it.
            return RefundOutcome(
                "not_refundable",
                translate(
                    language,
                    "This payment was made in {mode} mode and the portal runs in {portal_mode} mode, "
                    "so it can only be refunded in its own mode.",
                    mode=payment.khalti_mode,
                    portal_mode=deps.settings.khalti_env,
                ),
                payment.id,
                payment.status,
            )
        if payment.status not in REFUNDABLE_STATES:
            return RefundOutcome(
                "not_refundable",
                translate(
                    language,
                    "Only completed or flagged payments can be refunded; this one is {status}.",
                    status=status_words(payment.status, language),
                ),
                payment.id,
                payment.status,
            )
        if not payment.transaction_id or not payment.pidx:
            return RefundOutcome(
                "not_refundable",
                translate(
                    language, "Khalti gave this payment no transaction id, so there is nothing Khalti could refund."
                ),
                payment.id,
                payment.status,
            )
        record_event(
            session,
            at=deps.now(),
            source=AuditSource.ADMIN,
            kind=AuditKind.REFUND,
            payment_id=payment.id,
            user_id=payment.user_id,
            actor_user_id=actor,
            from_status=payment.status,
            detail=(
                f"full refund of {format_rupees(payment.amount_paisa)} (transaction {payment.transaction_id}) "
                f"requested; reason: {reason}"
            ),
        )
        return _Target(
            id=payment.id,
            user_id=payment.user_id,
            status=payment.status,
            pidx=payment.pidx,
            transaction_id=payment.transaction_id,
            amount_paisa=payment.amount_paisa,
            purchase_order_id=payment.purchase_order_id,
        )


def _record_result(
    deps: BillingDeps,
    target: _Target,
    actor: int,
    detail: str,
    khalti_response: dict | None = None,
    *,
    requested: bool = False,
) -> None:
    """The result's audit row; with `requested`, also the refund request the reconciler follows up."""
    with session_scope(deps.engine) as session:
        if requested:
            now = deps.now()
            # Khalti may accept a refund before its lookup shows it: the reconciler asks again soon.
            first_check = refund_check_soon(deps.settings)
            session.exec(
                update(Payment)
                .where(col(Payment.id) == target.id, col(Payment.status).in_(REFUNDABLE_STATES))
                .values(refund_requested_at=now, next_check_at=now + first_check),
                execution_options={"synchronize_session": False},
            )
        record_event(
            session,
            at=deps.now(),
            source=AuditSource.ADMIN,
            kind=AuditKind.REFUND,
            payment_id=target.id,
            user_id=target.user_id,
            actor_user_id=actor,
            from_status=target.status,
            detail=detail,
            khalti_response=khalti_response,
        )


def _record_failure(deps: BillingDeps, target: _Target, actor: int, kind: str, exc: KhaltiError) -> None:
    parts = [type(exc).__name__]
    if exc.http_status is not None:
        parts.append(f"HTTP {exc.http_status}")
    if isinstance(exc, KhaltiUnavailableError):
        parts.append(exc.reason)
    words = _khalti_words(exc)
    detail = f"refund failed, nothing changed: {kind} ({'; '.join(parts)})" + (f": {words}" if words else "")
    # The client has already removed the key from anything it copied out of Khalti's answer.
    body = exc.body if isinstance(exc.body, dict) else None
    # An unclear answer may hide a refund that went through: the reconciler follows it up.
    _record_result(deps, target, actor, detail, body, requested=kind == "khalti_unclear")


# -- what to tell the admin --------------------------------------------------------------------------------


def _words(text: object) -> str:
    """Khalti's own short message, on one line and bounded (it is shown, so it must stay a sentence)."""
    if not isinstance(text, str):
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_KHALTI_WORDS else flat[: _MAX_KHALTI_WORDS - 1] + "…"


def _khalti_words(exc: KhaltiError) -> str:
    """What Khalti said in words (`detail`, non-field and field messages), never the body itself."""
    if not isinstance(exc, KhaltiValidationError):
        return ""
    said = [exc.detail] if exc.detail else []
    said += exc.non_field_errors
    said += [f"{name}: {' '.join(msgs)}" for name, msgs in sorted(exc.field_errors.items())]
    return _words(" ".join(s for s in said if isinstance(s, str)))


_UNCLEAR_WHY = {
    "timeout": N_("Khalti did not answer in time"),
    "connection": N_("Khalti could not be reached"),
    "server_error": N_("Khalti is having trouble"),
    "rate_limited": N_("Khalti is asking us to slow down"),
    "invalid_response": N_("Khalti sent an answer we could not read"),
}


def _failure(exc: KhaltiError, target: _Target, language: Language = Language.EN) -> tuple[RefundKind, str]:
    """The outcome kind and the admin's message (in `language`) for a refund Khalti did not confirm."""
    txn = target.transaction_id
    if isinstance(exc, KhaltiNotFoundError):
        return "khalti_not_found", translate(
            language,
            "Khalti has no transaction {transaction} to refund, so nothing was refunded and nothing changed here.",
            transaction=txn,
        )
    if isinstance(exc, KhaltiValidationError):
        # Khalti's own sentence, as it wrote it: the admin may need its exact words with Khalti's support.
        said = _khalti_words(exc) or translate(language, "it gave no reason")
        said += "" if said.endswith((".", "!", "?", "…", "।")) else ("।" if language is Language.NE else ".")
        return "khalti_refused", translate(
            language,
            "Khalti refused the refund: {said} Nothing changed here. If the payment was already refunded "
            "on Khalti, press Check now to bring it up to date.",
            said=said,
        )
    if isinstance(exc, KhaltiAuthError):
        return "khalti_auth", translate(
            language,
            "Khalti did not accept our merchant key, so nothing was refunded and nothing changed here. "
            "Check the {key} and {env} settings.",
            key="KHALTI_SECRET_KEY",
            env="KHALTI_ENV",
        )
    if isinstance(exc, KhaltiUnavailableError):
        why = translate(language, _UNCLEAR_WHY.get(exc.reason, N_("Khalti gave no clear answer")))
        status = f" (HTTP {exc.http_status})" if exc.http_status else ""
        return "khalti_unclear", translate(
            language,
            "{why}{status}. Nothing changed here, but the refund may still have gone through: "
            "press Check now before trying again.",
            why=why,
            status=status,
        )
    return "khalti_unclear", translate(
        language,
        "Khalti answered in a way we did not expect. Nothing changed here, but the refund may still have gone "
        "through: press Check now before trying again.",
    )

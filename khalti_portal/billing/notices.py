"""The mail billing sends: queued in the same transaction as the change it tells of, at most once per key."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from khalti_portal.config import Settings
from khalti_portal.db.models import Invoice, LocalUser, Payment, UserProfile
from khalti_portal.i18n.date_fallback import format_day_or_ad, format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_rupees
from khalti_portal.mail.outbox import looks_like_address, queue_message
from khalti_portal.reading_preferences import language_from, parse_calendar


def reader_calendar(stored: str | None, settings: Settings) -> Calendar:
    """The calendar a person's mail (or banner) writes dates in: their profile's choice, else the site's default.

    `reading_preferences.calendar_of`'s rule, applied to a `UserProfile.calendar` the caller already read in
    its own transaction (and with its own settings), so queuing a mail costs no second connection.
    """
    return parse_calendar(stored) or settings.default_calendar


def queue_payment_received(
    session: Session, settings: Settings, payment_id: int, *, starts_at: datetime, ends_at: datetime, now: datetime
) -> bool:
    """Tell the payment's owner it went through (plan, the period bought, a link to the dashboard).

    Nothing is queued for an owner with no confirmed email address (until an address is confirmed, only
    the link that confirms it goes there). The key
    `payment-completed:<id>` keeps a payment to one confirmation, however many verifiers race. It is written
    in the owner's language (`language` in the context) and its dates in the owner's calendar; `calendar` in
    the context tells delivery to draw the attached receipt in the same one.
    """
    payment = session.get(Payment, payment_id)
    row = session.exec(
        select(
            UserProfile.email, UserProfile.display_name, LocalUser.username, UserProfile.calendar, UserProfile.language
        )
        .select_from(LocalUser)
        .join(UserProfile, UserProfile.user_id == LocalUser.id)  # type: ignore[arg-type]
        .where(LocalUser.id == (payment.user_id if payment else None), col(UserProfile.email_verified_at).is_not(None))
    ).first()
    if payment is None or row is None or not looks_like_address(row[0] or ""):
        return False
    email, display_name, username, chosen, spoken = row
    calendar, language = reader_calendar(chosen, settings), language_from(spoken)
    invoice = session.exec(select(Invoice).where(Invoice.payment_id == payment_id, Invoice.kind == "invoice")).first()
    return queue_message(
        session,
        key=f"payment-completed:{payment.id}",
        template="payment_completed",
        to_address=email,
        context={
            "name": display_name or username,
            "plan_name": payment.plan_name,
            "amount": format_rupees(payment.amount_paisa, language),
            "starts_at": format_moment_or_ad(starts_at, calendar, language),
            "ends_at": format_moment_or_ad(ends_at, calendar, language),
            "ends_on": format_day_or_ad(ends_at, calendar, language),
            "calendar": calendar.value,
            "language": language.value,
            "order": payment.purchase_order_id,
            "dashboard_url": f"{settings.app_url}/dashboard",
            # The receipt travels with the mail as a PDF (documents/), drawn from the stored invoice.
            "invoice_number": invoice.number if invoice is not None else "",
        },
        mail_from=settings.mail.mail_from,
        now=now,
        user_id=payment.user_id,
        payment_id=payment.id,
    )

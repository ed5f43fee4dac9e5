"""The account's email address: one account per address whatever its case, confirmed by a mailed link.

Until an address is confirmed, the only mail that goes to it is the link that confirms it (billing's
notices and password resets check `email_verified_at`). Changing the address clears the confirmation
and mails a new link; a link confirms only the address it was sent to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from khalti_portal import account_tokens, routes, throttle
from khalti_portal.account_tokens import Purpose
from khalti_portal.clock import utcnow
from khalti_portal.config import Settings, get_settings
from khalti_portal.db.models import LocalUser, UserProfile
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, Language
from khalti_portal.i18n.messages import Message
from khalti_portal.mail.outbox import queue_message
from khalti_portal.reading_preferences import language_from

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL_CHARS = 254
VERIFY_FOR = timedelta(days=2)
RESENDS_PER_HOUR = 3
TAKEN = N_("That email address belongs to another account. Sign in to it, or reset its password.")


def email_problem(email: str) -> str | None:
    """Why this address cannot be used, or None (an empty one is the caller's business)."""
    if len(email) > MAX_EMAIL_CHARS or not EMAIL_RE.fullmatch(email):
        return N_("Enter an email address like name@example.com.")
    return None


def email_taken(session: Session, email: str, *, by_other_than: int | None) -> bool:
    """Whether another account has `email`, whatever its case."""
    query = select(UserProfile.user_id).where(func.lower(UserProfile.email) == email.strip().lower())
    if by_other_than is not None:
        query = query.where(UserProfile.user_id != by_other_than)
    return session.exec(query).first() is not None


def set_email(session: Session, settings: Settings, *, user_id: int, email: str, now: datetime) -> str | None:
    """Give the account `email` (in the caller's transaction) and mail it a link; a problem, or None.

    The same address again changes nothing (a change of case only rewrites it, confirmed or not). A new
    one is unconfirmed until its link is opened; an empty one removes the address.
    """
    email = email.strip()
    if email and (problem := email_problem(email)):
        return problem
    profile = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
    if email.lower() == profile.email.lower():
        profile.email = email
        session.add(profile)
        return None
    if email and email_taken(session, email, by_other_than=user_id):
        return TAKEN
    profile.email, profile.email_verified_at = email, None
    session.add(profile)
    session.flush()  # the unique index on lower(email) has the last word if two accounts race for one address
    if email:
        queue_verification(session, settings, user_id=user_id, email=email, now=now)
    return None


def _addressee(session: Session, user_id: int) -> tuple[str, Language]:
    """The name a mail greets the account by and the language it is written in, in one query."""
    row = session.exec(
        select(UserProfile.display_name, LocalUser.username, UserProfile.language)
        .select_from(LocalUser)
        .join(UserProfile, UserProfile.user_id == LocalUser.id, isouter=True)  # type: ignore[arg-type]
        .where(LocalUser.id == user_id)
    ).first()
    return ((row[0] or row[1]), language_from(row[2])) if row else ("there", language_from(None))


def queue_verification(session: Session, settings: Settings, *, user_id: int, email: str, now: datetime) -> None:
    """Issue a confirmation link for `email` (older ones stop working) and queue the mail carrying it.

    The mail is written in the account's language (`language` in its context).
    """
    token_id, raw = account_tokens.issue(
        session, user_id=user_id, purpose=Purpose.VERIFY_EMAIL, now=now, valid_for=VERIFY_FOR, email=email
    )
    name, language = _addressee(session, user_id)
    queue_message(
        session,
        key=f"verify-email:{token_id}",
        template="verify_email",
        to_address=email,
        context={
            "name": name,
            "email": email,
            "link": f"{settings.app_url}{routes.VERIFY_EMAIL_ROUTE}?{urlencode({'token': raw})}",
            "language": language.value,
        },
        mail_from=settings.mail.mail_from,
        now=now,
        user_id=user_id,
    )


@dataclass(frozen=True)
class EmailStatus:
    """The account's address and whether its owner has confirmed it."""

    email: str
    verified: bool


def email_status(user_id: int, *, engine: Engine | None = None) -> EmailStatus:
    """The address on the account and whether it is confirmed ('' and False when there is none)."""
    with session_scope(engine) as session:
        row = session.get(UserProfile, user_id)
        if row is None or not row.email:
            return EmailStatus("", False)
        return EmailStatus(row.email, row.email_verified_at is not None)


def resend_verification(user_id: int, *, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Mail a fresh confirmation link (at most RESENDS_PER_HOUR an hour); what to tell the person."""
    now = now or utcnow()
    status = email_status(user_id, engine=engine)
    if not status.email:
        return N_("Add an email address first.")
    if status.verified:
        return Message(N_("{email} is already confirmed."), email=status.email)
    key = f"verify-resend:user:{user_id}"
    if throttle.take(key, RESENDS_PER_HOUR, timedelta(hours=1), now=now, marks=throttle.store(engine)) is None:
        return N_("We have sent several links in the last hour: please use the newest one, or try again later.")
    with session_scope(engine) as session:
        queue_verification(session, get_settings(), user_id=user_id, email=status.email, now=now)
    return Message(N_("A new link is on its way to {email}. It works for two days."), email=status.email)


@dataclass(frozen=True)
class Verified:
    """What opening a confirmation link did."""

    ok: bool
    message: str  # English (an N_ msgid or a `Said`): shown with i18n.messages.shown in the reader's language
    user_id: int | None = None


def verify_email(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> Verified:
    """Confirm the address a link was sent to, once, while it is still the account's address."""
    now = now or utcnow()
    with session_scope(engine) as session:
        found = account_tokens.find(session, token, Purpose.VERIFY_EMAIL, now=now)
        if found.state == "expired":
            return Verified(False, N_("This link has expired. Sign in and ask for a new one on your profile."))
        if found.state != "valid" or found.id is None or found.user_id is None:
            return Verified(False, N_("This link has been used or replaced by a newer one, or is not a link of ours."))
        profile = session.get(UserProfile, found.user_id)
        if profile is None or profile.email.lower() != found.email.lower():
            return Verified(False, N_("This link was for an address that is no longer on the account."))
        if not account_tokens.spend(session, found.id, now=now):
            return Verified(False, N_("This link has just been used."))
        if profile.email_verified_at is None:
            profile.email_verified_at = now
            session.add(profile)
        return Verified(True, Message(N_("Thank you: {email} is confirmed."), email=profile.email), found.user_id)

"""Passwords forgotten and changed: a reset link mailed to a confirmed address, a change that needs the old one.

A reset request always gets the same answer (RESET_ANSWER), whether or not the address belongs to an
account or is confirmed, so the form tells nobody who has an account. Requests are counted per address
and per client (throttle). The link works once, for RESET_FOR; a newer one spends the older. Setting a
new password (by reset or by change) ends the account's other sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from khalti_portal import account_tokens, routes, throttle
from khalti_portal.account_email import MAX_EMAIL_CHARS
from khalti_portal.account_tokens import Purpose, TokenState
from khalti_portal.accounts import AccountError, password_problem
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import LocalAuthSession, LocalUser, UserProfile
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, translate_plural
from khalti_portal.i18n.messages import Message
from khalti_portal.i18n.numbers import format_number
from khalti_portal.mail.outbox import queue_message
from khalti_portal.reading_preferences import language_from

RESET_FOR = timedelta(minutes=30)
RESETS_PER_ADDRESS_PER_HOUR = 3
RESETS_PER_CLIENT_PER_HOUR = 10
# The answers and refusals below are English msgids: the state that shows one translates it (i18n.messages.shown).
RESET_ANSWER = Message(
    N_(
        "If that address belongs to an account and is confirmed, a link to choose a new password is on its way. "
        "It works once, for {minutes} minutes."
    ),
    minutes=30,
)
TOO_MANY = N_("Too many reset requests. Please try again in an hour.")
WRONG_CURRENT = N_("Your current password is not right.")


def request_reset(email: str, *, client_key: str, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Mail a reset link to `email` if it is an account's confirmed address; the same answer either way."""
    now = now or utcnow()
    address = email.strip()[:MAX_EMAIL_CHARS]
    marks = throttle.store(engine)
    hour = timedelta(hours=1)
    if throttle.take(f"reset:client:{client_key}", RESETS_PER_CLIENT_PER_HOUR, hour, now=now, marks=marks) is None:
        return TOO_MANY
    if (
        throttle.take(f"reset:address:{address.lower()}", RESETS_PER_ADDRESS_PER_HOUR, hour, now=now, marks=marks)
        is None
    ):
        return TOO_MANY
    with session_scope(engine) as session:
        row = session.exec(
            select(UserProfile.user_id, UserProfile.email, UserProfile.display_name, LocalUser.username)
            .join(LocalUser, col(LocalUser.id) == UserProfile.user_id)
            .where(
                func.lower(UserProfile.email) == address.lower(),
                col(UserProfile.email) != "",
                col(UserProfile.email_verified_at).is_not(None),
                col(LocalUser.enabled),
            )
        ).first()
        if row is not None:
            _queue_reset(session, user_id=row[0], email=row[1], name=row[2] or row[3], now=now)
    return RESET_ANSWER


def _queue_reset(session: Session, *, user_id: int, email: str, name: str, now: datetime) -> None:
    """Issue a reset link (older ones stop working) and queue the mail carrying it, in the account's language."""
    settings = get_settings()
    # One indexed read in the request's transaction: a reset mail is one message, never a batch.
    language = language_from(session.exec(select(UserProfile.language).where(UserProfile.user_id == user_id)).first())
    minutes = int(RESET_FOR.total_seconds()) // 60
    token_id, raw = account_tokens.issue(
        session, user_id=user_id, purpose=Purpose.RESET_PASSWORD, now=now, valid_for=RESET_FOR
    )
    queue_message(
        session,
        key=f"password-reset:{token_id}",
        template="password_reset",
        to_address=email,
        context={
            "name": name,
            "link": f"{settings.app_url}{routes.RESET_PASSWORD_ROUTE}?{urlencode({'token': raw})}",
            "valid_for": translate_plural(
                language, "{n} minute", "{n} minutes", minutes, n=format_number(minutes, language)
            ),
            "language": language.value,
        },
        mail_from=settings.mail.mail_from,
        now=now,
        user_id=user_id,
    )


LINK_PROBLEMS: dict[TokenState, str] = {
    "expired": Message(
        N_("This link has expired (a reset link works for {minutes} minutes). Ask for a new one."), minutes=30
    ),
    "used": N_("This link has been used, or a newer one replaced it. Ask for a new one if you still need it."),
    "unknown": N_("This is not a reset link of ours. Check that you opened the whole link from the mail."),
}


def reset_link_problem(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> str | None:
    """Why this reset link cannot be used (shown instead of the form), or None while it still works."""
    with session_scope(engine) as session:
        state = account_tokens.find(session, token, Purpose.RESET_PASSWORD, now=now or utcnow()).state
    return None if state == "valid" else LINK_PROBLEMS[state]


def reset_password(token: str, password: str, *, now: datetime | None = None, engine: Engine | None = None) -> int:
    """Set a new password with a reset link (once), end every session of the account; the user id.

    Raises AccountError (field `password`, or `token` when the link no longer works). The caller signs
    the person in with a fresh session.
    """
    now = now or utcnow()
    if problem := password_problem(password):
        raise AccountError(problem, "password")
    # A link that does not work costs one indexed read, never a bcrypt hash: anyone may call this at will.
    if problem := reset_link_problem(token, now=now, engine=engine):
        raise AccountError(problem, "token")
    password_hash = LocalUser.hash_password(password)  # bcrypt, before the transaction holds any lock
    with session_scope(engine) as session:
        found = account_tokens.find(session, token, Purpose.RESET_PASSWORD, now=now)
        if found.state != "valid" or found.id is None or found.user_id is None:
            raise AccountError(LINK_PROBLEMS["used" if found.state == "valid" else found.state], "token")
        if not account_tokens.spend(session, found.id, now=now):
            raise AccountError(LINK_PROBLEMS["used"], "token")
        _set_password(session, found.user_id, password_hash, keep_session="")
        user_id = found.user_id
        username = session.exec(select(LocalUser.username).where(LocalUser.id == user_id)).one()
    # Whoever was guessing at the old password has nothing left to guess: the owner may sign in at once.
    throttle.forget(f"signin:user:{username.strip().lower()[:64]}", marks=throttle.store(engine))
    return user_id


def _set_password(session: Session, user_id: int, password_hash: bytes, *, keep_session: str) -> int:
    """Store the new hash and end the account's sessions (but `keep_session`); how many ended."""
    session.exec(
        update(LocalUser).where(col(LocalUser.id) == user_id).values(password_hash=password_hash),
        execution_options={"synchronize_session": False},
    )
    ending = delete(LocalAuthSession).where(col(LocalAuthSession.user_id) == user_id)
    if keep_session:
        ending = ending.where(col(LocalAuthSession.session_id) != keep_session)
    return session.exec(ending, execution_options={"synchronize_session": False}).rowcount  # type: ignore[call-overload]


@dataclass(frozen=True)
class Changed:
    """A password change done: how many other sessions it ended."""

    sessions_ended: int


def change_password(
    user_id: int,
    current: str,
    new: str,
    *,
    keep_session: str,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> Changed:
    """Replace the password when `current` is right; every session but `keep_session` ends. AccountError otherwise.

    Wrong guesses at `current` slow down like sign-in failures (1 s doubling to 60 s), so a stolen
    session cannot be used to guess the password quickly.
    """
    now = now or utcnow()
    marks = throttle.store(engine)
    key = f"password-change:user:{user_id}"
    wait = throttle.wait_left(key, now=now, marks=marks)
    if wait > timedelta(0):
        seconds = max(1, int(wait.total_seconds()))
        raise AccountError(
            Message(N_("Too many wrong passwords. Try again in {seconds} s."), seconds=seconds), "current"
        )
    if problem := password_problem(new):
        raise AccountError(problem, "new")
    with session_scope(engine) as session:
        user = session.get(LocalUser, user_id)
        right = user is not None and not password_problem(current) and user.verify(current)
    if not right:
        throttle.note_failure(key, now=now, marks=marks)
        raise AccountError(WRONG_CURRENT, "current")
    throttle.forget(key, marks=marks)
    password_hash = LocalUser.hash_password(new)
    with session_scope(engine) as session:
        return Changed(_set_password(session, user_id, password_hash, keep_session=keep_session))

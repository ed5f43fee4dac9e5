"""Accounts over reflex-local-auth's tables: password rules, sign-up, sign-in slowed for guessers, the admin role."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from khalti_portal import account_email, throttle
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import LocalAuthSession, LocalUser, UserProfile
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, Language, translate_plural
from khalti_portal.i18n.messages import Message, Said, shown
from khalti_portal.i18n.numbers import format_number

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt raises beyond 72 bytes, on sign-up and on sign-in alike
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


class AccountError(ValueError):
    """A sign-up or sign-in refused, with a message for the person and the form field it is about.

    `str(err)` is the English; `err.text(language)` the same in the reader's language (states show that).
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message  # an N_-marked msgid or a `Said`
        self.field = field

    def text(self, language: Language) -> str:
        """The message in `language`."""
        return shown(self.message, language)


def password_problem(password: str) -> str | None:
    """Why this password is refused, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return Message(N_("Use at least {n} characters."), n=MIN_PASSWORD_CHARS)
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return Message(N_("Use at most {n} bytes (fewer for accented letters or emoji)."), n=MAX_PASSWORD_BYTES)
    return None


def username_problem(username: str) -> str | None:
    """Why this username is refused, or None."""
    if not USERNAME_RE.fullmatch(username):
        return Message(N_("Use {least} to {most} letters, digits, dots, dashes or underscores."), least=3, most=32)
    return None


def create_user(
    username: str, password: str, *, email: str = "", language: Language | None = None, engine: Engine | None = None
) -> int:
    """Create an enabled account and its profile (with `email`, mailed a link to confirm it); raises AccountError.

    `language` is the one the person chose before signing up: stored first, so the confirmation mail is in it.
    """
    username, email = username.strip(), email.strip()
    if problem := username_problem(username):
        raise AccountError(problem, "username")
    if email and (problem := account_email.email_problem(email)):
        raise AccountError(problem, "email")
    if problem := password_problem(password):
        raise AccountError(problem, "password")
    try:
        with session_scope(engine) as session:
            if email and account_email.email_taken(session, email, by_other_than=None):
                raise AccountError(account_email.TAKEN, "email")
            user = LocalUser(username=username, password_hash=LocalUser.hash_password(password), enabled=True)
            session.add(user)
            session.flush()
            session.add(UserProfile(user_id=user.id, language=language.value if language else ""))
            session.flush()
            if email:
                account_email.set_email(session, get_settings(), user_id=int(user.id), email=email, now=utcnow())
            return int(user.id)
    except IntegrityError as err:
        if "email" in str(err.orig).lower():  # another sign-up took the address a moment ago
            raise AccountError(account_email.TAKEN, "email") from None
        raise AccountError(N_("That username is taken; choose another."), "username") from None


def find_user_id(username: str, *, engine: Engine | None = None) -> int | None:
    """The id of `username` (any case: `Admin` and `admin` are one account), or None."""
    with session_scope(engine) as session:
        return session.exec(select(LocalUser.id).where(_same_name(username))).first()


def _same_name(username: str) -> Any:
    return func.lower(LocalUser.username) == username.strip().lower()


# Sign-in slows down instead of locking: per client address and per username, 1 s after the first
# failure doubling to 60 s (throttle.delay_after). The owner's own client (one that signed in to the
# account within KNOWN_CLIENT_FOR) skips the username's delay, so a guesser elsewhere cannot keep the
# owner out; the client's own delay still applies to everyone.
KNOWN_CLIENT_FOR = timedelta(days=30)
REGISTRATION_WINDOW = timedelta(hours=1)


@lru_cache(maxsize=1)
def _no_such_user() -> LocalUser:
    """Checked when the username is unknown, so a missing account costs the bcrypt time of a wrong password."""
    return LocalUser(username="", password_hash=LocalUser.hash_password("no such user"), enabled=False)


def _signin_keys(username: str, client_key: str) -> tuple[str, str, str]:
    name = username.strip().lower()[:64]
    return f"signin:client:{client_key}", f"signin:user:{name}", f"signin:known:{name}:{client_key}"


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


def _signin_wait(seconds: int) -> Said:
    return Said(
        lambda language: translate_plural(
            language,
            "Too many failed sign-ins. Try again in {n} second.",
            "Too many failed sign-ins. Try again in {n} seconds.",
            seconds,
            n=format_number(seconds, language),
        )
    )


def authenticate(
    username: str, password: str, *, client_key: str, now: datetime | None = None, engine: Engine | None = None
) -> int:
    """The user id for good credentials; AccountError while slowed down, for bad ones, or a disabled account.

    `client_key` is the client's address as the server resolved it, never a token the client chose.
    """
    now = now or utcnow()
    username = username.strip()
    marks = throttle.store(engine)
    by_client, by_name, known = _signin_keys(username, client_key)
    wait = throttle.wait_left(by_client, now=now, marks=marks)
    if not throttle.seen(known, now=now, within=KNOWN_CLIENT_FOR, marks=marks):
        wait = max(wait, throttle.wait_left(by_name, now=now, marks=marks))
    if wait > timedelta(0):
        raise AccountError(_signin_wait(_seconds(wait)), "password")
    # bcrypt would raise on > 72 bytes: refuse before hashing (and count it as a failure).
    ok_shape = not password_problem(password) and len(username) <= 255
    with session_scope(engine) as session:
        user = session.exec(select(LocalUser).where(_same_name(username))).first() if ok_shape else None
        if user is None:
            if ok_shape:
                _no_such_user().verify(password)
            matched = False
        else:
            matched = user.verify(password)
        user_id, enabled = (int(user.id), user.enabled) if user is not None else (None, False)
    if not matched or user_id is None:
        throttle.note_failure(by_client, now=now, marks=marks)
        throttle.note_failure(by_name, now=now, marks=marks)
        raise AccountError(N_("That username and password do not match."), "password")
    if not enabled:
        # Said only to someone who knows the password: a guesser learns nothing about the account.
        raise AccountError(N_("This account is disabled."), "username")
    throttle.forget(by_name, marks=marks)
    throttle.remember(known, keep=KNOWN_CLIENT_FOR, now=now, marks=marks)
    return user_id


def registration_allowed(client_key: str, *, now: datetime | None = None, engine: Engine | None = None) -> bool:
    """Count one sign-up from this client address; False past SIGNUPS_PER_ADDRESS_PER_HOUR (10) in an hour."""
    marks = throttle.store(engine)
    key = f"register:client:{client_key}"
    limit = get_settings().signups_per_address_per_hour
    return throttle.take(key, limit, REGISTRATION_WINDOW, now=now, marks=marks) is not None


def register(
    username: str,
    password: str,
    *,
    email: str,
    client_key: str,
    language: Language | None = None,
    engine: Engine | None = None,
) -> int:
    """Sign-up (an email address is required): count it against the client's address, then create the account.

    Raises AccountError.
    """
    if not email.strip():
        raise AccountError(
            N_("Enter your email address: it is how you get back in if you forget your password."), "email"
        )
    if problem := account_email.email_problem(email.strip()):
        raise AccountError(problem, "email")
    if not registration_allowed(client_key, engine=engine):
        raise AccountError(N_("Too many new accounts from this address. Please try again in an hour."), "username")
    return create_user(username, password, email=email, language=language, engine=engine)


def is_admin(user_id: int | None, *, engine: Engine | None = None) -> bool:
    """Whether `user_id` holds the admin role, read from the database."""
    if user_id is None or user_id < 0:
        return False
    with session_scope(engine) as session:
        return bool(session.exec(select(UserProfile.is_admin).where(UserProfile.user_id == user_id)).first())


def make_admin(username: str, password: str | None, *, promote: bool, engine: Engine | None = None) -> tuple[int, bool]:
    """Create `username` as an admin; returns (user id, created).

    An existing account is promoted only when `promote` says so: otherwise whoever registered the name
    first (say, `admin`) would become an admin without the operator knowing.
    """
    user_id = find_user_id(username, engine=engine)
    if user_id is not None and not promote:
        raise AccountError(
            f"An account named {username.strip()!r} already exists; it was not made an admin.", "username"
        )
    created = user_id is None
    if user_id is None:
        if password is None:
            raise AccountError("A new account needs a password.", "password")
        user_id = create_user(username, password, engine=engine)
    with session_scope(engine) as session:
        profile = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
        profile.is_admin = True
        session.add(profile)
    return user_id, created


SESSION_LIFETIME = timedelta(days=7)


def start_session(user_id: int, *, now: datetime | None = None, engine: Engine | None = None) -> str:
    """A new sign-in session (reflex-local-auth's table); returns its unguessable token."""
    token = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        expiration = (now or utcnow()) + SESSION_LIFETIME
        session.add(LocalAuthSession(user_id=user_id, session_id=token, expiration=expiration))
    return token


def session_user(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> int | None:
    """The enabled user a live session token belongs to, read from the database every time."""
    if not token or len(token) > 255:
        return None
    query = (
        select(LocalUser.id)
        .join(LocalAuthSession, col(LocalAuthSession.user_id) == LocalUser.id)
        .where(LocalAuthSession.session_id == token, LocalAuthSession.expiration > (now or utcnow()), LocalUser.enabled)
    )
    with session_scope(engine) as session:
        return session.exec(query).first()


@dataclass(frozen=True)
class Identity:
    """Who a live session token belongs to, as the navigation bar shows it."""

    user_id: int
    username: str
    is_admin: bool


def session_identity(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> Identity | None:
    """`session_user`, the username and the admin role in one query (None for no live session)."""
    if not token or len(token) > 255:
        return None
    query = (
        select(LocalUser.id, LocalUser.username, UserProfile.is_admin)
        .join(LocalAuthSession, col(LocalAuthSession.user_id) == LocalUser.id)
        .outerjoin(UserProfile, col(UserProfile.user_id) == LocalUser.id)
        .where(LocalAuthSession.session_id == token, LocalAuthSession.expiration > (now or utcnow()), LocalUser.enabled)
    )
    with session_scope(engine) as session:
        row = session.exec(query).first()
    return None if row is None else Identity(row[0], row[1], bool(row[2]))


def end_session(token: str, *, engine: Engine | None = None) -> None:
    """Sign out: the token stops working everywhere at once."""
    if token:
        with session_scope(engine) as session:
            session.exec(delete(LocalAuthSession).where(LocalAuthSession.session_id == token))


def username_of(user_id: int, *, engine: Engine | None = None) -> str:
    """The account's username ('' when it is gone)."""
    with session_scope(engine) as session:
        return session.exec(select(LocalUser.username).where(LocalUser.id == user_id)).first() or ""


PHONE_RE = re.compile(r"^9[678]\d{8}$")  # Nepali mobile numbers, as Khalti IDs are
PAN_RE = re.compile(r"^\d{9}$", re.ASCII)  # a Nepali PAN: nine digits


@dataclass(frozen=True)
class Profile:
    """What a subscriber tells us about themselves (all optional); Khalti gets it as customer_info."""

    display_name: str = ""
    email: str = ""
    phone: str = ""
    pan: str = ""  # a business's PAN for its invoices (not sent to Khalti)


def profile_problems(profile: Profile) -> dict[str, str]:
    """Field → message for each value we cannot use; empty when all is well."""
    problems: dict[str, str] = {}
    if len(profile.display_name) > 120:
        problems["display_name"] = Message(N_("Use at most {n} characters."), n=120)
    if profile.email and account_email.email_problem(profile.email):
        problems["email"] = N_("Enter an email address like name@example.com, or leave it empty.")
    if profile.phone and not PHONE_RE.fullmatch(profile.phone):
        # The example stays in Latin digits in every language: it is what people type.
        problems["phone"] = Message(
            N_("Enter a {n}-digit mobile number such as {example}, or leave it empty."), n=10, example="9800000001"
        )
    if profile.pan and not PAN_RE.fullmatch(profile.pan):
        problems["pan"] = Message(
            N_("A PAN is {n} digits, such as {example}; leave it empty when buying as a person."),
            n=9,
            example="301234567",
        )
    return problems


def get_profile(user_id: int, *, engine: Engine | None = None) -> Profile:
    """The user's profile (empty fields when none was saved)."""
    with session_scope(engine) as session:
        row = session.get(UserProfile, user_id)
        return Profile(row.display_name, row.email, row.phone, row.pan) if row else Profile()


def save_profile(user_id: int, profile: Profile, *, engine: Engine | None = None) -> dict[str, str]:
    """Store the profile when every field is usable; returns the problems otherwise (nothing stored).

    A new email address is unconfirmed until the link mailed to it is opened.
    """
    if problems := profile_problems(profile):
        return problems
    try:
        with session_scope(engine) as session:
            row = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
            row.display_name, row.phone, row.pan = profile.display_name, profile.phone, profile.pan
            session.add(row)
            session.flush()
            if problem := account_email.set_email(
                session, get_settings(), user_id=user_id, email=profile.email, now=utcnow()
            ):
                session.rollback()
                return {"email": problem}
    except IntegrityError:
        return {"email": account_email.TAKEN}  # another account took it a moment ago
    return {}

"""How a person reads the portal: the calendar dates are shown in and the language; the site default otherwise."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from khalti_portal.config import get_settings
from khalti_portal.db.models import UserProfile
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_, SOURCE_LANGUAGE, Language, parse_language
from khalti_portal.i18n.dates import Calendar

CALENDAR_PROBLEM = N_("Choose AD, Bikram Sambat (BS), both, or the site's default.")
# The profile's "site default" choice: stored as "", so a later change of DEFAULT_CALENDAR reaches this person too.
FOLLOW_SITE = "site"
# What an unknown language code gets (translated to the caller's language by whoever shows it).
LANGUAGE_PROBLEM = N_("Choose English or Nepali.")


def parse_calendar(raw: object) -> Calendar | None:
    """The calendar a profile form or a client sent, or None when it is not one of ours."""
    if not isinstance(raw, str):
        return None
    try:
        return Calendar(raw.strip().lower())
    except ValueError:
        return None


def site_calendar() -> Calendar:
    """The calendar shown to everyone who has not chosen one (`DEFAULT_CALENDAR`)."""
    return get_settings().default_calendar


def chosen_calendar(user_id: int, *, engine: Engine | None = None) -> Calendar | None:
    """The calendar the subscriber chose on the profile, or None when they left it to the site."""
    with session_scope(engine) as session:
        stored = session.exec(select(UserProfile.calendar).where(UserProfile.user_id == user_id)).first()
    return parse_calendar(stored) if stored else None


def calendar_of(user_id: int | None, *, engine: Engine | None = None) -> Calendar:
    """The calendar to show this person's dates in: their choice, else the site's default (also when signed out)."""
    if user_id is None:
        return site_calendar()
    return chosen_calendar(user_id, engine=engine) or site_calendar()


def set_calendar(user_id: int, raw: object, *, engine: Engine | None = None) -> str | None:
    """Store the profile's calendar choice (`FOLLOW_SITE` clears it); a message, nothing stored, for anything else."""
    if raw == FOLLOW_SITE:
        stored = ""
    elif (calendar := parse_calendar(raw)) is not None:
        stored = calendar.value
    else:
        return CALENDAR_PROBLEM
    with session_scope(engine) as session:
        row = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
        row.calendar = stored
        session.add(row)
    return None


def chosen_language(user_id: int, *, engine: Engine | None = None) -> Language | None:
    """The language the person chose (the header's switch, while signed in), or None when they never did."""
    with session_scope(engine) as session:
        stored = session.exec(select(UserProfile.language).where(UserProfile.user_id == user_id)).first()
    return parse_language(stored) if stored else None


def language_of(user_id: int | None, *, engine: Engine | None = None) -> Language:
    """The language to write to this person in (pages, mails, receipts): their choice, else English."""
    if user_id is None:
        return SOURCE_LANGUAGE
    return chosen_language(user_id, engine=engine) or SOURCE_LANGUAGE


def language_from(stored: object) -> Language:
    """`language_of`'s rule applied to a `UserProfile.language` the caller already read (None: no profile).

    Whoever queues a mail reads the column in its own query, so writing in the account's language costs no
    second connection.
    """
    return parse_language(stored) or SOURCE_LANGUAGE


def set_language(user_id: int, raw: object, *, engine: Engine | None = None) -> str | None:
    """Store the person's language on the account; a message (nothing stored) when `raw` is not one we speak."""
    language = parse_language(raw)
    if language is None:
        return LANGUAGE_PROBLEM
    with session_scope(engine) as session:
        row = session.get(UserProfile, user_id) or UserProfile(user_id=user_id)
        row.language = language.value
        session.add(row)
    return None

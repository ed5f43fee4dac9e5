"""Whether a subscriber gets renewal reminders: the profile switch and the one-click unsubscribe link.

Only reminders can be turned off; account mail (confirmation links, resets, payment confirmations and
receipts) always goes. An unsubscribe link works without signing in, for a year, as often as it is
opened (mail clients may POST it and the person may also click it): it only ever turns reminders off,
or, from its own page, back on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, update

from khalti_portal import account_tokens
from khalti_portal.account_tokens import Purpose
from khalti_portal.clock import utcnow
from khalti_portal.db.models import UserProfile
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import Message

# The messages are English msgids (or `Said`s): the page that shows one translates it (i18n.messages.shown).
LINK_PROBLEM = N_(
    "This unsubscribe link is not valid (or is over a year old). Sign in and use the switch on your profile."
)


@dataclass(frozen=True)
class Preference:
    """What an unsubscribe link (or the switch) did: the reminders are now on or off."""

    ok: bool
    reminders_enabled: bool
    message: str


def _set(user_id: int, enabled: bool, engine: Engine | None) -> str:
    """Store the switch; the address the reminders go to ('' when none)."""
    with session_scope(engine) as session:
        session.exec(
            update(UserProfile).where(col(UserProfile.user_id) == user_id).values(reminders_enabled=enabled),
            execution_options={"synchronize_session": False},
        )
        row = session.get(UserProfile, user_id)
        return row.email if row is not None else ""


def set_reminders(user_id: int, enabled: bool, *, engine: Engine | None = None) -> Preference:
    """The profile switch (`#reminders-enabled`)."""
    _set(user_id, bool(enabled), engine)
    answer = N_("Renewal reminders are on.") if enabled else N_("Renewal reminders are off. Account mail still comes.")
    return Preference(True, bool(enabled), answer)


def reminders_enabled(user_id: int, *, engine: Engine | None = None) -> bool:
    """Whether the subscriber gets renewal reminders."""
    with session_scope(engine) as session:
        row = session.get(UserProfile, user_id)
        return bool(row.reminders_enabled) if row is not None else False


def _holder(token: str, now: datetime, engine: Engine | None) -> int | None:
    """Whose unsubscribe link this is, while it is valid (using it spends nothing: it may be opened again)."""
    with session_scope(engine) as session:
        found = account_tokens.find(session, token, Purpose.UNSUBSCRIBE, now=now)
    return found.user_id if found.state == "valid" else None


def unsubscribe(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> Preference:
    """Turn renewal reminders off with a link from a reminder (no sign-in needed)."""
    user_id = _holder(token, now or utcnow(), engine)
    if user_id is None:
        return Preference(False, True, LINK_PROBLEM)
    email = _set(user_id, False, engine)
    done = Message(N_("Done: no more renewal reminders to {email}. Receipts and account mail still come."), email=email)
    return Preference(True, False, done)


def resubscribe(token: str, *, now: datetime | None = None, engine: Engine | None = None) -> Preference:
    """Turn them back on from the same link's page (a mistaken click undone)."""
    user_id = _holder(token, now or utcnow(), engine)
    if user_id is None:
        return Preference(False, False, LINK_PROBLEM)
    _set(user_id, True, engine)
    return Preference(True, True, N_("Renewal reminders are on again."))

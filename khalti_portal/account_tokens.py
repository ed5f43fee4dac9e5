"""One-time links mailed to a person: issued (spending older ones), kept only as a hash, used once before expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from sqlmodel import Session, col, select, update

from khalti_portal.db.models import AccountToken

MAX_TOKEN_CHARS = 100  # what arrives in a URL is cut here before hashing; ours are 43 characters


class Purpose(StrEnum):
    """What a link lets its holder do."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    UNSUBSCRIBE = "unsubscribe"  # turns renewal reminders off; one per reminder, none spends another


TokenState = Literal["valid", "expired", "used", "unknown"]


@dataclass(frozen=True)
class FoundToken:
    """A stored token as it stands now (`state`), and whose it is."""

    state: TokenState
    id: int | None = None
    user_id: int | None = None
    email: str = ""


def token_hash(token: str) -> str:
    """SHA-256 of the token: all the database ever holds, so a copy of it opens no account."""
    return hashlib.sha256(token[:MAX_TOKEN_CHARS].encode("utf-8", "replace")).hexdigest()


def issue(
    session: Session,
    *,
    user_id: int,
    purpose: Purpose,
    now: datetime,
    valid_for: timedelta,
    email: str = "",
    supersede: bool = True,
) -> tuple[int, str]:
    """A new token (id, the raw token for the link); unless `supersede` is off, older unused ones stop working."""
    if supersede:
        session.exec(
            update(AccountToken)
            .where(
                col(AccountToken.user_id) == user_id,
                col(AccountToken.purpose) == purpose.value,
                col(AccountToken.used_at).is_(None),
            )
            .values(used_at=now),
            execution_options={"synchronize_session": False},
        )
    raw = secrets.token_urlsafe(32)
    row = AccountToken(
        user_id=user_id,
        purpose=purpose.value,
        token_hash=token_hash(raw),
        email=email,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id, raw


def find(session: Session, token: str, purpose: Purpose, *, now: datetime) -> FoundToken:
    """What `token` is now: valid, expired, used (or superseded), or unknown (never ours, or another purpose)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return FoundToken("unknown")
    row = session.exec(
        select(AccountToken).where(AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose.value)
    ).first()
    if row is None:
        return FoundToken("unknown")
    state: TokenState = "used" if row.used_at is not None else "expired" if row.expires_at <= now else "valid"
    return FoundToken(state, row.id, row.user_id, row.email)


def spend(session: Session, token_id: int, *, now: datetime) -> bool:
    """Use the token: one conditional UPDATE, so of two tabs opening one link at once exactly one wins."""
    result = session.exec(
        update(AccountToken)
        .where(
            col(AccountToken.id) == token_id,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1

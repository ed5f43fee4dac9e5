"""Writing to the outbox: queue a message in the caller's transaction (once per key), put a failed one back."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, update

from khalti_portal.db.models import MailStatus, OutboxMessage
from khalti_portal.mail.templates import TEMPLATES


def looks_like_address(address: str) -> bool:
    """One bare address (`name@host`): no spaces or line breaks, which would let it add headers of its own."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain) and len(address) <= 254 and not any(c.isspace() or c in '<>,;"' for c in address)
    )


def new_message_id(mail_from: str) -> str:
    """A Message-ID fixed when the message is queued, in the sender's domain: resends carry the same one."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def queue_message(
    session: Session,
    *,
    key: str,
    template: str,
    to_address: str,
    context: Mapping[str, Any],
    mail_from: str,
    now: datetime,
    user_id: int | None = None,
    payment_id: int | None = None,
) -> bool:
    """Add a message to the outbox in the caller's transaction; False when `key` was queued before.

    The INSERT skips a key that exists (ON CONFLICT DO NOTHING), so two transactions queuing the same
    message leave one row: on PostgreSQL the second waits for the first to commit and then adds nothing.
    """
    if template not in TEMPLATES:
        raise ValueError(f"no mail template named {template!r}")
    if not looks_like_address(to_address):
        raise ValueError(f"{to_address!r} is not an email address")
    values = {
        "key": key,
        "template": template,
        "context": dict(context),
        "to_address": to_address,
        "message_id": new_message_id(mail_from),
        "user_id": user_id,
        "payment_id": payment_id,
        "status": MailStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(OutboxMessage.id))  # a row back means it was added (rowcount is -1 under RETURNING)
    )
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def requeue_failed(session: Session, message_id: int, *, now: datetime) -> bool:
    """Give a failed message a fresh set of tries, now; False when it is not (or no longer) failed.

    Conditional on `status = 'failed'`, so two admins pressing retry at once queue it once. The last
    error stays visible until the next try replaces it.
    """
    result = session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now, claimed_until=None, claimed_by=None),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1

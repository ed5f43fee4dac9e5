"""Sending the outbox: claim due messages under a lease, hand them to SMTP, record what happened to each.

Delivery is at least once. A message is marked `sent` only after the server accepted it; if the
connection drops after the server took it and before it said so, the message is sent again later with
the same Message-ID (that is the only way a duplicate can happen). Claiming is one short transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single writer otherwise) that leases the rows, so any
number of senders can run; a sender that dies leaves rows whose lease runs out and are claimed again.

What a failure costs a message (see `smtp.py` for which failure is which kind):
- `unreachable`: nothing; it and the rest of the batch wait WAIT_WHEN_UNREACHABLE and are tried again,
  for as long as SMTP stays down. Nothing is lost while SMTP is down.
- `temporary`: one try; the next waits RETRY_DELAYS[tries - 1]; after MAX_TRIES tries it is `failed`.
- `permanent` (the server said 5xx) or a message that cannot be rendered: `failed` at once.
A failed message keeps its error and waits for an admin to retry it (`/admin/mail`). A message carrying a
one-time link (templates.SECRET_FIELDS) loses the link once sent or failed: a retried one cannot be
rendered again and fails, and the person asks for a new link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from khalti_portal.clock import utcnow
from khalti_portal.config import Settings
from khalti_portal.db.models import Invoice, MailStatus, OutboxMessage
from khalti_portal.i18n.catalogs import parse_language
from khalti_portal.mail.compose import compose
from khalti_portal.mail.smtp import SendFailure, SmtpConnection
from khalti_portal.mail.templates import SECRET_FIELDS, TemplateError
from khalti_portal.reading_preferences import language_of, parse_calendar

logger = logging.getLogger("khalti_portal.mail")

# Pauses after the 1st, 2nd, ... temporary failure; the try after the last pause is the last one.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_TRIES = len(RETRY_DELAYS) + 1
WAIT_WHEN_UNREACHABLE = timedelta(minutes=1)
BATCH_SIZE = 20
# Long enough for a whole batch when every command times out (connect, MAIL, RCPT, DATA).
LEASE = timedelta(minutes=20)
ERROR_LENGTH = 500

Clock = Callable[[], datetime]


class Transport(Protocol):
    """Something that opens SMTP connections (`SmtpTransport`; tests may wrap one)."""

    async def connect(self) -> SmtpConnection:
        """An open connection, or SendFailure `unreachable`."""
        ...


@dataclass
class DeliveryReport:
    """What one run did; `summary()` is the line the CLI prints."""

    worker_id: str
    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # a temporary failure: tried again later
    failed: int = 0  # given up on (5xx, cannot render, or out of tries)
    waiting: int = 0  # SMTP unreachable: waiting, no try counted
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """`mail: claimed 3, sent 2, retrying 1, failed 0, waiting 0`."""
        return (
            f"mail: claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, "
            f"failed {self.failed}, waiting {self.waiting}"
        )


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    template: str
    context: dict[str, Any]
    to_address: str
    message_id: str
    created_at: datetime
    attempts: int


def default_worker_id() -> str:
    """`host:pid:random`: unique per sender, so two loops never share a lease."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


async def deliver_once(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    clock: Clock = utcnow,
    worker_id: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> DeliveryReport:
    """Claim up to `batch_size` due messages and send them over one connection (reopened after a failure)."""
    report = DeliveryReport(worker_id=worker_id or default_worker_id())
    claimed = await asyncio.to_thread(_claim, engine, report.worker_id, batch_size, clock())
    report.claimed = len(claimed)
    sender = _Sender(transport)
    try:
        for index, message in enumerate(claimed):
            try:
                mime = await asyncio.to_thread(_compose, engine, message, settings)
            except (TemplateError, ValueError, TypeError) as exc:
                # A message that cannot be drawn fails alone and visibly; the rest of the batch goes on.
                await asyncio.to_thread(_record_failure, engine, message, "permanent", f"cannot render: {exc}", clock())
                report.failed += 1
                continue
            try:
                await sender.send(mime)
            except SendFailure as failure:
                report.errors.append(failure.reason)
                if failure.kind == "unreachable":
                    # The server is not there: this message and the rest of the batch wait, no try counted.
                    rest = claimed[index:]
                    await asyncio.to_thread(_wait, engine, rest, failure.reason, clock())
                    report.waiting += len(rest)
                    logger.warning("mail: %s; %d message(s) wait", failure.reason, len(rest))
                    break
                kind, reason = failure.kind, failure.reason
                status = await asyncio.to_thread(_record_failure, engine, message, kind, reason, clock())
                report.failed += status is MailStatus.FAILED
                report.retrying += status is MailStatus.QUEUED
                continue
            await asyncio.to_thread(_record_sent, engine, message, clock())
            report.sent += 1
    finally:
        await sender.close()
    return report


def _compose(engine: Engine, message: _Claimed, settings: Settings) -> EmailMessage:
    """The MIME message (in a worker thread: a receipt's PDF is drawn here)."""
    return compose(
        template=message.template,
        context=message.context,
        to_address=message.to_address,
        message_id=message.message_id,
        queued_at=message.created_at,
        mail_from=settings.mail.mail_from,
        site_name=settings.site_name,
        pdfs=_receipt_pdfs(engine, message.context, settings),
    )


def _receipt_pdfs(engine: Engine, context: dict[str, Any], settings: Settings) -> list[tuple[str, bytes]]:
    """The receipt a message names (`invoice_number`), drawn as a PDF from the stored invoice.

    Its period is written in the calendar the message's own dates are (`calendar`, chosen when it was
    queued); a message queued before that was recorded gets the site's default. Its words are the
    language the message was queued in (`language`), else the account's (`language_of`).
    """
    number = context.get("invoice_number")
    if not number:
        return []
    from khalti_portal.documents.pdf import receipt_pdf
    from khalti_portal.documents.receipt import receipt_view

    calendar = parse_calendar(context.get("calendar")) or settings.default_calendar
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == number)).first()
    if invoice is None:
        raise TemplateError(f"the message names invoice {number!r}, which does not exist")
    language = parse_language(context.get("language")) or language_of(invoice.user_id, engine=engine)
    return [(f"{invoice.slug}.pdf", receipt_pdf(receipt_view(invoice, calendar, language)))]


class _Sender:
    """One connection for a batch, opened on the first message and again after any failure."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._connection: SmtpConnection | None = None

    async def send(self, message: EmailMessage) -> None:
        try:
            if self._connection is None:
                self._connection = await self._transport.connect()
            await self._connection.send(message)
        except SendFailure:
            await self.close()
            raise

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()


# -- database work (runs in worker threads) ---------------------------------------------------------------


def _unleased(now: datetime) -> Any:
    return or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now)


def _due_clauses(now: datetime) -> list[Any]:
    return [
        col(OutboxMessage.status) == MailStatus.QUEUED,
        col(OutboxMessage.next_attempt_at) <= now,
        _unleased(now),
    ]


def _claim(engine: Engine, worker_id: str, batch_size: int, now: datetime) -> list[_Claimed]:
    """One short transaction: pick due messages (skipping rows another sender holds), lease them, commit."""
    query = (
        select(OutboxMessage.id)
        .where(*_due_clauses(now))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    with Session(engine) as session:
        ids = list(session.exec(query).all())
        if not ids:
            session.rollback()
            return []
        rows = session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), *_due_clauses(now))
            .values(claimed_until=now + LEASE, claimed_by=worker_id)
            .returning(
                col(OutboxMessage.id),
                col(OutboxMessage.key),
                col(OutboxMessage.template),
                col(OutboxMessage.context),
                col(OutboxMessage.to_address),
                col(OutboxMessage.message_id),
                col(OutboxMessage.created_at),
                col(OutboxMessage.attempts),
            ),
            execution_options={"synchronize_session": False},
        ).all()
        session.commit()
    return sorted((_Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def _settle(engine: Engine, message_id: int, values: dict[str, Any]) -> None:
    """Write the outcome of a try and drop the lease (only on a message still queued)."""
    with Session(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == MailStatus.QUEUED)
            .values(claimed_until=None, claimed_by=None, **values),
            execution_options={"synchronize_session": False},
        )
        session.commit()


def _without_secrets(message: _Claimed) -> dict[str, Any]:
    """The context without its one-time links: once a message is settled, nobody needs them again."""
    secret = SECRET_FIELDS.get(message.template, ())
    return {name: value for name, value in message.context.items() if name not in secret}


def _record_sent(engine: Engine, message: _Claimed, now: datetime) -> None:
    _settle(
        engine,
        message.id,
        {
            "status": MailStatus.SENT,
            "sent_at": now,
            "last_attempt_at": now,
            "attempts": message.attempts + 1,
            "last_error": None,
            "context": _without_secrets(message),
        },
    )
    logger.info("mail: sent %s to %s", message.key, message.to_address)


def _record_failure(engine: Engine, message: _Claimed, kind: str, reason: str, now: datetime) -> MailStatus:
    """Count a try: failed at once when permanent or out of tries, else queued for the next pause."""
    tries = message.attempts + 1
    values: dict[str, Any] = {"attempts": tries, "last_attempt_at": now, "last_error": reason[:ERROR_LENGTH]}
    if kind == "permanent" or tries >= MAX_TRIES:
        values["status"] = MailStatus.FAILED
        values["context"] = _without_secrets(message)
        logger.warning("mail: %s to %s failed after %d tries: %s", message.key, message.to_address, tries, reason)
    else:
        values["next_attempt_at"] = now + RETRY_DELAYS[tries - 1]
        logger.info("mail: %s to %s: try %d failed (%s); again later", message.key, message.to_address, tries, reason)
    _settle(engine, message.id, values)
    return values.get("status", MailStatus.QUEUED)


def _wait(engine: Engine, messages: list[_Claimed], reason: str, now: datetime) -> None:
    """SMTP could not be reached: these messages are due again soon, their tries untouched."""
    with Session(engine) as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([m.id for m in messages]), col(OutboxMessage.status) == MailStatus.QUEUED)
            .values(
                claimed_until=None,
                claimed_by=None,
                next_attempt_at=now + WAIT_WHEN_UNREACHABLE,
                last_error=reason[:ERROR_LENGTH],
            ),
            execution_options={"synchronize_session": False},
        )
        session.commit()


# -- running it for ever ---------------------------------------------------------------------------------


async def deliver_loop(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    interval: float | None = None,
    stop: asyncio.Event | None = None,
    clock: Clock = utcnow,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> None:
    """Run `deliver_once` until `stop` is set: again at once after a full batch, else every `interval` seconds."""
    interval = settings.mail.interval_seconds if interval is None else interval
    stop = stop if stop is not None else asyncio.Event()
    worker_id = default_worker_id()
    logger.info("mail sender %s: every %.0f s through %r", worker_id, interval, transport)
    while not stop.is_set():
        full = False
        try:
            report = await deliver_once(engine, settings, transport, clock=clock, worker_id=worker_id)
            full = report.claimed >= BATCH_SIZE and report.waiting == 0
            if report.claimed:
                logger.info("%s", report.summary())
            if on_report is not None:
                on_report(report)
        except Exception:
            logger.exception("mail run failed; trying again in %.0f s", interval)
        if full:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    logger.info("mail sender %s: stopped", worker_id)

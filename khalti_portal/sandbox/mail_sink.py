"""`MailSink`: the emulator's SMTP server. It keeps every message it is given in the emulator's store.

It runs on the caller's asyncio loop (the app's, started from its lifespan), bound to loopback only, with
no TLS and no AUTH: it delivers nothing anywhere, so there is nothing to protect but the disk, which the
size limit covers. A message that cannot be stored is answered 451, so the sender keeps it and retries.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from khalti_portal.sandbox.context import to_us, utc_now
from khalti_portal.sandbox.mail_view import header_text, parse_message
from khalti_portal.sandbox.store import EmulatorStore

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # far above any mail the portal sends; a bigger one is a bug (552)
ACCEPTED = "250 Message accepted"
NOT_STORED = "451 Requested action aborted: the mailbox could not store the message, try again later"
_STOP_TIMEOUT_SECONDS = 5.0
_HOSTNAME = "mailbox.khalti-emulator.localhost"  # named, so aiosmtpd doesn't look up the machine's FQDN


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _subject_and_id(raw: bytes) -> tuple[str, str]:
    """Subject and Message-ID for the store's columns; a broken one is stored empty (the page says why when read)."""
    message = parse_message(raw)
    found = []
    for name in ("Subject", "Message-ID"):
        try:
            found.append(header_text(message, name))
        except Exception:  # the stdlib raises assorted errors on broken headers
            found.append("")
    return found[0], found[1]


class _StoreHandler:
    """aiosmtpd's handler: every accepted DATA becomes one row of `emulator_mail`."""

    def __init__(self, store: EmulatorStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message as received, off the loop (SQLite may wait for another writer's lock)."""
        raw = envelope.original_content or b""
        try:
            await asyncio.to_thread(self._store, raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:
            log.exception("mailbox: could not store a message from %r to %r", envelope.mail_from, envelope.rcpt_tos)
            return NOT_STORED
        return ACCEPTED

    def _store(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> int:
        subject, message_id = _subject_and_id(raw)
        return self.store.add_mail(
            received_at_us=to_us(self.clock()),
            mail_from=mail_from,
            rcpt_tos=rcpt_tos,
            subject=subject,
            message_id=message_id,
            raw=raw,
        )


class MailSink:
    """An SMTP server on the running loop that keeps every message in the emulator's mailbox.

    `store` is the emulator's `EmulatorStore` or the path of its SQLite file. `max_message_bytes` is the
    SIZE it announces and enforces (a bigger message is refused with 552). `clock` stamps arrivals.
    """

    def __init__(
        self,
        store: EmulatorStore | str,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store if isinstance(store, EmulatorStore) else EmulatorStore(store)
        self.max_message_bytes = max_message_bytes
        self._handler = _StoreHandler(self.store, clock or utc_now)
        self._server: asyncio.Server | None = None
        self._sessions: set[_TrackedSMTP] = set()
        self._port: int | None = None

    @property
    def port(self) -> int | None:
        """The port it listens on, once started."""
        return self._port

    def _session(self) -> _TrackedSMTP:
        session = _TrackedSMTP(
            self._handler,
            sessions=self._sessions,
            data_size_limit=self.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname=_HOSTNAME,
            ident="Khalti emulator mailbox",
            loop=asyncio.get_running_loop(),
        )
        self._sessions.add(session)
        return session

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on `host:port` (port 0: a free one) on the running loop; the port it got."""
        if self._server is not None:
            raise RuntimeError(f"the mail sink is already listening on port {self._port}")
        if not _is_loopback(host):
            raise ValueError(f"the mail sink listens on loopback only (it has no AUTH), not on {host!r}")
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._session, host=host, port=port)
        self._port = int(self._server.sockets[0].getsockname()[1])
        log.info("mailbox: SMTP sink listening on %s:%d", host, self._port)
        return self._port

    async def stop(self) -> None:
        """Stop listening and drop open sessions (a message being stored still finishes in its thread)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        closing = [session for session in self._sessions if session.transport is not None]
        for session in closing:
            session.transport.close()
        # Closing a transport reports connection_lost on a later loop turn; wait for it, so that after
        # stop() no session of this sink is left running on the loop.
        try:
            await asyncio.wait_for(asyncio.gather(*(s.ended.wait() for s in closing)), _STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("mailbox: %d SMTP session(s) still open after stop", len(closing))
        await server.wait_closed()
        self._port = None


class _TrackedSMTP(SMTP):
    """aiosmtpd's SMTP session, forgotten by its sink once the connection ends (so `stop` can close the rest)."""

    def __init__(self, handler: Any, *, sessions: set[_TrackedSMTP], **options: Any) -> None:
        super().__init__(handler, **options)
        self._sink_sessions = sessions
        self.ended = asyncio.Event()

    def connection_lost(self, error: Exception | None) -> None:
        """Forget this session, then let aiosmtpd clean up."""
        self._sink_sessions.discard(self)
        try:
            super().connection_lost(error)
        finally:
            self.ended.set()

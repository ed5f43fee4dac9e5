"""A real SMTP server for tests: aiosmtpd on loopback in the test's own event loop, told how to answer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TestSmtpServer:
    """What it received, and how it answers: `refuse` maps a recipient to an RCPT reply, `data_reply` answers
    DATA for everyone, `drop_after_data` takes a message and then cuts the connection before saying so."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    drop_after_data: int = 0  # how many more messages to take and then drop the connection on
    received: list[EmailMessage] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1:`port` (0: any free port) and return the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self, hostname="test-smtp"), "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening (connections the sender opened close when it closes them)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        """Refuse the recipients told to, accept the rest."""
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message (unless told to refuse it); drop the connection after taking it if told to."""
        if self.data_reply:
            return self.data_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        if self.drop_after_data:
            self.drop_after_data -= 1
            server.transport.abort()  # the message is taken, but the sender never hears so
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        """The Message-ID of everything received, in order."""
        return [str(m["Message-ID"]) for m in self.received]


async def deliver_to(server: TestSmtpServer | Any, engine: Any, settings: Any) -> Any:
    """One run of the sender against `server` on loopback (plain SMTP), the server stopped after: its report."""
    from khalti_portal.mail.delivery import deliver_once
    from khalti_portal.mail.smtp import SmtpTransport

    port = await server.start()
    try:
        return await deliver_once(engine, settings, SmtpTransport("127.0.0.1", port, "none"))
    finally:
        await server.stop()

"""`SmtpTransport`: one SMTP server reached with aiosmtplib, and what each way of failing means for a message.

| failure | kind | what the outbox does |
|---|---|---|
| cannot connect, TLS or login fails, server says 421 at once | `unreachable` | the message waits, no try counted |
| 4xx to MAIL/RCPT/DATA, connection dropped or timed out mid-message | `temporary` | a try counted, sent again later |
| 5xx to MAIL/RCPT/DATA | `permanent` | failed at once, error kept (an admin may retry) |
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from khalti_portal.config import MailSettings

FailureKind = Literal["unreachable", "temporary", "permanent"]
# Each SMTP command's answer may take this long; a server slower than that is treated as unreachable.
SMTP_TIMEOUT_SECONDS = 30.0


class SendFailure(Exception):
    """Sending did not work; `kind` says whether the message waits, is tried again, or has failed."""

    def __init__(self, kind: FailureKind, reason: str) -> None:
        """`reason` is one line for the outbox's `last_error` (never a password)."""
        super().__init__(reason)
        self.kind: FailureKind = kind
        self.reason = reason


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient} refused: {r.code} {r.message}" for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _reply_kind(code: int) -> FailureKind:
    # RFC 5321 4.2.1: 5yz is a permanent refusal, 4yz a transient one worth trying again.
    return "permanent" if 500 <= code < 600 else "temporary"


@dataclass(frozen=True)
class SmtpTransport:
    """Where mail is handed over: host, port, `none`/`starttls`/`tls`, and a login if the server wants one."""

    host: str
    port: int
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = SMTP_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, mail: MailSettings) -> SmtpTransport:
        """The transport SMTP_* describe (`mail.smtp_host` must be set)."""
        if not mail.smtp_host:
            raise ValueError("SMTP_HOST is not set")
        return cls(mail.smtp_host, mail.smtp_port, mail.smtp_security, mail.smtp_username, mail.smtp_password)

    def __repr__(self) -> str:
        """Where, never the password."""
        return f"SmtpTransport({self.host}:{self.port}, {self.security})"

    async def connect(self) -> SmtpConnection:
        """An open, greeted (and, as configured, encrypted and logged-in) connection; SendFailure `unreachable`."""
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.username or None,
            password=self.password or None,
            timeout=self.timeout,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailure("unreachable", f"cannot reach {self.host}:{self.port}: {_describe(exc)}") from None
        return SmtpConnection(client)


class SmtpConnection:
    """One open connection; after any failure it is closed and a new one is opened for the next message."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        """Wrap a connected aiosmtplib client."""
        self._client = client

    async def send(self, message: EmailMessage) -> str:
        """Hand `message` over; the server's answer on success, SendFailure (`temporary`/`permanent`) otherwise."""
        try:
            _, answer = await self._client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            kind: FailureKind = "permanent" if codes and all(c >= 500 for c in codes) else "temporary"
            raise SendFailure(kind, _describe(exc)) from None
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
            # The server may or may not have taken it: sent again later with the same Message-ID.
            raise SendFailure("temporary", f"connection lost while sending: {_describe(exc)}") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailure(_reply_kind(exc.code), _describe(exc)) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailure("temporary", _describe(exc)) from None
        return answer

    async def close(self) -> None:
        """Say QUIT if the server still listens; a connection already gone is simply dropped."""
        try:
            if self._client.is_connected:
                await self._client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self._client.close()

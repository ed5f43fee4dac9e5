"""A stored message read for people and tests: headers, the plain and HTML parts, and what could not be read.

Nothing here raises on a bad message: whatever part fails to decode is left out and `problem` says why,
so the mailbox lists every message it received, however broken.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from typing import Any

import nh3

from khalti_portal.sandbox.context import from_us
from khalti_portal.sandbox.store import MailRow

# What survives in a mail's HTML when it is shown inside the mailbox page: text, links (absolute http, https
# and mailto only), basic formatting, tables and a few harmless inline styles. Scripts, styles, forms,
# frames and event handlers go; ids and classes go too, so a mail cannot restyle or impersonate the page.
_SAFE_TAGS = frozenset(nh3.ALLOWED_TAGS | {"tfoot"})
_SAFE_ATTRIBUTES: dict[str, set[str]] = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
_SAFE_ATTRIBUTES.setdefault("*", set()).update({"style", "title", "lang", "dir"})
for _tag in ("table", "td", "th"):
    _SAFE_ATTRIBUTES.setdefault(_tag, set()).update({"width", "valign", "bgcolor"})
_SAFE_ATTRIBUTES["table"].update({"border", "cellpadding", "cellspacing", "role"})
_SAFE_STYLES = frozenset(
    {
        "color",
        "background-color",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "line-height",
        "text-align",
        "text-decoration",
        "vertical-align",
        "padding",
        "padding-top",
        "padding-right",
        "padding-bottom",
        "padding-left",
        "margin",
        "margin-top",
        "margin-bottom",
        "border",
        "border-bottom",
        "border-top",
        "border-radius",
        "border-collapse",
        "width",
        "max-width",
        "display",
        "white-space",
    }
)
_DROP_WITH_CONTENT = frozenset({"script", "style", "title", "head", "template", "noscript"})


def sanitise_html(html: str) -> str:
    """The mail's HTML, safe to place inside the mailbox page (see `_SAFE_TAGS`)."""
    return nh3.clean(
        html,
        tags=set(_SAFE_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes=_SAFE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative="deny",  # a mail client has no base URL either: a relative link in a mail is a bug to see
        filter_style_properties=set(_SAFE_STYLES),
        link_rel="noopener noreferrer",
    )


@dataclass(frozen=True)
class ReadMail:
    """One message, read: what the mailbox page and `messages.json` show."""

    id: int
    received_at: datetime  # UTC
    envelope_from: str
    to: tuple[str, ...]  # the envelope's recipients: who it was really delivered to
    from_header: str
    subject: str
    message_id: str
    text: str | None
    html: str | None  # as sent, not sanitised
    size: int  # bytes received
    problem: str | None  # why some of it could not be read, for the person looking

    @property
    def sender(self) -> str:
        """The From header, or the envelope sender when the message has none."""
        return self.from_header or self.envelope_from

    @property
    def received_at_iso(self) -> str:
        """`2026-11-27T22:32:11.123456Z`."""
        return self.received_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @property
    def received_at_text(self) -> str:
        """`27 Nov 2026, 22:32:11 UTC`."""
        moment = self.received_at
        return f"{moment.day} {moment:%b %Y, %H:%M:%S} UTC"

    def as_json(self) -> dict[str, Any]:
        """The `messages.json` entry."""
        return {
            "id": self.id,
            "received_at": self.received_at_iso,
            "from": self.sender,
            "envelope_from": self.envelope_from,
            "to": list(self.to),
            "subject": self.subject,
            "message_id": self.message_id,
            "text": self.text,
            "html": self.html,
            "size": self.size,
            "problem": self.problem,
        }


def parse_message(raw: bytes) -> EmailMessage:
    """The message as the standard library's modern API reads it (it never raises here; parts may later)."""
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def header_text(message: Message, name: str) -> str:
    """A header's decoded value, `""` when absent; raises when the header cannot be decoded."""
    value = message.get(name)
    return "" if value is None else str(value)


def read_mail(row: MailRow) -> ReadMail:
    """Read a stored message, collecting (never raising) what could not be read."""
    try:
        return _read(row)
    except Exception as exc:  # a message the parser chokes on is still listed
        return ReadMail(
            id=row.id,
            received_at=from_us(row.received_at_us),
            envelope_from=row.mail_from,
            to=row.rcpt_tos,
            from_header="",
            subject=row.subject,
            message_id=row.message_id,
            text=None,
            html=None,
            size=len(row.raw),
            problem=f"it could not be read as a MIME message ({type(exc).__name__})",
        )


def _read(row: MailRow) -> ReadMail:
    problems: list[str] = []
    message = parse_message(row.raw)

    def header(name: str, fallback: str) -> str:
        try:
            return header_text(message, name)
        except Exception as exc:  # the stdlib raises assorted errors on broken headers
            problems.append(f"the {name} header could not be decoded ({type(exc).__name__})")
            return fallback

    def body(kind: str) -> str | None:
        try:
            part = message.get_body((kind,))
            # SMTP carries CRLF; people and tests read lines.
            return None if part is None else str(part.get_content()).replace("\r\n", "\n")
        except Exception as exc:  # e.g. LookupError for an unknown charset
            problems.append(f"the {kind} part could not be decoded ({type(exc).__name__}: {exc})")
            return None

    from_header = header("From", "")
    subject = header("Subject", row.subject)
    message_id = header("Message-ID", row.message_id)
    text, html = body("plain"), body("html")
    if text is None and html is None and not problems:
        problems.append("it has no text or HTML part")
    defects = sorted({type(defect).__name__ for part in message.walk() for defect in part.defects})
    if defects:
        problems.append("the MIME structure is damaged: " + ", ".join(defects))
    return ReadMail(
        id=row.id,
        received_at=from_us(row.received_at_us),
        envelope_from=row.mail_from,
        to=row.rcpt_tos,
        from_header=from_header,
        subject=subject,
        message_id=message_id,
        text=text,
        html=html,
        size=len(row.raw),
        problem="; ".join(problems) if problems else None,
    )

"""`compose`: one outbox row, rendered, as the MIME message that goes over SMTP (plain text + HTML)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from khalti_portal.mail.templates import render


def compose(
    *,
    template: str,
    context: dict,
    to_address: str,
    message_id: str,
    queued_at: datetime,
    mail_from: str,
    site_name: str,
    pdfs: Sequence[tuple[str, bytes]] = (),
) -> EmailMessage:
    """The message with its fixed Message-ID and the time it was queued as its Date: a resend is the same message."""
    rendered = render(template, context, site_name=site_name)
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to_address
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(queued_at)
    message["Message-ID"] = message_id
    # Tells mail servers and autoresponders this is machine mail (RFC 3834): no vacation replies to it.
    message["Auto-Submitted"] = "auto-generated"
    if one_click := context.get("one_click_url"):
        # RFC 8058: a mail client's "unsubscribe" button POSTs here; RFC 2369 wants the URL in angle brackets.
        message["List-Unsubscribe"] = f"<{one_click}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for filename, data in pdfs:  # e.g. the receipt of the payment a confirmation tells of
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return message

"""HTML of the mailbox: every message as the recipient would read it, in the hosted checkout page's look.

Header values go through `html.escape`; a mail's HTML part only through `sanitise_html`, which keeps its
text and links (so a developer can click *Verify your email* right here) and drops anything active.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from khalti_portal.sandbox.mail_view import ReadMail, sanitise_html
from khalti_portal.sandbox.templates import document

_CSS = """
.mailbox-head{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}
.mailbox-head h1{font-size:1.3rem;margin:0}
.mail{border:1px solid #e4ddef;border-radius:10px;padding:1rem 1.1rem;margin:1.25rem 0;overflow-wrap:anywhere}
.mail-subject{font-size:1.1rem;margin:0 0 .5rem}
.mail-subject a{color:inherit}
.mail-headers{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:0 0 .8rem;font-size:.9rem}
.mail-headers dt{color:#5b5270}
.mail-headers dd{margin:0}
.mail-html{border-top:1px solid #eee8f5;padding-top:.8rem;overflow-x:auto}
.mail-html img{max-width:100%;height:auto}
.mail-text pre{white-space:pre-wrap;background:#f7f5fa;border-radius:8px;padding:.75rem;font-size:.85rem}
.mail-text summary,.mail-raw{font-size:.85rem;color:#5c2d91;cursor:pointer}
.mail-problem{background:#fff6e5;color:#6b4300;border:1px solid #f3d9a4;border-radius:8px;padding:.6rem .8rem}
"""


def _headers(mail: ReadMail) -> str:
    to = ", ".join(mail.to)
    return (
        '<dl class="mail-headers">'
        f'<dt>From</dt><dd class="mail-from">{escape(mail.sender)}</dd>'
        f'<dt>To</dt><dd class="mail-to">{escape(to)}</dd>'
        f'<dt>Received</dt><dd><time class="mail-received" datetime="{mail.received_at_iso}">'
        f"{escape(mail.received_at_text)}</time></dd>"
        "</dl>\n"
    )


def _body(mail: ReadMail) -> str:
    parts = []
    if mail.problem:
        parts.append(
            f'<p class="mail-problem" role="note">This message ({mail.size:,} bytes as received) could not be '
            f"fully read: {escape(mail.problem)}. Download the raw message to see exactly what arrived.</p>\n"
        )
    if mail.html is not None:
        parts.append(f'<div class="mail-html">{sanitise_html(mail.html)}</div>\n')
    if mail.text is not None:
        # Open when it is all there is to read; tucked away under the HTML otherwise.
        opened = "" if mail.html is not None else " open"
        parts.append(
            f'<details class="mail-text"{opened}><summary>Plain-text version</summary>'
            f"<pre>{escape(mail.text)}</pre></details>\n"
        )
    return "".join(parts)


def mail_article(mail: ReadMail, base: str) -> str:
    """One message: subject, headers, the HTML part inline, the text part folded, and its raw download."""
    subject = escape(mail.subject) if mail.subject else "(no subject)"
    return (
        f'<article class="mail" id="mail-{mail.id}" data-mail-id="{mail.id}" '
        f'data-message-id="{escape(mail.message_id)}">\n'
        f'<h2 class="mail-subject"><a href="{escape(base)}{mail.id}">{subject}</a></h2>\n'
        + _headers(mail)
        + _body(mail)
        + f'<p><a class="mail-raw" href="{escape(base)}{mail.id}.eml" download>Download .eml</a></p>\n'
        "</article>\n"
    )


def mailbox_page(mails: Sequence[ReadMail], *, base: str, limit: int, to: str | None) -> str:
    """Every message, newest first (at most `limit`), or a word that there are none."""
    shown = f" sent to {escape(to)}" if to else ""
    if not mails:
        listing = f'<p class="state" id="mailbox-empty">No mail{shown} yet. Mail the portal sends appears here.</p>\n'
    else:
        listing = "".join(mail_article(mail, base) for mail in mails)
        if len(mails) >= limit:
            listing += f'<p class="muted" id="mailbox-truncated">Showing the newest {limit} messages{shown}.</p>\n'
    body = (
        '<div class="mailbox-head"><h1 id="mailbox">Mailbox</h1>'
        f'<p class="muted">Mail the portal sent in emulator mode{shown}, newest first · '
        f'<a href="{escape(base)}messages.json">JSON</a></p></div>\n' + listing
    )
    return document("Mailbox", body, brand="khalti emulator", wide=True, extra_css=_CSS)


def message_page(mail: ReadMail, *, base: str) -> str:
    """One message on its own page."""
    body = f'<p><a id="back-to-mailbox" href="{escape(base)}">← All mail</a></p>\n' + mail_article(mail, base)
    return document(mail.subject or "Mailbox", body, brand="khalti emulator", wide=True, extra_css=_CSS)


def mail_not_found_page(*, base: str, what: str) -> str:
    """An id or address in the mailbox that leads nowhere."""
    body = (
        f'<div class="state" id="not-found">{escape(what)}</div>\n'
        f'<p><a id="back-to-mailbox" href="{escape(base)}">← All mail</a></p>\n'
    )
    return document("Not found", body, brand="khalti emulator", wide=True, extra_css=_CSS)

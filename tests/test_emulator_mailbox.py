"""The emulator's mailbox: a real SMTP sink on the test's loop keeps every message, and `/sandbox/mail/` shows them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from html.parser import HTMLParser
from typing import Any

import aiosmtplib
import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.sandbox import EmulatorStore, MailSink, create_mailbox_app
from khalti_portal.sandbox.mail_sink import NOT_STORED
from khalti_portal.sandbox.store import metadata

BASE = "http://testserver/sandbox/mail/"
APP_FROM = "Subscriptions <no-reply@portal.test>"
DASHBOARD = "http://localhost:3000/dashboard"
TIMEOUT = 10.0


@pytest.fixture
def store(tmp_path) -> Iterator[EmulatorStore]:
    store = EmulatorStore(str(tmp_path / "emulator.db"))
    yield store
    store.dispose()


@pytest.fixture
async def sink(store) -> AsyncIterator[MailSink]:
    sink = MailSink(store)
    await sink.start()
    yield sink
    await sink.stop()


@pytest.fixture
async def mailbox(store) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/sandbox/mail", app=create_mailbox_app(store))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


def renewal_mail(to: str = "sita@example.com", subject: str = "Your subscription renews soon") -> EmailMessage:
    """What the portal sends: a text part and an HTML part with a link (and, here, a script that must not run)."""
    message = EmailMessage()
    message["From"] = APP_FROM
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="portal.test")
    message.set_content(f"Hello,\n\nYour plan renews soon. Open your dashboard: {DASHBOARD}\n")
    message.add_alternative(
        "<html><head><title>Renewal</title><style>p{color:red}</style></head><body>"
        f'<p>Hello,</p><p>Your plan <b>renews</b> soon. <a href="{DASHBOARD}" onclick="steal()">Open your '
        "dashboard</a></p><script>alert('mailbox')</script>"
        "<table><tr><td>Plan</td><td>Basic</td></tr></table></body></html>",
        subtype="html",
    )
    return message


async def send(sink: MailSink, message: EmailMessage | bytes, **options: Any) -> tuple[dict[str, Any], str]:
    if isinstance(message, bytes):
        options.setdefault("sender", "no-reply@portal.test")
        options.setdefault("recipients", ["sita@example.com"])
    return await aiosmtplib.send(message, hostname="127.0.0.1", port=sink.port, timeout=TIMEOUT, **options)


class Articles(HTMLParser):
    """The page's `article.mail` elements: ids, subject, recipient, and the links inside the rendered HTML part."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.articles: list[dict[str, Any]] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, class) of the elements we are inside
        self.feed(page)

    def _inside(self, css_class: str) -> bool:
        return any(cls == css_class for _, cls in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        css_class = found.get("class")
        if tag == "article" and css_class == "mail":
            ids = {"id": found["data-mail-id"], "message_id": found["data-message-id"]}
            self.articles.append({**ids, "subject": "", "to": "", "links": []})
        if tag == "a" and self._inside("mail-html"):
            self.articles[-1]["links"].append(found.get("href"))
        if tag not in ("br", "img", "hr", "meta", "input"):
            self._open.append((tag, css_class))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._inside("mail-subject"):
            self.articles[-1]["subject"] += data
        elif self._inside("mail-to"):
            self.articles[-1]["to"] += data


# -- the sink --------------------------------------------------------------------------------------


async def test_a_sent_message_is_stored_exactly_as_received(sink, store):
    message = renewal_mail()
    errors, reply = await send(sink, message)
    assert (errors, reply) == ({}, "Message accepted")
    [row] = store.mails()
    assert row.mail_from == "no-reply@portal.test"
    assert row.rcpt_tos == ("sita@example.com",)
    assert row.subject == "Your subscription renews soon"
    assert row.message_id == message["Message-ID"]
    assert email.message_from_bytes(row.raw, policy=email.policy.default)["Message-ID"] == message["Message-ID"]
    assert DASHBOARD.encode() in row.raw


async def test_the_sink_listens_on_a_free_loopback_port_and_only_there(store):
    sink = MailSink(store)
    with pytest.raises(ValueError, match="loopback"):
        await sink.start(host="0.0.0.0")  # the refusal is the point
    port = await sink.start()
    assert port == sink.port and port > 0
    with pytest.raises(RuntimeError, match="already listening"):
        await sink.start()
    await sink.stop()
    assert sink.port is None
    with pytest.raises(OSError):
        await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)


async def test_stop_ends_sessions_that_are_still_open(store):
    sink = MailSink(store)
    await sink.start()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, timeout=TIMEOUT)
    await client.connect()
    await client.ehlo()
    await sink.stop()
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.noop()


async def test_a_store_failure_answers_451_so_the_sender_keeps_the_message(tmp_path, caplog):
    class FullDisk(EmulatorStore):
        def add_mail(self, **_values: Any) -> int:
            raise sqlite3.OperationalError("database or disk is full")

    sink = MailSink(FullDisk(str(tmp_path / "emulator.db")))
    await sink.start()
    try:
        with caplog.at_level(logging.ERROR, logger="khalti_portal.sandbox.mail_sink"):
            with pytest.raises(aiosmtplib.SMTPDataError) as refused:
                await send(sink, renewal_mail())
    finally:
        await sink.stop()
    assert refused.value.code == 451
    assert refused.value.message == NOT_STORED.removeprefix("451 ")
    assert any("could not store" in record.getMessage() and record.exc_info for record in caplog.records)


async def test_an_oversized_message_is_refused_whether_or_not_the_client_announces_its_size(store):
    sink = MailSink(store, max_message_bytes=2_000)
    await sink.start()
    big = renewal_mail(subject="Too big")
    big.get_body(("plain",)).set_content("x" * 70 + ("\n" + "x" * 70) * 60)
    try:
        with pytest.raises(aiosmtplib.SMTPResponseException) as announced:
            await send(sink, big)  # aiosmtplib sends SIZE=, so the sink refuses at MAIL FROM
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, timeout=TIMEOUT)
        async with client:
            await client.mail("no-reply@portal.test")  # no SIZE: the sink counts the DATA instead
            await client.rcpt("sita@example.com")
            with pytest.raises(aiosmtplib.SMTPDataError) as counted:
                await client.data(big.as_bytes())
    finally:
        await sink.stop()
    assert announced.value.code == 552
    assert counted.value.code == 552
    assert store.mails() == []


# -- the pages -------------------------------------------------------------------------------------


async def test_the_mailbox_shows_every_message_newest_first_with_its_html_inline(sink, mailbox):
    first, second = renewal_mail(subject="First"), renewal_mail(to="ram@example.com", subject="Second")
    await send(sink, first)
    await send(sink, second)

    response = await mailbox.get("")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    articles = Articles(page).articles
    assert [(a["subject"], a["to"]) for a in articles] == [("Second", "ram@example.com"), ("First", "sita@example.com")]
    assert [a["message_id"] for a in articles] == [second["Message-ID"], first["Message-ID"]]
    assert all(a["links"] == [DASHBOARD] for a in articles)  # the link is a real, clickable <a href>
    assert f'<a href="{DASHBOARD}"' in page
    assert "<title>Mailbox · Khalti emulator</title>" in page
    assert "Khalti emulator · test payments only, no money moves" in page
    # Nothing active from the mail survives; its text does.
    assert "<script" not in page and "alert('mailbox')" not in page and "steal()" not in page
    assert "<b>renews</b>" in page and "<td>Basic</td>" in page
    assert "p{color:red}" not in page
    # The text part is there too, folded.
    assert '<details class="mail-text"><summary>Plain-text version</summary>' in page
    assert f"Open your dashboard: {DASHBOARD}" in page
    assert '<time class="mail-received" datetime="' in page

    only_ram = Articles((await mailbox.get("", params={"to": "RAM@example.com"})).text).articles
    assert [a["subject"] for a in only_ram] == ["Second"]
    nobody = await mailbox.get("", params={"to": "nobody@example.com"})
    assert "No mail sent to nobody@example.com yet." in nobody.text


async def test_header_values_are_escaped(sink, mailbox):
    message = renewal_mail(subject="<img src=x onerror=alert(1)> & more")
    message.replace_header("From", '"<i>Shop</i>" <no-reply@portal.test>')
    await send(sink, message)
    page = (await mailbox.get("")).text
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in page
    assert "&lt;i&gt;Shop&lt;/i&gt;" in page
    assert "<img src=x" not in page and "<i>Shop</i>" not in page
    assert Articles(page).articles[0]["subject"] == "<img src=x onerror=alert(1)> & more"


async def test_an_empty_mailbox_says_so(mailbox):
    response = await mailbox.get("")
    assert response.status_code == 200
    assert 'id="mailbox-empty"' in response.text
    assert Articles(response.text).articles == []


async def test_messages_json_newest_first_and_by_recipient(sink, mailbox):
    first, second = renewal_mail(subject="First"), renewal_mail(to="Ram@Example.com", subject="Second")
    await send(sink, first)
    await send(sink, second)

    everything = (await mailbox.get("messages.json")).json()
    assert [m["subject"] for m in everything] == ["Second", "First"]
    latest = everything[0]
    assert set(latest) >= {"id", "received_at", "from", "to", "subject", "message_id", "text", "html"}
    assert latest["from"] == APP_FROM
    assert latest["to"] == ["Ram@Example.com"]
    assert latest["message_id"] == second["Message-ID"]
    assert f"Open your dashboard: {DASHBOARD}\n" in latest["text"]
    assert f'<a href="{DASHBOARD}" onclick="steal()">' in latest["html"]  # as sent: tests read what the app wrote
    assert latest["received_at"].endswith("Z")

    only_ram = (await mailbox.get("messages.json", params={"to": "ram@example.com"})).json()
    assert [m["subject"] for m in only_ram] == ["Second"]
    assert (await mailbox.get("messages.json", params={"to": "nobody@example.com"})).json() == []
    assert [m["subject"] for m in (await mailbox.get("messages.json", params={"limit": "1"})).json()] == ["Second"]
    for bad in ("0", "abc", "1001", "-1"):
        refused = await mailbox.get("messages.json", params={"limit": bad})
        assert refused.status_code == 400
        assert "limit must be a whole number from 1 to 1000" in refused.json()["detail"]


async def test_one_message_has_its_own_page(sink, mailbox, store):
    await send(sink, renewal_mail(subject="First"))
    await send(sink, renewal_mail(subject="Second"))
    first_id = store.mails()[-1].id
    response = await mailbox.get(str(first_id))
    assert response.status_code == 200
    [article] = Articles(response.text).articles
    assert (article["id"], article["subject"], article["links"]) == (str(first_id), "First", [DASHBOARD])
    assert 'href="/sandbox/mail/"' in response.text  # back to the list, whatever the current URL


@pytest.mark.parametrize("path", ["999", "999.eml", "nope", "1/extra", "99999999999999999999999999"])
async def test_an_unknown_message_is_a_friendly_404_page(mailbox, path):
    response = await mailbox.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="not-found"' in response.text
    assert "Traceback" not in response.text


async def test_the_raw_message_downloads_as_received(sink, mailbox, store):
    message = renewal_mail()
    await send(sink, message)
    [row] = store.mails()
    response = await mailbox.get(f"{row.id}.eml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    assert response.headers["content-disposition"] == f'attachment; filename="mail-{row.id}.eml"'
    assert response.content == row.raw
    assert email.message_from_bytes(response.content, policy=email.policy.default)["Subject"] == message["Subject"]


UNREADABLE = {
    "unknown charset": (
        b"From: no-reply@portal.test\r\nSubject: Broken charset\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nhello\r\n",
        "Broken charset",
        "LookupError",
    ),
    "undecodable header": (
        b"Subject: Odd id\r\nMessage-ID: <<<\r\n\r\nbody\r\n",  # the stdlib's parser raises IndexError on it
        "Odd id",
        "the Message-ID header could not be decoded",
    ),
    "no text at all": (
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n",
        "(no subject)",
        "no text or HTML part",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
async def test_a_message_that_does_not_parse_is_still_listed(sink, mailbox, case):
    raw, subject, why = UNREADABLE[case]
    await send(sink, raw)
    response = await mailbox.get("")
    assert response.status_code == 200
    [article] = Articles(response.text).articles
    assert article["subject"] == subject
    assert "could not be fully read" in response.text and why in response.text
    assert "bytes as received" in response.text
    [listed] = (await mailbox.get("messages.json")).json()
    assert why in listed["problem"]
    assert listed["size"] > 0
    assert (await mailbox.get(f"{listed['id']}")).status_code == 200


async def test_an_existing_emulator_file_gains_the_mailbox_table(tmp_path):
    path = tmp_path / "emulator.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    tables = [table for name, table in metadata.tables.items() if name != "emulator_mail"]
    metadata.create_all(engine, tables=tables)  # a file written before the mailbox existed
    engine.dispose()
    store = EmulatorStore(str(path))
    try:
        mail_id = store.add_mail(
            received_at_us=1, mail_from="a@portal.test", rcpt_tos=["b@example.com"], subject="", message_id="", raw=b""
        )
        assert store.mail(mail_id).rcpt_tos == ("b@example.com",)
        assert store.mail(mail_id + 1) is None
    finally:
        store.dispose()

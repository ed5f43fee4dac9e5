"""Where mail goes for each setting: the configured SMTP server, the emulator's own mailbox, or nowhere (it waits)."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlmodel import Session

from khalti_portal.config import load_settings
from khalti_portal.db.models import MailStatus, OutboxMessage
from khalti_portal.mail.delivery import deliver_once
from khalti_portal.mail.outbox import queue_message
from khalti_portal.mail.service import NO_SMTP_WARNING, transport_for
from khalti_portal.mail.smtp import SmtpTransport
from khalti_portal.sandbox import EmulatorStore
from tests.test_mail_delivery import CONTEXT

pytest_plugins = ["tests.db_fixtures"]


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def test_emulator_mode_sends_to_its_own_mailbox_for_as_long_as_the_sender_runs(sqlite_world, tmp_path):
    world = sqlite_world
    settings = load_settings({"KHALTI_EMULATOR_DB": str(tmp_path / "emulator.db"), "SITE_NAME": "Asha's Gym"})
    with Session(world.engine) as session:
        queue_message(
            session,
            key="payment-completed:7",
            template="payment_completed",
            to_address="asha@example.com",
            context=CONTEXT,
            mail_from=settings.mail.mail_from,
            now=world.now(),
        )
        session.commit()

    async with transport_for(settings) as transport:
        assert isinstance(transport, SmtpTransport)
        assert (transport.host, transport.security) == ("127.0.0.1", "none")
        report = await deliver_once(world.engine, settings, transport, clock=world.clock)
    assert refuses_connections(transport.port)  # the sink stops with the sender

    assert report.sent == 1
    [row] = world.rows(OutboxMessage)
    assert row.status is MailStatus.SENT
    store = EmulatorStore(settings.emulator_db)
    try:
        [mail] = store.mails()
    finally:
        store.dispose()
    assert mail.message_id == row.message_id and mail.rcpt_tos == ("asha@example.com",)
    assert mail.subject.endswith("· Asha's Gym")


async def test_configured_smtp_is_used_as_given_in_every_mode():
    env = {"SMTP_HOST": "smtp.example.com", "SMTP_SECURITY": "tls", "MAIL_FROM": "a@shop.example"}
    async with transport_for(load_settings(env)) as transport:
        assert transport == SmtpTransport("smtp.example.com", 465, "tls")


@pytest.mark.parametrize("mode", ["sandbox", "live"])
async def test_without_smtp_outside_the_emulator_nothing_is_sent_and_a_warning_says_so(mode, caplog):
    env = {"KHALTI_ENV": mode, "KHALTI_SECRET_KEY": "k", "APP_URL": "https://shop.example", "ALLOW_TEST_PAYMENTS": "1"}
    with caplog.at_level(logging.WARNING, logger="khalti_portal.mail"):
        async with transport_for(load_settings(env)) as transport:
            assert transport is None
    assert NO_SMTP_WARNING in caplog.text

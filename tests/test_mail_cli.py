"""`python -m khalti_portal mail` as an operator runs it: sends over SMTP, refuses to pretend without SMTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlmodel import Session, SQLModel

from khalti_portal.clock import utcnow
from khalti_portal.db.models import MailStatus, OutboxMessage
from khalti_portal.db.session import make_engine
from khalti_portal.mail.outbox import queue_message
from khalti_portal.sandbox import EmulatorStore
from tests.smtp_support import TestSmtpServer
from tests.test_mail_delivery import CONTEXT

ROOT = Path(__file__).resolve().parent.parent


def outbox_with_one_message(tmp_path: Path) -> tuple[str, object]:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        queue_message(
            session,
            key="payment-completed:1",
            template="payment_completed",
            to_address="asha@example.com",
            context=CONTEXT,
            mail_from="Shop <billing@shop.example>",
            now=utcnow(),
        )
        session.commit()
    return url, engine


def environment(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "MAIL_", "KHALTI_", "APP_URL"))}
    env.update({"REFLEX_DB_URL": db_url, "KHALTI_PORTAL_DOTENV": "0", **extra})
    return env


async def run_cli(env: dict[str, str], *args: str, until_first_report: bool = False) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "khalti_portal",
        "mail",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if until_first_report:
        assert process.stdout is not None
        # Wait until the loop has reported a run, then ask it to stop the way a service manager does.
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode or 0, line.decode() + out.decode(), err.decode()
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


def status_of(engine) -> MailStatus:
    with Session(engine) as session:
        return session.get(OutboxMessage, 1).status  # type: ignore[union-attr]


async def test_mail_once_sends_what_is_due_to_the_configured_server(tmp_path):
    url, engine = outbox_with_one_message(tmp_path)
    server = TestSmtpServer()
    port = await server.start()
    try:
        env = environment(
            url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_SECURITY="none", MAIL_FROM="Shop <b@shop.example>"
        )
        code, out, err = await run_cli(env)
    finally:
        await server.stop()
    assert code == 0, err
    assert out.strip() == "mail: claimed 1, sent 1, retrying 0, failed 0, waiting 0"
    assert len(server.received) == 1 and server.received[0]["From"] == "Shop <b@shop.example>"
    assert status_of(engine) is MailStatus.SENT


async def test_mail_loop_keeps_sending_until_sigterm(tmp_path):
    url, engine = outbox_with_one_message(tmp_path)
    server = TestSmtpServer()
    port = await server.start()
    try:
        env = environment(
            url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_SECURITY="none", MAIL_FROM="b@s.example"
        )
        code, out, err = await run_cli(env, "--loop", until_first_report=True)
    finally:
        await server.stop()
    assert code == 0, err
    assert "sent 1" in out
    assert status_of(engine) is MailStatus.SENT


async def test_live_mode_without_smtp_says_so_and_the_mail_waits(tmp_path):
    url, engine = outbox_with_one_message(tmp_path)
    env = environment(url, KHALTI_ENV="live", KHALTI_SECRET_KEY="live_secret_key_x", APP_URL="https://shop.example")
    code, _, err = await run_cli(env)
    assert code == 1
    assert "SMTP_HOST is not set" in err and "wait in the outbox" in err
    assert status_of(engine) is MailStatus.QUEUED


async def test_a_bad_mail_setting_is_one_line_not_a_traceback(tmp_path):
    url, _ = outbox_with_one_message(tmp_path)
    code, _, err = await run_cli(environment(url, SMTP_HOST="smtp.example.com"))
    assert code == 2
    assert (
        err.strip()
        == "configuration error: SMTP_HOST is set but MAIL_FROM is not: set MAIL_FROM to the address mail comes from"
    )


async def test_emulator_mode_without_smtp_sends_to_the_emulators_own_mailbox(tmp_path):
    url, engine = outbox_with_one_message(tmp_path)
    mailbox_db = tmp_path / "emulator.db"
    env = environment(url, KHALTI_EMULATOR_DB=str(mailbox_db))

    code, out, err = await run_cli(env)

    assert code == 0, err
    assert "sent 1" in out
    assert status_of(engine) is MailStatus.SENT
    store = EmulatorStore(str(mailbox_db))
    try:
        [mail] = store.mails()
    finally:
        store.dispose()
    assert mail.rcpt_tos == ("asha@example.com",) and "Payment received: Standard" in mail.subject
    with Session(engine) as session:
        assert mail.message_id == session.get(OutboxMessage, 1).message_id  # type: ignore[union-attr]

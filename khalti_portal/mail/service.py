"""Where the sender runs: the transport the settings call for, the server's in-process task, the `mail` command.

Without SMTP_HOST: in emulator mode mail goes to the emulator's own mailbox (an SMTP server on a free
loopback port, started here with the sender, shown at `/sandbox/mail/`); in sandbox and live mode no
sender runs, a warning says so, and mail waits in the outbox until SMTP_HOST is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable

from khalti_portal.config import Settings, get_settings
from khalti_portal.mail.delivery import DeliveryReport, deliver_loop, deliver_once
from khalti_portal.mail.smtp import SmtpTransport

logger = logging.getLogger("khalti_portal.mail")

NO_SMTP_WARNING = (
    "SMTP_HOST is not set: no mail is sent and messages wait in the outbox (see /admin/mail); "
    "set SMTP_HOST, SMTP_PORT, SMTP_SECURITY and MAIL_FROM to send them"
)


@contextlib.asynccontextmanager
async def transport_for(settings: Settings) -> AsyncIterator[SmtpTransport | None]:
    """The SMTP server mail goes to while the block runs; None (mail waits) when there is none."""
    if settings.mail.smtp_host:
        yield SmtpTransport.from_settings(settings.mail)
        return
    if settings.khalti_env != "emulator":
        logger.warning(NO_SMTP_WARNING)
        yield None
        return
    # Imported here so sandbox and live deployments never load the emulator.
    from khalti_portal.sandbox import MailSink

    sink = MailSink(settings.emulator_db)
    port = await sink.start()
    logger.info("mail: emulator mode without SMTP_HOST, sending to the emulator's mailbox on 127.0.0.1:%d", port)
    try:
        yield SmtpTransport("127.0.0.1", port, "none")
    finally:
        await sink.stop()
        sink.store.dispose()


async def send_mail_in_background() -> None:
    """Reflex lifespan task: this server process's sender, until shutdown cancels it."""
    from khalti_portal.db.session import get_engine

    settings = get_settings()
    async with transport_for(settings) as transport:
        if transport is None:
            return
        await deliver_loop(get_engine(), settings, transport)


def run_mail_command(*, loop: bool, interval: float | None = None, out: Callable[[str], None] = print) -> int:
    """`python -m khalti_portal mail [--once|--loop]`: send what is due once, or until SIGINT/SIGTERM."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        return asyncio.run(_run(settings, loop, interval, out))
    except Exception as exc:
        logger.exception("mail run failed")
        print(f"mail: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


async def _run(settings: Settings, loop: bool, interval: float | None, out: Callable[[str], None]) -> int:
    from khalti_portal.db.session import get_engine

    async with transport_for(settings) as transport:
        if transport is None:
            print(f"mail: {NO_SMTP_WARNING}", file=sys.stderr)
            return 1
        if not loop:
            out((await deliver_once(get_engine(), settings, transport)).summary())
            return 0
        stop = asyncio.Event()
        running = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                running.add_signal_handler(signum, stop.set)

        def printed(report: DeliveryReport) -> None:
            if report.claimed:
                out(report.summary())

        await deliver_loop(get_engine(), settings, transport, interval=interval, stop=stop, on_report=printed)
    return 0

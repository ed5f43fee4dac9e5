"""`python -m khalti_portal reconcile [--once|--loop] [--dry-run]`: the reconciler as its own process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable

from khalti_portal.billing.reconcile import ReconcileReport, reconcile_loop, reconcile_once

Printer = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


def run_reconcile_command(
    *,
    loop: bool = False,
    dry_run: bool = False,
    batch_size: int = 50,
    concurrency: int = 5,
    interval: float | None = None,
    out: Printer = _print,
) -> int:
    """Run once (default) or until SIGINT/SIGTERM, printing one line per run; returns the exit status."""
    if batch_size < 1 or concurrency < 1:
        print("reconcile: --batch-size and --concurrency must be at least 1", file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if loop:
        asyncio.run(_forever(dry_run, batch_size, concurrency, interval, out))
        return 0
    try:
        report = asyncio.run(reconcile_once(batch_size=batch_size, concurrency=concurrency, dry_run=dry_run))
    except Exception as exc:
        logging.getLogger("khalti_portal.billing.reconcile").exception("reconcile run failed")
        print(f"reconcile: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    out(report.summary())
    return 0


async def _forever(dry_run: bool, batch_size: int, concurrency: int, interval: float | None, out: Printer) -> None:
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            running.add_signal_handler(signum, stop.set)

    def printed(report: ReconcileReport) -> None:
        out(report.summary())

    await reconcile_loop(
        interval=interval,
        stop=stop,
        dry_run=dry_run,
        batch_size=batch_size,
        concurrency=concurrency,
        on_report=printed,
    )

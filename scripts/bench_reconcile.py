"""Benchmark: checkout, verification and one reconcile run against the in-process Khalti emulator.

    .venv/bin/python scripts/bench_reconcile.py [--payments 200] [--latency-ms 50] [--concurrency 5]

Prints figures (payments per second, milliseconds per payment); asserts nothing. Uses a throw-away
SQLite file and emulator database in a temporary folder; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KHALTI_PORTAL_DOTENV", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlmodel import SQLModel, func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal import accounts
from khalti_portal.billing.checkout import start_checkout
from khalti_portal.billing.deps import BillingDeps
from khalti_portal.billing.plans import seed_demo_plans
from khalti_portal.billing.reconcile import reconcile_once
from khalti_portal.billing.verification import verify_payment
from khalti_portal.clock import utcnow
from khalti_portal.config import load_settings
from khalti_portal.db.models import Payment, SubscriptionPeriod
from khalti_portal.db.session import make_engine, session_scope
from khalti_portal.khalti import KhaltiClient
from khalti_portal.sandbox import create_emulator_app

BASE = "http://localhost:3000/sandbox/khalti/"


def figure(label: str, count: int, seconds: float) -> None:
    """One line: how many, how long, how fast."""
    print(f"{label:<34} {count:>6}  {seconds:8.2f} s  {count / seconds:8.1f}/s  {1000 * seconds / count:8.1f} ms each")


async def main(payments: int, latency_ms: int, concurrency: int) -> None:
    """Run the three phases and print their figures."""
    folder = Path(tempfile.mkdtemp(prefix="kp-bench-"))
    settings = load_settings({"REFLEX_DB_URL": f"sqlite:///{folder / 'app.db'}", "RECONCILE_SETTLE_SECONDS": "0"})
    engine = make_engine(settings.db_url)
    SQLModel.metadata.create_all(engine)
    emulator = create_emulator_app(
        secret_key=settings.khalti_secret_key, db_path=str(folder / "emulator.db"), latency_ms=latency_ms
    )
    transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/sandbox/khalti", app=emulator)]))
    deps = BillingDeps(
        engine=engine,
        settings=settings,
        clock=utcnow,
        khalti_factory=lambda: KhaltiClient(secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport),
    )
    seed_demo_plans(deps)
    users = [accounts.create_user(f"bench{i:05d}", "bench password", engine=engine) for i in range(payments)]
    gate = asyncio.Semaphore(concurrency)

    async def checkout(user_id: int) -> int:
        async with gate:
            outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=deps)
            if not outcome.ok or outcome.payment_id is None:
                raise RuntimeError(f"checkout failed: {outcome.message}")
            return outcome.payment_id

    started = time.perf_counter()
    payment_ids = await asyncio.gather(*(checkout(u) for u in users))
    figure(f"checkout (initiate, {latency_ms} ms latency)", payments, time.perf_counter() - started)

    with session_scope(engine) as session:  # the pidx Khalti gave each payment, read after the timing
        pidx_by_id = dict(session.exec(select(Payment.id, Payment.pidx)).all())
    pidxs = [pidx_by_id[payment_id] for payment_id in payment_ids]

    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as control:
        for pidx in pidxs:  # paid on Khalti; nobody comes back to the return page
            await control.post(f"/sandbox/khalti/_control/{pidx}", json={"status": "Completed"})

    half = len(pidxs) // 2

    async def verify(pidx: str) -> None:
        async with gate:
            await verify_payment(pidx, source="return", deps=deps)

    started = time.perf_counter()
    await asyncio.gather(*(verify(p) for p in pidxs[:half]))
    figure("verify_payment from the return page", half, time.perf_counter() - started)

    started = time.perf_counter()
    report = await reconcile_once(deps=deps, concurrency=concurrency, batch_size=50)
    figure("one reconcile run (the rest)", max(1, report.looked_up), time.perf_counter() - started)

    with session_scope(engine) as session:
        periods = session.exec(select(func.count()).select_from(SubscriptionPeriod)).one()
        completed = session.exec(select(func.count()).select_from(Payment).where(Payment.status == "completed")).one()
    print(f"periods granted: {periods}, payments completed: {completed} (of {payments})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.payments, args.latency_ms, args.concurrency))

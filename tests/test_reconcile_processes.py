"""Two reconciler PROCESSES (`python -m khalti_portal reconcile --once`) on one PostgreSQL database and one
emulator served over loopback HTTP by Granian: every pending payment is looked up exactly once and applied once.

`serve_emulator` (the emulator as a real server, configured by RECONCILE_TEST_*) is shared with test_faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.db.models import LocalUser, Payment, Plan
from tests.db_fixtures import TEST_DATABASE_URL

pytest_plugins = ["tests.db_fixtures"]

KEY = "reconcile_emulator_key_0123456789"
ROOT = Path(__file__).resolve().parent.parent
GRANIAN = Path(sys.executable).parent / "granian"
PAYMENTS = 200
USERS = 20
PRICE = 49_900
SUMMARY = r"reconcile: claimed (\d+), completed (\d+), still pending 0, errors 0, created→failed 0"

# Each reconciler imports everything and connects first, says "ready", then waits for "go" on stdin,
# so both start claiming at the same moment (no sleeps).
READY_THEN_RECONCILE = """
import sys
from khalti_portal import cli
import khalti_portal.billing.reconcile_command
from khalti_portal.db.session import get_engine
get_engine().connect().close()
print("ready", flush=True)
sys.stdin.readline()
raise SystemExit(cli.main(sys.argv[1:]))
"""


def emulator_server_app() -> Starlette:
    """Granian's factory: the emulator mounted as the portal mounts it, configured by RECONCILE_TEST_*."""
    from khalti_portal.sandbox import create_emulator_app

    emulator = create_emulator_app(
        secret_key=KEY,
        db_path=os.environ["RECONCILE_TEST_EMULATOR_DB"],
        latency_ms=int(os.environ.get("RECONCILE_TEST_LATENCY_MS", "0")),
        failure_rate=float(os.environ.get("RECONCILE_TEST_FAILURE_RATE", "0")),
        faults=tuple(os.environ.get("RECONCILE_TEST_FAULTS", "unavailable,hang").split(",")),
        hang_seconds=float(os.environ.get("RECONCILE_TEST_HANG_SECONDS", "35")),
    )
    return Starlette(routes=[Mount("/sandbox/khalti", app=emulator)])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_emulator(db_path: Path, log_path: Path, *, workers: int = 1, **env: str) -> Iterator[str]:
    """Serve the emulator on 127.0.0.1 in its own process group; yields its base URL."""
    granian = str(GRANIAN) if GRANIAN.exists() else shutil.which("granian")
    if granian is None:
        pytest.skip("granian is not installed")
    port = _free_port()
    environ = {**os.environ, "RECONCILE_TEST_EMULATOR_DB": str(db_path), **env}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    command = [
        granian, "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning",
        "tests.test_reconcile_processes:emulator_server_app",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}/sandbox/khalti/"
        try:
            deadline = time.monotonic() + 30
            while True:  # a bounded poll for the server to come up
                try:
                    if httpx.get(base + "_control/stats", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("granian did not start:\n" + log_path.read_text())
                time.sleep(0.1)
            yield base
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def schema_url(engine) -> str:
    """TEST_DATABASE_URL pointing at `engine`'s schema, for another process."""
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    joiner = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{joiner}options={quote(f'-csearch_path={schema}', safe='')}"


def reconciler_env(db_url: str, khalti_base: str) -> dict[str, str]:
    env = {
        **os.environ,
        "REFLEX_DB_URL": db_url,
        "KHALTI_ENV": "emulator",
        "KHALTI_EMULATOR_KEY": KEY,
        "KHALTI_BASE_URL": khalti_base,
        "KHALTI_PORTAL_DOTENV": "0",
        "RECONCILE_SETTLE_SECONDS": "30",
    }
    env.pop("KHALTI_SECRET_KEY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def paid_on_the_emulator(base: str, count: int) -> list[dict]:
    """`count` initiates on the emulator, each then paid (through `_control`); their initiate answers."""
    auth = {"Authorization": f"Key {KEY}"}
    limit = asyncio.Semaphore(20)

    async def one(client: httpx.AsyncClient, n: int) -> dict:
        async with limit:
            order = {
                "return_url": "http://localhost:3000/payment/return",
                "website_url": "http://localhost:3000",
                "amount": PRICE,
                "purchase_order_id": f"KP-proc-{n}-{secrets.token_hex(4)}",
                "purchase_order_name": "Basic",
            }
            started = await client.post("api/v2/epayment/initiate/", json=order, headers=auth)
            assert started.status_code == 200, started.text
            body = {**started.json(), "purchase_order_id": order["purchase_order_id"]}
            paid = await client.post(f"_control/{body['pidx']}", json={"status": "Completed"})
            assert paid.status_code == 200, paid.text
            return body

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return list(await asyncio.gather(*(one(client, n) for n in range(count))))


def pending_rows(engine, started: list[dict]) -> None:
    """The portal's side: USERS subscribers, one plan, a pending payment per initiate, created 10 minutes ago."""
    created_at = datetime.now(UTC) - timedelta(minutes=10)
    with Session(engine) as session:
        users = [LocalUser(username=f"proc_user_{n}", password_hash=b"x", enabled=True) for n in range(USERS)]
        plan = Plan(slug="basic", name="Basic", price_paisa=PRICE, duration_days=30)
        session.add_all([*users, plan])
        session.flush()
        for n, body in enumerate(started):
            session.add(
                Payment(
                    purchase_order_id=body["purchase_order_id"],
                    user_id=users[n % USERS].id,
                    plan_id=plan.id,
                    amount_paisa=PRICE,
                    plan_name="Basic",
                    duration_days=30,
                    status="pending",
                    pidx=body["pidx"],
                    payment_url=body["payment_url"],
                    payment_url_expires_at=datetime.fromisoformat(body["expires_at"]),
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
        session.commit()


@pytest.mark.postgres
def test_two_reconciler_processes_look_each_payment_up_once_and_apply_it_once(pg_engine, tmp_path):
    with serve_emulator(
        tmp_path / "emulator.db", tmp_path / "granian.log", workers=2, RECONCILE_TEST_LATENCY_MS="15"
    ) as base:
        started = asyncio.run(paid_on_the_emulator(base, PAYMENTS))
        pending_rows(pg_engine, started)
        env = reconciler_env(schema_url(pg_engine), base)
        command = [sys.executable, "-c", READY_THEN_RECONCILE, "reconcile", "--once", "--batch-size", "10"]
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        processes = [
            subprocess.Popen([*command, "--concurrency", "4"], cwd=ROOT, env=env, text=True, **pipes) for _ in range(2)
        ]
        try:
            for process in processes:
                assert process.stdout.readline().strip() == "ready", process.stderr.read()
            for process in processes:  # both go at once
                process.stdin.write("go\n")
                process.stdin.flush()
            results = [process.communicate(timeout=240) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        stats = httpx.get(base + "_control/stats", timeout=10).json()
        # A third run, as an operator would type it, finds nothing left to do.
        third = subprocess.run(
            [sys.executable, "-m", "khalti_portal", "reconcile"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    claimed = []
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        line = out.strip().splitlines()[-1]
        found = re.fullmatch(SUMMARY, line)
        assert found, line
        assert found.group(1) == found.group(2)
        claimed.append(int(found.group(1)))
    assert sum(claimed) == PAYMENTS
    assert min(claimed) > 0, claimed  # both processes shared the work
    assert third.returncode == 0, third.stderr
    assert third.stdout.strip() == "reconcile: claimed 0, completed 0, still pending 0, errors 0, created→failed 0"

    # Looked up exactly once each, by the one shared emulator's count.
    assert stats["lookups"] == {body["pidx"]: 1 for body in started}

    with Session(pg_engine) as session:
        payments = session.exec(text("SELECT status, claimed_until, check_count FROM payment")).all()
        periods = session.exec(text("SELECT user_id, payment_id, starts_at, ends_at FROM subscriptionperiod")).all()
        completed = session.exec(
            text(
                "SELECT payment_id FROM paymentevent WHERE kind = 'transition' AND to_status = 'completed' "
                "AND source = 'reconciler'"
            )
        ).all()
    assert {(status, claimed_until, checks) for status, claimed_until, checks in payments} == {("completed", None, 1)}
    assert len(payments) == PAYMENTS
    assert len(periods) == PAYMENTS and len({p.payment_id for p in periods}) == PAYMENTS
    assert len(completed) == PAYMENTS and len({c.payment_id for c in completed}) == PAYMENTS
    # Each subscriber's ten periods stack end to end although two processes granted them at once.
    by_user: dict[int, list] = {}
    for period in periods:
        by_user.setdefault(period.user_id, []).append(period)
    assert len(by_user) == USERS
    for user_periods in by_user.values():
        user_periods.sort(key=lambda p: p.starts_at)
        assert len(user_periods) == PAYMENTS // USERS
        for before, after in itertools.pairwise(user_periods):
            assert after.starts_at == before.ends_at

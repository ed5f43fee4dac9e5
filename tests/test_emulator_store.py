"""The emulator's SQLite state: kept across restarts, shared safely by several workers, apart from the app."""

from __future__ import annotations

import ast
import asyncio
import multiprocessing
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.sandbox import create_emulator_app
from khalti_portal.sandbox.store import COMPLETED, EmulatorStore, RefundOutcome, metadata, new_id
from tests.emulator_support import HostedPage

KEY = "emulator_test_key_0123456789"
AUTH = {"Authorization": f"Key {KEY}"}
BASE = "http://testserver/sandbox/khalti/"
ORDER: dict[str, Any] = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000",
    "amount": 5000,
    "purchase_order_id": "po_1",
    "purchase_order_name": "Basic",
}
SANDBOX_DIR = Path(__file__).resolve().parent.parent / "khalti_portal" / "sandbox"


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "emulator.db")


@pytest.fixture
def worker(db_path) -> AsyncIterator[Callable[[], httpx.AsyncClient]]:
    """Each call is a fresh emulator app on the same file: another worker process, or a restart."""
    apps: list[Starlette] = []

    def make() -> httpx.AsyncClient:
        app = create_emulator_app(secret_key=KEY, db_path=db_path)
        apps.append(app)
        transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/sandbox/khalti", app=app)]))
        return httpx.AsyncClient(transport=transport, base_url=BASE)

    yield make
    for app in apps:
        app.state.emulator_store.dispose()


async def initiate(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("api/v2/epayment/initiate/", json=ORDER, headers=AUTH)
    assert response.status_code == 200
    return response.json()


async def lookup(client: httpx.AsyncClient, pidx: str) -> httpx.Response:
    return await client.post("api/v2/epayment/lookup/", json={"pidx": pidx}, headers=AUTH)


# -- persistence -------------------------------------------------------------------------------------------


async def test_state_survives_a_restart(worker, db_path):
    async with worker() as first:
        paid = await initiate(first)
        await HostedPage(first).complete(paid["payment_url"])
        waiting = await initiate(first)
        before = (await lookup(first, paid["pidx"])).json()
    async with worker() as second:
        assert (await lookup(second, paid["pidx"])).json() == before
        assert (await lookup(second, waiting["pidx"])).json()["status"] == "Initiated"
        # The restarted emulator can finish a payment the first one started.
        await HostedPage(second).complete(waiting["payment_url"])
        assert (await lookup(second, waiting["pidx"])).json()["status"] == "Completed"
        stats = (await second.get("_control/stats")).json()
        assert stats["initiates"] == 2
        assert stats["lookups"][paid["pidx"]] == 2


def test_building_the_app_creates_no_file_until_first_use(db_path):
    app = create_emulator_app(secret_key=KEY, db_path=db_path)
    assert not Path(db_path).exists()
    assert app.state.emulator_store.stats() == {"lookups": {}, "initiates": 0}
    assert Path(db_path).exists()
    app.state.emulator_store.dispose()


def test_the_file_is_in_wal_mode_with_only_the_emulators_tables(db_path):
    store = EmulatorStore(db_path)
    store.stats()
    store.dispose()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # sqlite_sequence is SQLite's own: it keeps emulator_mail's AUTOINCREMENT from reusing an id.
    emulators = {"emulator_payments", "emulator_lookup_counts", "emulator_counters", "emulator_mail"}
    assert tables == emulators | {"sqlite_sequence"}


def test_the_emulator_tables_never_enter_the_apps_metadata():
    from sqlmodel import SQLModel

    import khalti_portal.db.models  # noqa: F401 - registers the app's tables

    assert not set(metadata.tables) & set(SQLModel.metadata.tables)
    assert metadata is not SQLModel.metadata


def test_the_sandbox_imports_nothing_of_the_portal():
    for source in SANDBOX_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("khalti_portal"):
                    assert name.startswith("khalti_portal.sandbox"), f"{source.name} imports {name}"


# -- several workers on one file -----------------------------------------------------------------------------


async def test_two_workers_paying_the_same_pidx_at_once_produce_one_payment(worker):
    async with worker() as first, worker() as second:
        for _ in range(10):
            started = await initiate(first)
            _, token = await HostedPage(first).login(started["payment_url"])
            # The same OTP form submitted twice (a double click), each landing on another worker.
            responses = await asyncio.gather(
                HostedPage(first).pay(started["payment_url"], token),
                HostedPage(second).pay(started["payment_url"], token),
            )
            assert sorted(r.status_code for r in responses) == [303, 409]
            winner = next(r for r in responses if r.status_code == 303)
            body = (await lookup(second, started["pidx"])).json()
            assert body["status"] == "Completed"
            assert f"transaction_id={body['transaction_id']}" in winner.headers["location"]


def _new_payment(store: EmulatorStore) -> str:
    pidx = new_id()
    store.create_payment(
        pidx=pidx,
        amount=5000,
        return_url=ORDER["return_url"],
        website_url=ORDER["website_url"],
        purchase_order_id="po",
        purchase_order_name="Basic",
        request=ORDER,
        now_us=0,
        expires_at_us=10**18,
    )
    return pidx


def _at_otp_step(store: EmulatorStore) -> str:
    pidx = _new_payment(store)
    assert store.start_otp(pidx, mobile="9800000001", token="tok", token_expires_us=10**18, now_us=1)
    return pidx


def test_threads_with_their_own_stores_race_to_pay_and_one_wins(db_path):
    setup = EmulatorStore(db_path)
    pidx = _at_otp_step(setup)
    stores = [EmulatorStore(db_path) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    results: list[bool] = []

    def pay(store: EmulatorStore) -> None:
        barrier.wait()
        results.append(store.complete(pidx, token="tok", transaction_id=new_id(), now_us=2))

    threads = [threading.Thread(target=pay, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert setup.get(pidx).status == COMPLETED
    for store in [setup, *stores]:
        store.dispose()


def test_concurrent_full_refunds_refund_once(db_path):
    setup = EmulatorStore(db_path)
    pidx = _at_otp_step(setup)
    transaction_id = new_id()
    assert setup.complete(pidx, token="tok", transaction_id=transaction_id, now_us=2)
    stores = [EmulatorStore(db_path) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[RefundOutcome] = []

    def refund(store: EmulatorStore) -> None:
        barrier.wait()
        outcomes.append(store.refund(transaction_id, None)[0])

    threads = [threading.Thread(target=refund, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(RefundOutcome.OK) == 1
    assert outcomes.count(RefundOutcome.NOT_REFUNDABLE) == 5
    for store in [setup, *stores]:
        store.dispose()


def _pay_in_a_process(db_path: str, pidx: str, start: Any, results: Any) -> None:
    store = EmulatorStore(db_path)
    start.wait()
    results.put(store.complete(pidx, token="tok", transaction_id=new_id(), now_us=2))
    store.dispose()


def test_processes_race_to_pay_and_one_wins(db_path):
    setup = EmulatorStore(db_path)
    pidx = _at_otp_step(setup)
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_pay_in_a_process, args=(db_path, pidx, start, results)) for _ in range(4)]
    for process in processes:
        process.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(outcomes) == [False, False, False, True]
    row = setup.get(pidx)
    assert row.status == COMPLETED and row.transaction_id
    setup.dispose()

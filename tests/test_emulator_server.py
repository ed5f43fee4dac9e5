"""The emulator in a real HTTP server (Granian, as Reflex runs in production) with two worker processes.

ASGITransport has no sockets and ignores timeouts; here a hang really outlasts a client's read
timeout, and two real worker processes share one SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.emulator_support import HostedPage

KEY = "emulator_test_key_0123456789"
AUTH = {"Authorization": f"Key {KEY}"}
ROOT = Path(__file__).resolve().parent.parent
GRANIAN = Path(sys.executable).parent / "granian"
ORDER = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000",
    "amount": 1000,
    "purchase_order_id": "po_1",
    "purchase_order_name": "Basic",
}


def server_app() -> Starlette:
    """Granian's factory: the emulator mounted as the portal mounts it, configured by EMULATOR_TEST_*."""
    from khalti_portal.sandbox import create_emulator_app

    faults = tuple(os.environ.get("EMULATOR_TEST_FAULTS", "unavailable,hang").split(","))
    emulator = create_emulator_app(
        secret_key=KEY,
        db_path=os.environ["EMULATOR_TEST_DB"],
        failure_rate=float(os.environ.get("EMULATOR_TEST_FAILURE_RATE", "0")),
        faults=faults,
        hang_seconds=float(os.environ.get("EMULATOR_TEST_HANG_SECONDS", "35")),
    )
    return Starlette(routes=[Mount("/sandbox/khalti", app=emulator)])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path: Path, *, workers: int, **env: str) -> Iterator[str]:
    if not GRANIAN.exists() and shutil.which("granian") is None:
        pytest.skip("granian is not installed")
    port = _free_port()
    environ = {**os.environ, "EMULATOR_TEST_DB": str(tmp_path / "emulator.db"), **env}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    command = [
        str(GRANIAN if GRANIAN.exists() else shutil.which("granian")),
        "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "warning",
        "tests.test_emulator_server:server_app",
    ]  # fmt: skip
    log = (tmp_path / "granian.log").open("w")
    # Its own process group, so teardown reaches Granian's worker processes too.
    process = subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}/sandbox/khalti/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "_control/stats", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("granian did not start:\n" + (tmp_path / "granian.log").read_text())
            time.sleep(0.1)
        yield base
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left of it."""
    group = process.pid  # start_new_session: the group id is the server's pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait()


@pytest.fixture
def server(tmp_path) -> Iterator[str]:
    yield from _serve(tmp_path, workers=2)


@pytest.fixture
def hanging_server(tmp_path) -> Iterator[str]:
    yield from _serve(
        tmp_path,
        workers=1,
        EMULATOR_TEST_FAILURE_RATE="1",
        EMULATOR_TEST_FAULTS="hang",
        EMULATOR_TEST_HANG_SECONDS="30",
    )


async def test_a_whole_payment_over_real_http_with_two_workers(server):
    async with httpx.AsyncClient(base_url=server) as client:
        started = (await client.post("api/v2/epayment/initiate/", json=ORDER, headers=AUTH)).json()
        assert started["payment_url"] == f"{server}pay/?pidx={started['pidx']}"
        location = await HostedPage(client).complete(started["payment_url"])
        assert "status=Completed" in location
        lookup = await client.post("api/v2/epayment/lookup/", json={"pidx": started["pidx"]}, headers=AUTH)
        assert lookup.json()["status"] == "Completed"


async def test_double_submits_across_workers_pay_once(server):
    # Separate connections, so the server may hand each submit to a different worker process.
    clients = [httpx.AsyncClient(base_url=server) for _ in range(6)]
    try:
        for _ in range(5):
            started = (await clients[0].post("api/v2/epayment/initiate/", json=ORDER, headers=AUTH)).json()
            _, token = await HostedPage(clients[0]).login(started["payment_url"])
            responses = await asyncio.gather(*(HostedPage(c).pay(started["payment_url"], token) for c in clients))
            assert sorted(r.status_code for r in responses) == [303] + [409] * 5
    finally:
        for client in clients:
            await client.aclose()


async def test_a_hang_really_outlasts_the_clients_read_timeout(hanging_server):
    timeout = httpx.Timeout(5.0, read=0.5)
    async with httpx.AsyncClient(base_url=hanging_server, timeout=timeout) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.post("api/v2/epayment/lookup/", json={"pidx": "x"}, headers=AUTH)
        assert time.monotonic() - started < 5
        # The hosted page and control never hang.
        assert (await client.get("pay/?pidx=x")).status_code == 404
        assert (await client.get("_control/stats")).status_code == 200

"""The pooled Khalti client: one keep-alive connection pool per event loop, never closed by a caller."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from khalti_portal.billing.deps import khalti_factory_for
from khalti_portal.khalti import LookupStatus
from khalti_portal.khalti.pool import MAX_CONNECTIONS, close_shared, shared_http
from tests import khalti_fixtures as fx
from tests.db_fixtures import make_settings


class _CountingKhalti(ThreadingHTTPServer):
    """A loopback Khalti answering every lookup Completed, counting the TCP connections it accepts."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.authorizations: set[str] = set()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Khalti's own servers speak it
    server: _CountingKhalti

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        pidx = json.loads(self.rfile.read(length))["pidx"]
        with self.server.lock:
            self.server.requests += 1
            self.server.authorizations.add(self.headers.get("authorization", ""))
        body = json.dumps(fx.lookup_body("Completed", pidx=pidx)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def khalti_server() -> Iterator[_CountingKhalti]:
    server = _CountingKhalti()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _factory(server: _CountingKhalti):
    host, port = server.server_address[:2]
    return khalti_factory_for(make_settings(KHALTI_BASE_URL=f"http://{host}:{port}/"))


async def _lookups(factory, count: int) -> list[LookupStatus]:
    statuses = []
    for n in range(count):
        async with factory() as client:  # each caller opens and closes its own client, as billing does
            statuses.append((await client.lookup(f"pidx{n:04d}")).status)
    return statuses


def test_lookups_on_one_loop_share_one_kept_alive_connection(khalti_server):
    factory = _factory(khalti_server)

    async def run() -> list[LookupStatus]:
        try:
            return await _lookups(factory, 12)
        finally:
            await close_shared()

    assert asyncio.run(run()) == [LookupStatus.COMPLETED] * 12
    assert khalti_server.requests == 12
    assert khalti_server.connections == 1  # a client per lookup opened 12
    assert khalti_server.authorizations == {f"Key {make_settings().khalti_secret_key}"}


def test_lookups_at_once_each_get_a_connection_and_keep_it(khalti_server):
    factory = _factory(khalti_server)

    async def run() -> None:
        try:
            await asyncio.gather(*(_lookups(factory, 3) for _ in range(8)))
        finally:
            await close_shared()

    asyncio.run(run())
    assert khalti_server.requests == 24
    assert khalti_server.connections <= 8  # at most one per lookup in flight, then reused


def test_each_loop_has_its_own_pool_and_shutdown_closes_it():
    async def pool_of_this_loop():
        first = shared_http("k" * 32, "http://127.0.0.1:9/")
        assert shared_http("k" * 32, "http://127.0.0.1:9/") is first
        assert shared_http("other-key-" * 4, "http://127.0.0.1:9/") is not first  # another account, another pool
        assert await close_shared() == 2
        assert first.is_closed
        return first

    assert asyncio.run(pool_of_this_loop()) is not asyncio.run(pool_of_this_loop())
    assert shared_http("k" * 32, "http://127.0.0.1:9/") is None  # no running loop: callers make their own


def test_a_caller_closing_its_client_leaves_the_pool_open(khalti_server):
    factory = _factory(khalti_server)

    async def run() -> None:
        client = factory()
        await client.aclose()
        async with factory() as again:
            assert (await again.lookup("pidx0001")).status is LookupStatus.COMPLETED
        await close_shared()

    asyncio.run(run())
    assert khalti_server.connections == 1


def test_the_pool_holds_enough_connections_for_the_claimed_concurrency():
    assert MAX_CONNECTIONS >= 200  # docs/performance.md: 200 subscribers waiting on Khalti at once


def test_httpcore_asks_for_its_async_library_without_searching_the_path(monkeypatch):
    """httpcore calls `current_async_library` on every request; without sniffio each call is a failed import."""
    import importlib.machinery

    from httpcore._synchronization import current_async_library

    searches = []
    find_spec = importlib.machinery.PathFinder.find_spec

    def counting_find_spec(name, *args, **kwargs):
        searches.append(name)
        return find_spec(name, *args, **kwargs)

    async def ask() -> str:
        return current_async_library()

    assert asyncio.run(ask()) == "asyncio"  # sniffio imported once, if it is there at all
    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", counting_find_spec)
    assert [asyncio.run(ask()) for _ in range(3)] == ["asyncio"] * 3
    assert searches == []

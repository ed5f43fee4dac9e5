"""One pooled `httpx.AsyncClient` per event loop and Khalti account: keep-alive, and one TLS context, not one per call.

A new `httpx.AsyncClient` builds an SSL context (loading the CA bundle) and opens a new connection: about
20 ms of CPU on the event loop for every lookup, a third of a return-page visit's cost (docs/performance.md).
httpx connections belong to the loop that opened them, so the pool is per running loop; a server worker
has one loop for its whole life, a test or a CLI command one per `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

import httpx

from .client import DEFAULT_TIMEOUT

# Enough connections for every subscriber the benchmark holds at once (200) to wait on Khalti together;
# beyond that a lookup waits for a free connection (the timeout's `pool`, 10 s), it is not refused.
MAX_CONNECTIONS = 256
KEEPALIVE_CONNECTIONS = 64
KEEPALIVE_SECONDS = 30.0
LIMITS = httpx.Limits(
    max_connections=MAX_CONNECTIONS,
    max_keepalive_connections=KEEPALIVE_CONNECTIONS,
    keepalive_expiry=KEEPALIVE_SECONDS,
)

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def shared_http(secret_key: str, base_url: str) -> httpx.AsyncClient | None:
    """The running loop's pooled client for this key and host; None outside a running loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    clients = _pools.setdefault(loop, {})
    key = (base_url, secret_key)
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = httpx.AsyncClient(
            headers={"Authorization": f"Key {secret_key}", "Accept": "application/json"},
            timeout=DEFAULT_TIMEOUT,
            limits=LIMITS,
            follow_redirects=False,
        )
    return client


async def close_shared() -> int:
    """Close the running loop's pooled clients (at shutdown); how many there were."""
    clients = _pools.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()
    return len(clients)


@contextlib.asynccontextmanager
async def closed_at_shutdown() -> AsyncIterator[None]:
    """Reflex lifespan task: a server worker's pooled clients close with it."""
    try:
        yield
    finally:
        await close_shared()

"""Browser-test fixtures for sandbox mode: the portal built and served with KHALTI_ENV=sandbox.

Package-scoped like `tests/e2e` (whose server is stopped before this package starts: both build into the
one `.web`). The sandbox key is made up and KHALTI_BASE_URL points at a closed loopback port: nothing here
pays, and real Khalti is never called.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, launched_chromium, require_chromium
from tests.e2e.server import ARTIFACTS, Server, running_server

SANDBOX_KEY = "e2e_sandbox_secret_key_not_a_real_one_42"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def chromium() -> str:
    """Debian's Chromium, as in tests/e2e: without it, fail on CI and skip elsewhere."""
    return require_chromium()


@pytest.fixture(scope="package")
def sandbox_server(chromium: str) -> Iterator[Server]:
    """The app in production mode with KHALTI_ENV=sandbox on a free loopback port."""
    tmp = Path(tempfile.mkdtemp(prefix="khalti-e2e-sandbox-"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    extra = {
        "KHALTI_ENV": "sandbox",
        "KHALTI_SECRET_KEY": SANDBOX_KEY,
        "KHALTI_BASE_URL": f"http://127.0.0.1:{_closed_port()}/",
    }
    try:
        with running_server(tmp, ARTIFACTS / "server-sandbox.log", extra) as server:
            yield server
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="package")
def browser(chromium: str, sandbox_server: Server):
    """Headless Chromium for this package."""
    with launched_chromium(chromium) as launched:
        yield launched


@pytest.fixture
def page(browser, sandbox_server: Server):
    """A new visitor's page on the sandbox server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=sandbox_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    yield context.new_page()
    context.close()

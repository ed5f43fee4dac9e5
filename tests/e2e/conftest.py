"""Browser-test fixtures: one production server per run, Debian's Chromium, a fresh context per test.

Fixtures are package-scoped: the server, Chromium and Playwright's event loop live while `tests/e2e` runs and
are gone before the rest of the suite (Playwright's sync API would otherwise leave its loop behind for the
pytest-asyncio tests that follow). The server is built and started once (`reflex run --env prod` on a free
port; see `server.py`), with its own SQLite files in a temporary folder. Each test gets a new browser context
(empty cookies and storage), so every journey starts as a new visitor. Screenshots, the server log, timings
and a trace of each failure go to `test-artifacts/e2e/`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Db, Journey, Visits
from tests.e2e.server import ARTIFACTS, Server, running_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")  # the same override as scripts/ensure-chromium.sh
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = "install Chromium: apt-get install chromium"
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 60_000


def unavailable(what: str) -> None:
    """A browser package cannot run without `what`: fail under CI=true, skip elsewhere."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


def require_chromium() -> str:
    """Debian's Chromium, checked before any server is built (every browser package's `chromium` fixture)."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(MISSING_CHROMIUM)
    return CHROMIUM


@contextmanager
def launched_chromium(chromium: str) -> Iterator[Any]:
    """Headless Chromium for one package (Playwright cannot download its own browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="package")
def chromium() -> str:
    """Debian's Chromium: without it, fail on CI and skip elsewhere (before the server is built)."""
    return require_chromium()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    """`test-artifacts/e2e/`, emptied of the previous session's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for pattern in ("*.png", "trace-*.zip"):
        for old in ARTIFACTS.glob(pattern):
            old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="package")
def timings() -> dict[str, float]:
    """Seconds spent on the build and on the whole session, written to `timings.txt` at the end."""
    return {"session_start": time.monotonic()}


@pytest.fixture(scope="package")
def e2e_server(chromium: str, artifacts: Path, timings: dict[str, float]) -> Iterator[Server]:
    """The app in production mode on a free loopback port (built once per session)."""
    tmp = Path(tempfile.mkdtemp(prefix="khalti-e2e-"))
    started = time.monotonic()
    try:
        with running_server(tmp, artifacts / "server.log") as server:
            timings["setup_and_build"] = time.monotonic() - started
            timings["server_start"] = server.started_in
            yield server
    finally:
        total = time.monotonic() - timings["session_start"]
        lines = [f"{k}: {v:.1f} s" for k, v in timings.items() if k != "session_start"]
        (artifacts / "timings.txt").write_text("\n".join([*lines, f"session total: {total:.1f} s", ""]))
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="package")
def db(e2e_server: Server) -> Db:
    """Read-only access to the app database the server writes."""
    return Db(e2e_server.db_path)


@pytest.fixture(scope="package")
def visits() -> Visits:
    """The HTML of every page a journey looked at, for the secret scan."""
    return Visits()


@pytest.fixture(scope="package")
def browser(chromium: str, e2e_server: Server):
    """Debian's Chromium, headless."""
    with launched_chromium(chromium) as launched:
        yield launched


@pytest.fixture
def journey(
    browser, e2e_server: Server, db: Db, visits: Visits, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    """A new visitor: a fresh browser context (no cookies, no storage) and one page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=e2e_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.tracing.start(screenshots=True, snapshots=True)
    journey = Journey(
        context=context,
        page=context.new_page(),
        server=e2e_server,
        db=db,
        visits=visits,
        artifacts=artifacts,
        name=request.node.name.removeprefix("test_"),
    )
    failed = False
    try:
        yield journey
        rep = getattr(request.node, "rep_call", None)
        failed = rep is not None and rep.failed
    finally:
        if failed:
            context.tracing.stop(path=str(artifacts / f"trace-{journey.name}.zip"))
            for n, page in enumerate(context.pages):
                if not page.is_closed():
                    page.screenshot(path=str(artifacts / f"FAILED-{journey.name}-{n}.png"), full_page=True)
        else:
            context.tracing.stop()
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Let fixtures see whether the test body failed (for the failure trace and screenshot)."""
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
    return rep

"""The production shape in a browser: PostgreSQL, the Redis state manager and two Granian workers.

Package-scoped like `tests/e2e` (whose server is stopped before this package starts: both build into
the one `.web`). PostgreSQL gets a schema of its own for the run; Redis a database index of its own,
emptied first. Without either service the run fails under CI=true and skips elsewhere.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.conftest import (
    ACTION_TIMEOUT_MS,
    NAVIGATION_TIMEOUT_MS,
    launched_chromium,
    require_chromium,
    unavailable,
)
from tests.e2e.helpers import Db, Journey, Visits
from tests.e2e.server import ARTIFACTS, Server, running_server

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
WORKERS = 2


@pytest.fixture(scope="package")
def chromium() -> str:
    """Debian's Chromium, as in tests/e2e."""
    return require_chromium()


@pytest.fixture(scope="package")
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a schema made for this run (dropped afterwards)."""
    admin = create_engine(TEST_DATABASE_URL, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            schema = f"e2e_{secrets.token_hex(5)}"
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        unavailable(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    try:
        yield f"{TEST_DATABASE_URL}{sep}options={quote(f'-csearch_path={schema}', safe='')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="package")
def redis_client() -> redis.Redis:
    """The Redis database the state manager will use, emptied first."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except (OSError, redis.RedisError) as exc:
        unavailable(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return client


@pytest.fixture(scope="package")
def production_server(chromium: str, pg_url: str, redis_client: redis.Redis) -> Iterator[Server]:
    """The app built for production, on PostgreSQL, with Redis and several workers."""
    tmp = Path(tempfile.mkdtemp(prefix="khalti-e2e-production-"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    extra = {"REFLEX_DB_URL": pg_url, "REFLEX_REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": str(WORKERS)}
    try:
        with running_server(tmp, ARTIFACTS / "server-production.log", extra) as server:
            yield server
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="package")
def browser(chromium: str, production_server: Server):
    """Headless Chromium for this package."""
    with launched_chromium(chromium) as launched:
        yield launched


@pytest.fixture
def journey(browser, production_server: Server, pg_url: str, request: pytest.FixtureRequest) -> Iterator[Journey]:
    """A new visitor on the production-shape server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=production_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    yield Journey(
        context=context,
        page=context.new_page(),
        server=production_server,
        db=Db(url=pg_url),
        visits=Visits(),
        artifacts=ARTIFACTS,
        name=f"production-{request.node.name.removeprefix('test_')}",
    )
    context.close()

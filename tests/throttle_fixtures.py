"""The two throttle backends, one after the other: the app database, and Redis (127.0.0.1:6379, database 6,
or TEST_THROTTLE_REDIS_URL).

Use with ``pytest_plugins = ["tests.throttle_fixtures"]``. `backend` is "database" or "redis"; with
"redis", REFLEX_REDIS_URL is set for the test (so `throttle.store()` picks Redis, as a configured site
would) and every key lives under a prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from khalti_portal import throttle
from khalti_portal.config import get_settings

REDIS_URL = os.environ.get("TEST_THROTTLE_REDIS_URL", "redis://127.0.0.1:6379/6")


@pytest.fixture
def redis_marks(monkeypatch: pytest.MonkeyPatch) -> Iterator[throttle.RedisStore]:
    """A RedisStore under a fresh prefix, which `throttle.store()` hands out for REDIS_URL."""
    marks = throttle.RedisStore(REDIS_URL, prefix=f"test:khalti_portal:{secrets.token_hex(6)}:")
    try:
        marks.redis.ping()
    except Exception as exc:  # a plain failure, never a skip (CI counts skips as failures)
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setattr(throttle, "_redis_store", lambda url: marks)
    yield marks
    for key in marks.redis.scan_iter(marks.prefix + "*"):
        marks.redis.delete(key)


@pytest.fixture(params=["database", "redis"])
def backend(request: pytest.FixtureRequest, app_db, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test once with the database store and once with Redis configured."""
    if request.param == "redis":
        request.getfixturevalue("redis_marks")
        monkeypatch.setenv("REFLEX_REDIS_URL", REDIS_URL)
    else:
        monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    get_settings.cache_clear()
    expected = throttle.RedisStore if request.param == "redis" else throttle.DatabaseStore
    assert isinstance(throttle.store(), expected)
    yield request.param
    get_settings.cache_clear()

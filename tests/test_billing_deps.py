"""default_deps: the process's settings, engine, system clock and a Khalti client for the configured host."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import SQLModel

from khalti_portal.billing.deps import default_deps, resolve
from khalti_portal.billing.plans import active_plans, seed_demo_plans
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.session import get_engine
from khalti_portal.khalti import KhaltiClient


@pytest.fixture
def configured(tmp_path, monkeypatch):
    monkeypatch.setenv("REFLEX_DB_URL", f"sqlite:///{tmp_path / 'default.db'}")
    monkeypatch.setenv("APP_URL", "https://portal.example")
    monkeypatch.setenv("ALLOW_TEST_PAYMENTS", "1")  # the emulator on a public host: a staging site
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


async def test_default_deps_follow_the_configuration(configured):
    deps = default_deps()
    assert deps.settings.khalti_env == "emulator"
    assert deps.engine is get_engine()
    assert deps.clock is utcnow and deps.now().tzinfo is UTC
    client = deps.khalti_factory()
    try:
        assert isinstance(client, KhaltiClient)
        assert client.base_url == "https://portal.example/sandbox/khalti/"
    finally:
        await client.aclose()
    assert resolve(deps) is deps


def test_billing_functions_use_the_defaults_without_deps(configured):
    SQLModel.metadata.create_all(get_engine())
    assert seed_demo_plans() == 3
    assert [p.slug for p in active_plans()] == ["basic", "standard", "premium"]

"""Shared fixtures. Tests never read a developer's `.env`, and never reach real Khalti."""

from __future__ import annotations

import os

# Before anything imports khalti_portal.config: a developer's .env must not steer a test.
os.environ["KHALTI_PORTAL_DOTENV"] = "0"
for _name in ("KHALTI_SECRET_KEY", "KHALTI_ENV", "KHALTI_BASE_URL", "REFLEX_REDIS_URL"):
    os.environ.pop(_name, None)

# Registered here so pytest rewrites their asserts; test modules import their helpers directly.
pytest_plugins = ["tests.ci_guard", "tests.db_fixtures", "tests.state_support"]

"""Shared fixtures. Tests never read a developer's `.env`, and never reach real Khalti."""

from __future__ import annotations

import os

# Before anything imports khalti_portal.config: a developer's .env must not steer a test.
os.environ["KHALTI_PORTAL_DOTENV"] = "0"
for _name in ("KHALTI_SECRET_KEY", "KHALTI_ENV", "KHALTI_BASE_URL", "REFLEX_REDIS_URL"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402

# Registered here so pytest rewrites their asserts; test modules import their helpers directly.
pytest_plugins = ["tests.db_fixtures", "tests.state_support"]

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember every skipped test, to fail the run on CI."""
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true nothing may quietly not run: a skip fails the session."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int) -> None:
    """Say why a green-looking run failed."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and _skipped:
        terminalreporter.write_line(f"CI=true: {len(_skipped)} skipped test(s) count as failures:", red=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"  {nodeid}", red=True)

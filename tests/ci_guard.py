"""Under CI=true nothing may quietly not run: a skip, at run time or at collection, fails the session.

A plugin of its own (registered in conftest.py) so a test can load it into a pytest run of its own.
"""

from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A module-level skip (`importorskip`, `skip(allow_module_level=True)`) skips at collection, unseen below."""
    if report.skipped:
        _skipped.append(report.nodeid or "<collection>")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember every skipped test (xfail included: it reports as skipped)."""
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a green session that skipped anything; a run that collected nothing but skips fails too."""
    if _on_ci() and _skipped and exitstatus in (0, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int) -> None:
    """Say why a green-looking run failed."""
    if _on_ci() and _skipped:
        terminalreporter.write_line(f"CI=true: {len(_skipped)} skipped test(s) count as failures:", red=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"  {nodeid}", red=True)

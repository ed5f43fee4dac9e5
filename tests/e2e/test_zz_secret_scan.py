"""Last (the file name sorts after the journeys): the Khalti secret key is nowhere a browser or a log can reach.

Searched: every file of the built frontend under `.web` (gzip copies decompressed), the HTML of every page
the journeys looked at plus a few visited here, every websocket frame the pages exchanged, and the
server's log.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from playwright.sync_api import expect

from khalti_portal.config import DEFAULT_EMULATOR_KEY
from tests.e2e.helpers import Journey
from tests.e2e.server import EMULATOR_KEY, PROJECT

pytestmark = pytest.mark.e2e

SECRETS = (EMULATOR_KEY, DEFAULT_EMULATOR_KEY)


def _leaks(data: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode() in data]


def _frontend_files() -> list[Path]:
    web = PROJECT / ".web"
    return [p for p in web.rglob("*") if p.is_file() and not p.is_symlink()]


def test_the_secret_key_reaches_no_browser_and_no_log(journey: Journey) -> None:
    j = journey
    # A few pages of our own, signed out and signed in, so the scan never runs on nothing.
    for path in ("/", "/login", "/register"):
        j.goto(path)
        j.record()
    j.register("zara_scans")
    j.open_checkout_from_catalog("premium")
    j.record()
    j.pay_with_khalti()
    j.record()
    j.goto("/dashboard")
    expect(j.page.locator("#subscription-status")).to_be_visible()
    j.record()

    found: list[str] = []

    web = _frontend_files()
    build = PROJECT / ".web" / "build"
    assert any(p.is_relative_to(build) for p in web), ".web/build is missing: was the production build made?"
    for path in web:
        data = path.read_bytes()
        if path.suffix == ".gz":
            try:
                data += gzip.decompress(data)
            except (OSError, EOFError):
                pass
        found += [f"{path.relative_to(PROJECT)}: {s}" for s in _leaks(data)]

    assert len(j.visits.pages) >= 10, "the journeys should have recorded the pages they visited"
    for url, html in j.visits.pages:
        found += [f"page {url}: {s}" for s in _leaks(html.encode())]
    assert j.visits.frames, "no websocket frames were captured"
    for n, frame in enumerate(j.visits.frames):
        found += [f"websocket frame {n}: {s}" for s in _leaks(frame.encode())]

    log = j.server.log_path.read_bytes()
    assert log, "the server log is empty"
    found += [f"server log: {s}" for s in _leaks(log)]

    assert not found, "the Khalti secret key leaked:\n" + "\n".join(found)

"""The catalog's first load stays light: what a new visitor's browser downloads before the plans show.

Counted: every response of the page load in a fresh browser context (no cache) — the HTML, its scripts
and styles, any font — as the compressed bodies the server sent (`responseBodySize`; headers are not
counted). The socket's frames are not responses and are not counted. 343 KB when this test was written,
and an empty Reflex app is about 325 KB: a page that quietly pulls in a heavy component fails here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Request, expect

from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e

LIMIT_BYTES = 350_000


def test_the_catalogs_first_load_is_at_most_350_kb(journey: Journey) -> None:
    finished: list[Request] = []
    journey.page.on("requestfinished", lambda request: finished.append(request))
    journey.goto("/")
    expect(journey.page.locator(".plan-card").first).to_be_visible()
    journey.page.wait_for_load_state("networkidle")  # late chunks (a lazily imported component) count too

    sizes = sorted(((r.sizes()["responseBodySize"], r.url) for r in finished), reverse=True)
    total = sum(size for size, _ in sizes)
    assert any(url.endswith(".js") for _, url in sizes), f"no script was downloaded: {sizes}"
    largest = "\n".join(f"  {size / 1000:7.1f} KB  {url}" for size, url in sizes[:8])
    assert total <= LIMIT_BYTES, f"the catalog's first load is {total / 1000:.1f} KB; the largest:\n{largest}"

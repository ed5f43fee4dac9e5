"""What a subscription unlocks, in Chromium: the members' content for a subscriber, none of it for anyone else,
and the entitlement API answering for both with a key made on the admin page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Journey
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.test_nothing_left_in_the_tab import Frames

pytestmark = pytest.mark.e2e

ALL_FEATURES = ["members", "downloads", "priority-support"]


def member_titles() -> list[str]:
    from khalti_portal.content import pages_for

    titles = [block.title for block in pages_for(ALL_FEATURES)]
    assert titles, "no members' content found in content/members"
    return titles


def test_a_subscriber_reads_the_members_area_and_a_stranger_receives_none_of_it(journey: Journey) -> None:
    j = journey
    titles = member_titles()
    j.register("mona_member")
    j.goto("/members")
    expect(j.page.locator("#subscribe-to-unlock")).to_be_visible()
    j.buy("standard")
    j.goto("/members")
    blocks = j.page.locator("[data-feature]")
    expect(blocks.first).to_be_visible()
    shown = {blocks.nth(i).get_attribute("data-feature") for i in range(blocks.count())}
    assert shown <= {"members", "downloads"} and "downloads" in shown
    j.snap("members-area")

    stranger = j.another_visitor("stranger")
    frames = Frames()
    frames.watch(stranger.page)
    frames.start()
    stranger.register("nora_no_plan")
    stranger.goto("/members")
    expect(stranger.page.locator("#subscribe-to-unlock")).to_be_visible()
    expect(stranger.page.locator("[data-feature]")).to_have_count(0)
    stranger.snap("members-refused")
    html = stranger.page.content()
    assert frames.received, "the stranger's page received no state at all"
    leaked = [t for t in titles if t in html or any(t in frame for frame in frames.received)]
    assert leaked == [], f"members' content reached a browser without access: {leaked}"
    j.close_others()

    # The merchant's systems ask the same question over HTTP with a key made on the admin page.
    j.page.click("#sign-out")
    j.page.wait_for_url(re.compile(r"/$"))
    j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    j.goto("/admin/api-keys")
    j.page.fill("#new-key-label", "e2e website")
    j.page.click("#create-key")
    key_box = j.page.locator("#new-key-value")
    expect(key_box).to_contain_text("kp_")
    key = re.search(r"kp_[A-Za-z0-9_-]+", key_box.inner_text()).group(0)
    headers = {"Authorization": f"Bearer {key}"}
    member = httpx.get(j.url("/api/v1/entitlements/mona_member"), headers=headers, timeout=10).json()
    assert member["active"] is True and member["plan"] == "standard" and "downloads" in member["features"]
    other = httpx.get(j.url("/api/v1/entitlements/nora_no_plan"), headers=headers, timeout=10).json()
    assert other["active"] is False and other["features"] == []
    assert httpx.get(j.url("/api/v1/entitlements/mona_member"), timeout=10).status_code == 401

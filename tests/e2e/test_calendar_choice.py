"""Issue 27's acceptance: a subscriber sets Bikram Sambat on the profile (`#calendar`) and reads the dashboard's
expiry as the BS date nepali-datetime gives for the stored instant; the attribute stays ISO UTC; AD switches back.

The e2e server sets no DEFAULT_CALENDAR: until the subscriber chooses, every page shows both calendars.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from khalti_portal.i18n.dates import Calendar, format_day, format_moment
from tests.e2e.helpers import Journey, iso_z, nepal_text, parse_db_time

pytestmark = pytest.mark.e2e


def _expiry(j: Journey) -> tuple[str, str]:
    """The dashboard's expiry: `data-expires-at` and the words on screen."""
    expiry = j.page.locator("#subscription-expiry")
    expect(expiry).to_have_attribute("data-expires-at", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    return expiry.get_attribute("data-expires-at") or "", expiry.inner_text().strip()


def _choose(j: Journey, calendar: str) -> None:
    """On the profile, pick `calendar` in `#calendar` and see it saved."""
    j.goto("/profile")
    control = j.page.locator("#calendar")
    expect(control).to_be_enabled()
    control.select_option(calendar)
    expect(j.page.locator("#calendar-result")).to_contain_text("Saved: dates now show in")
    expect(control).to_have_value(calendar)
    expect(control).to_have_attribute("data-chosen", "true")


def test_a_subscriber_chooses_bs_and_reads_the_expiry_in_bs_then_ad(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("sita_bikram_sambat")
    j.buy("basic")
    [period] = db.periods(user_id)
    ends_at = period["ends_at"]
    # Nothing chosen yet: the return page says the expiry in both calendars, the site's default.
    expect(j.page.locator("#return-expiry")).to_contain_text(nepal_text(ends_at, "both"))

    j.open_dashboard("active")
    iso, shown = _expiry(j)
    assert (iso, shown) == (iso_z(ends_at), nepal_text(ends_at, "both"))
    j.snap("dashboard-both")

    j.goto("/profile")
    control = j.page.locator("#calendar")
    expect(control).to_have_value("site")  # "the site's default", selected while none is chosen
    expect(control).to_have_attribute("data-chosen", "false")
    expect(j.page.locator("#calendar-hint")).to_contain_text("site's default")
    j.snap("profile-calendar-default")
    _choose(j, "bs")
    assert db.one("SELECT calendar FROM userprofile WHERE user_id = :u", u=user_id) == {"calendar": "bs"}
    j.snap("profile-calendar-bs")

    j.open_dashboard("active")
    iso, shown = _expiry(j)
    assert iso == iso_z(ends_at)  # the machine-readable instant is untouched by the choice
    assert shown == format_moment(ends_at, Calendar.BS)  # the app's one formatter...
    assert shown == nepal_text(ends_at, "bs")  # ...agrees with nepali-datetime read here independently
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 20\d\d, \d{1,2}:\d\d [AP]M NPT", shown)
    timeline = j.page.locator("#access-timeline")
    expect(timeline.locator(".timeline-item").first).to_contain_text(format_day(ends_at, Calendar.BS))
    expect(timeline.locator(".timeline-segment").first).to_have_attribute("data-ends-at", iso_z(ends_at))
    [payment] = db.payments(user_id)
    paid_at = parse_db_time(payment["created_at"])
    assert paid_at is not None
    expect(j.page.locator("#payment-history tbody tr").first).to_contain_text(format_moment(paid_at, Calendar.BS))
    j.snap("dashboard-bs")

    _choose(j, "ad")
    j.open_dashboard("active")
    iso, shown = _expiry(j)
    assert (iso, shown) == (iso_z(ends_at), nepal_text(ends_at, "ad"))
    assert shown == format_moment(ends_at, Calendar.AD)
    j.snap("dashboard-ad")

    # Back to the site's default: the choice is cleared, and the dashboard reads both calendars again.
    j.goto("/profile")
    control = j.page.locator("#calendar")
    expect(control).to_be_enabled()
    control.select_option("site")
    expect(j.page.locator("#calendar-result")).to_contain_text("Saved: dates follow the site's default")
    expect(control).to_have_attribute("data-chosen", "false")
    assert db.one("SELECT calendar FROM userprofile WHERE user_id = :u", u=user_id) == {"calendar": ""}
    j.open_dashboard("active")
    assert _expiry(j) == (iso_z(ends_at), nepal_text(ends_at, "both"))

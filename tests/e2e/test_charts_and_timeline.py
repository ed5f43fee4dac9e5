"""Pictures where people would rather look, in Chromium: the admin's last twelve months drawn from what the
database holds (checked three ways: the database, the table, the bars and dots), by BS month and by AD month,
and the subscriber's paid time as a timeline placed where the periods are."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import nepali_datetime
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from khalti_portal.db.models import LocalUser, Payment, SubscriptionPeriod
from khalti_portal.i18n.dates import bs_month_name
from tests.e2e.helpers import Db, Journey, iso_z, parse_db_time
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME

pytestmark = pytest.mark.e2e

NEPAL = ZoneInfo("Asia/Kathmandu")
GRACE = timedelta(days=3)  # the e2e server's GRACE_DAYS (the default)
MONTHS = 12


# -- what the database holds, worked out here independently of the app --------------------------------------------


def month_firsts(now: datetime) -> list[date]:
    """The first days of the last twelve Nepal months, oldest first."""
    first = now.astimezone(NEPAL).date().replace(day=1)
    firsts = [first]
    while len(firsts) < MONTHS:
        first = (first - timedelta(days=1)).replace(day=1)
        firsts.append(first)
    return firsts[::-1]


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def nepal_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=NEPAL).astimezone(UTC)


# A month as the table keys it: "2026-11" (AD) or "2083-08" (BS), with its [start, end) in UTC.
Month = tuple[str, datetime, datetime]


def ad_months(now: datetime) -> list[Month]:
    return [
        (first.strftime("%Y-%m"), nepal_start(first), nepal_start(next_month(first))) for first in month_firsts(now)
    ]


def bs_months(now: datetime) -> list[Month]:
    """The last twelve BS months, straight from nepali-datetime (not the app's code), oldest first."""
    today = nepali_datetime.date.from_datetime_date(now.astimezone(NEPAL).date())
    year, month = today.year, today.month
    months = []
    for _ in range(MONTHS):
        after = (year + 1, 1) if month == 12 else (year, month + 1)
        first, following = nepali_datetime.date(year, month, 1), nepali_datetime.date(*after, 1)
        months.append(
            (f"{year}-{month:02d}", nepal_start(first.to_datetime_date()), nepal_start(following.to_datetime_date()))
        )
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def expected_months(db: Db, now: datetime, months: list[Month]) -> dict[str, tuple[int, int]]:
    """month → (revenue in paisa, active subscribers at its end), as this test reads the rules."""

    def key_of(at: datetime) -> str | None:
        return next((key for key, start, end in months if start <= at < end), None)

    revenue = {key: 0 for key, _, _ in months}
    for p in db.rows("SELECT * FROM payment WHERE khalti_mode = 'emulator'"):
        completed, refunded = parse_db_time(p["completed_at"]), parse_db_time(p["refunded_at"])
        if completed is not None and (key := key_of(completed)) is not None:
            revenue[key] += p["amount_paisa"]
        if refunded is not None and completed is not None and (key := key_of(refunded)) is not None:
            revenue[key] -= p["refunded_paisa"] or p["amount_paisa"]
    periods = db.rows("SELECT * FROM subscriptionperiod")
    active = {}
    for key, _, end in months:
        at = min(end - timedelta(microseconds=1), now)
        users = {
            p["user_id"]
            for p in periods
            if parse_db_time(p["starts_at"]) <= at <= parse_db_time(p["ends_at"]) + GRACE
            and (p["revoked_at"] is None or parse_db_time(p["revoked_at"]) > at)
        }
        active[key] = len(users)
    return {key: (revenue[key], active[key]) for key in revenue}


def add_history(db: Db, now: datetime) -> None:
    """Payments and periods of earlier months, written as the app would have (no page can make the past)."""
    engine = create_engine(f"sqlite:///{db.path}", poolclass=NullPool)
    firsts = month_firsts(now)
    plan = db.plan("basic")
    assert plan is not None

    def mid(months_ago: int) -> datetime:
        return nepal_start(firsts[-1 - months_ago]) + timedelta(days=14, hours=6)

    with Session(engine) as session:
        users = [LocalUser(username=f"past_{secrets.token_hex(3)}", password_hash=b"x", enabled=True) for _ in range(3)]
        session.add_all(users)
        session.flush()

        def paid(user: LocalUser, amount: int, at: datetime, refunded_at: datetime | None = None) -> None:
            session.add(
                Payment(
                    purchase_order_id=f"KP-past-{secrets.token_hex(4)}",
                    user_id=user.id,
                    plan_id=plan["id"],
                    amount_paisa=amount,
                    plan_name=plan["name"],
                    duration_days=30,
                    khalti_mode="emulator",
                    status="refunded" if refunded_at else "completed",
                    created_at=at,
                    updated_at=refunded_at or at,
                    completed_at=at,
                    refunded_at=refunded_at,
                    refunded_paisa=amount if refunded_at else 0,
                )
            )

        paid(users[0], 129_950, mid(5))
        # A fourth month with money, so the picture is worth checking even when this test runs alone.
        paid(users[1], 29_900, mid(4))
        paid(users[1], 499_900, mid(3))
        paid(users[2], 49_900, mid(3), refunded_at=mid(2))  # counted in its month, given back in the next
        paid(users[0], 99_900, mid(2))
        for user, start, days in ((users[0], mid(5), 200), (users[1], mid(3), 60), (users[2], mid(2), 5)):
            session.add(
                SubscriptionPeriod(
                    user_id=user.id, plan_id=plan["id"], starts_at=start, ends_at=start + timedelta(days=days)
                )
            )
        session.commit()
    engine.dispose()


# -- what the page shows -------------------------------------------------------------------------------------------


def paisa_of(text: str) -> int:
    """`Rs 1,299.50` → 129950, `-Rs 500` → -50000."""
    match = re.fullmatch(r"(-?)Rs ([\d,]+)(?:\.(\d\d))?", text.strip())
    assert match, f"not an amount: {text!r}"
    sign = -1 if match.group(1) else 1
    return sign * (int(match.group(2).replace(",", "")) * 100 + int(match.group(3) or 0))


def table_months(j: Journey) -> dict[str, tuple[int, int]]:
    rows = j.page.locator("#revenue-table tbody tr")
    expect(rows).to_have_count(MONTHS)
    found = {}
    for i in range(MONTHS):
        row = rows.nth(i)
        found[row.get_attribute("data-period") or ""] = (
            paisa_of(row.locator(".period-revenue").inner_text()),
            int(row.locator(".period-active").inner_text()),
        )
    return found


def group_by(j: Journey, name: str) -> None:
    """Pick a grouping in the select over the charts and wait for the table to follow."""
    j.page.locator("#figures-grouping").click()
    j.page.get_by_role("option", name=name).click()
    expect(j.page.locator("#figures-grouping")).to_contain_text(name)


CHART_GEOMETRY = """
(root) => {
  const box = (el) => el.getBoundingClientRect();
  const axis = box(root.querySelector('.recharts-xAxis .recharts-cartesian-axis-line'));
  const bars = [...root.querySelectorAll('.recharts-bar-rectangle path')].map(box)
    .filter(b => b.height > 0.5).map(b => ({x: b.x + b.width / 2, h: b.height}));
  const dots = [...root.querySelectorAll('.recharts-line-dot')].map(box)
    .map(b => ({x: b.x + b.width / 2, y: b.y + b.height / 2}));
  return {left: axis.x, width: axis.width, baseline: axis.y, bars, dots};
}
"""


def close(a: float, b: float, *, scale: float) -> bool:
    return abs(a - b) <= 0.02 * scale + 1.5  # two per cent of the tallest, plus anti-aliasing


def test_the_admins_charts_draw_the_last_twelve_months_the_database_holds(journey: Journey) -> None:
    j, db = journey, journey.db
    add_history(db, datetime.now(UTC))
    j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
    j.goto("/admin/payments")
    expect(j.page.locator("#revenue-chart .recharts-bar-rectangle").first).to_be_attached()

    # The admin reads the site's default, both calendars: the figures come by BS month first.
    expect(j.page.locator("#figures-grouping")).to_contain_text("BS month")
    expect(j.page.locator("#periods-heading")).to_have_text("The last 12 months (BS)")
    now = datetime.now(UTC)
    by_bs = bs_months(now)
    assert table_months(j) == expected_months(db, now, by_bs)
    running = nepali_datetime.date.from_datetime_date(now.astimezone(NEPAL).date())
    last_row = j.page.locator("#revenue-table tbody tr").last
    expect(last_row).to_have_attribute("data-period", f"{running.year}-{running.month:02d}")
    expect(last_row.locator(".period-label")).to_have_text(f"{bs_month_name(running.month)} {running.year}")
    j.page.locator("#monthly-figures").scroll_into_view_if_needed()
    j.snap("admin-figures-by-bs-month")

    # The date boxes take AD for a reader of both, and a date marked BS; an impossible day is refused in words.
    expect(j.page.locator("label[for=payment-created-from]")).to_have_text("From (AD)")
    mangsir = nepali_datetime.date(2083, 9, 1).to_datetime_date() - nepali_datetime.date(2083, 8, 1).to_datetime_date()
    j.page.locator("#payment-created-from").fill("2083-08-32 BS")
    j.page.locator("#payment-search-submit").click()
    expect(j.page.locator("#admin-error")).to_contain_text(
        f"From: There is no 2083-08-32 BS: Mangsir 2083 has {mangsir.days} days."
    )
    # From the day of the newest history payment (06:00 NPT on the 15th, two AD months ago), typed in BS.
    newest = month_firsts(now)[-3] + timedelta(days=14)
    bs = nepali_datetime.date.from_datetime_date(newest)
    j.page.locator("#payment-search").fill("past_")
    j.page.locator("#payment-created-from").fill(f"{bs.year}-{bs.month:02d}-{bs.day:02d} BS")
    j.page.locator("#payment-search-submit").click()
    expect(j.page.locator("#payment-dates-in-force")).to_have_text(
        f"Created on or after {bs.day} {bs_month_name(bs.month)} {bs.year} ({newest.day} {newest:%b %Y})"
    )
    expect(j.page.locator(".admin-payment-row")).to_have_count(1)
    j.page.locator("#payment-search-clear").click()
    expect(j.page.locator("#payment-dates-in-force")).to_have_count(0)

    # Fiscal years from 1 Shrawan: the running one, as the library dates today.
    group_by(j, "Fiscal year")
    expect(j.page.locator("#periods-heading")).to_have_text("The last 5 fiscal years")
    expect(j.page.locator("#revenue-table tbody tr")).to_have_count(5)
    first_year = running.year if running.month >= 4 else running.year - 1  # Shrawan is the fourth BS month
    expect(j.page.locator("#revenue-table tbody tr").last.locator(".period-label")).to_have_text(
        f"FY {first_year}/{(first_year + 1) % 100:02d}"
    )

    group_by(j, "AD month")
    expect(j.page.locator("#periods-heading")).to_have_text("The last 12 months (AD)")
    expect(j.page.locator("#revenue-table tbody tr").last).to_have_attribute(
        "data-period", now.astimezone(NEPAL).strftime("%Y-%m")
    )
    months = list(table_months(j).items())
    expected = expected_months(db, datetime.now(UTC), ad_months(datetime.now(UTC)))
    assert dict(months) == expected
    revenues = [revenue for _, (revenue, _) in months]
    actives = [active for _, (_, active) in months]
    assert sum(1 for r in revenues if r) >= 4 and len(set(actives)) >= 3  # a picture worth checking

    # Each bar stands in its month's slot, as tall (relative to the tallest) as the month's revenue.
    chart = j.page.locator("#revenue-chart").element_handle()
    g: dict[str, Any] = j.page.evaluate(CHART_GEOMETRY, chart)
    band = g["width"] / MONTHS
    tallest = max(bar["h"] for bar in g["bars"])
    drawn = {int((bar["x"] - g["left"]) // band): bar["h"] for bar in g["bars"]}
    assert set(drawn) == {i for i, r in enumerate(revenues) if r}
    top = max(abs(r) for r in revenues)
    for i, height in drawn.items():
        assert close(height, abs(revenues[i]) / top * tallest, scale=tallest), (months[i], height)

    # Each dot of the subscribers' line is as high above the axis as the month's count.
    s = j.page.evaluate(CHART_GEOMETRY, j.page.locator("#subscribers-chart").element_handle())
    dots = sorted(s["dots"], key=lambda d: d["x"])
    assert len(dots) == MONTHS
    heights = [s["baseline"] - d["y"] for d in dots]
    most = max(actives)
    for i, height in enumerate(heights):
        assert close(height, actives[i] / most * max(heights), scale=max(heights)), (months[i], height)
    expect(j.page.locator("#revenue-chart")).to_have_attribute("role", "img")
    j.page.locator("#monthly-figures").scroll_into_view_if_needed()
    j.snap("admin-last-12-months")


def test_the_dashboard_draws_the_current_period_a_later_one_and_today(journey: Journey) -> None:
    j, db = journey, journey.db
    user_id = j.register("tenzing_timeline")
    j.buy("basic")
    j.buy("basic")  # paid again before the first ends: a later period, stacked
    j.open_dashboard("active")
    timeline = j.page.locator("#access-timeline")
    segments = timeline.locator(".timeline-segment")
    expect(segments).to_have_count(2)
    periods = db.periods(user_id)
    assert len(periods) == 2
    for segment, period, kind in zip(segments.all(), periods, ("current", "later"), strict=True):
        expect(segment).to_have_attribute("data-kind", kind)
        expect(segment).to_have_attribute("data-starts-at", iso_z(period["starts_at"]))
        expect(segment).to_have_attribute("data-ends-at", iso_z(period["ends_at"]))
    today = timeline.locator("#timeline-today")
    first, second, mark = segments.nth(0).bounding_box(), segments.nth(1).bounding_box(), today.bounding_box()
    assert first and second and mark
    assert abs((first["x"] + first["width"]) - second["x"]) <= 1.5  # back to back: no day unpaid between
    assert first["x"] <= mark["x"] + mark["width"] / 2 <= first["x"] + first["width"]  # today is in the first
    items = timeline.locator(".timeline-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("(now)")
    expect(items.nth(1)).to_contain_text("(paid, starts later)")
    expect(items.nth(2)).to_contain_text("Today")
    j.snap("dashboard-timeline")

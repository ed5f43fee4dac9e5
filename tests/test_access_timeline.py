"""The dashboard's timeline: the current period, later ones and today placed along one bar, and what the
dashboard state sends for a subscriber with paid time, one in grace, and one whose access is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from khalti_portal.billing.subscription import PeriodView
from khalti_portal.clock import utcnow
from khalti_portal.db.models import SubscriptionPeriod
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.timeline_views import CURRENT, ENDED, LATER, TimelineView, access_timeline
from tests.state_support import StateDriver, new_user

DAY = timedelta(days=1)
MAR_1 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def period(plan: str, starts: datetime, days: int, ident: int = 1) -> PeriodView:
    return PeriodView(id=ident, plan_name=plan, starts_at=starts, ends_at=starts + days * DAY, payment_id=None)


def test_the_current_period_a_later_one_and_today_share_one_bar() -> None:
    current, later = period("Standard", MAR_1, 30), period("Premium", MAR_1 + 30 * DAY, 30, 2)
    view = access_timeline(current, [later], MAR_1 + 15 * DAY, Calendar.AD)
    assert [(s.plan_name, s.kind, s.left, s.width) for s in view.segments] == [
        ("Standard", CURRENT, "0.000%", "50.000%"),
        ("Premium", LATER, "50.000%", "50.000%"),
    ]
    assert view.today_left == "25.000%"
    assert (view.first_day, view.last_day, view.today) == ("1 Mar 2026", "30 Apr 2026", "16 Mar 2026")
    assert (view.segments[1].starts_iso, view.segments[1].ends_iso) == ("2026-03-31T06:00:00Z", "2026-04-30T06:00:00Z")


def test_the_days_are_in_the_viewers_calendar_and_the_attributes_stay_utc() -> None:
    current = period("Standard", MAR_1, 30)
    # 1 Mar 2026 is 17 Falgun 2082 and 31 Mar 2026 is 17 Chaitra 2082 (the published BS tables).
    bs = access_timeline(current, [], MAR_1 + 15 * DAY, Calendar.BS)
    assert (bs.first_day, bs.last_day, bs.today) == ("17 Falgun 2082", "17 Chaitra 2082", "2 Chaitra 2082")
    both = access_timeline(current, [], MAR_1 + 15 * DAY, Calendar.BOTH)
    assert (both.segments[0].starts, both.segments[0].ends) == (
        "17 Falgun 2082 (1 Mar 2026)",
        "17 Chaitra 2082 (31 Mar 2026)",
    )
    assert both.segments[0].starts_iso == bs.segments[0].starts_iso == "2026-03-01T06:00:00Z"


def test_in_grace_the_ended_period_stops_before_today_at_the_bars_end() -> None:
    ended = period("Basic", MAR_1, 30)
    view = access_timeline(ended, [], MAR_1 + 32 * DAY, Calendar.AD)
    [segment] = view.segments
    assert (segment.kind, segment.left, segment.width) == (ENDED, "0.000%", "93.750%")  # 30 of 32 days
    assert view.today_left == "100.000%"


def test_without_periods_there_is_no_bar() -> None:
    assert access_timeline(None, [], MAR_1, Calendar.BOTH) == TimelineView()


def add_period(user_id: int, starts: datetime, ends: datetime) -> None:
    with Session(get_engine()) as session:
        session.add(SubscriptionPeriod(user_id=user_id, starts_at=starts, ends_at=ends))
        session.commit()


async def dashboard_of(user_id: int) -> DashboardState:
    tab = StateDriver(user_id=user_id)
    state = tab.state(DashboardState, "/dashboard")
    await tab.run(state, "load")
    return state


async def test_the_dashboard_sends_the_timeline_of_paid_time_and_none_once_access_is_over(app_db) -> None:
    now = utcnow()
    paid = new_user("tara_timeline")
    add_period(paid, now - 10 * DAY, now + 20 * DAY)
    add_period(paid, now + 20 * DAY, now + 50 * DAY)
    state = await dashboard_of(paid)
    assert state.status == "active"
    assert [s.kind for s in state.timeline.segments] == [CURRENT, LATER]
    assert state.timeline.today_left == "16.667%"  # 10 of 60 days

    in_grace = new_user("gita_grace")  # GRACE_DAYS is 3
    add_period(in_grace, now - 31 * DAY, now - DAY)
    state = await dashboard_of(in_grace)
    assert state.status == "grace" and [s.kind for s in state.timeline.segments] == [ENDED]

    lapsed = new_user("lila_lapsed")
    add_period(lapsed, now - 40 * DAY, now - 10 * DAY)
    state = await dashboard_of(lapsed)
    assert state.status == "expired" and state.timeline.segments == []

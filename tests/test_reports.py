"""The admin figures on a fixture of known payments and periods, across a month boundary in Nepal time,
against numbers worked out by hand."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from khalti_portal.billing.admin import reports
from khalti_portal.billing.nepal_time import nepal_month_bounds, to_nepal
from khalti_portal.db.models import Payment, SubscriptionPeriod

pytest_plugins = ["tests.db_fixtures"]

DAY = timedelta(days=1)
FEB_10 = datetime(2026, 2, 10, 6, 0, tzinfo=UTC)  # 10 Feb 2026, 11:45 AM NPT
JAN_25 = datetime(2026, 1, 25, 6, 0, tzinfo=UTC)
MAR_05 = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def add_payment(
    world,
    plan,
    *,
    amount: int,
    status: str,
    completed: str | None = None,
    refunded: str | None = None,
    refunded_paisa: int = 0,
) -> None:
    created = utc(completed or refunded or "2026-01-01T00:00Z") - timedelta(minutes=5)
    with Session(world.engine) as session:
        session.add(
            Payment(
                purchase_order_id=f"KP-{secrets.token_hex(6)}",
                user_id=world.user(),
                plan_id=plan.id,
                amount_paisa=amount,
                plan_name=plan.name,
                duration_days=30,
                khalti_mode=world.settings.khalti_env,
                status=status,
                pidx=f"pidx_{secrets.token_hex(6)}",
                created_at=created,
                updated_at=created,
                completed_at=utc(completed) if completed else None,
                refunded_at=utc(refunded) if refunded else None,
                refunded_paisa=refunded_paisa,
            )
        )
        session.commit()


@pytest.fixture
def ledger(world):
    """Payments around the January/February boundary (Nepal is UTC+05:45: February starts 31 Jan 18:15 UTC)."""
    plan = world.plan()
    # A: 1 Feb 00:05 NPT — February, although it is still 31 January in UTC.
    add_payment(world, plan, amount=49_900, status="completed", completed="2026-01-31T18:20Z")
    # B: 31 Jan 23:55 NPT — January.
    add_payment(world, plan, amount=129_950, status="completed", completed="2026-01-31T18:10Z")
    # C: paid and refunded in February: counted, then subtracted.
    add_payment(
        world,
        plan,
        amount=99_900,
        status="refunded",
        completed="2026-02-05T04:00Z",
        refunded="2026-02-06T04:00Z",
        refunded_paisa=99_900,
    )
    # D: paid in January, refunded in February: January keeps it, February subtracts it.
    add_payment(
        world,
        plan,
        amount=49_900,
        status="refunded",
        completed="2026-01-20T04:00Z",
        refunded="2026-02-02T04:00Z",
        refunded_paisa=49_900,
    )
    # E: refunded before it ever completed: never revenue, so never subtracted.
    add_payment(world, plan, amount=49_900, status="refunded", refunded="2026-02-03T04:00Z", refunded_paisa=49_900)
    # F: a full refund with refunded_paisa left at 0: the amount is what went back.
    add_payment(
        world, plan, amount=20_000, status="refunded", completed="2026-02-01T04:00Z", refunded="2026-02-01T05:00Z"
    )
    # G: 28 Feb 23:59 NPT — February. H: 1 Mar 00:00 NPT — March.
    add_payment(world, plan, amount=1_000, status="completed", completed="2026-02-28T18:14Z")
    add_payment(world, plan, amount=7_700, status="completed", completed="2026-02-28T18:15Z")
    # Not money yet: two pending, one flagged, one canceled.
    add_payment(world, plan, amount=49_900, status="pending")
    add_payment(world, plan, amount=49_900, status="pending")
    add_payment(world, plan, amount=49_900, status="flagged")
    add_payment(world, plan, amount=49_900, status="canceled")
    return world


def test_the_nepal_month_of_february_2026_in_utc():
    assert nepal_month_bounds(FEB_10) == (utc("2026-01-31T18:15Z"), utc("2026-02-28T18:15Z"))


def test_february_revenue_is_gross_minus_refunds_by_nepal_dates(ledger):
    figures = reports.figures(FEB_10, deps=ledger.deps)
    assert figures.month_label == "February 2026"
    assert figures.gross_paisa == 49_900 + 99_900 + 20_000 + 1_000  # A C F G
    assert figures.refunds_paisa == 99_900 + 49_900 + 20_000  # C D F
    assert figures.revenue_paisa == 1_000


def test_january_revenue_excludes_the_payment_made_after_midnight_in_kathmandu(ledger):
    figures = reports.figures(JAN_25, deps=ledger.deps)
    assert figures.month_label == "January 2026"
    assert (figures.gross_paisa, figures.refunds_paisa) == (129_950 + 49_900, 0)  # B D
    assert figures.revenue_paisa == 179_850


def test_march_starts_at_midnight_in_kathmandu(ledger):
    figures = reports.figures(MAR_05, deps=ledger.deps)
    assert (figures.gross_paisa, figures.refunds_paisa, figures.revenue_paisa) == (7_700, 0, 7_700)  # H


def test_refunds_in_a_range_can_outweigh_its_sales(ledger):
    start, end = utc("2026-02-02T00:00Z"), utc("2026-02-28T18:15Z")
    with Session(ledger.engine) as session:
        assert reports.gross_revenue(session, start, end, ledger.settings.khalti_env) == 99_900 + 1_000  # C G
        assert reports.refunds(session, start, end, ledger.settings.khalti_env) == 99_900 + 49_900  # C D


def test_pending_and_flagged_counts(ledger):
    figures = reports.figures(FEB_10, deps=ledger.deps)
    assert (figures.pending, figures.flagged) == (2, 1)


def add_period(world, user_id: int, starts: datetime, ends: datetime, *, revoked: bool = False) -> None:
    with Session(world.engine) as session:
        session.add(
            SubscriptionPeriod(user_id=user_id, starts_at=starts, ends_at=ends, revoked_at=starts if revoked else None)
        )
        session.commit()


def test_active_subscribers_include_grace_and_expiring_counts_the_next_seven_days(world):
    now = FEB_10  # GRACE_DAYS is 3
    active, soon, grace, expired, revoked, edge, stacked = (world.user() for _ in range(7))
    add_period(world, active, now - 10 * DAY, now + 30 * DAY)
    add_period(world, soon, now - 10 * DAY, now + 3 * DAY)
    add_period(world, grace, now - 30 * DAY, now - DAY)
    add_period(world, expired, now - 30 * DAY, now - 5 * DAY)
    add_period(world, revoked, now - DAY, now + 20 * DAY, revoked=True)
    add_period(world, edge, now - DAY, now + 7 * DAY)  # exactly 7 days left: expiring
    add_period(world, stacked, now - DAY, now + 2 * DAY)  # ends soon, but an already-paid period follows
    add_period(world, stacked, now + 2 * DAY, now + 32 * DAY)
    world.user()  # never subscribed

    figures = reports.figures(now, deps=world.deps)

    assert figures.active_subscribers == 5  # active, soon, grace, edge, stacked
    assert figures.expiring_soon == 2  # soon, edge
    with Session(world.engine) as session:
        # Three days on: `soon` is in grace (still counted), `grace` is past its three days (not).
        assert (
            reports.active_subscribers(session, now + 3 * DAY + timedelta(seconds=1), 3, world.settings.khalti_env) == 4
        )
        assert (
            reports.expiring_soon(session, now + 3 * DAY, 3, world.settings.khalti_env) == 1
        )  # soon ended (grace), edge still expiring


def test_no_data_means_zeros(world):
    figures = reports.figures(FEB_10, deps=world.deps)
    assert (
        figures.active_subscribers,
        figures.revenue_paisa,
        figures.expiring_soon,
        figures.pending,
        figures.flagged,
    ) == (0, 0, 0, 0, 0)


# -- the last twelve months (the admin payments page's charts, table and CSV) ---------------------------------


def test_twelve_nepal_months_end_with_the_running_one_and_empty_months_are_zeros(ledger):
    months = reports.monthly(MAR_05, deps=ledger.deps)
    assert [m.label for m in months] == [
        "Apr 2025",
        "May 2025",
        "Jun 2025",
        "Jul 2025",
        "Aug 2025",
        "Sep 2025",
        "Oct 2025",
        "Nov 2025",
        "Dec 2025",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    ]
    revenue = {m.month: (m.gross_paisa, m.refunds_paisa, m.revenue_paisa) for m in months}
    assert revenue["2026-01"] == (129_950 + 49_900, 0, 179_850)  # B D: A is February in Kathmandu
    assert revenue["2026-02"] == (170_800, 169_800, 1_000)  # paid: A C F G; refunded: C D F
    assert revenue["2026-03"] == (7_700, 0, 7_700)  # H: 1 Mar 00:00 NPT
    assert all(revenue[m.month] == (0, 0, 0) for m in months[:9])


def test_each_month_is_what_the_headline_figure_said_in_that_month(ledger):
    months = {m.month: m for m in reports.monthly(MAR_05, deps=ledger.deps)}
    for at in (JAN_25, FEB_10, MAR_05):
        headline = reports.figures(at, deps=ledger.deps)
        month = months[to_nepal(at).strftime("%Y-%m")]
        assert (month.gross_paisa, month.refunds_paisa) == (headline.gross_paisa, headline.refunds_paisa)


def test_a_month_whose_refunds_outweigh_its_sales_is_negative(world):
    plan = world.plan()
    add_payment(
        world, plan, amount=99_900, status="refunded", completed="2026-01-30T04:00Z", refunded="2026-02-02T04:00Z"
    )
    months = {m.month: m.revenue_paisa for m in reports.monthly(FEB_10, months=2, deps=world.deps)}
    assert months == {"2026-01": 99_900, "2026-02": -99_900}


def test_other_khalti_modes_are_not_revenue(world):
    plan = world.plan()
    add_payment(world, plan, amount=49_900, status="completed", completed="2026-02-05T04:00Z")
    with Session(world.engine) as session:
        session.add(
            Payment(
                purchase_order_id="KP-emulated",
                user_id=world.user(),
                plan_id=plan.id,
                amount_paisa=99_900,
                plan_name=plan.name,
                duration_days=30,
                khalti_mode="emulator",
                status="completed",
                completed_at=utc("2026-02-06T04:00Z"),
            )
        )
        session.commit()
    [february] = reports.monthly(FEB_10, months=1, deps=world.deps)
    assert (february.label, february.gross_paisa) == ("Feb 2026", 49_900)


FEB_END = utc("2026-02-28T18:15Z")  # 1 Mar 00:00 NPT: February's last instant is just before
JAN_END = utc("2026-01-31T18:15Z")


def test_active_subscribers_are_counted_at_each_months_end_with_grace_and_revocations(world):
    now = utc("2026-03-10T06:00Z")  # GRACE_DAYS is 3
    whole, grace_edge, lapsed, revoked, stacked, later, lapsed_in_january = (world.user() for _ in range(7))
    add_period(world, whole, JAN_END - 40 * DAY, now + 30 * DAY)  # end of Dec, Jan, Feb, and now
    add_period(world, grace_edge, JAN_END - 10 * DAY, FEB_END - 2 * DAY)  # ended 2 days before February's end: grace
    add_period(world, lapsed, JAN_END - 10 * DAY, FEB_END - 4 * DAY)  # 4 days: past grace at February's end
    with Session(world.engine) as session:  # revoked in mid-February: counted at January's end only
        session.add(
            SubscriptionPeriod(
                user_id=revoked, starts_at=JAN_END - DAY, ends_at=now + 60 * DAY, revoked_at=FEB_END - 10 * DAY
            )
        )
        session.commit()
    add_period(world, stacked, FEB_END - 20 * DAY, FEB_END - DAY)  # two periods around February's end,
    add_period(world, stacked, FEB_END - DAY, now + 20 * DAY)  # both within reach: counted once
    add_period(world, later, now + DAY, now + 31 * DAY)  # paid, but starts after now
    add_period(world, lapsed_in_january, JAN_END - 20 * DAY, JAN_END - 5 * DAY)  # past grace by January's end

    months = {m.month: m.active_subscribers for m in reports.monthly(now, months=4, deps=world.deps)}

    assert months == {
        "2025-12": 1,  # whole
        "2026-01": 4,  # whole, grace_edge, lapsed, revoked
        "2026-02": 3,  # whole, grace_edge, stacked (once)
        "2026-03": 2,  # whole, stacked: now, not the month's end
    }


def test_the_running_months_count_is_the_headline_figure(world):
    now = FEB_10
    for days_left in (-5, -2, 1, 10, 40):  # expired, grace, expiring, active, active
        add_period(world, world.user(), now - 40 * DAY, now + days_left * DAY)
    add_period(world, world.user(), now - 5 * DAY, now + 5 * DAY, revoked=True)
    [running] = reports.monthly(now, months=1, deps=world.deps)
    assert running.active_subscribers == reports.figures(now, deps=world.deps).active_subscribers == 4


def test_the_monthly_csv_holds_the_same_figures_as_numbers(ledger):
    text = reports.monthly_csv(reports.monthly(MAR_05, deps=ledger.deps))
    lines = text.split("\r\n")
    assert lines[0] == ",".join(reports.MONTHLY_CSV_COLUMNS)
    assert lines[10] == "2026-01,179850,0,179850,1798.50,0"
    assert lines[11] == "2026-02,170800,169800,1000,10.00,0"
    assert lines[12] == "2026-03,7700,0,7700,77.00,0"
    assert len(lines) == 14 and lines[13] == ""
    assert reports.rupees_number(-99_900) == "-999.00"

"""The admin figures on a fixture of known payments and periods, across a month boundary in Nepal time,
against numbers worked out by hand."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from khalti_portal.billing.admin import reports
from khalti_portal.billing.nepal_time import nepal_month_bounds, to_nepal
from khalti_portal.billing.report_periods import Grouping
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
    assert figures.period_label == "February 2026"
    assert figures.gross_paisa == 49_900 + 99_900 + 20_000 + 1_000  # A C F G
    assert figures.refunds_paisa == 99_900 + 49_900 + 20_000  # C D F
    assert figures.revenue_paisa == 1_000


def test_january_revenue_excludes_the_payment_made_after_midnight_in_kathmandu(ledger):
    figures = reports.figures(JAN_25, deps=ledger.deps)
    assert figures.period_label == "January 2026"
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
    months = reports.by_period(MAR_05, deps=ledger.deps)
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
    revenue = {m.key: (m.gross_paisa, m.refunds_paisa, m.revenue_paisa) for m in months}
    assert revenue["2026-01"] == (129_950 + 49_900, 0, 179_850)  # B D: A is February in Kathmandu
    assert revenue["2026-02"] == (170_800, 169_800, 1_000)  # paid: A C F G; refunded: C D F
    assert revenue["2026-03"] == (7_700, 0, 7_700)  # H: 1 Mar 00:00 NPT
    assert all(revenue[m.key] == (0, 0, 0) for m in months[:9])


def test_each_month_is_what_the_headline_figure_said_in_that_month(ledger):
    months = {m.key: m for m in reports.by_period(MAR_05, deps=ledger.deps)}
    for at in (JAN_25, FEB_10, MAR_05):
        headline = reports.figures(at, deps=ledger.deps)
        month = months[to_nepal(at).strftime("%Y-%m")]
        assert (month.gross_paisa, month.refunds_paisa) == (headline.gross_paisa, headline.refunds_paisa)


def test_a_month_whose_refunds_outweigh_its_sales_is_negative(world):
    plan = world.plan()
    add_payment(
        world, plan, amount=99_900, status="refunded", completed="2026-01-30T04:00Z", refunded="2026-02-02T04:00Z"
    )
    months = {m.key: m.revenue_paisa for m in reports.by_period(FEB_10, count=2, deps=world.deps)}
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
    [february] = reports.by_period(FEB_10, count=1, deps=world.deps)
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

    months = {m.key: m.active_subscribers for m in reports.by_period(now, count=4, deps=world.deps)}

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
    [running] = reports.by_period(now, count=1, deps=world.deps)
    assert running.active_subscribers == reports.figures(now, deps=world.deps).active_subscribers == 4


def test_the_periods_csv_holds_the_same_figures_as_numbers_with_both_calendars(ledger):
    text = reports.periods_csv(reports.by_period(MAR_05, deps=ledger.deps))
    lines = text.split("\r\n")
    assert lines[0] == ",".join(reports.PERIOD_CSV_COLUMNS)
    # The BS days are nepali-datetime's; 1 Falgun 2082 = 13 Feb 2026 puts 1 Mar 2026 on 17 Falgun.
    assert lines[10] == (
        "Jan 2026,2026-01-01,2026-01-31,17 Poush 2082,17 Magh 2082,2025-12-31T18:15:00Z,2026-01-31T18:15:00Z,"
        "179850,0,179850,1798.50,0"
    )
    assert lines[11] == (
        "Feb 2026,2026-02-01,2026-02-28,18 Magh 2082,16 Falgun 2082,2026-01-31T18:15:00Z,2026-02-28T18:15:00Z,"
        "170800,169800,1000,10.00,0"
    )
    assert lines[12] == (
        "Mar 2026,2026-03-01,2026-03-31,17 Falgun 2082,17 Chaitra 2082,2026-02-28T18:15:00Z,2026-03-31T18:15:00Z,"
        "7700,0,7700,77.00,0"
    )
    assert len(lines) == 14 and lines[13] == ""
    assert reports.rupees_number(-99_900) == "-999.00"


# -- BS months and fiscal years, checked by hand ---------------------------------------------------------------
#
# The boundaries below come from dates known apart from nepali-datetime (the library the app uses):
# - NEPAL.md: 11 Mangsir 2083 = 27 Nov 2026 (checked with the separate `nepali` package). Counting back ten days
#   within the month, 1 Mangsir 2083 = 17 Nov 2026, so 16 Nov 2026 is the last day of Kartik 2083.
# - NEPAL.md: 1 Shrawan 2081 = 16 Jul 2024 (fiscal year 2081/82 begins), so 15 Jul 2024 is the last day of
#   Asar 2081; tests/test_bs_calendar.py: 1 Shrawan 2082 = 17 Jul 2025 (the budget's year 2082/83).
# The library agrees (Kartik 2083 has 30 days, Asar 2081 31, Asar 2082 32), and
# tests/test_bs_calendar.py checks the same days against it. Midnight in Nepal is 18:15 UTC the evening before,
# so each pair of payments below falls on ONE UTC day yet in two BS months.

NOV_27_2026 = utc("2026-11-27T06:00Z")  # 11 Mangsir 2083, 11:45 AM NPT


def test_the_last_minute_of_kartik_and_the_first_of_mangsir_land_in_their_own_bs_months(world):
    plan = world.plan()
    add_payment(world, plan, amount=1_100, status="completed", completed="2026-11-16T18:14Z")  # 30 Kartik, 11:59 PM
    add_payment(world, plan, amount=2_200, status="completed", completed="2026-11-16T18:15Z")  # 1 Mangsir, 12:00 AM
    add_payment(world, plan, amount=4_400, status="completed", completed="2026-10-17T18:14Z")  # 31 Asoj, 11:59 PM

    rows = reports.by_period(NOV_27_2026, Grouping.BS_MONTH, count=3, deps=world.deps)

    assert [(r.label, r.span.first_day, r.span.last_day, r.gross_paisa) for r in rows] == [
        ("Asoj 2083", date(2026, 9, 17), date(2026, 10, 17), 4_400),
        ("Kartik 2083", date(2026, 10, 18), date(2026, 11, 16), 1_100),
        ("Mangsir 2083", date(2026, 11, 17), date(2026, 12, 15), 2_200),
    ]
    assert (rows[2].span.start, rows[2].span.end) == (utc("2026-11-16T18:15Z"), utc("2026-12-15T18:15Z"))
    # The same two payments are one AD month: November in Kathmandu.
    [november] = reports.by_period(NOV_27_2026, Grouping.AD_MONTH, count=1, deps=world.deps)
    assert (november.label, november.gross_paisa) == ("Nov 2026", 1_100 + 2_200)
    # The headline follows the grouping: this BS month so far.
    headline = reports.figures(NOV_27_2026, Grouping.BS_MONTH, deps=world.deps)
    assert (headline.period_label, headline.gross_paisa) == ("Mangsir 2083", 2_200)


def test_31_asar_and_1_shrawan_2081_are_two_bs_months_and_two_fiscal_years(world):
    plan = world.plan()
    add_payment(world, plan, amount=3_100, status="completed", completed="2024-07-15T18:14Z")  # 31 Asar 2081, 11:59 PM
    add_payment(world, plan, amount=1_000, status="completed", completed="2024-07-15T18:15Z")  # 1 Shrawan 2081, 12 AM
    add_payment(world, plan, amount=3_200, status="completed", completed="2025-07-16T18:14Z")  # 32 Asar 2082, 11:59 PM
    add_payment(world, plan, amount=2_000, status="completed", completed="2025-07-16T18:15Z")  # 1 Shrawan 2082, 12 AM

    months = reports.by_period(utc("2024-08-01T06:00Z"), Grouping.BS_MONTH, count=2, deps=world.deps)
    assert [(m.label, m.gross_paisa) for m in months] == [("Asar 2081", 3_100), ("Shrawan 2081", 1_000)]

    years = reports.by_period(NOV_27_2026, Grouping.FISCAL_YEAR, deps=world.deps)
    assert [(y.label, y.span.first_day, y.span.last_day, y.gross_paisa) for y in years] == [
        ("FY 2079/80", date(2022, 7, 17), date(2023, 7, 16), 0),
        ("FY 2080/81", date(2023, 7, 17), date(2024, 7, 15), 3_100),
        ("FY 2081/82", date(2024, 7, 16), date(2025, 7, 16), 1_000 + 3_200),
        ("FY 2082/83", date(2025, 7, 17), date(2026, 7, 16), 2_000),
        ("FY 2083/84", date(2026, 7, 17), date(2027, 7, 16), 0),
    ]
    assert (years[2].span.start, years[2].span.end) == (utc("2024-07-15T18:15Z"), utc("2025-07-16T18:15Z"))


def test_the_csv_of_bs_months_names_each_in_bs_with_its_ad_days(world):
    plan = world.plan()
    add_payment(world, plan, amount=1_100, status="completed", completed="2026-11-16T18:14Z")
    add_payment(world, plan, amount=2_200, status="completed", completed="2026-11-16T18:15Z")
    text = reports.periods_csv(reports.by_period(NOV_27_2026, Grouping.BS_MONTH, count=2, deps=world.deps))
    assert text.split("\r\n")[1:] == [
        "Kartik 2083,2026-10-18,2026-11-16,1 Kartik 2083,30 Kartik 2083,2026-10-17T18:15:00Z,2026-11-16T18:15:00Z,"
        "1100,0,1100,11.00,0",
        "Mangsir 2083,2026-11-17,2026-12-15,1 Mangsir 2083,29 Mangsir 2083,2026-11-16T18:15:00Z,2026-12-15T18:15:00Z,"
        "2200,0,2200,22.00,0",
        "",
    ]


def test_active_subscribers_are_counted_at_the_end_of_each_bs_month(world):
    kartik_end = utc("2026-11-16T18:15Z")  # 1 Mangsir 2083 begins
    lapsed, through = world.user(), world.user()
    add_period(world, lapsed, kartik_end - 40 * DAY, kartik_end - 5 * DAY)  # past grace before Kartik ends
    add_period(world, through, kartik_end - 40 * DAY, kartik_end + 30 * DAY)
    rows = reports.by_period(NOV_27_2026, Grouping.BS_MONTH, count=3, deps=world.deps)
    assert [(r.label, r.active_subscribers) for r in rows] == [
        ("Asoj 2083", 2),
        ("Kartik 2083", 1),
        ("Mangsir 2083", 1),
    ]

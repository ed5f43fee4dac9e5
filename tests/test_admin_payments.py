"""The admin payments list in billing: filter, search (parameterised, length-limited), pages, detail, CSV."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from khalti_portal.billing.admin import payments as ap
from khalti_portal.billing.admin.payments import PaymentFilter, make_filter
from khalti_portal.billing.audit import record_event
from khalti_portal.db.models import Payment, PaymentStatus
from khalti_portal.i18n.dates import Calendar

pytest_plugins = ["tests.db_fixtures"]


def add(
    world,
    plan,
    *,
    user_id: int,
    status: str = "pending",
    minutes: int = 0,
    po: str | None = None,
    pidx: str | None = None,
) -> Payment:
    """A payment created `minutes` after the world's start."""
    created = world.now() + timedelta(minutes=minutes)
    with Session(world.engine, expire_on_commit=False) as session:
        payment = Payment(
            purchase_order_id=po or f"KP-{secrets.token_hex(6)}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=plan.price_paisa,
            plan_name=plan.name,
            duration_days=plan.duration_days,
            khalti_mode=world.settings.khalti_env,
            status=status,
            pidx=pidx or f"pidx{secrets.token_hex(8)}",
            created_at=created,
            updated_at=created,
            transaction_id=f"TXN{secrets.token_hex(4)}" if status in ("completed", "refunded", "flagged") else None,
        )
        session.add(payment)
        session.commit()
        return payment


def ids(page: ap.PaymentPage) -> list[int]:
    return [row.id for row in page.rows]


@pytest.fixture
def shop(world):
    """Three users, payments in several statuses, each created a minute after the last."""
    plan = world.plan("basic", price_paisa=129_950)
    ram, sita, hari = world.user("ram_thapa"), world.user("Sita.K"), world.user("hari_100%")
    made = {
        "ram1": add(world, plan, user_id=ram, status="completed", minutes=1, po="KP-alpha-001"),
        "sita1": add(world, plan, user_id=sita, status="pending", minutes=2, pidx="PIDXsitaAAAA"),
        "ram2": add(world, plan, user_id=ram, status="flagged", minutes=3),
        "hari1": add(world, plan, user_id=hari, status="refunded", minutes=4, po="KP-beta-002"),
        "sita2": add(world, plan, user_id=sita, status="completed", minutes=5),
    }
    return world, made


def test_newest_first_and_filtered_by_status(shop):
    world, made = shop
    everything = ap.list_payments(PaymentFilter(), deps=world.deps)
    assert ids(everything) == [made[k].id for k in ("sita2", "hari1", "ram2", "sita1", "ram1")]
    assert (everything.total, everything.page, everything.pages) == (5, 1, 1)
    completed = ap.list_payments(PaymentFilter(status="completed"), deps=world.deps)
    assert ids(completed) == [made["sita2"].id, made["ram1"].id]
    assert {row.status for row in completed.rows} == {"completed"}
    row = completed.rows[0]
    assert (row.username, row.plan_name, row.amount_paisa) == ("Sita.K", "Basic", 129_950)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ram_", ["ram2", "ram1"]),  # part of a username
        ("sita.k", ["sita2", "sita1"]),  # case-insensitive
        ("alpha-0", ["ram1"]),  # part of a purchase order id
        ("KP-BETA-002", ["hari1"]),
        ("PIDXsita", ["sita1"]),  # part of a pidx
        ("100%", ["hari1"]),  # % means itself
        ("_", ["hari1", "ram2", "ram1"]),  # so does _ (ram_thapa, hari_100%)
        ("' OR 1=1 --", []),  # parameterised: just text that matches nothing
        ("nobody", []),
    ],
)
def test_search_matches_username_order_id_or_pidx(shop, query, expected):
    world, made = shop
    flt = make_filter("", query)
    assert isinstance(flt, PaymentFilter)
    assert ids(ap.list_payments(flt, deps=world.deps)) == [made[k].id for k in expected]


def test_search_and_status_combine(shop):
    world, made = shop
    flt = make_filter("completed", "ram")
    assert ids(ap.list_payments(flt, deps=world.deps)) == [made["ram1"].id]


@pytest.mark.parametrize(
    ("status", "query", "problem"),
    [
        ("paid", "", "Pick a status"),
        (None, "", "Pick a status"),
        (3, "", "Pick a status"),
        ("", "x" * 65, "at most 64"),
        ("", ["ram"], "Search for"),
    ],
)
def test_bad_filters_are_refused(status, query, problem):
    assert problem in make_filter(status, query)


def test_search_text_is_trimmed_and_spaces_collapsed():
    assert make_filter("pending", "  ram \t thapa\n ") == PaymentFilter(status="pending", query="ram thapa")
    assert make_filter("", "y" * 64).query == "y" * 64


def test_fifty_a_page_and_a_page_past_the_end_shows_the_last(world):
    plan = world.plan()
    user = world.user("bulk")
    made = [add(world, plan, user_id=user, minutes=i) for i in range(120)]
    newest_first = [p.id for p in reversed(made)]
    pages = [ap.list_payments(PaymentFilter(), n, deps=world.deps) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    assert [p.pages for p in pages] == [3, 3, 3] and pages[0].total == 120
    assert ids(pages[0]) + ids(pages[1]) + ids(pages[2]) == newest_first
    assert ap.list_payments(PaymentFilter(), 99, deps=world.deps).page == 3
    for bad in (0, -1, "abc", None, True, 2.5):
        assert ap.list_payments(PaymentFilter(), bad, deps=world.deps).page == 1


# -- detail -------------------------------------------------------------------------------------------------


def test_detail_has_the_audit_trail_with_actors_and_pretty_raw_lookups(shop):
    world, made = shop
    admin = world.user("the_admin")
    payment = made["sita1"]
    lookup = {"pidx": payment.pidx, "status": "Pending", "total_amount": 129_950, "transaction_id": None}
    with Session(world.engine) as session:
        record_event(
            session,
            at=world.now(),
            source="reconciler",
            kind="lookup",
            payment_id=payment.id,
            user_id=payment.user_id,
            from_status="pending",
            detail="Pending (HTTP 200)",
            khalti_response=lookup,
        )
        record_event(
            session,
            at=world.now() + timedelta(seconds=1),
            source="admin",
            kind="refund",
            payment_id=payment.id,
            actor_user_id=admin,
            detail="refund requested; reason: test",
        )
        # Should a key ever reach the audit, the detail does not show it.
        record_event(
            session,
            at=world.now() + timedelta(seconds=2),
            source="admin",
            kind="lookup_error",
            payment_id=payment.id,
            detail=f"boom {world.khalti_key}",
            khalti_response={"echo": world.khalti_key},
        )
        stored = session.get(Payment, payment.id)
        stored.last_lookup = lookup
        session.commit()

    detail = ap.payment_detail(payment.id, deps=world.deps)

    assert detail.row.username == "Sita.K" and detail.row.pidx == "PIDXsitaAAAA"
    assert [(e.kind, e.actor) for e in detail.events] == [("lookup", ""), ("refund", "the_admin"), ("lookup_error", "")]
    assert detail.events[0].khalti_json.startswith('{\n  "pidx": "PIDXsitaAAAA"')
    assert '"status": "Pending"' in detail.last_lookup_json
    assert world.khalti_key not in detail.events[2].detail + detail.events[2].khalti_json
    assert "[redacted]" in detail.events[2].khalti_json
    assert detail.period is None


@pytest.mark.parametrize("bad", [0, -1, "x", None, True, 1.0, 10**15, 999_999])
def test_detail_of_an_unknown_payment_is_none(shop, bad):
    world, _made = shop
    assert ap.payment_detail(bad, deps=world.deps) is None


# -- CSV ---------------------------------------------------------------------------------------------------


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_of_a_filter_holds_exactly_the_filtered_rows(shop):
    world, made = shop
    flt = make_filter("completed", "")
    export = ap.export_csv(flt, deps=world.deps)
    lines = parse(export.text)
    assert lines[0] == list(ap.CSV_COLUMNS)
    orders = lines[0].index("purchase_order_id")
    assert [line[orders] for line in lines[1:]] == [made["sita2"].purchase_order_id, made["ram1"].purchase_order_id]
    assert (export.rows, export.truncated) == (2, False)
    first = dict(zip(lines[0], lines[1], strict=True))
    # Both calendars whatever the admin reads, and the instant itself: 06:35 UTC is 12:20 PM in Nepal.
    assert first["created_ad"] == "15 Jan 2026, 12:20 PM NPT"
    assert first["created_bs"] == "1 Magh 2082, 12:20 PM NPT"  # nepali-datetime: Magh 2082 begins 15 Jan 2026
    assert first["created_utc"] == "2026-01-15T06:35:00Z"
    assert (first["username"], first["plan"], first["status"]) == ("Sita.K", "Basic", "completed")
    assert (first["amount"], first["amount_paisa"]) == ("Rs 1,299.50", "129950")
    assert first["pidx"] == made["sita2"].pidx and first["transaction_id"] == made["sita2"].transaction_id
    assert export.text.endswith("\r\n")

    searched = parse(ap.export_csv(make_filter("", "sita"), deps=world.deps).text)
    assert [line[orders] for line in searched[1:]] == [
        made["sita2"].purchase_order_id,
        made["sita1"].purchase_order_id,
    ]
    # The whole filter, not one page of it.
    assert len(parse(ap.export_csv(PaymentFilter(), deps=world.deps).text)) == 1 + 5


def test_the_csv_defuses_formulas(world):
    plan = world.plan("evil", price_paisa=1_000)
    with Session(world.engine) as session:
        session.get(type(plan), plan.id).name = "+SUM(A1:A9)"
        session.commit()
    plan.name = "+SUM(A1:A9)"
    payments = [
        add(world, plan, user_id=world.user(name), minutes=i, po=po)
        for i, (name, po) in enumerate([("=HYPERLINK(x)", "-2+3"), ("@cmd", "\tKP"), ("safe", "KP-ok")])
    ]
    rows = parse(ap.export_csv(PaymentFilter(), deps=world.deps).text)[1:]
    by_po = {p.id: p for p in payments}
    assert len(rows) == 3 and len(by_po) == 3
    cells = {cell for row in rows for cell in row}
    assert {"'=HYPERLINK(x)", "'-2+3", "'@cmd", "'\tKP", "'+SUM(A1:A9)", "safe", "KP-ok"} <= cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells)


def test_csv_cells():
    assert [ap.csv_cell(v) for v in ("=1", "+1", "-1", "@1", "\r1", "a=1", "", None, 1000, "Rs 10")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@1",
        "'\r1",
        "a=1",
        "",
        "",
        1000,
        "Rs 10",
    ]


def test_a_huge_filter_is_cut_at_the_limit_newest_first(world):
    plan = world.plan()
    user = world.user()
    made = [add(world, plan, user_id=user, minutes=i) for i in range(5)]
    export = ap.export_csv(PaymentFilter(), limit=3, deps=world.deps)
    assert (export.rows, export.truncated) == (3, True)
    assert [line[ap.CSV_COLUMNS.index("purchase_order_id")] for line in parse(export.text)[1:]] == [
        p.purchase_order_id for p in reversed(made)
    ][:3]


def test_the_file_name_carries_no_user_text(world):
    assert (
        ap.csv_filename(PaymentFilter(status="completed", query="../../etc"), world.now())
        == "payments-completed-search-2026-01-15.csv"
    )
    assert ap.csv_filename(PaymentFilter(), world.now()) == "payments-all-2026-01-15.csv"


def test_every_status_is_a_filter_choice():
    assert set(ap.STATUSES) == {s.value for s in PaymentStatus}


# -- dates, typed in the admin's calendar ---------------------------------------------------------------------
# The world's clock is 15 Jan 2026, 06:30 UTC (12:15 PM NPT), which nepali-datetime makes 1 Magh 2082; midnight
# in Nepal after it is 18:15 UTC, 705 minutes on.


@pytest.fixture
def around_midnight(shop):
    world, made = shop
    plan = world.plan("late", price_paisa=1_000)
    user = world.user("night_owl")
    made["last_minute"] = add(world, plan, user_id=user, status="completed", minutes=704, po="KP-2359")
    made["first_minute"] = add(world, plan, user_id=user, status="completed", minutes=705, po="KP-0000")
    return world, made


def listed(world, flt) -> list[str]:
    assert isinstance(flt, PaymentFilter), flt
    return [row.purchase_order_id for row in ap.list_payments(flt, deps=world.deps).rows]


def test_bs_dates_bound_the_list_by_the_day_in_nepal(around_midnight):
    world, made = around_midnight
    same_day = make_filter("completed", "", "2082-10-01", "2082-10-01", calendar=Calendar.BS)
    assert (same_day.created_from, same_day.created_to) == (date(2026, 1, 15), date(2026, 1, 15))
    assert listed(world, same_day) == ["KP-2359", made["sita2"].purchase_order_id, "KP-alpha-001"]
    assert listed(world, make_filter("", "", "2082-10-02", "", calendar=Calendar.BS)) == ["KP-0000"]
    # Devanagari digits, and the day before: nothing was created then.
    assert listed(world, make_filter("", "", "", "२०८२-०९-३०", calendar=Calendar.BS)) == []


def test_ad_dates_for_an_admin_who_reads_ad_or_both_and_a_marker_overrides(around_midnight):
    world, _made = around_midnight
    for calendar in (Calendar.AD, Calendar.BOTH):
        assert listed(world, make_filter("", "", "2026-01-16", "", calendar=calendar)) == ["KP-0000"]
    assert listed(world, make_filter("", "", "2082-10-02 BS", "", calendar=Calendar.BOTH)) == ["KP-0000"]
    assert listed(world, make_filter("", "", "2026-01-16 AD", "", calendar=Calendar.BS)) == ["KP-0000"]


@pytest.mark.parametrize(
    ("created_from", "created_to", "calendar", "problem"),
    [
        ("2083-08-32", "", Calendar.BS, "From: There is no 2083-08-32 BS: Mangsir 2083 has 29 days."),
        (
            "",
            "2100-01-01",
            Calendar.BS,
            "To: 2100-01-01 BS is outside the years this portal converts: BS 2000 to 2099.",
        ),
        (
            "2082-10-02",
            "2082-10-01",
            Calendar.BS,
            "The From date is after the To date: swap them to see the days between.",
        ),
        ("15/01/2026", "", Calendar.AD, "From: Write the date as YYYY-MM-DD in AD, e.g. 2026-11-27."),
        (20260115, "", Calendar.AD, "From: write the date as YYYY-MM-DD."),
    ],
)
def test_impossible_dates_are_refused_in_words(created_from, created_to, calendar, problem):
    assert make_filter("", "", created_from, created_to, calendar=calendar) == problem


def test_the_csv_file_name_says_dates_limit_it():
    flt = make_filter("", "", "2082-10-01", "", calendar=Calendar.BS)
    assert ap.csv_filename(flt, datetime(2026, 1, 15, 6, 30, tzinfo=UTC)) == "payments-all-dates-2026-01-15.csv"

"""The admin plans page's states, called as a browser would: only admins change anything, re-checked every call."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, delete, func, select

from khalti_portal.billing.periods import grant_period
from khalti_portal.billing.plans import active_plans
from khalti_portal.clock import utcnow
from khalti_portal.db.models import (
    LocalAuthSession,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Plan,
    SubscriptionPeriod,
    UserProfile,
)
from khalti_portal.states.admin_base import AdminState
from khalti_portal.states.admin_plans import AdminPlansState
from khalti_portal.states.catalog import CatalogState
from tests.state_support import (
    StateDriver,
    demoted_admin,
    make_admin,
    new_user,
    own_handlers,
    plain_user,
    redirect_target,
    signed_out,
)

URL = "/admin/plans"
FORM = {
    "slug": "gold",
    "name": "Gold",
    "price": "1,299.50",
    "duration": "90",
    "features": "Everything\nPhone support",
    "description": "The works.",
    "sort_order": "5",
}


def add_plan(engine, slug: str = "basic", price_paisa: int = 49_900, *, active: bool = True) -> int:
    with Session(engine) as session:
        plan = Plan(slug=slug, name=slug.title(), price_paisa=price_paisa, duration_days=30, is_active=active)
        session.add(plan)
        session.commit()
        return int(plan.id)


def add_paid_period(engine, user_id: int, plan_id: int, amount: int = 49_900) -> tuple[int, int]:
    """A completed payment and the period it bought, starting now."""
    now = utcnow()
    with Session(engine) as session:
        payment = Payment(
            purchase_order_id=f"KP-{secrets.token_hex(6)}",
            user_id=user_id,
            plan_id=plan_id,
            amount_paisa=amount,
            plan_name="Basic",
            duration_days=30,
            status=PaymentStatus.COMPLETED.value,
            pidx=f"pidx_{secrets.token_hex(6)}",
            created_at=now,
            updated_at=now,
            completed_at=now,
        )
        session.add(payment)
        session.flush()
        period = grant_period(
            session,
            user_id=user_id,
            plan_id=plan_id,
            payment_id=payment.id,
            duration_days=30,
            now=now,
            mode=payment.khalti_mode,
        )
        session.commit()
        return int(payment.id), int(period.id)


def snapshot(engine) -> dict[str, Any]:
    """Everything an admin handler could change."""
    with Session(engine) as session:

        def dump(model: Any) -> list[dict[str, Any]]:
            return [row.model_dump() for row in session.exec(select(model).order_by(model.id)).all()]

        return {
            "plans": dump(Plan),
            "events": dump(PaymentEvent),
            "payments": dump(Payment),
            "periods": dump(SubscriptionPeriod),
        }


def public_vars(state: AdminPlansState) -> dict[str, Any]:
    return {
        name: getattr(state, name)
        for name in (
            "rows",
            "loaded",
            "editing_id",
            "editing_name",
            "draft",
            "form_key",
            "form_errors",
            "form_message",
            "notice",
            "error_message",
        )
    }


async def admin_page(user_id: int) -> tuple[StateDriver, AdminPlansState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(AdminPlansState, URL)
    await tab.run(state, "load")
    return tab, state


# -- every handler refuses non-admins -----------------------------------------------------------------------

# Every public handler of the admin states, with arguments an attacker would send.
HANDLERS: dict[str, tuple[Any, ...]] = {
    "guard": (),
    "load": (),
    "cancel_edit": (),
    "start_edit": ("PLAN",),
    "save": (FORM,),
    "archive": ("PLAN",),
    "restore": ("PLAN",),
    "delete": ("PLAN",),
}


def test_the_refusal_tests_cover_every_handler_of_the_admin_states():
    assert own_handlers(AdminState, AdminPlansState) == set(HANDLERS)


@pytest.mark.parametrize("who", [signed_out, plain_user, demoted_admin], ids=["signed-out", "user", "demoted"])
@pytest.mark.parametrize("handler", sorted(HANDLERS))
@pytest.mark.parametrize("editing", [False, True], ids=["creating", "editing"])
async def test_non_admins_are_refused_by_every_handler_and_nothing_changes(app_db, who, handler: str, editing: bool):
    active_id = add_plan(app_db, "basic")
    archived_id = add_plan(app_db, "old", active=False)
    user_id = who()
    tab = StateDriver(user_id=user_id)
    state = tab.state(AdminPlansState, URL)
    if editing:
        state.editing_id = active_id  # as if an edit had been opened: save would update, not create
    args = tuple((archived_id if handler == "restore" else active_id) if a == "PLAN" else a for a in HANDLERS[handler])
    db_before, vars_before = snapshot(app_db), public_vars(state)

    events = await tab.run(state, handler, *args)

    assert [redirect_target(e) for e in events] == ["/"]
    assert snapshot(app_db) == db_before
    # Nothing was done as asked, and the page kept nothing it held (the open edit): a fresh tab's state.
    assert public_vars(state) == public_vars(StateDriver().state(AdminPlansState, URL))
    assert (public_vars(state) != vars_before) == editing


async def test_admin_passes_the_guard(app_db):
    tab = StateDriver(user_id=make_admin())
    state = tab.state(AdminPlansState, URL)
    assert await tab.run(state, "guard") == []


async def test_the_role_is_read_again_on_every_call(app_db):
    admin = make_admin()
    plan_id = add_plan(app_db)
    tab, state = await admin_page(admin)
    assert state.rows and state.is_admin  # the cached var says admin...
    with Session(app_db) as session:
        session.get(UserProfile, admin).is_admin = False
        session.commit()
    before = snapshot(app_db)
    events = await tab.run(state, "archive", plan_id)  # ...but the handler asks the database
    assert redirect_target(events[0]) == "/"
    assert snapshot(app_db) == before


async def test_signing_out_elsewhere_ends_admin_access_at_once(app_db):
    admin = make_admin()
    plan_id = add_plan(app_db)
    tab, state = await admin_page(admin)
    with Session(app_db) as session:
        session.exec(delete(LocalAuthSession).where(LocalAuthSession.user_id == admin))
        session.commit()
    before = snapshot(app_db)
    events = await tab.run(state, "delete", plan_id)
    assert redirect_target(events[0]) == "/"
    assert snapshot(app_db) == before


# -- what an admin sees and does ------------------------------------------------------------------------------


async def test_admin_sees_every_plan_with_price_status_and_subscribers(app_db):
    admin = make_admin()
    basic = add_plan(app_db, "basic", 129_950)
    add_plan(app_db, "old", 100_000, active=False)
    add_paid_period(app_db, new_user(), basic, 129_950)
    _tab, state = await admin_page(admin)
    rows = {r.slug: r for r in state.rows}
    assert rows["basic"].price == "Rs 1,299.50"
    assert rows["old"].price == "Rs 1,000"
    assert (rows["basic"].status, rows["old"].status) == ("active", "archived")
    assert (rows["basic"].subscribers, rows["old"].subscribers) == (1, 0)
    assert (rows["basic"].deletable, rows["old"].deletable) == (False, True)
    assert rows["basic"].duration == "30 days"
    assert state.editing_id == 0 and state.loaded


async def test_create_with_errors_keeps_messages_by_field_then_creates_and_the_catalog_shows_it(app_db):
    tab, state = await admin_page(make_admin())
    add_plan(app_db, "basic")
    await tab.run(state, "save", {**FORM, "slug": "basic", "price": "Rs 9.99", "duration": "0", "name": ""})
    assert set(state.form_errors) == {"slug", "price", "duration", "name"}
    assert "Rs 10" in state.form_errors["price"]
    assert [p.slug for p in active_plans()] == ["basic"]

    await tab.run(state, "save", FORM)
    assert state.form_errors == {} and state.notice == "Created Gold."
    assert "gold" in [r.slug for r in state.rows]
    gold = next(p for p in active_plans() if p.slug == "gold")
    assert gold.price_paisa == 129_950
    # The catalog reads plans on each visit: the new plan is there for the next visitor.
    visitor = StateDriver()
    catalog = visitor.state(CatalogState, "/")
    await visitor.run(catalog, "load")
    assert {c.slug: c.price for c in catalog.cards}["gold"] == "Rs 1,299.50"
    with Session(app_db) as session:
        event = session.exec(select(PaymentEvent)).one()
    assert (event.source, event.kind, event.payment_id) == ("admin", "plan", None)


async def test_edit_fills_the_form_and_a_new_price_leaves_what_was_bought_alone(app_db):
    admin = make_admin()
    plan_id = add_plan(app_db, "basic", 49_900)
    payment_id, period_id = add_paid_period(app_db, new_user(), plan_id)
    with Session(app_db) as session:
        payment_before = session.get(Payment, payment_id).model_dump()
        period_before = session.get(SubscriptionPeriod, period_id).model_dump()
    tab, state = await admin_page(admin)

    key = state.form_key
    await tab.run(state, "start_edit", plan_id)
    assert state.editing_id == plan_id and state.editing_name == "Basic"
    assert (state.draft.slug, state.draft.price, state.draft.duration) == ("basic", "499", "30")
    assert state.form_key != key  # the form remounts with the plan's values

    await tab.run(state, "save", {**FORM, "slug": "basic", "name": "Basic", "price": "1299.5"})
    assert state.notice == "Saved Basic." and state.editing_id == 0
    assert {r.slug: r.price for r in state.rows}["basic"] == "Rs 1,299.50"
    with Session(app_db) as session:
        assert session.get(Plan, plan_id).price_paisa == 129_950
        assert session.get(Payment, payment_id).model_dump() == payment_before
        assert session.get(SubscriptionPeriod, period_id).model_dump() == period_before


async def test_cancel_edit_goes_back_to_a_new_plan(app_db):
    plan_id = add_plan(app_db)
    tab, state = await admin_page(make_admin())
    await tab.run(state, "start_edit", plan_id)
    await tab.run(state, "cancel_edit")
    assert state.editing_id == 0 and state.draft.slug == ""


@pytest.mark.parametrize("bad_id", [999_999, "abc", -4, True, 2.0, None])
async def test_unknown_plan_ids_give_a_clear_error_and_change_nothing(app_db, bad_id: Any):
    add_plan(app_db)
    tab, state = await admin_page(make_admin())
    before = snapshot(app_db)
    for handler in ("start_edit", "archive", "restore", "delete"):
        await tab.run(state, handler, bad_id)
        assert state.error_message, handler
        assert state.notice == ""
    assert state.editing_id == 0
    assert snapshot(app_db) == before


async def test_archive_restore_and_delete_from_the_table(app_db):
    admin = make_admin()
    paid = add_plan(app_db, "paid")
    spare = add_plan(app_db, "spare")
    add_paid_period(app_db, new_user(), paid)
    tab, state = await admin_page(admin)

    await tab.run(state, "archive", paid)
    assert state.notice.startswith("Archived Paid")
    assert [p.slug for p in active_plans()] == ["spare"]
    assert {r.slug: r.status for r in state.rows} == {"spare": "active", "paid": "archived"}

    await tab.run(state, "restore", paid)
    assert {p.slug for p in active_plans()} == {"paid", "spare"}

    before = snapshot(app_db)
    await tab.run(state, "delete", paid)
    assert "Archive it instead" in state.error_message and state.notice == ""
    assert snapshot(app_db) == before

    await tab.run(state, "start_edit", spare)
    await tab.run(state, "delete", spare)
    assert state.notice == "Deleted Spare." and state.error_message == ""
    assert state.editing_id == 0  # the form no longer edits a plan that is gone
    assert [r.slug for r in state.rows] == ["paid"]
    with Session(app_db) as session:
        events = session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()
        assert [e.actor_user_id for e in events] == [admin] * 3
        assert [e.to_status for e in events] == ["archived", "active", "deleted"]
        assert session.exec(select(func.count()).select_from(Plan)).one() == 1


async def test_no_table_row_reaches_the_browser(app_db):
    add_plan(app_db)
    tab, state = await admin_page(make_admin())
    await tab.run(state, "start_edit", state.rows[0].id)
    for value in public_vars(state).values():
        for item in value if isinstance(value, list) else [value]:
            assert not isinstance(item, Plan | Payment)


async def test_subscribers_in_grace_still_count(app_db):
    plan_id = add_plan(app_db)
    user = new_user()
    with Session(app_db) as session:
        ended = utcnow() - timedelta(days=1)
        session.add(
            SubscriptionPeriod(user_id=user, plan_id=plan_id, starts_at=ended - timedelta(days=30), ends_at=ended)
        )
        session.commit()
    _tab, state = await admin_page(make_admin())
    assert state.rows[0].subscribers == 1

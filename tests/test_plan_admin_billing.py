"""billing.plan_admin: field-specific validation, exact rupees, create/edit/archive/restore/delete, audit, figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from khalti_portal.billing.admin import plans as plan_admin
from khalti_portal.billing.admin.plans import PlanErrors, PlanForm, PlanValues, validate
from khalti_portal.billing.periods import grant_period
from khalti_portal.billing.plans import active_plans, get_plan
from khalti_portal.db.models import Payment, PaymentEvent, PaymentStatus, Plan, SubscriptionPeriod

pytest_plugins = ["tests.db_fixtures"]

GOOD = {
    "slug": "gold-yearly",
    "name": "Gold",
    "price": "1,299.50",
    "duration": "365",
    "features": "  Full access  \n\n  Phone support\n   \n",
    "description": "A year of everything.",
    "sort_order": "40",
}


def form(**changes: str) -> PlanForm:
    return PlanForm(**{**GOOD, **changes})


def errors_of(result: object) -> dict[str, str]:
    assert isinstance(result, PlanErrors), result
    return result.fields


# -- validation -----------------------------------------------------------------------------------------


def test_a_good_form_is_read_exactly():
    values = validate(form())
    assert values == PlanValues(
        slug="gold-yearly",
        name="Gold",
        price_paisa=129_950,
        duration_days=365,
        features=("Full access", "Phone support"),
        description="A year of everything.",
        sort_order=40,
    )
    assert isinstance(values.price_paisa, int)


@pytest.mark.parametrize(
    ("field", "text", "words"),
    [
        ("price", "Rs 9.99", "Rs 10"),
        ("price", "9", "Rs 10"),
        ("price", "abc", "not an amount"),
        ("price", "", "Enter an amount"),
        ("price", "12.999", "two digits"),
        ("price", "-500", "negative"),
        ("price", "1e3", "not an amount"),
        ("price", "9" * 40, "too long"),
        ("duration", "0", "1 to 3650"),
        ("duration", "3651", "1 to 3650"),
        ("duration", "-5", "1 to 3650"),
        ("duration", "30.5", "whole number"),
        ("duration", "abc", "whole number"),
        ("duration", "", "whole number"),
        ("duration", "1_0", "whole number"),
        ("duration", "\u0661\u0660", "whole number"),  # Arabic-Indic digits: 10
        ("name", "", "Enter a name"),
        ("name", "    ", "Enter a name"),
        ("name", "x" * 121, "120"),
        ("slug", "Gold", "lowercase"),
        ("slug", "gold plan", "lowercase"),
        ("slug", "gold_plan", "lowercase"),
        ("slug", "gold/../x", "lowercase"),
        ("slug", "सुन", "lowercase"),
        ("slug", "g", "2 to 64"),
        ("slug", "g" * 65, "2 to 64"),
        ("slug", "", "Enter a slug"),
        ("features", "\n".join(f"feature {i}" for i in range(21)), "at most 20"),
        ("features", "ok\n" + "x" * 201, "Feature 2 is too long"),
        ("description", "d" * 1001, "1000"),
        ("sort_order", "first", "whole number"),
        ("sort_order", "2.5", "whole number"),
        ("sort_order", "10000001", "whole number"),
    ],
)
def test_each_bad_input_gets_a_message_on_its_own_field(field: str, text: str, words: str):
    fields = errors_of(validate(form(**{field: text})))
    assert set(fields) == {field}
    assert words in fields[field]


def test_every_problem_is_reported_at_once():
    fields = errors_of(validate(PlanForm(slug="A B", name="", price="abc", duration="0", sort_order="x")))
    assert set(fields) == {"slug", "name", "price", "duration", "sort_order"}


@pytest.mark.parametrize(
    ("field", "text", "attr", "expected"),
    [
        ("price", "10", "price_paisa", 1000),
        ("price", "12.99", "price_paisa", 1299),
        ("price", "Rs 10.00", "price_paisa", 1000),
        ("price", "रु 1,00,000", "price_paisa", 10_000_000),
        ("duration", "1", "duration_days", 1),
        ("duration", " 3650 ", "duration_days", 3650),
        ("sort_order", "", "sort_order", 0),
        ("sort_order", "-3", "sort_order", -3),
        ("slug", "ab", "slug", "ab"),
        ("slug", "  x" * 1 + "y" * 63, "slug", "x" + "y" * 63),
        ("name", "  Gold  ", "name", "Gold"),
        ("features", "\n".join(f"f{i}" for i in range(20)), "features", tuple(f"f{i}" for i in range(20))),
        ("features", "y" * 200, "features", ("y" * 200,)),
        ("features", "", "features", ()),
        ("description", "d" * 1000, "description", "d" * 1000),
    ],
)
def test_boundaries_that_are_accepted(field: str, text: str, attr: str, expected: object):
    values = validate(form(**{field: text}))
    assert isinstance(values, PlanValues), values
    assert getattr(values, attr) == expected


def test_browser_values_that_are_not_text_count_as_empty():
    # A price sent as a number never becomes a price: only typed text is parsed, on the server.
    parsed = PlanForm.from_mapping({**GOOD, "price": 1299.5, "duration": 30, "name": ["x"]})
    assert parsed.price == parsed.duration == parsed.name == ""
    assert set(errors_of(validate(parsed))) == {"price", "duration", "name"}


def _styles(paisa: int) -> list[str]:
    """The ways a person writes one amount, built with integer arithmetic only."""
    rupees, rest = divmod(paisa, 100)
    two = f"{rest:02d}"
    short = two.rstrip("0") or "0"
    western = f"{rupees:,}"
    # Lakh grouping: last three digits, then pairs.
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    pairs = []
    while head:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    lakh = ",".join([*pairs, tail])
    styles = [
        f"{rupees}.{two}",
        f"{rupees}.{short}",
        f"{western}.{two}",
        f"{lakh}.{two}",
        f"Rs {rupees}.{two}",
        f"Rs. {western}.{two}",
        f"rs{lakh}.{short}",
        f"NPR {rupees}.{two}",
        f"  {rupees}.{two}  ",
    ]
    if rest == 0:
        styles += [str(rupees), western, f"Rs {lakh}", f"{rupees}."]
    return styles


@given(paisa=st.integers(min_value=1000, max_value=20_000_000), style=st.integers(min_value=0, max_value=12))
def test_rupee_prices_parse_exactly_from_rs_10_to_rs_2_lakh(paisa: int, style: int):
    styles = _styles(paisa)
    text = styles[style % len(styles)]
    values = validate(form(price=text))
    assert isinstance(values, PlanValues), (text, values)
    assert values.price_paisa == paisa, text
    assert type(values.price_paisa) is int


@given(paisa=st.integers(min_value=1000, max_value=20_000_000))
def test_the_edit_form_round_trips_the_price(paisa: int):
    text = plan_admin.rupees_text(paisa)
    assert validate(form(price=text)).price_paisa == paisa  # type: ignore[union-attr]


@given(paisa=st.integers(min_value=0, max_value=999))
def test_anything_under_rs_10_is_refused(paisa: int):
    fields = errors_of(validate(form(price=plan_admin.rupees_text(paisa))))
    assert set(fields) == {"price"}


# -- changes --------------------------------------------------------------------------------------------


def audit_rows(world) -> list[PaymentEvent]:
    return world.rows(PaymentEvent, PaymentEvent.source == "admin")


def plan_rows(world) -> list[tuple]:
    return [tuple(sorted(p.model_dump().items())) for p in world.rows(Plan)]


def test_create_puts_the_plan_on_sale_and_audits_it(world):
    admin = world.user("admin")
    plan = plan_admin.create_plan(form(), actor_user_id=admin, deps=world.deps)
    assert isinstance(plan, Plan) and plan.id is not None
    on_sale = {p.slug: p for p in active_plans(deps=world.deps)}
    assert on_sale["gold-yearly"].price_paisa == 129_950
    assert on_sale["gold-yearly"].feature_list() == ["Full access", "Phone support"]
    assert on_sale["gold-yearly"].created_at == world.now()
    [event] = audit_rows(world)
    assert (event.payment_id, event.source, event.kind, event.actor_user_id) == (None, "admin", "plan", admin)
    assert "gold-yearly" in event.detail and "Rs 1,299.50" in event.detail


def test_a_duplicate_slug_is_refused_on_the_slug_field(world):
    world.plan("basic")
    before = plan_rows(world)
    fields = errors_of(plan_admin.create_plan(form(slug="basic"), deps=world.deps))
    assert set(fields) == {"slug"} and "already used" in fields["slug"]
    assert plan_rows(world) == before
    assert audit_rows(world) == []


def test_editing_to_another_plans_slug_is_refused_but_keeping_its_own_is_fine(world):
    basic, standard = world.plan("basic"), world.plan("standard")
    fields = errors_of(plan_admin.update_plan(standard.id, form(slug="basic"), deps=world.deps))
    assert "already used" in fields["slug"]
    # A taken slug is reported together with the other fields' problems.
    fields = errors_of(plan_admin.update_plan(standard.id, form(slug="basic", price="abc"), deps=world.deps))
    assert set(fields) == {"slug", "price"}
    updated = plan_admin.update_plan(basic.id, form(slug="basic", name="Basic+"), deps=world.deps)
    assert isinstance(updated, Plan) and updated.name == "Basic+"
    assert world.get(Plan, standard.id).slug == "standard"


def test_editing_a_price_leaves_payments_and_periods_as_bought(world):
    admin, buyer = world.user(), world.user()
    plan = world.plan("basic", price_paisa=49_900, duration_days=30)
    payment = world.payment(user_id=buyer, plan=plan, status=PaymentStatus.COMPLETED)
    with Session(world.engine) as session:
        period = grant_period(
            session,
            user_id=buyer,
            plan_id=plan.id,
            payment_id=payment.id,
            duration_days=30,
            now=world.now(),
            mode=world.settings.khalti_env,
        )
        session.commit()
        period_id = period.id
    payment_before, period_before = world.get(Payment, payment.id), world.get(SubscriptionPeriod, period_id)

    result = plan_admin.update_plan(
        plan.id,
        form(slug="basic", name="Basic Monthly", price="599", duration="60"),
        actor_user_id=admin,
        deps=world.deps,
    )

    assert isinstance(result, Plan) and result.price_paisa == 59_900 and result.duration_days == 60
    assert get_plan("basic", deps=world.deps).price_paisa == 59_900
    assert world.get(Payment, payment.id).model_dump() == payment_before.model_dump()
    assert world.get(Payment, payment.id).amount_paisa == 49_900
    assert world.get(SubscriptionPeriod, period_id).model_dump() == period_before.model_dump()
    [event] = audit_rows(world)
    assert "price Rs 499 -> Rs 599" in event.detail and "duration 30 -> 60" in event.detail
    assert event.actor_user_id == admin


def test_an_edit_that_changes_nothing_writes_nothing(world):
    plan = plan_admin.create_plan(form(), deps=world.deps)
    assert isinstance(plan, Plan)
    same = plan_admin.update_plan(plan.id, plan_admin.form_of(plan), deps=world.deps)
    assert isinstance(same, Plan) and same.updated_at == plan.updated_at
    assert len(audit_rows(world)) == 1  # the create only


def test_the_nepali_description_and_features_are_stored_edited_audited_and_shown_to_nepali_readers(world):
    from khalti_portal.states.views import PlanCard

    admin = world.user()
    nepali = {"description_ne": "  पूरा वर्ष सबै कुरा।  ", "features_ne": " पूरा पहुँच \n\n फोनबाट सहयोग \n"}
    plan = plan_admin.create_plan(form(**nepali), actor_user_id=admin, deps=world.deps)
    assert isinstance(plan, Plan)
    stored = world.get(Plan, plan.id)
    assert (stored.description_ne, stored.nepali_feature_list()) == ("पूरा वर्ष सबै कुरा।", ["पूरा पहुँच", "फोनबाट सहयोग"])
    card = PlanCard.of(stored, "ne")
    assert (card.description, card.features) == ("पूरा वर्ष सबै कुरा।", ["पूरा पहुँच", "फोनबाट सहयोग"])
    assert PlanCard.of(stored, "en").description == "A year of everything."

    # The edit form holds them, round-trips without a change, and an edit is audited in words.
    draft = plan_admin.form_of(stored)
    assert (draft.description_ne, draft.features_ne) == ("पूरा वर्ष सबै कुरा।", "पूरा पहुँच\nफोनबाट सहयोग")
    assert plan_admin.update_plan(plan.id, draft, deps=world.deps).updated_at == stored.updated_at
    edited = plan_admin.update_plan(plan.id, form(features_ne=""), actor_user_id=admin, deps=world.deps)
    assert isinstance(edited, Plan) and edited.features_ne == "" and edited.description_ne == ""
    assert PlanCard.of(world.get(Plan, plan.id), "ne").features == ["Full access", "Phone support"]  # back to English
    last = audit_rows(world)[-1]
    assert "Nepali features changed" in last.detail and "Nepali description changed" in last.detail

    # The same limits as the English fields, on their own fields.
    fields = errors_of(validate(form(description_ne="क" * 1001, features_ne="\n".join(["क"] * 21))))
    assert set(fields) == {"description_ne", "features_ne"}


def test_archive_takes_a_plan_off_sale_but_the_admin_still_lists_it_and_restore_brings_it_back(world):
    admin = world.user()
    plan = world.plan("basic")
    archived = plan_admin.archive_plan(plan.id, actor_user_id=admin, deps=world.deps)
    assert isinstance(archived, Plan) and not archived.is_active
    assert active_plans(deps=world.deps) == []
    assert get_plan("basic", deps=world.deps) is None
    [row] = plan_admin.list_plans_for_admin(deps=world.deps)
    assert (row.slug, row.is_active) == ("basic", False)
    # Twice is harmless and audited once.
    assert isinstance(plan_admin.archive_plan(plan.id, actor_user_id=admin, deps=world.deps), Plan)
    restored = plan_admin.restore_plan(plan.id, actor_user_id=admin, deps=world.deps)
    assert isinstance(restored, Plan) and restored.is_active
    assert [p.slug for p in active_plans(deps=world.deps)] == ["basic"]
    assert [(e.from_status, e.to_status) for e in audit_rows(world)] == [("active", "archived"), ("archived", "active")]


def test_a_plan_with_payments_cannot_be_deleted(world):
    plan = world.plan("basic")
    world.payment(user_id=world.user(), plan=plan, status=PaymentStatus.FAILED)
    before = plan_rows(world)
    result = plan_admin.delete_plan(plan.id, deps=world.deps)
    assert isinstance(result, PlanErrors)
    assert "1 payment" in result.message and "Archive it instead" in result.message
    assert plan_rows(world) == before
    assert audit_rows(world) == []
    assert not plan_admin.list_plans_for_admin(deps=world.deps)[0].deletable


def test_a_plan_with_a_granted_period_cannot_be_deleted(world):
    plan = world.plan("basic")
    with Session(world.engine) as session:
        grant_period(
            session,
            user_id=world.user(),
            plan_id=plan.id,
            payment_id=None,
            duration_days=5,
            now=world.now(),
            mode=world.settings.khalti_env,
            note="goodwill",
        )
        session.commit()
    result = plan_admin.delete_plan(plan.id, deps=world.deps)
    assert isinstance(result, PlanErrors) and "subscription period" in result.message
    assert world.get(Plan, plan.id).slug == "basic"


def test_a_plan_nobody_paid_for_can_be_deleted(world):
    admin = world.user()
    keep, doomed = world.plan("keep"), world.plan("doomed")
    deleted = plan_admin.delete_plan(doomed.id, actor_user_id=admin, deps=world.deps)
    assert isinstance(deleted, Plan) and deleted.slug == "doomed"
    assert [p.id for p in world.rows(Plan)] == [keep.id]
    [event] = audit_rows(world)
    assert "deleted plan 'doomed'" in event.detail and event.to_status == "deleted"
    assert isinstance(plan_admin.delete_plan(doomed.id, deps=world.deps), PlanErrors)


@pytest.mark.parametrize("bad_id", [999_999, 0, -1, "abc", True, 1.0])
def test_unknown_plan_ids_change_nothing(world, bad_id: object):
    world.plan("basic")
    before = plan_rows(world)
    for change in (
        lambda: plan_admin.update_plan(bad_id, form(), deps=world.deps),  # type: ignore[arg-type]
        lambda: plan_admin.archive_plan(bad_id, deps=world.deps),  # type: ignore[arg-type]
        lambda: plan_admin.restore_plan(bad_id, deps=world.deps),  # type: ignore[arg-type]
        lambda: plan_admin.delete_plan(bad_id, deps=world.deps),  # type: ignore[arg-type]
    ):
        result = change()
        assert isinstance(result, PlanErrors) and "no plan with id" in result.message
    assert plan_rows(world) == before
    with Session(world.engine) as session:
        assert session.exec(select(func.count()).select_from(PaymentEvent)).one() == 0


# -- figures --------------------------------------------------------------------------------------------


def test_active_subscribers_are_counted_on_the_plan_of_their_current_period(world):
    now = world.now()
    basic, standard, premium = world.plan("basic"), world.plan("standard"), world.plan("premium")

    def period(user: int, plan: Plan | None, start_days_ago: float, days: int, *, revoked: bool = False) -> None:
        with Session(world.engine) as session:
            starts = now - timedelta(days=start_days_ago)
            session.add(
                SubscriptionPeriod(
                    user_id=user,
                    plan_id=plan.id if plan else None,
                    starts_at=starts,
                    ends_at=starts + timedelta(days=days),
                    revoked_at=now if revoked else None,
                    created_at=now,
                )
            )
            session.commit()

    active, grace, expired, renewed, revoked, granted, upgraded = (world.user() for _ in range(7))
    period(active, basic, 10, 30)  # running on basic
    period(grace, standard, 32, 30)  # ended 2 days ago: grace (3 days) on standard
    period(expired, basic, 40, 30)  # ended 10 days ago: no access
    period(renewed, basic, 5, 30)  # running on basic...
    period(renewed, standard, -25, 90)  # ...with standard already paid for later
    period(revoked, premium, 1, 30, revoked=True)  # refunded: no access
    period(granted, None, 1, 7)  # an admin grant without a plan
    period(upgraded, basic, 40, 30)  # basic ended, then...
    period(upgraded, premium, 10, 365)  # ...premium running now

    rows = {r.slug: r.active_subscribers for r in plan_admin.list_plans_for_admin(now, deps=world.deps)}
    assert rows == {"basic": 2, "standard": 1, "premium": 1}
    # Past the grace: the standard subscriber no longer counts.
    later = {
        r.slug: r.active_subscribers
        for r in plan_admin.list_plans_for_admin(now + timedelta(days=1, seconds=1), deps=world.deps)
    }
    assert later["standard"] == 0


def test_admin_list_shows_archived_plans_after_active_ones_with_payment_counts(world):
    a, b = world.plan("a-plan"), world.plan("b-plan")
    world.payment(user_id=world.user(), plan=a, status=PaymentStatus.COMPLETED)
    plan_admin.archive_plan(a.id, deps=world.deps)
    rows = plan_admin.list_plans_for_admin(deps=world.deps)
    assert [(r.slug, r.is_active, r.payments) for r in rows] == [("b-plan", True, 0), ("a-plan", False, 1)]
    assert b.id is not None

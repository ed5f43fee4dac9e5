"""The plan catalogue: demo seeding once, active plans in order, archived plans only on request."""

from __future__ import annotations

from sqlmodel import Session

from khalti_portal.billing.plans import DEMO_PLANS, active_plans, get_plan, seed_demo_plans
from khalti_portal.db.models import Plan

pytest_plugins = ["tests.db_fixtures"]


def test_demo_plans_are_sensible():
    assert [p.slug for p in DEMO_PLANS] == ["basic", "standard", "premium"]
    assert [(p.price_paisa, p.duration_days) for p in DEMO_PLANS] == [(49_900, 30), (129_950, 90), (499_900, 365)]
    assert all(isinstance(p.price_paisa, int) and p.price_paisa >= 1000 for p in DEMO_PLANS)


def test_seed_inserts_once(world):
    deps = world.deps
    assert seed_demo_plans(deps=deps) == 3
    assert seed_demo_plans(deps=deps) == 0
    plans = world.rows(Plan)
    assert len(plans) == 3
    assert plans[0].feature_list()[0] == "Full access for 30 days"
    assert all(p.created_at.tzinfo is not None for p in plans)


def test_seed_does_nothing_when_any_plan_exists(sqlite_world):
    sqlite_world.plan("own", price_paisa=1000, duration_days=1)
    assert seed_demo_plans(deps=sqlite_world.deps) == 0
    assert [p.slug for p in sqlite_world.rows(Plan)] == ["own"]


def test_active_plans_in_catalogue_order_without_archived(sqlite_world):
    deps = sqlite_world.deps
    seed_demo_plans(deps=deps)
    with Session(sqlite_world.engine) as session:
        standard = get_plan("standard", deps=deps)
        assert standard is not None
        standard.is_active = False
        session.add(standard)
        session.commit()
    assert [p.slug for p in active_plans(deps=deps)] == ["basic", "premium"]
    assert get_plan("standard", deps=deps) is None
    archived = get_plan("standard", include_archived=True, deps=deps)
    assert archived is not None and archived.name == "Standard"
    assert get_plan("nope", include_archived=True, deps=deps) is None


def test_a_reader_of_nepali_sees_the_plans_nepali_words_and_the_english_where_there_are_none(sqlite_world):
    from khalti_portal.states.views import PlanCard

    seed_demo_plans(deps=sqlite_world.deps)
    basic = get_plan("basic", deps=sqlite_world.deps)
    assert basic is not None
    nepali, english = PlanCard.of(basic, "ne"), PlanCard.of(basic, "en")
    assert nepali.name == english.name == "Basic"  # a name is the merchant's, in every language
    assert nepali.description == "सुरु गर्न चाहिने सबै कुरा, महिनैपिच्छे।"
    assert nepali.features[0] == "३० दिनसम्म पूरा पहुँच" and len(nepali.features) == 3
    assert english.description == "Everything you need to get started, month by month."
    assert english.features == basic.feature_list()

    own = sqlite_world.plan("own", price_paisa=1000, duration_days=1)
    own.description, own.features, own.features_ne = "Only English", "One\nTwo", " \n "
    card = PlanCard.of(own, "ne")
    assert (card.description, card.features) == ("Only English", ["One", "Two"])  # blank Nepali falls back


def test_every_demo_plan_has_its_words_in_nepali():
    for spec in DEMO_PLANS:
        assert spec.description_ne and len(spec.features_ne) == len(spec.features), spec.slug

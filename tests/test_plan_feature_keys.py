"""A plan's feature keys (what it unlocks, for the members area and the entitlement API): typed as slugs
separated by commas or spaces, checked (shape, at most 20, duplicates dropped), saved through the plan
form's create and update, audited, shown back in the edit form and the admin list.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from khalti_portal.billing.admin import plans as plan_admin
from khalti_portal.billing.admin.plans import PlanErrors, PlanForm, PlanValues, feature_keys_of, form_of, validate
from khalti_portal.db.models import PaymentEvent, Plan
from khalti_portal.pages.admin_plans import admin_plans as plans_page_function
from khalti_portal.states.admin_plans import AdminPlansState
from tests.state_support import StateDriver, make_admin

GOOD = {
    "slug": "gold",
    "name": "Gold",
    "price": "1,299.50",
    "duration": "90",
    "features": "Everything",
    "description": "",
    "sort_order": "0",
}


def form(**changes: str) -> PlanForm:
    return PlanForm(**{**GOOD, **changes})


def stored_plan(engine: Any, slug: str = "gold") -> Plan:
    with Session(engine, expire_on_commit=False) as session:
        plan = session.exec(select(Plan).where(Plan.slug == slug)).one()
        return plan


# -- reading the text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("", ()),
        ("   ", ()),
        ("downloads", ("downloads",)),
        ("downloads, priority-support", ("downloads", "priority-support")),
        ("downloads priority-support\napi", ("downloads", "priority-support", "api")),
        (" ,downloads,,  api ,", ("downloads", "api")),
        ("api, downloads, api", ("api", "downloads")),  # duplicates dropped, first place kept
        ("9lives " + "a" * 40, ("9lives", "a" * 40)),
    ],
)
def test_keys_are_split_on_commas_or_spaces_and_deduplicated(text: str, keys: tuple[str, ...]):
    assert feature_keys_of(text) == keys


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Downloads", "'Downloads' is not a feature key"),
        ("-downloads", "'-downloads' is not a feature key"),
        ("priority_support", "'priority_support' is not a feature key"),
        ("a" * 41, f"'{'a' * 40}' is not a feature key"),
        ("api, dównloads", "'dównloads' is not a feature key"),
        (" ".join(f"k{i}" for i in range(21)), "List at most 20 feature keys (you have 21)."),
        ("x" * 2001, "That is too much text for feature keys"),
    ],
)
def test_a_bad_key_gets_a_clear_message_on_its_own_field(text: str, names: str):
    result = validate(form(feature_keys=text))
    assert isinstance(result, PlanErrors) and list(result.fields) == ["feature_keys"]
    assert result.fields["feature_keys"].startswith(names)
    if "is not a feature key" in names:
        assert "lowercase letters, digits and hyphens" in result.fields["feature_keys"]


def test_twenty_keys_are_accepted_and_repeats_do_not_count_towards_them():
    twenty = " ".join(f"k{i}" for i in range(20))
    values = validate(form(feature_keys=twenty + ", k0 k1"))
    assert isinstance(values, PlanValues) and len(values.feature_keys) == 20


# -- saving through the plan functions ---------------------------------------------------------------------


def test_create_and_update_save_the_keys_and_audit_the_change(sqlite_world):
    w = sqlite_world
    admin = w.user("admin")
    created = plan_admin.create_plan(form(feature_keys="downloads, priority-support"), actor_user_id=admin, deps=w.deps)
    assert isinstance(created, Plan)
    assert stored_plan(w.engine).feature_keys == ["downloads", "priority-support"]
    assert form_of(stored_plan(w.engine)).feature_keys == "downloads, priority-support"  # the edit form round-trips

    updated = plan_admin.update_plan(created.id, form(feature_keys="api downloads"), actor_user_id=admin, deps=w.deps)

    assert isinstance(updated, Plan) and stored_plan(w.engine).feature_keys == ["api", "downloads"]
    with Session(w.engine) as session:
        details = [e.detail for e in session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()]
    assert "feature_keys=['downloads', 'priority-support']" in details[0]
    assert "feature_keys ['downloads', 'priority-support'] -> ['api', 'downloads']" in details[1]
    [row] = plan_admin.list_plans_for_admin(deps=w.deps)
    assert row.feature_keys == ("api", "downloads")


def test_a_refused_key_changes_nothing(sqlite_world):
    w = sqlite_world
    created = plan_admin.create_plan(form(feature_keys="downloads"), actor_user_id=w.user(), deps=w.deps)
    assert isinstance(created, Plan)
    refused = plan_admin.update_plan(created.id, form(feature_keys="Downloads"), actor_user_id=w.user(), deps=w.deps)
    assert isinstance(refused, PlanErrors) and "feature_keys" in refused.fields
    assert stored_plan(w.engine).feature_keys == ["downloads"]


def test_a_plan_saved_without_the_field_keeps_no_keys(sqlite_world):
    w = sqlite_world
    created = plan_admin.create_plan(PlanForm.from_mapping(GOOD), actor_user_id=w.user(), deps=w.deps)
    assert isinstance(created, Plan) and stored_plan(w.engine).feature_keys == []


# -- the page's state ---------------------------------------------------------------------------------------


async def test_the_admin_page_saves_the_keys_shows_a_field_error_and_lists_them(app_db):
    tab = StateDriver(user_id=make_admin())
    state = tab.state(AdminPlansState, "/admin/plans")
    await tab.run(state, "load")

    await tab.run(state, "save", {**GOOD, "feature_keys": "Priority Support"})
    assert state.form_errors["feature_keys"].startswith("'Priority' is not a feature key")
    assert state.rows == []

    await tab.run(state, "save", {**GOOD, "feature_keys": "downloads,priority-support downloads"})
    assert state.form_errors == {} and state.notice == "Created Gold."
    [row] = state.rows
    assert row.feature_keys == "downloads, priority-support"

    await tab.run(state, "start_edit", row.id)
    assert state.draft.feature_keys == "downloads, priority-support"


def test_the_plans_page_has_the_feature_keys_input_and_column():
    jsx = str(plans_page_function())
    for hook in ('id:"plan-feature-keys"', 'name:"feature_keys"', "Feature keys", 'className:"plan-feature-keys"'):
        assert hook in jsx, hook

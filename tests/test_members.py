"""`/members` driven as the browser would: a subscriber sees the pages their plan's feature keys unlock, anyone else
gets none of their text in any state var (and is told why), and the entitlement is checked again on every load.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from reflex_base.registry import RegistrationContext
from sqlmodel import Session

from khalti_portal import content, reading_preferences, routes
from khalti_portal.billing.entitlements import entitlement_for
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.plans import seed_demo_plans
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import Plan, SubscriptionPeriod
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import LanguageState
from khalti_portal.states.members import EXPIRED, NEVER, NO_PAGES, OPEN, MembersState
from tests.state_support import StateDriver, add_plan, new_user, own_handlers, redirect_target

# Strings that stand only in the Markdown files: if one reaches the tab's state, a locked page leaked.
SECRETS = {
    "members": "MARKER-WELCOME-7f3a",
    "downloads": "MARKER-DOWNLOADS-91c2",
    "priority-support": "MARKER-SUPPORT-44d0",
}


@pytest.fixture(autouse=True)
def member_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three members' pages, one per feature key, each carrying its marker string."""
    directory = tmp_path / "members"
    directory.mkdir()
    for n, (feature, marker) in enumerate(SECRETS.items(), start=1):
        (directory / f"{n:02d}-{feature}.md").write_text(
            f"---\ntitle: Page for {feature}\nfeature: {feature}\n---\n\nOnly for *{feature}*: {marker}\n"
        )
    monkeypatch.setattr(content, "MEMBERS_DIR", directory)
    return directory


def plan_with(slug: str, keys: list[str], *, active: bool = True) -> Plan:
    plan = add_plan(slug)
    with Session(get_engine(), expire_on_commit=False) as session:
        row = session.get(Plan, plan.id)
        row.feature_keys, row.is_active = keys, active
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def subscriber(plan: Plan | None, *, ends_in: timedelta, days: int = 30) -> int:
    """A user with one period of `plan` that ends `ends_in` from now."""
    user_id = new_user()
    end = utcnow() + ends_in
    with Session(get_engine()) as session:
        session.add(
            SubscriptionPeriod(
                user_id=user_id,
                plan_id=plan.id if plan else None,
                starts_at=end - timedelta(days=days),
                ends_at=end,
                created_at=end - timedelta(days=days),
            )
        )
        session.commit()
    return user_id


async def members_page(user_id: int | None, tab: StateDriver | None = None) -> tuple[StateDriver, MembersState]:
    tab = tab or StateDriver(user_id=user_id)
    state = tab.state(MembersState, routes.MEMBERS_ROUTE)
    await tab.run(state, "load")
    return tab, state


def whole_state(tab: StateDriver) -> str:
    """Everything the tab's state tree would send the browser, as one string."""
    return json.dumps(tab.root.dict(), default=repr)


def leaked(tab: StateDriver) -> set[str]:
    text = whole_state(tab)
    return {feature for feature, marker in SECRETS.items() if marker in text}


# -- who sees what -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [["members"], ["members", "downloads"], ["members", "downloads", "priority-support"], ["priority-support"]],
)
async def test_a_subscriber_sees_exactly_their_plans_pages(app_db, keys: list[str]) -> None:
    plan = plan_with("gold", keys)
    tab, state = await members_page(subscriber(plan, ends_in=timedelta(days=10)))
    assert state.loaded and state.access == OPEN
    order = list(SECRETS)
    assert [b.feature for b in state.blocks] == sorted(keys, key=order.index)
    assert [b.title for b in state.blocks] == [f"Page for {k}" for k in sorted(keys, key=order.index)]
    assert all(f"<em>{b.feature}</em>" in b.html for b in state.blocks)
    assert leaked(tab) == set(keys)


async def test_a_user_who_never_subscribed_gets_no_page_text_in_any_var_and_is_told_why(app_db) -> None:
    plan_with("gold", list(SECRETS))
    tab, state = await members_page(new_user())
    assert state.loaded and state.access == NEVER
    assert state.blocks == []
    assert state.unlock_href == routes.CATALOG_ROUTE
    assert leaked(tab) == set()
    assert "MARKER" not in whole_state(tab)


async def test_an_expired_subscriber_sees_when_it_ended_and_the_renew_checkout(app_db) -> None:
    plan = plan_with("gold", list(SECRETS))
    ended = timedelta(days=get_settings().grace_days + 2)
    user_id = subscriber(plan, ends_in=-ended)
    tab, state = await members_page(user_id)
    expires = entitlement_for(user_id).expires_at
    assert state.access == EXPIRED and state.status == "expired"
    # No calendar chosen: the site's default, both; the attribute stays ISO UTC.
    assert state.ended_display == format_moment(expires, Calendar.BOTH) and state.ended_iso == iso_utc(expires)
    assert state.plan_name == "Gold"
    assert state.unlock_href == routes.checkout_path("gold")
    assert state.blocks == [] and leaked(tab) == set()


async def test_an_expired_subscriber_of_an_archived_plan_is_sent_to_the_catalog(app_db) -> None:
    plan = plan_with("old", ["members"], active=False)
    _, state = await members_page(subscriber(plan, ends_in=-timedelta(days=60)))
    assert state.access == EXPIRED and state.unlock_href == routes.CATALOG_ROUTE


async def test_in_grace_access_goes_on_with_a_renew_link(app_db) -> None:
    plan = plan_with("gold", ["downloads"])
    assert get_settings().grace_days >= 1
    user_id = subscriber(plan, ends_in=-timedelta(hours=2))
    assert reading_preferences.set_calendar(user_id, "bs") is None  # this subscriber reads Bikram Sambat
    tab, state = await members_page(user_id)
    assert state.status == "grace" and state.access == OPEN
    assert [b.feature for b in state.blocks] == ["downloads"]
    expires = entitlement_for(user_id).expires_at
    assert state.ended_display == format_moment(expires, Calendar.BS) and state.ended_iso == iso_utc(expires)
    assert state.unlock_href == routes.checkout_path("gold")
    assert leaked(tab) == {"downloads"}


async def test_a_tab_reading_nepali_gets_the_end_of_access_in_nepali_and_the_pages_as_written(app_db) -> None:
    plan = plan_with("gold", ["downloads"])
    user_id = subscriber(plan, ends_in=-timedelta(hours=2))
    assert reading_preferences.set_calendar(user_id, "bs") is None
    tab = StateDriver(user_id=user_id)
    tab.root.get_substate(LanguageState.get_full_name().split(".")).language = "ne"
    _, state = await members_page(user_id, tab)
    expires = entitlement_for(user_id).expires_at
    assert state.ended_display == format_moment(expires, Calendar.BS, Language.NE)
    assert "नेपाली समय" in state.ended_display and state.ended_iso == iso_utc(expires)  # the attribute stays ISO
    assert [b.feature for b in state.blocks] == ["downloads"] and leaked(tab) == {"downloads"}


async def test_a_plan_that_unlocks_no_page_says_so(app_db) -> None:
    plan = plan_with("bare", [])
    tab, state = await members_page(subscriber(plan, ends_in=timedelta(days=5)))
    assert state.access == NO_PAGES and state.blocks == [] and state.status != "none"
    assert state.unlock_href == routes.CATALOG_ROUTE
    assert leaked(tab) == set()


async def test_signed_out_goes_to_sign_in_and_back(app_db) -> None:
    tab, state = await members_page(None)
    assert [redirect_target(e) for e in tab.events] == [login_url(routes.MEMBERS_ROUTE)]
    assert login_url(routes.MEMBERS_ROUTE) == "/login?next=%2Fmembers"
    assert state.blocks == [] and leaked(tab) == set()


async def test_the_page_waits_for_hydration_and_holds_nothing_meanwhile(app_db) -> None:
    plan = plan_with("gold", ["members"])
    tab = StateDriver(user_id=subscriber(plan, ends_in=timedelta(days=5)))
    state = tab.state(MembersState, routes.MEMBERS_ROUTE)
    state.is_hydrated = False
    result = await MembersState.load.fn(state)
    assert result is MembersState.load
    assert state.blocks == [] and leaked(tab) == set()


# -- checked again on every load -----------------------------------------------------------------------------------


async def test_a_change_of_the_plans_feature_keys_changes_what_is_shown(app_db) -> None:
    plan = plan_with("gold", ["members"])
    tab, state = await members_page(subscriber(plan, ends_in=timedelta(days=5)))
    assert [b.feature for b in state.blocks] == ["members"]

    with Session(get_engine()) as session:
        row = session.get(Plan, plan.id)
        row.feature_keys = ["downloads", "priority-support"]
        session.add(row)
        session.commit()
    await tab.run(state, "load")
    assert [b.feature for b in state.blocks] == ["downloads", "priority-support"]
    assert leaked(tab) == {"downloads", "priority-support"}


async def test_access_that_ends_takes_the_pages_out_of_the_tab_on_the_next_load(app_db) -> None:
    plan = plan_with("gold", list(SECRETS))
    user_id = subscriber(plan, ends_in=timedelta(days=5))
    tab, state = await members_page(user_id)
    assert leaked(tab) == set(SECRETS)

    with Session(get_engine()) as session:
        period = session.query(SubscriptionPeriod).filter_by(user_id=user_id).one()
        period.revoked_at = utcnow()
        session.add(period)
        session.commit()
    await tab.run(state, "load")
    assert state.access == NEVER and state.blocks == [] and leaked(tab) == set()


async def test_a_tab_signed_out_elsewhere_loses_the_pages_on_the_next_load(app_db) -> None:
    from khalti_portal import accounts

    plan = plan_with("gold", ["members"])
    tab, state = await members_page(subscriber(plan, ends_in=timedelta(days=5)))
    assert leaked(tab) == {"members"}
    accounts.end_session(state.session_token)
    await tab.run(state, "load")
    assert redirect_target(tab.events[-1]) == login_url(routes.MEMBERS_ROUTE)
    assert state.blocks == [] and leaked(tab) == set()


async def test_signing_out_empties_the_members_page_of_the_tab(app_db) -> None:
    plan = plan_with("gold", list(SECRETS))
    tab, state = await members_page(subscriber(plan, ends_in=timedelta(days=5)))
    assert leaked(tab) == set(SECRETS)
    await tab.run(tab.state(AuthState, routes.MEMBERS_ROUTE), "sign_out")
    assert state.blocks == [] and leaked(tab) == set()


async def test_the_seeded_demo_plans_unlock_the_shipped_pages(app_db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content, "MEMBERS_DIR", content.CONTENT_ROOT / "members")
    assert seed_demo_plans() == 3
    assert seed_demo_plans() == 0  # idempotent: the second seed adds nothing
    with Session(get_engine()) as session:
        plans = {p.slug: p for p in session.query(Plan).all()}
    assert {slug: p.feature_keys for slug, p in plans.items()} == {
        "basic": ["members"],
        "standard": ["members", "downloads"],
        "premium": ["members", "downloads", "priority-support"],
    }
    shown = {}
    for slug, plan in plans.items():
        _, state = await members_page(subscriber(plan, ends_in=timedelta(days=5)))
        shown[slug] = [b.feature for b in state.blocks]
    assert shown == {
        "basic": ["members"],
        "standard": ["members", "downloads"],
        "premium": ["members", "downloads", "priority-support"],
    }


# -- every handler is a public endpoint; the page carries the ids --------------------------------------------------


def test_load_is_the_only_handler_and_it_is_tested_here() -> None:
    assert own_handlers(MembersState) == {"load"}


def test_the_members_page_is_registered_with_its_on_load() -> None:
    import khalti_portal.khalti_portal  # noqa: F401  (the app imports every page module)

    registered = {kwargs.get("route"): kwargs for _, kwargs in RegistrationContext.ensure_context().decorated_pages}
    assert registered[routes.MEMBERS_ROUTE]["on_load"] is MembersState.load


def test_the_compiled_page_carries_the_ids() -> None:
    from khalti_portal.pages.members import members

    jsx = str(members())
    for hook in (
        '"data-feature":',
        'id:"subscribe-to-unlock"',
        'id:"members-locked"',
        'id:"members-content"',
        'id:"members-ended-at"',
        '"data-access":',
        "dangerouslySetInnerHTML",
        "Subscribe to unlock",
        "subscription expired on",
    ):
        assert hook in jsx, hook
    assert "MARKER" not in jsx

"""Renewal reminders on the pages, driven as the browser would: the unsubscribe link (taken from a queued reminder),
the profile's switch, and the dashboard's banner from the first stage until the last one closes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import reflex as rx
from reflex_base.registry import RegistrationContext
from sqlalchemy import event
from sqlmodel import Session, col, select

from khalti_portal import account_tokens, accounts, mail_preferences, reading_preferences, routes
from khalti_portal.account_tokens import Purpose
from khalti_portal.billing import reminders
from khalti_portal.billing.deps import default_deps
from khalti_portal.clock import utcnow
from khalti_portal.db.models import AccountToken, OutboxMessage, Plan, SubscriptionPeriod, UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.form_data import switch_position
from khalti_portal.states.profile import SWITCH_REFUSED, ProfileState
from khalti_portal.states.unsubscribe import UnsubscribeState
from tests.state_support import StateDriver, add_plan, new_user, own_handlers, redirect_target

# -- helpers -------------------------------------------------------------------------------------------------------


def subscriber(email: str, *, ends_in: timedelta, plan: Plan | None = None) -> int:
    """A subscriber with a confirmed address whose one period, bought 27 days before, ends `ends_in` from now."""
    user_id = accounts.create_user(email.split("@")[0], "correct horse battery", email=email)
    now = utcnow()
    end = now + ends_in
    bought = min(now, end) - timedelta(days=27)
    with Session(get_engine()) as session:
        session.get(UserProfile, user_id).email_verified_at = now
        session.add(
            SubscriptionPeriod(
                user_id=user_id,
                plan_id=plan.id if plan else None,
                starts_at=bought,
                ends_at=end,
                created_at=bought,
            )
        )
        session.commit()
    return user_id


def mailed_unsubscribe_token(email: str) -> str:
    """Queue the due reminders (as the reconciler does); the token of the unsubscribe link mailed to `email`."""
    reminders.queue_due_reminders(deps=default_deps())
    with Session(get_engine()) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.template == "renewal_reminder", OutboxMessage.to_address == email)
            .order_by(col(OutboxMessage.id))
        ).all()
    assert rows, f"no reminder queued for {email}"
    link = rows[-1].context["unsubscribe_url"]
    assert urlsplit(link).path == routes.UNSUBSCRIBE_ROUTE
    return parse_qs(urlsplit(link).query)["token"][0]


def issued_token(user_id: int, *, purpose: Purpose = Purpose.UNSUBSCRIBE, valid_for: timedelta) -> str:
    with Session(get_engine()) as session:
        _, token = account_tokens.issue(
            session, user_id=user_id, purpose=purpose, now=utcnow(), valid_for=valid_for, supersede=False
        )
        session.commit()
    return token


def public_text(tab: StateDriver) -> str:
    """What the tab's state tree would send the browser, as one string, but the router (the browser's own URL)."""
    tree = tab.root.dict()
    root = rx.State.get_full_name()
    tree[root] = {name: value for name, value in tree[root].items() if not name.startswith("rx_router_")}
    return json.dumps(tree, default=repr)


async def open_link(token: str, tab: StateDriver | None = None) -> tuple[StateDriver, UnsubscribeState]:
    tab = tab or StateDriver()
    url = f"{routes.UNSUBSCRIBE_ROUTE}?token={token}"
    state = tab.state(UnsubscribeState, url, routes.UNSUBSCRIBE_ROUTE)
    await tab.run(state, "load")
    return tab, state


def shown(state: UnsubscribeState) -> tuple[bool, bool, str]:
    """(checked, data-ok, data-reminders) as the page would show them."""
    return state.checked, state.ok, state.reminders


# -- /unsubscribe --------------------------------------------------------------------------------------------------


async def test_the_mailed_link_turns_reminders_off_and_the_page_turns_them_back_on(app_db) -> None:
    user = subscriber("hari@example.com", ends_in=timedelta(days=3) - timedelta(hours=1))
    token = mailed_unsubscribe_token("hari@example.com")
    assert mail_preferences.reminders_enabled(user)

    tab, state = await open_link(token)
    assert shown(state) == (True, True, "off")
    assert "hari@example.com" in state.message
    assert not mail_preferences.reminders_enabled(user)
    assert token not in public_text(tab)

    await tab.run(state, "resubscribe")
    assert shown(state) == (True, True, "on") and state.message == "Renewal reminders are on again."
    assert mail_preferences.reminders_enabled(user)
    assert token not in public_text(tab)


async def test_opening_the_link_twice_is_fine(app_db) -> None:
    user = subscriber("twice@example.com", ends_in=timedelta(days=3) - timedelta(hours=1))
    token = mailed_unsubscribe_token("twice@example.com")
    _, first = await open_link(token)
    _, second = await open_link(token)  # a mail client's preview, then the person's own click
    assert shown(first) == shown(second) == (True, True, "off")
    assert not mail_preferences.reminders_enabled(user)
    # Turned back on, then opened once more: the link still works, and turns them off again.
    tab, state = await open_link(token)
    await tab.run(state, "resubscribe")
    assert mail_preferences.reminders_enabled(user)
    _, again = await open_link(token)
    assert shown(again) == (True, True, "off") and not mail_preferences.reminders_enabled(user)


async def test_a_link_only_touches_its_own_holders_reminders(app_db) -> None:
    mine = subscriber("mine@example.com", ends_in=timedelta(days=3) - timedelta(hours=1))
    other = subscriber("other@example.com", ends_in=timedelta(days=3) - timedelta(hours=1))
    token = mailed_unsubscribe_token("mine@example.com")
    await open_link(token, StateDriver(user_id=other))  # opened in a tab where somebody else is signed in
    assert not mail_preferences.reminders_enabled(mine)
    assert mail_preferences.reminders_enabled(other)


@pytest.mark.parametrize("token", ["garbage", "", "x" * 500, "%00" * 60])
async def test_a_garbage_link_says_so_and_changes_nothing(app_db, token: str) -> None:
    user = subscriber("steady@example.com", ends_in=timedelta(days=20))
    tab, state = await open_link(token)
    assert shown(state) == (True, False, "")  # data-ok="false", and no data-reminders: the link names nobody
    assert state.message == mail_preferences.LINK_PROBLEM
    await tab.run(state, "resubscribe")  # a forged click on a button the page does not show
    assert shown(state) == (True, False, "")
    assert mail_preferences.reminders_enabled(user)


async def test_a_link_of_another_kind_is_not_an_unsubscribe_link(app_db) -> None:
    user = subscriber("reset@example.com", ends_in=timedelta(days=20))
    token = issued_token(user, purpose=Purpose.RESET_PASSWORD, valid_for=timedelta(minutes=30))
    _, state = await open_link(token)
    assert shown(state) == (True, False, "") and mail_preferences.reminders_enabled(user)


async def test_an_expired_link_changes_nothing_either_way(app_db) -> None:
    on = subscriber("stillon@example.com", ends_in=timedelta(days=20))
    off = subscriber("stilloff@example.com", ends_in=timedelta(days=20))
    tokens = {user: issued_token(user, valid_for=timedelta(days=365)) for user in (on, off)}
    _, unsubscribed = await open_link(tokens[off])
    assert shown(unsubscribed) == (True, True, "off")
    with Session(get_engine()) as session:
        for row in session.exec(select(AccountToken)).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()

    _, refused = await open_link(tokens[on])
    assert shown(refused) == (True, False, "") and mail_preferences.reminders_enabled(on)
    # The page left open from before the link ran out cannot turn them back on.
    tab = StateDriver()
    page = tab.state(UnsubscribeState, f"{routes.UNSUBSCRIBE_ROUTE}?token={tokens[off]}", routes.UNSUBSCRIBE_ROUTE)
    await tab.run(page, "resubscribe")
    assert shown(page) == (True, False, "") and not mail_preferences.reminders_enabled(off)


async def test_the_page_waits_for_hydration_before_using_the_link(app_db) -> None:
    user = subscriber("early@example.com", ends_in=timedelta(days=20))
    token = issued_token(user, valid_for=timedelta(days=365))
    tab = StateDriver()
    state = tab.state(UnsubscribeState, f"{routes.UNSUBSCRIBE_ROUTE}?token={token}", routes.UNSUBSCRIBE_ROUTE)
    state.is_hydrated = False
    fn = UnsubscribeState.load.fn
    again = await fn(state)
    assert again is UnsubscribeState.load  # asked again once hydrated, like /verify-email
    assert not state.checked and mail_preferences.reminders_enabled(user)


# -- /profile: the switch ------------------------------------------------------------------------------------------


async def profile_page(user_id: int) -> tuple[StateDriver, ProfileState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(ProfileState, routes.PROFILE_ROUTE)
    await tab.run(state, "load")
    return tab, state


async def test_the_switch_is_loaded_with_the_profile_and_turns_reminders_off_and_on(app_db) -> None:
    user = new_user("switcher")
    tab, state = await profile_page(user)
    assert state.reminders_enabled is True and state.reminders_message == ""

    await tab.run(state, "set_reminders_enabled", False)
    assert state.reminders_enabled is False and not mail_preferences.reminders_enabled(user)
    assert state.reminders_message == "Renewal reminders are off. Account mail still comes."
    _, reloaded = await profile_page(user)
    assert reloaded.reminders_enabled is False

    await tab.run(state, "set_reminders_enabled", True)
    assert state.reminders_enabled is True and mail_preferences.reminders_enabled(user)
    assert (state.reminders_message, state.reminders_error) == ("Renewal reminders are on.", "")


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(True, True), (False, False), ("true", True), ("false", False), ("on", True), ("OFF", False), (" Off ", False)],
)
async def test_the_switch_takes_booleans_and_their_words(app_db, value: Any, wanted: bool) -> None:
    user = new_user()
    mail_preferences.set_reminders(user, not wanted)
    tab, state = await profile_page(user)
    await tab.run(state, "set_reminders_enabled", value)
    assert mail_preferences.reminders_enabled(user) is wanted and state.reminders_enabled is wanted
    assert state.reminders_error == ""


@pytest.mark.parametrize("value", [None, 0, 1, "0", "1", "", "yes", "no", "false-ish", [], [False], {"checked": False}])
@pytest.mark.parametrize("stored", [True, False])
async def test_the_switch_refuses_anything_else_in_words_and_changes_nothing(app_db, value: Any, stored: bool) -> None:
    user = new_user()
    mail_preferences.set_reminders(user, stored)
    tab, state = await profile_page(user)
    await tab.run(state, "set_reminders_enabled", value)
    assert state.reminders_error == SWITCH_REFUSED and state.reminders_message == ""
    assert mail_preferences.reminders_enabled(user) is stored and state.reminders_enabled is stored


@pytest.mark.parametrize("value", [False, "false", True])
async def test_a_signed_out_caller_of_the_switch_changes_nothing(app_db, value: Any) -> None:
    user = new_user("victim")
    mail_preferences.set_reminders(user, True)
    tab = StateDriver()
    state = tab.state(ProfileState, routes.PROFILE_ROUTE)
    state.session_token = "forged-session"
    await tab.run(state, "set_reminders_enabled", value)
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fprofile"
    assert mail_preferences.reminders_enabled(user)
    assert (state.reminders_message, state.reminders_error) == ("", "")


def test_switch_position_never_casts_text() -> None:
    assert [switch_position(v) for v in (True, False, "true", "False", "on", "OFF")] == [True, False] * 3
    assert {switch_position(v) for v in ("false ", "no", "0", 0, 1, None, 1.0, b"true")} == {False, None}


# -- the dashboard's banner: billing -------------------------------------------------------------------------------

END = timedelta(days=30)  # the period in these tests ends 30 days after the world's T0


def period(world, user_id: int, plan: Plan | None, *, ends: datetime, days: int = 30, **more: Any) -> None:
    with Session(world.engine) as session:
        session.add(
            SubscriptionPeriod(
                user_id=user_id,
                plan_id=plan.id if plan else None,
                starts_at=ends - timedelta(days=days),
                ends_at=ends,
                created_at=ends - timedelta(days=days),
                **more,
            )
        )
        session.commit()


@pytest.mark.parametrize(
    ("before_or_after_end", "stage"),
    [
        (-timedelta(days=8), None),
        (-timedelta(days=7, seconds=1), None),
        (-timedelta(days=7), "d7"),  # the 7-day stage opens exactly 7 days before the end
        (-timedelta(days=5), "d7"),
        (-timedelta(days=2), "d3"),
        (-timedelta(hours=12), "d1"),
        (timedelta(0), "ended"),
        (timedelta(days=1), "ended"),  # grace: 3 days
        (timedelta(days=3), "grace_ended"),
        (timedelta(days=3, hours=23), "grace_ended"),
        (timedelta(days=4), None),  # the last stage's window (a day) has closed
        (timedelta(days=40), None),
    ],
)
def test_the_banner_follows_the_stages(sqlite_world, before_or_after_end: timedelta, stage: str | None) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan("standard")
    end = w.t0 + END
    period(w, user, plan, ends=end)
    banner = reminders.reminder_banner(user, end + before_or_after_end, deps=w.deps)
    assert (banner.stage if banner else None) == stage
    if banner is not None:
        assert "Standard" in banner.text
    # The clock is what `now` defaults to.
    w.clock.set(end + before_or_after_end)
    assert reminders.reminder_banner(user, deps=w.deps) == banner


def test_the_banner_says_what_happens_at_each_side_of_the_end(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan()
    end = w.t0 + END
    period(w, user, plan, ends=end)
    before = reminders.reminder_banner(user, end - timedelta(days=2), deps=w.deps)
    during_grace = reminders.reminder_banner(user, end + timedelta(days=1), deps=w.deps)
    after_grace = reminders.reminder_banner(user, end + timedelta(days=3, hours=1), deps=w.deps)
    assert before is not None and "ends in 2 days" in before.text
    assert during_grace is not None and "keep access until" in during_grace.text
    assert after_grace is not None and "Renew to get it back" in after_grace.text


def test_no_periods_no_banner_and_a_renewal_takes_it_away(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan()
    end = w.t0 + END
    at = end - timedelta(days=2)
    assert reminders.reminder_banner(user, at, deps=w.deps) is None
    period(w, user, plan, ends=end)
    assert reminders.reminder_banner(user, at, deps=w.deps).stage == "d3"
    period(w, user, plan, ends=end + timedelta(days=30))  # renewed early: stacked after the first
    assert reminders.reminder_banner(user, at, deps=w.deps) is None


def test_a_revoked_or_other_mode_period_does_not_make_the_end(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan()
    end = w.t0 + END
    period(w, user, plan, ends=end)
    period(w, user, plan, ends=end + timedelta(days=30), revoked_at=w.t0)  # refunded
    live_payment = w.payment(user_id=user, plan=plan, khalti_mode="live")  # the world runs on the sandbox
    period(w, user, plan, ends=end + timedelta(days=60), payment_id=live_payment.id)
    assert reminders.reminder_banner(user, end - timedelta(days=2), deps=w.deps).stage == "d3"


def test_the_plan_name_comes_from_the_period_that_ends_last(sqlite_world) -> None:
    w = sqlite_world
    user, basic, premium = w.user(), w.plan("basic"), w.plan("premium")
    end = w.t0 + END
    period(w, user, basic, ends=end - timedelta(days=30))
    period(w, user, premium, ends=end)
    assert "Premium" in reminders.reminder_banner(user, end - timedelta(days=1), deps=w.deps).text
    other = w.user()
    period(w, other, None, ends=end)  # a period whose plan is gone (or an admin grant without one)
    nameless = reminders.reminder_banner(other, end - timedelta(days=1), deps=w.deps)
    assert nameless is not None and "Your subscription access ends" in nameless.text


@pytest.mark.parametrize(
    ("before_or_after_end", "words"),
    [
        (-timedelta(days=2), "सकिँदै छ"),  # ends in 2 days
        (timedelta(days=1), "चलिरहन्छ"),  # in grace: access kept until ...
        (timedelta(days=3, hours=1), "सकियो"),  # after grace
    ],
)
def test_the_banner_in_nepali(sqlite_world, before_or_after_end: timedelta, words: str) -> None:
    w = sqlite_world
    user, plan, other = w.user(), w.plan("standard"), w.user()
    end = w.t0 + END
    period(w, user, plan, ends=end)
    period(w, other, None, ends=end)  # a period whose plan is gone
    for who in (user, other):
        banner = reminders.reminder_banner(
            who, end + before_or_after_end, calendar=Calendar.BS, language=Language.NE, deps=w.deps
        )
        assert banner is not None and words in banner.text, banner
        # No English but the plan's name; the date in Nepali month names and Devanagari digits.
        assert not re.search(r"[A-Za-z]", banner.text.replace("Standard", "")), banner.text
        assert re.search(r"[०-९]", banner.text) and not re.search(r"[0-9]", banner.text)
        # The nameless plan reads as "your latest subscription", not "your subscription subscription".
        assert not re.search(r"सदस्यता\s+सदस्यता", banner.text), banner.text


@pytest.mark.parametrize("chosen", [Calendar.BS, Calendar.AD, None])
def test_the_banner_writes_the_end_in_the_subscribers_calendar(sqlite_world, chosen: Calendar | None) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan("standard")
    if chosen is not None:
        assert reading_preferences.set_calendar(user, chosen.value, engine=w.engine) is None
    end = w.t0 + END
    period(w, user, plan, ends=end)
    calendar = chosen or w.settings.default_calendar  # no choice: the site's
    banner = reminders.reminder_banner(user, end - timedelta(days=2), deps=w.deps)
    assert banner is not None
    assert banner.text == f"Your Standard access ends in 2 days, on {format_moment(end, calendar)}. Renew to keep it."


def test_the_banner_costs_one_query(sqlite_world) -> None:
    w = sqlite_world
    user, plan = w.user(), w.plan()
    assert reading_preferences.set_calendar(user, "bs", engine=w.engine) is None  # the calendar comes in the same query
    period(w, user, plan, ends=w.t0 + END)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(w.engine, "before_cursor_execute", count)
    try:
        reminders.reminder_banner(user, w.t0 + END - timedelta(days=1), deps=w.deps)
    finally:
        event.remove(w.engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


# -- the dashboard's banner: the page state ------------------------------------------------------------------------


async def dashboard_of(user_id: int) -> DashboardState:
    tab = StateDriver(user_id=user_id)
    state = tab.state(DashboardState, routes.DASHBOARD_ROUTE)
    await tab.run(state, "load")
    return state


async def test_the_dashboard_shows_the_banner_while_a_stage_is_open(app_db) -> None:
    basic = add_plan("basic")
    soon = subscriber("soon@example.com", ends_in=timedelta(days=3) - timedelta(hours=1), plan=basic)
    state = await dashboard_of(soon)
    # 2 days 23 hours left: "3 days", rounded up as the card's "days left" is
    assert state.reminder_stage == "d3" and "Basic access ends in 3 days" in state.reminder_text
    assert state.renew_href == "/checkout/basic"  # where #renewal-reminder-renew goes, as #renew does

    ended = subscriber("ended@example.com", ends_in=-timedelta(days=1), plan=basic)
    state = await dashboard_of(ended)
    assert (state.status, state.reminder_stage) == ("grace", "ended")
    assert "keep access until" in state.reminder_text and state.renew_href == "/checkout/basic"


@pytest.mark.parametrize("ends_in", [timedelta(days=8), -timedelta(days=5)])
async def test_the_dashboard_shows_no_banner_outside_the_stages(app_db, ends_in: timedelta) -> None:
    user = subscriber("calm@example.com", ends_in=ends_in, plan=add_plan("basic"))
    state = await dashboard_of(user)
    assert state.loaded and (state.reminder_stage, state.reminder_text) == ("", "")


async def test_the_dashboard_banner_is_gone_after_renewing(app_db) -> None:
    user = subscriber("renewer@example.com", ends_in=timedelta(days=2), plan=add_plan("basic"))
    assert (await dashboard_of(user)).reminder_stage == "d3"
    with Session(get_engine()) as session:
        end = max(p.ends_at for p in session.exec(select(SubscriptionPeriod)).all())
        session.add(SubscriptionPeriod(user_id=user, starts_at=end, ends_at=end + timedelta(days=30)))
        session.commit()
    assert (await dashboard_of(user)).reminder_stage == ""


# -- every handler is a public endpoint; the pages carry the ids ---------------------------------------------------


def test_the_new_handlers_are_all_tested_here() -> None:
    assert own_handlers(UnsubscribeState) == {"load", "resubscribe"}
    assert "set_reminders_enabled" in own_handlers(ProfileState)


def test_the_unsubscribe_page_is_registered_with_its_on_load() -> None:
    import khalti_portal.khalti_portal  # noqa: F401  (the app imports every page module)

    registered = {kwargs.get("route"): kwargs for _, kwargs in RegistrationContext.ensure_context().decorated_pages}
    assert registered[routes.UNSUBSCRIBE_ROUTE]["on_load"] is UnsubscribeState.load


def test_the_compiled_pages_carry_the_ids_outside_tests_rely_on() -> None:
    from khalti_portal.pages.dashboard import dashboard
    from khalti_portal.pages.profile import profile
    from khalti_portal.pages.unsubscribe import unsubscribe

    hooks = {
        unsubscribe: [
            'id:"unsubscribe-result"',
            '"data-ok":',
            '"data-reminders":',
            'id:"resubscribe"',
            "Turn reminders back on",
            f'to:"{routes.DASHBOARD_ROUTE}"',
            f'to:"{routes.PROFILE_ROUTE}"',
        ],
        profile: [
            'id:"reminders-enabled"',
            "RadixThemesSwitch",
            'htmlFor:"reminders-enabled"',
            "Renewal reminders",
            "checked:",
            'id:"reminders-result"',
            'id:"reminders-error"',
        ],
        dashboard: ['id:"renewal-reminder"', '"data-stage":', 'id:"renewal-reminder-renew"', 'id:"renew"'],
    }
    for page_function, ids in hooks.items():
        jsx = str(page_function())
        for hook in ids:
            assert hook in jsx, f"{page_function.__name__}: {hook}"
    # The link's token is never a state var the browser is sent.
    assert not {name for name in UnsubscribeState.vars if "token" in name and name != "session_token"}

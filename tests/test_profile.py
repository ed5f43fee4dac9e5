"""The optional profile: checked field by field on the server, and sent to Khalti as customer_info."""

from __future__ import annotations

import json

import pytest
import respx
from sqlmodel import Session, select

from khalti_portal import accounts, reading_preferences
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, format_day
from khalti_portal.states.checkout import CheckoutState
from khalti_portal.states.profile import ProfileState
from tests.state_support import StateDriver, add_plan, new_user, redirect_target


async def test_a_saved_profile_goes_to_khalti_as_customer_info(app_db) -> None:
    user = new_user("profiled")
    add_plan()
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "load")
    await tab.run(
        state, "save", {"display_name": " Sita Sharma ", "email": "sita@example.com", "phone": "980-000-0001"}
    )
    assert (state.errors, state.saved) == ({}, True)
    assert accounts.get_profile(user) == accounts.Profile("Sita Sharma", "sita@example.com", "9800000001")
    with respx.mock(base_url=get_settings().khalti_base_url) as khalti:
        initiate = khalti.post("api/v2/epayment/initiate/").respond(
            200,
            json={
                "pidx": "pidxProfile00000000001",
                "payment_url": "https://test-pay.khalti.com/?pidx=pidxProfile00000000001",
                "expires_at": "2030-01-01T10:00:00+05:45",
                "expires_in": 3600,
            },
        )
        checkout = tab.state(CheckoutState, "/checkout/basic", route="/checkout/[plan]")
        await tab.run(checkout, "pay")
    sent = json.loads(initiate.calls.last.request.content)
    assert sent["customer_info"] == {"name": "Sita Sharma", "email": "sita@example.com", "phone": "9800000001"}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "98000000012"}, "phone"),
        ({"display_name": "x" * 121}, "display_name"),
    ],
)
async def test_each_bad_field_gets_its_own_message_and_nothing_is_stored(app_db, form, field) -> None:
    user = new_user("careful")
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "save", {"display_name": "Ram", **form})
    assert list(state.errors) == [field] and not state.saved
    assert accounts.get_profile(user) == accounts.Profile()


async def test_signed_out_profile_handlers_change_nothing(app_db) -> None:
    tab = StateDriver()
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "save", {"display_name": "Intruder"})
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fprofile"
    await tab.run(state, "load")
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fprofile"


# -- the calendar dates are shown in (`#calendar`) ---------------------------------------------------------------


async def test_the_calendar_shows_the_site_default_until_one_is_chosen_then_stores_the_choice(app_db) -> None:
    user = new_user("calendar_reader")
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "load")
    # Nothing chosen: the site's default (both) is selected, and said to be the default.
    assert (state.calendar, state.calendar_chosen) == ("both", False)
    assert state.calendar_example == format_day(utcnow(), Calendar.BOTH)
    await tab.run(state, "set_calendar", "bs")
    assert (state.calendar, state.calendar_chosen, state.calendar_error) == ("bs", True, "")
    assert state.calendar_example == format_day(utcnow(), Calendar.BS)
    assert state.calendar_message == f"Saved: dates now show in Bikram Sambat (BS), e.g. {state.calendar_example}."
    assert reading_preferences.calendar_of(user) is Calendar.BS
    # A fresh load reads the stored choice back.
    fresh = StateDriver(user_id=user)
    again = fresh.state(ProfileState, "/profile")
    await fresh.run(again, "load")
    assert (again.calendar, again.calendar_chosen, again.calendar_message) == ("bs", True, "")
    await tab.run(state, "set_calendar", "AD")  # any case, as parse_calendar reads it
    assert state.calendar == "ad" and reading_preferences.calendar_of(user) is Calendar.AD


@pytest.mark.parametrize(
    "sent", ["julian", "", " ", "b s", "SITE", "default", "bs" * 5000, None, 1, True, ["bs"], {"calendar": "bs"}]
)
async def test_an_unknown_calendar_is_refused_in_words_and_nothing_is_stored(app_db, sent) -> None:
    user = new_user("calendar_prober")
    assert reading_preferences.set_calendar(user, "ad") is None
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "load")
    await tab.run(state, "set_calendar", sent)
    assert state.calendar_error == "Choose AD, Bikram Sambat (BS), both, or the site's default. Nothing was changed."
    assert (state.calendar, state.calendar_chosen, state.calendar_message) == ("ad", True, "")
    assert reading_preferences.chosen_calendar(user) is Calendar.AD


async def test_a_signed_out_calendar_change_stores_nothing(app_db) -> None:
    someone = new_user("calendar_owner")
    tab = StateDriver()
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "set_calendar", "bs")
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fprofile"
    assert reading_preferences.chosen_calendar(someone) is None
    with Session(get_engine()) as session:
        assert [p.calendar for p in session.exec(select(UserProfile)).all()] in ([], [""])


async def test_the_site_default_can_be_chosen_again_and_follows_default_calendar(app_db, monkeypatch) -> None:
    user = new_user("calendar_returner")
    assert reading_preferences.set_calendar(user, "ad") is None
    tab = StateDriver(user_id=user)
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "load")
    assert (state.calendar, state.calendar_chosen) == ("ad", True)
    await tab.run(state, "set_calendar", reading_preferences.FOLLOW_SITE)
    assert (state.calendar, state.calendar_chosen, state.calendar_error) == ("both", False, "")
    assert state.calendar_message == (
        f"Saved: dates follow the site's default, now BS and AD, e.g. {format_day(utcnow(), Calendar.BOTH)}."
    )
    assert reading_preferences.chosen_calendar(user) is None
    with Session(get_engine()) as session:
        assert session.get(UserProfile, user).calendar == ""
    # Stored as "no choice", so a later DEFAULT_CALENDAR reaches this subscriber too.
    monkeypatch.setenv("DEFAULT_CALENDAR", "bs")
    get_settings.cache_clear()
    try:
        assert reading_preferences.calendar_of(user) is Calendar.BS
    finally:
        monkeypatch.delenv("DEFAULT_CALENDAR")
        get_settings.cache_clear()

"""Sign-up and sign-in forms, called as the browser would: both refuse 7 characters and 73 bytes."""

from __future__ import annotations

import pytest

from khalti_portal import accounts
from khalti_portal.states.account import LoginState, RegisterState, safe_next
from tests.state_support import StateDriver, new_user, redirect_target

SEVEN = "abcdefg"
SEVENTY_THREE_BYTES = "é" * 36 + "a"  # 73 bytes in UTF-8, 37 characters


def register_form(username: str, password: str, confirm: str | None = None) -> dict[str, str]:
    return {
        "username": username,
        "email": f"{username}@example.com",
        "password": password,
        "confirm_password": password if confirm is None else confirm,
    }


@pytest.mark.parametrize("password", [SEVEN, SEVENTY_THREE_BYTES])
async def test_register_refuses_short_and_long_passwords(app_db, password: str) -> None:
    tab = StateDriver()
    state = tab.state(RegisterState, "/register")
    await tab.run(state, "submit", register_form("asha", password))
    assert state.error_message
    assert state.error_field == "password"
    assert accounts.find_user_id("asha") is None


@pytest.mark.parametrize("password", [SEVEN, SEVENTY_THREE_BYTES])
async def test_login_refuses_short_and_long_passwords_with_a_message(app_db, password: str) -> None:
    new_user("asha")
    tab = StateDriver()
    state = tab.state(LoginState, "/login")
    await tab.run(state, "submit", {"username": "asha", "password": password})
    assert "characters" in state.error_message or "bytes" in state.error_message
    assert not state.is_authenticated


async def test_register_signs_in_and_goes_to_next(app_db) -> None:
    tab = StateDriver()
    state = tab.state(RegisterState, "/register?next=%2Fcheckout%2Fbasic")
    await tab.run(state, "submit", register_form("bikash", "long enough pw"))
    assert state.error_message == ""
    assert accounts.find_user_id("bikash") is not None
    assert redirect_target(tab.events[-1]) == "/checkout/basic"
    assert state._user_id() == accounts.find_user_id("bikash")


async def test_duplicate_username_is_refused_clearly(app_db) -> None:
    new_user("chandra")
    tab = StateDriver()
    state = tab.state(RegisterState, "/register")
    await tab.run(state, "submit", register_form("chandra", "another long pw"))
    assert state.error_message == "That username is taken; choose another."
    assert state.error_field == "username"


async def test_passwords_must_match(app_db) -> None:
    tab = StateDriver()
    state = tab.state(RegisterState, "/register")
    await tab.run(state, "submit", register_form("dipa", "long enough pw", "long enough pX"))
    assert state.error_field == "confirm_password"
    assert accounts.find_user_id("dipa") is None


async def test_login_goes_back_to_the_full_return_url(app_db) -> None:
    new_user("esha", "long enough pw")
    tab = StateDriver()
    state = tab.state(LoginState, "/login?next=%2Fpayment%2Freturn%3Fpidx%3Dabc%26status%3DCompleted")
    await tab.run(state, "submit", {"username": "esha", "password": "long enough pw"})
    assert state.error_message == ""
    assert redirect_target(tab.events[-1]) == "/payment/return?pidx=abc&status=Completed"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:alert(1)", "", "\\\\x"])
def test_next_never_leaves_the_site(target: str) -> None:
    assert safe_next(target) == "/dashboard"


async def test_a_forged_or_stale_session_token_is_signed_out(app_db) -> None:
    user = new_user("ivan", "long enough pw")
    tab = StateDriver(user_id=user)
    state = tab.state(RegisterState, "/register")
    assert state._user_id() == user
    state.session_token = "forged-" + state.session_token[::-1]
    assert state._user_id() is None
    state.session_token = tab.token
    await tab.run(state, "sign_out")
    state.session_token = tab.token  # the old token, replayed after signing out
    assert state._user_id() is None

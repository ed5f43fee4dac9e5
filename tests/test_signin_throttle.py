"""Sign-in and sign-up under attack: guessers are slowed (1 s doubling to 60 s), the owner still gets in.

Each test runs on both throttle backends (the database, and Redis as a configured site has it) and
drives the handlers as a hostile client would: any token, any number of calls. Clock-dependent rules
are checked through `accounts.authenticate(now=...)`, never by sleeping.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import bcrypt
import pytest
from sqlmodel import Session

from khalti_portal import accounts, throttle
from khalti_portal.clock import utcnow
from khalti_portal.config import ConfigError, get_settings, load_settings
from khalti_portal.db.models import LocalUser
from khalti_portal.db.session import get_engine
from khalti_portal.states.account import LoginState, RegisterState, safe_next
from tests.state_support import StateDriver, new_user, redirect_target

pytest_plugins = ["tests.throttle_fixtures"]

RIGHT = "long enough pw"
WRONG = "wrong password"
GUESSER = "198.51.100.9"
OWNER = "203.0.113.7"


def quick_user(username: str) -> int:
    """An account whose bcrypt hash has the lowest cost: an hour of simulated guessing stays quick."""
    with Session(get_engine()) as session:
        user = LocalUser(
            username=username, password_hash=bcrypt.hashpw(RIGHT.encode(), bcrypt.gensalt(4)), enabled=True
        )
        session.add(user)
        session.commit()
        return int(user.id)


def try_sign_in(username: str, password: str, client: str, at) -> int | str:
    """The user id, or the refusal's message."""
    try:
        return accounts.authenticate(username, password, client_key=client, now=at)
    except accounts.AccountError as err:
        return str(err)


def test_delays_grow_from_one_second_doubling_to_a_minute(backend) -> None:
    new_user("farid", RIGHT)
    at, waits = utcnow(), []
    for _ in range(9):
        assert try_sign_in("farid", WRONG, GUESSER, at) == "That username and password do not match."
        waits.append(throttle.wait_left(f"signin:client:{GUESSER}", now=at).total_seconds())
        # A try before the wait is over is refused without checking the password (and counts nothing).
        assert "Try again in" in str(try_sign_in("farid", RIGHT, GUESSER, at + timedelta(milliseconds=500)))
        at += timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    # Once the wait is over, the right password gets in at once: no 15-minute lock.
    assert try_sign_in("farid", RIGHT, GUESSER, at) == accounts.find_user_id("farid")


def test_the_message_says_how_many_seconds_to_wait(backend) -> None:
    new_user("gita", RIGHT)
    at = utcnow()
    for _ in range(4):
        try_sign_in("gita", WRONG, GUESSER, at)
        at += throttle.wait_left(f"signin:client:{GUESSER}", now=at)
    try_sign_in("gita", WRONG, GUESSER, at)  # fifth failure: 16 s
    assert try_sign_in("gita", RIGHT, GUESSER, at + timedelta(seconds=6)) == (
        "Too many failed sign-ins. Try again in 10 seconds."
    )


def test_the_owner_gets_in_within_a_minute_while_a_guesser_gets_about_one_try_a_minute(backend) -> None:
    owner = quick_user("hari")
    start = at = utcnow()
    guesses = 0
    # An hour of a guesser (rotating through fresh client tokens does not matter: the key is the address).
    while at < start + timedelta(hours=1):
        result = try_sign_in("hari", WRONG, GUESSER, at)
        guesses += result == "That username and password do not match."
        at += max(timedelta(seconds=1), throttle.wait_left(f"signin:client:{GUESSER}", now=at))
    assert guesses <= 60 + 7  # 1+2+4+…+32 s, then one a minute
    # The owner, on a client that never signed in before, arriving between two guesses, waits at most a
    # minute for the username's delay…
    at -= timedelta(seconds=25)
    wait = throttle.wait_left("signin:user:hari", now=at)
    assert timedelta(0) < wait <= timedelta(seconds=60)
    assert "Try again in" in str(try_sign_in("hari", RIGHT, OWNER, at))
    assert try_sign_in("hari", RIGHT, OWNER, at + wait) == owner
    # …and once signed in from there, that client is the owner's own: the guesser cannot hold it up again.
    try_sign_in("hari", WRONG, GUESSER, at + wait + timedelta(seconds=1))
    assert try_sign_in("hari", RIGHT, OWNER, at + wait + timedelta(seconds=2)) == owner
    # The guesser's own client stays slowed whatever the owner does.
    assert "Try again in" in str(try_sign_in("hari", RIGHT, GUESSER, at + wait + timedelta(seconds=2)))


def test_one_client_guessing_many_usernames_is_slowed_and_others_are_not(backend) -> None:
    gita = new_user("gita", RIGHT)
    at = utcnow()
    for i in range(5):
        try_sign_in(f"nobody{i}", WRONG, GUESSER, at)
        at += throttle.wait_left(f"signin:client:{GUESSER}", now=at)
    try_sign_in("nobody9", WRONG, GUESSER, at)
    assert "Try again in" in str(try_sign_in("gita", RIGHT, GUESSER, at + timedelta(seconds=1)))
    assert try_sign_in("gita", RIGHT, OWNER, at + timedelta(seconds=1)) == gita


def test_signing_in_to_ones_own_account_does_not_reset_the_clients_delay(backend) -> None:
    mine = new_user("mallory", RIGHT)
    new_user("victim", RIGHT)
    at = utcnow()
    for _ in range(6):
        try_sign_in("victim", WRONG, GUESSER, at)
        at += throttle.wait_left(f"signin:client:{GUESSER}", now=at)
    assert try_sign_in("mallory", RIGHT, GUESSER, at) == mine
    try_sign_in("victim", WRONG, GUESSER, at + timedelta(seconds=32))
    assert throttle.wait_left(f"signin:client:{GUESSER}", now=at + timedelta(seconds=32)) == timedelta(seconds=60)


def test_disabled_is_said_only_to_someone_who_knows_the_password(backend) -> None:
    user_id = new_user("ivan", RIGHT)
    with Session(get_engine()) as session:
        session.get(LocalUser, user_id).enabled = False
        session.commit()
    at = utcnow()
    assert try_sign_in("ivan", WRONG, GUESSER, at) == "That username and password do not match."
    assert try_sign_in("ivan", RIGHT, OWNER, at + timedelta(seconds=1)) == "This account is disabled."


def test_usernames_are_one_account_whatever_the_case(backend) -> None:
    user_id = new_user("Asha", RIGHT)
    at = utcnow()
    assert try_sign_in("asha", RIGHT, OWNER, at) == user_id
    assert try_sign_in("ASHA", RIGHT, OWNER, at) == user_id
    assert accounts.find_user_id("aSHA") == user_id
    with pytest.raises(accounts.AccountError, match="taken"):
        accounts.create_user("asha", "another long pw")
    # Failures under any spelling slow the one account down.
    try_sign_in("ASHA", WRONG, GUESSER, at)
    assert throttle.wait_left("signin:user:asha", now=at) == timedelta(seconds=1)


async def test_the_login_handler_keys_on_the_address_not_the_clients_token(backend) -> None:
    new_user("jaya", RIGHT)
    refusals = []
    for _ in range(3):
        tab = StateDriver(client_ip=GUESSER)  # a fresh tab each time
        state = tab.state(LoginState, "/login")
        await tab.run(state, "submit", {"username": f"someone{secrets.token_hex(2)}", "password": WRONG})
        refusals.append(state.error_message)
    assert refusals[0] == "That username and password do not match."
    assert refusals[1].startswith("Too many failed sign-ins")  # within the first second: slowed
    owner_tab = StateDriver(client_ip=OWNER)
    state = owner_tab.state(LoginState, "/login?next=%2Fprofile")
    await owner_tab.run(state, "submit", {"username": "JAYA", "password": RIGHT})
    assert state.error_message == ""
    assert redirect_target(owner_tab.events[-1]) == "/profile"


async def test_registration_is_limited_to_ten_an_hour_per_address(backend) -> None:
    messages = []
    for i in range(12):
        tab = StateDriver(client_ip=GUESSER)
        state = tab.state(RegisterState, "/register")
        form = {
            "username": f"bot{i:02d}",
            "email": f"bot{i:02d}@example.com",
            "password": RIGHT,
            "confirm_password": RIGHT,
        }
        await tab.run(state, "submit", form)
        messages.append(state.error_message)
    assert messages[:10] == [""] * 10
    assert messages[10:] == ["Too many new accounts from this address. Please try again in an hour."] * 2
    assert accounts.find_user_id("bot10") is None and accounts.find_user_id("bot11") is None
    tab = StateDriver(client_ip=OWNER)
    state = tab.state(RegisterState, "/register")
    await tab.run(
        state,
        "submit",
        {"username": "realperson", "email": "real@example.com", "password": RIGHT, "confirm_password": RIGHT},
    )
    assert state.error_message == ""
    # An hour later the address may sign up again.
    assert accounts.registration_allowed(GUESSER, now=utcnow() + timedelta(hours=1, seconds=1))


def test_the_sign_up_limit_is_a_setting(app_db, monkeypatch: pytest.MonkeyPatch) -> None:
    # An office or a school behind one address may need more than 10 new accounts in an hour.
    monkeypatch.setenv("SIGNUPS_PER_ADDRESS_PER_HOUR", "3")
    get_settings.cache_clear()
    try:
        assert [accounts.registration_allowed("203.0.113.7") for _ in range(5)] == [True] * 3 + [False] * 2
    finally:
        monkeypatch.delenv("SIGNUPS_PER_ADDRESS_PER_HOUR")
        get_settings.cache_clear()


def test_the_sign_up_limit_must_be_a_positive_whole_number() -> None:
    for raw in ("0", "-1", "ten"):
        with pytest.raises(ConfigError, match="SIGNUPS_PER_ADDRESS_PER_HOUR"):
            load_settings({"SIGNUPS_PER_ADDRESS_PER_HOUR": raw})
    assert load_settings({}).signups_per_address_per_hour == 10


@pytest.mark.parametrize(
    "target", ["/dashboard\n", "/\t/evil.example", "/x\r\nSet-Cookie: a=b", "/a\x00b", "/a\x7fb", "/a\x85b"]
)
def test_next_with_control_characters_is_refused(target: str) -> None:
    assert safe_next(target) == "/dashboard"
    assert safe_next("/payment/return?pidx=abc&status=Completed") == "/payment/return?pidx=abc&status=Completed"

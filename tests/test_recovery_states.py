"""Getting back in, called as the browser would: forgotten passwords, reset links, confirmation links, and the
profile's email status and change of password. The links come from the outbox, as the mail would carry them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import reflex as rx
from reflex_base.registry import RegistrationContext
from sqlmodel import Session, col, select

from khalti_portal import account_email, accounts, password_reset, routes
from khalti_portal.clock import utcnow
from khalti_portal.db.models import AccountToken, LocalUser, OutboxMessage, UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.states.account import RegisterState
from khalti_portal.states.profile import ChangePasswordState, ProfileState
from khalti_portal.states.recovery import ForgotPasswordState, ResetPasswordState, VerifyEmailState
from tests.state_support import StateDriver, new_user, own_handlers, redirect_target, sign_in_token

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


# -- helpers -------------------------------------------------------------------------------------------------------


def user_with_email(email: str, *, confirmed: bool = True, username: str = "") -> int:
    """A fresh account with `email` on its profile, confirmed or not (the sign-up's own link is left in the outbox)."""
    user_id = accounts.create_user(username or email.split("@")[0], PASSWORD, email=email)
    if confirmed:
        with Session(get_engine()) as session:
            session.get(UserProfile, user_id).email_verified_at = utcnow()
            session.commit()
    return user_id


def mails(template: str, to: str | None = None) -> list[OutboxMessage]:
    """Outbox rows of `template` (to `to`, if given), oldest first."""
    with Session(get_engine()) as session:
        query = select(OutboxMessage).where(OutboxMessage.template == template).order_by(col(OutboxMessage.id))
        if to is not None:
            query = query.where(OutboxMessage.to_address == to)
        return list(session.exec(query).all())


def mailed_token(template: str, to: str) -> str:
    """The token in the newest link of `template` mailed to `to`."""
    link = mails(template, to)[-1].context["link"]
    return parse_qs(urlsplit(link).query)["token"][0]


def password_is(user_id: int, password: str) -> bool:
    with Session(get_engine()) as session:
        return session.get(LocalUser, user_id).verify(password)


def public_text(tab: StateDriver) -> str:
    """What the tab's state tree would send the browser, as one string, but the router (the browser's own URL)."""
    tree = tab.root.dict()
    root = rx.State.get_full_name()
    tree[root] = {name: value for name, value in tree[root].items() if not name.startswith("rx_router_")}
    return json.dumps(tree, default=repr)


def reset_url(token: str) -> str:
    return f"{routes.RESET_PASSWORD_ROUTE}?token={token}"


async def forgot(email: Any, *, client_ip: str = "203.0.113.7") -> ForgotPasswordState:
    tab = StateDriver(client_ip=client_ip)
    state = tab.state(ForgotPasswordState, routes.FORGOT_PASSWORD_ROUTE)
    await tab.run(state, "submit", {"email": email})
    return state


# -- /forgot-password ----------------------------------------------------------------------------------------------


async def test_forgot_password_answers_the_same_whoever_the_address_belongs_to(app_db) -> None:
    user_with_email("known@example.com")
    user_with_email("unconfirmed@example.com", confirmed=False)
    answers = {
        address: (await forgot(address, client_ip=f"198.51.100.{n}")).answer
        for n, address in enumerate(("known@example.com", "Unconfirmed@example.com", "nobody@example.com", "garbage"))
    }
    assert set(answers.values()) == {password_reset.RESET_ANSWER}
    # ...but only the confirmed address gets a link.
    assert [m.to_address for m in mails("password_reset")] == ["known@example.com"]


async def test_forgot_password_says_too_many_once_an_address_or_a_client_asked_too_often(app_db) -> None:
    user_with_email("asked@example.com")
    states = [await forgot("asked@example.com", client_ip=f"198.51.100.{n}") for n in range(4)]
    assert [s.answer for s in states] == [password_reset.RESET_ANSWER] * 3 + [password_reset.TOO_MANY]
    assert len(mails("password_reset")) == 3

    per_client = [await forgot(f"someone{n}@example.com", client_ip="192.0.2.9") for n in range(11)]
    assert per_client[-2].answer == password_reset.RESET_ANSWER
    assert per_client[-1].answer == password_reset.TOO_MANY


@pytest.mark.parametrize("form", [{"email": ""}, {"email": "   "}, {"email": 42}, {}, None, ["email"]])
async def test_forgot_password_with_nothing_typed_asks_for_the_address(app_db, form: Any) -> None:
    tab = StateDriver()
    state = tab.state(ForgotPasswordState, routes.FORGOT_PASSWORD_ROUTE)
    await tab.run(state, "submit", form)
    assert state.email_error == "Enter the email address on your account."
    assert state.answer == ""


async def test_a_new_request_clears_the_field_error(app_db) -> None:
    tab = StateDriver()
    state = tab.state(ForgotPasswordState, routes.FORGOT_PASSWORD_ROUTE)
    await tab.run(state, "submit", {"email": ""})
    await tab.run(state, "submit", {"email": "x" * 400 + "@example.com"})
    assert (state.email_error, state.answer) == ("", password_reset.RESET_ANSWER)


# -- /reset-password -----------------------------------------------------------------------------------------------


async def reset_link_for(email: str) -> str:
    await forgot(email)
    return mailed_token("password_reset", email)


@pytest.mark.parametrize("url", [reset_url("not-a-token-of-ours"), routes.RESET_PASSWORD_ROUTE, reset_url("x" * 500)])
async def test_a_bad_reset_link_shows_its_problem_and_no_form(app_db, url: str) -> None:
    tab = StateDriver()
    state = tab.state(ResetPasswordState, url, routes.RESET_PASSWORD_ROUTE)
    assert not state.checked  # neither the form nor a problem shows until the link is looked at
    await tab.run(state, "load")
    assert state.checked and state.link_problem == password_reset.LINK_PROBLEMS["unknown"]


async def test_a_reset_link_past_30_minutes_has_expired(app_db, monkeypatch) -> None:
    user = user_with_email("late@example.com")
    token = await reset_link_for("late@example.com")
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(password_reset, "utcnow", lambda: later)  # the clock the backend reads, moved on

    tab = StateDriver()
    state = tab.state(ResetPasswordState, reset_url(token), routes.RESET_PASSWORD_ROUTE)
    await tab.run(state, "load")
    assert state.link_problem == password_reset.LINK_PROBLEMS["expired"]
    # A form left open from before is refused on submit too, and the password stays.
    state.link_problem = ""
    await tab.run(state, "submit", {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert state.link_problem == password_reset.LINK_PROBLEMS["expired"]
    assert password_is(user, PASSWORD) and state._user_id() is None


async def test_a_reset_link_whose_row_expired_is_refused(app_db) -> None:
    user_with_email("edited@example.com")
    token = await reset_link_for("edited@example.com")
    with Session(get_engine()) as session:
        for row in session.exec(select(AccountToken)).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()
    tab = StateDriver()
    state = tab.state(ResetPasswordState, reset_url(token), routes.RESET_PASSWORD_ROUTE)
    await tab.run(state, "load")
    assert state.link_problem == password_reset.LINK_PROBLEMS["expired"]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "!"}, "confirm_password", "differ"),
        ({"password": "short", "confirm_password": "short"}, "password", "at least 8"),
        ({"password": "é" * 37, "confirm_password": "é" * 37}, "password", "at most 72 bytes"),
        ({"password": ["list"], "confirm_password": None}, "password", "at least 8"),
    ],
)
async def test_reset_refuses_passwords_under_their_field_and_keeps_the_link(app_db, form, field, message) -> None:
    user = user_with_email("careful@example.com")
    token = await reset_link_for("careful@example.com")
    tab = StateDriver()
    state = tab.state(ResetPasswordState, reset_url(token), routes.RESET_PASSWORD_ROUTE)
    await tab.run(state, "load")
    events = await tab.run(state, "submit", form)
    assert list(state.errors) == [field] and message in state.errors[field]
    assert events and all(redirect_target(e) is None for e in events)  # the inputs are cleared, no redirect
    assert password_is(user, PASSWORD) and state._user_id() is None
    assert password_reset.reset_link_problem(token) is None  # the link still works for a second try


async def test_reset_signs_in_ends_every_other_session_and_spends_the_link(app_db) -> None:
    user = user_with_email("forgetful@example.com")
    elsewhere = sign_in_token(user)  # a session left open on another computer
    token = await reset_link_for("forgetful@example.com")
    tab = StateDriver()
    state = tab.state(ResetPasswordState, reset_url(token), routes.RESET_PASSWORD_ROUTE)
    await tab.run(state, "load")
    assert state.checked and state.link_problem == ""

    events = await tab.run(state, "submit", {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})

    assert [redirect_target(e) for e in events] == [routes.DASHBOARD_ROUTE]
    assert state._user_id() == user and state.session_token != elsewhere
    assert accounts.session_user(elsewhere) is None
    assert password_is(user, NEW_PASSWORD)
    assert token not in public_text(tab) and NEW_PASSWORD not in public_text(tab)
    # The link worked once.
    other_tab = StateDriver()
    again = other_tab.state(ResetPasswordState, reset_url(token), routes.RESET_PASSWORD_ROUTE)
    await other_tab.run(again, "load")
    assert again.link_problem == password_reset.LINK_PROBLEMS["used"]


async def test_a_newer_reset_link_replaces_the_older(app_db) -> None:
    user_with_email("twice@example.com")
    first = await reset_link_for("twice@example.com")
    await reset_link_for("twice@example.com")
    tab = StateDriver()
    state = tab.state(ResetPasswordState, reset_url(first), routes.RESET_PASSWORD_ROUTE)
    await tab.run(state, "submit", {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert state.link_problem == password_reset.LINK_PROBLEMS["used"] and state._user_id() is None


# -- /verify-email -------------------------------------------------------------------------------------------------


async def open_verify_link(token: str, tab: StateDriver | None = None) -> VerifyEmailState:
    tab = tab or StateDriver()
    state = tab.state(VerifyEmailState, f"{routes.VERIFY_EMAIL_ROUTE}?token={token}", routes.VERIFY_EMAIL_ROUTE)
    await tab.run(state, "load")
    return state


async def test_a_confirmation_link_confirms_once(app_db) -> None:
    user = user_with_email("new@example.com", confirmed=False)
    token = mailed_token("verify_email", "new@example.com")
    assert account_email.email_status(user) == account_email.EmailStatus("new@example.com", False)

    good = await open_verify_link(token)
    assert (good.checked, good.ok, good.message) == (True, True, "Thank you: new@example.com is confirmed.")
    assert account_email.email_status(user).verified

    used = await open_verify_link(token)
    assert used.checked and not used.ok and "used" in used.message


@pytest.mark.parametrize("token", ["garbage", "", "%00" * 60])
async def test_a_garbage_confirmation_link_says_so(app_db, token: str) -> None:
    state = await open_verify_link(token)
    assert state.checked and not state.ok and "not a link of ours" in state.message


async def test_an_expired_confirmation_link_says_to_ask_again(app_db) -> None:
    user = user_with_email("slow@example.com", confirmed=False)
    token = mailed_token("verify_email", "slow@example.com")
    with Session(get_engine()) as session:
        for row in session.exec(select(AccountToken)).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()
    state = await open_verify_link(token)
    assert not state.ok and "expired" in state.message and not account_email.email_status(user).verified


# -- /register: a taken address ---------------------------------------------------------------------------------------


async def test_sign_up_with_a_taken_address_is_refused_under_the_email_field(app_db) -> None:
    user_with_email("owner@example.com", username="owner")
    tab = StateDriver()
    state = tab.state(RegisterState, routes.REGISTER_ROUTE)
    form = {"username": "copycat", "email": "Owner@Example.com", "password": PASSWORD, "confirm_password": PASSWORD}
    await tab.run(state, "submit", form)
    assert (state.error_field, state.error_message) == ("email", account_email.TAKEN)  # shown as #email-error
    assert accounts.find_user_id("copycat") is None and state._user_id() is None


# -- /profile: the address's status and a new link -----------------------------------------------------------------


async def profile_page(user_id: int) -> tuple[StateDriver, ProfileState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(ProfileState, routes.PROFILE_ROUTE)
    await tab.run(state, "load")
    return tab, state


async def test_the_profile_shows_whether_the_address_is_confirmed(app_db) -> None:
    user = user_with_email("status@example.com", confirmed=False)
    tab, state = await profile_page(user)
    assert (state.stored_email, state.email_verified) == ("status@example.com", False)
    await open_verify_link(mailed_token("verify_email", "status@example.com"))
    await tab.run(state, "load")
    assert (state.stored_email, state.email_verified) == ("status@example.com", True)


async def test_a_new_address_saved_is_unconfirmed_and_mailed_a_link(app_db) -> None:
    user = user_with_email("old@example.com")
    tab, state = await profile_page(user)
    assert state.email_verified

    await tab.run(state, "save", {"email": "fresh@example.com"})

    assert state.saved and (state.stored_email, state.email_verified) == ("fresh@example.com", False)
    assert [m.to_address for m in mails("verify_email", "fresh@example.com")] == ["fresh@example.com"]


async def test_a_taken_address_is_refused_under_the_field_and_the_status_stays(app_db) -> None:
    user_with_email("taken@example.com", username="first")
    user = user_with_email("mine@example.com", username="second")
    tab, state = await profile_page(user)

    await tab.run(state, "save", {"email": "TAKEN@example.com"})

    assert state.errors == {"email": account_email.TAKEN} and not state.saved
    assert (state.stored_email, state.email_verified) == ("mine@example.com", True)


async def test_resend_mails_a_fresh_link_and_says_when_it_is_too_often(app_db) -> None:
    user = user_with_email("resend@example.com", confirmed=False)
    tab, state = await profile_page(user)
    sent_before = len(mails("verify_email", "resend@example.com"))

    await tab.run(state, "resend_verification")
    assert state.resend_message == "A new link is on its way to resend@example.com. It works for two days."
    assert len(mails("verify_email", "resend@example.com")) == sent_before + 1

    for _ in range(account_email.RESENDS_PER_HOUR):
        await tab.run(state, "resend_verification")
    assert "several links in the last hour" in state.resend_message
    assert len(mails("verify_email", "resend@example.com")) == sent_before + account_email.RESENDS_PER_HOUR


async def test_resend_for_a_confirmed_address_sends_nothing(app_db) -> None:
    user = user_with_email("done@example.com")
    tab, state = await profile_page(user)
    before = len(mails("verify_email"))
    await tab.run(state, "resend_verification")
    assert state.resend_message == "done@example.com is already confirmed." and len(mails("verify_email")) == before


# -- /profile: change of password ----------------------------------------------------------------------------------


def change_form(current: Any = PASSWORD, new: Any = NEW_PASSWORD, confirm: Any = None) -> dict[str, Any]:
    return {
        "current_password": current,
        "new_password": new,
        "confirm_new_password": new if confirm is None else confirm,
    }


async def change_password(user_id: int, form: Any) -> tuple[StateDriver, ChangePasswordState, list[Any]]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(ChangePasswordState, routes.PROFILE_ROUTE)
    events = await tab.run(state, "change_password", form)
    return tab, state, events


async def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app_db) -> None:
    user = new_user("changer", PASSWORD)
    elsewhere = [sign_in_token(user), sign_in_token(user)]

    tab, state, events = await change_password(user, change_form())

    assert state.errors == {}
    assert state.changed_message == "Password changed; 2 other sessions signed out."
    assert state._user_id() == user  # this tab stays signed in
    assert [accounts.session_user(token) for token in elsewhere] == [None, None]
    assert password_is(user, NEW_PASSWORD)
    assert events and all(redirect_target(e) is None for e in events)  # the three inputs are emptied
    assert PASSWORD not in public_text(tab) and NEW_PASSWORD not in public_text(tab)


async def test_one_other_session_is_one_session(app_db) -> None:
    user = new_user("single", PASSWORD)
    sign_in_token(user)
    _, state, _ = await change_password(user, change_form())
    assert state.changed_message == "Password changed; 1 other session signed out."


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (change_form(current="not my password"), "current_password", password_reset.WRONG_CURRENT),
        (change_form(current=""), "current_password", "Enter your current password."),
        (change_form(confirm=NEW_PASSWORD + "?"), "confirm_new_password", "The two new passwords differ."),
        (change_form(new="short"), "new_password", "Use at least 8 characters."),
        (change_form(new="é" * 37), "new_password", "at most 72 bytes"),
        ({"current_password": 5, "new_password": None}, "current_password", "Enter your current password."),
        (None, "current_password", "Enter your current password."),
    ],
)
async def test_a_refused_change_says_why_under_the_field_and_changes_nothing(app_db, form, field, message) -> None:
    user = new_user("refused", PASSWORD)
    elsewhere = sign_in_token(user)
    _, state, _ = await change_password(user, form)
    assert list(state.errors) == [field] and message in state.errors[field]
    assert state.changed_message == ""
    assert password_is(user, PASSWORD) and accounts.session_user(elsewhere) == user


async def test_wrong_current_passwords_slow_down(app_db) -> None:
    user = new_user("guessed", PASSWORD)
    await change_password(user, change_form(current="wrong guess 1"))
    _, state, _ = await change_password(user, change_form())  # even the right one waits its turn
    assert state.errors["current_password"].startswith("Too many wrong passwords.")
    assert password_is(user, PASSWORD)


# -- every handler is a public endpoint ----------------------------------------------------------------------------

HANDLERS: dict[type, dict[str, tuple[Any, ...]]] = {
    ForgotPasswordState: {"submit": ({"email": "x@example.com"},)},
    ResetPasswordState: {"load": (), "submit": ({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},)},
    VerifyEmailState: {"load": ()},
    ProfileState: {
        "load": (),
        "save": ({"email": "intruder@example.com"},),
        "resend_verification": (),
        "set_reminders_enabled": (False,),  # tested in tests/test_reminder_pages.py
        "set_calendar": ("bs",),  # tested in tests/test_profile.py
    },
    ChangePasswordState: {"change_password": (change_form(),)},
}


def test_the_lists_here_cover_every_handler_of_the_new_states() -> None:
    assert own_handlers(*HANDLERS) == {name for handlers in HANDLERS.values() for name in handlers}


@pytest.mark.parametrize(
    ("cls", "handler"),
    [(ProfileState, "save"), (ProfileState, "resend_verification"), (ChangePasswordState, "change_password")],
)
async def test_signed_out_callers_of_profile_handlers_change_nothing(app_db, cls, handler: str) -> None:
    user = user_with_email("victim@example.com", confirmed=False)
    mails_before = len(mails("verify_email"))
    tab = StateDriver()
    state = tab.state(cls, routes.PROFILE_ROUTE)
    state.session_token = "forged-session"
    await tab.run(state, handler, *HANDLERS[cls][handler])
    assert redirect_target(tab.events[-1]) == "/login?next=%2Fprofile"
    assert password_is(user, PASSWORD)
    assert account_email.email_status(user) == account_email.EmailStatus("victim@example.com", False)
    assert len(mails("verify_email")) == mails_before
    assert not getattr(state, "changed_message", "") and not getattr(state, "resend_message", "")


@pytest.mark.parametrize("garbage", [None, 7, "text", [], {"email": {"$ne": 1}, "password": 3}])
@pytest.mark.parametrize(
    ("cls", "handler"),
    [
        (ForgotPasswordState, "submit"),
        (ResetPasswordState, "submit"),
        (ProfileState, "save"),
        (ChangePasswordState, "change_password"),
    ],
)
async def test_form_handlers_answer_garbage_in_words(app_db, cls, handler: str, garbage: Any) -> None:
    user = new_user("garbage", PASSWORD)
    tab = StateDriver(user_id=user)
    state = tab.state(cls, "/")
    await tab.run(state, handler, garbage)
    said = state.email_error if cls is ForgotPasswordState else state.errors
    assert said or (cls is ProfileState and state.saved)  # an empty profile is a valid profile
    assert password_is(user, PASSWORD)


# -- the pages -----------------------------------------------------------------------------------------------------


def test_the_new_pages_are_registered_with_their_on_load() -> None:
    import khalti_portal.khalti_portal  # noqa: F401  (the app imports every page module)

    registered = {kwargs.get("route"): kwargs for _, kwargs in RegistrationContext.ensure_context().decorated_pages}
    assert routes.FORGOT_PASSWORD_ROUTE in registered
    assert registered[routes.RESET_PASSWORD_ROUTE]["on_load"] is ResetPasswordState.load
    assert registered[routes.VERIFY_EMAIL_ROUTE]["on_load"] is VerifyEmailState.load


def test_the_compiled_pages_carry_the_ids_outside_tests_rely_on() -> None:
    from khalti_portal.pages.account import login, register
    from khalti_portal.pages.profile import profile
    from khalti_portal.pages.recovery import forgot_password, reset_password, verify_email

    hooks = {
        forgot_password: ['id:"email"', 'id:"send-reset"', 'id:"reset-requested"', 'id:"email-error"'],
        reset_password: [
            'id:"password"',
            'id:"confirm_password"',
            'id:"set-password"',
            'id:"reset-link-problem"',
            f'to:"{routes.FORGOT_PASSWORD_ROUTE}"',
        ],
        verify_email: [
            'id:"verify-result"',
            '"data-ok":',
            f'to:"{routes.DASHBOARD_ROUTE}"',
            f'to:"{routes.LOGIN_ROUTE}"',
        ],
        login: ['id:"forgot-password"', f'to:"{routes.FORGOT_PASSWORD_ROUTE}"'],
        register: ['id:"email"', 'id:"email-error"', 'id:"username-error"', 'id:"confirm_password-error"'],
        profile: [
            'id:"email-status"',
            '"data-verified":',
            'id:"resend-verification"',
            'id:"current_password"',
            'id:"new_password"',
            'id:"confirm_new_password"',
            'id:"change-password"',
            'id:"password-changed"',
            'id:"current_password-error"',
        ],
    }
    for page_function, ids in hooks.items():
        jsx = str(page_function())
        for hook in ids:
            assert hook in jsx, f"{page_function.__name__}: {hook}"
    # The tokens and passwords are never state vars the browser is sent.
    for cls in (ResetPasswordState, VerifyEmailState, ChangePasswordState, ForgotPasswordState):
        assert not {name for name in cls.vars if "token" in name and name != "session_token"}
        assert not {name for name in cls.vars if "password" in name}

"""The account pages' errors and answers come back in the tab's language, numbers in its digits; English unchanged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from khalti_portal import account_email, account_tokens, accounts, mail_preferences, password_reset, throttle
from khalti_portal.account_tokens import Purpose
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import OutboxMessage, UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.messages import Message, shown
from khalti_portal.states.account import LoginState, RegisterState
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import LanguageState
from khalti_portal.states.profile import ChangePasswordState, ProfileState
from khalti_portal.states.recovery import ForgotPasswordState, VerifyEmailState
from khalti_portal.states.unsubscribe import UnsubscribeState
from tests.state_support import StateDriver, new_user

NE = Language.NE
LATIN = re.compile(r"[A-Za-z]")
ASCII_DIGIT = re.compile(r"[0-9]")


def reading(tab: StateDriver, language: str) -> StateDriver:
    """The tab, switched to `language` as the header's switch leaves it."""
    tab.state(AuthState, "/")
    tab.root.get_substate(LanguageState.get_full_name().split(".")).language = language
    return tab


def test_a_domain_message_is_english_text_that_writes_itself_in_nepali() -> None:
    message = Message(N_("Use at least {n} characters."), n=8)
    assert message == "Use at least 8 characters." and str(message) == "Use at least 8 characters."
    assert shown(message, NE) == "कम्तीमा ८ अक्षर प्रयोग गर्नुहोस्।"
    assert shown(password_reset.TOO_MANY, NE) == translate(NE, password_reset.TOO_MANY) != password_reset.TOO_MANY
    assert shown("", NE) == ""  # never the catalog's header


async def test_sign_up_refuses_a_short_password_in_nepali_and_in_english(app_db) -> None:
    form = {"username": "asha", "email": "asha@example.com", "password": "short", "confirm_password": "short"}
    tab = reading(StateDriver(), "ne")
    state = tab.state(RegisterState, "/register")
    await tab.run(state, "submit", form)
    assert state.error_message == "कम्तीमा ८ अक्षर प्रयोग गर्नुहोस्।" and state.error_field == "password"
    assert type(state.error_message) is str  # plain text in the state: what is pickled and sent is no Said

    tab = reading(StateDriver(), "en")
    state = tab.state(RegisterState, "/register")
    await tab.run(state, "submit", form)
    assert state.error_message == "Use at least 8 characters."


async def test_sign_up_says_the_passwords_differ_and_the_name_is_taken_in_nepali(app_db) -> None:
    new_user("chandra")
    tab = reading(StateDriver(), "ne")
    state = tab.state(RegisterState, "/register")
    form = {"username": "dipa", "email": "d@example.com", "password": "long enough pw", "confirm_password": "other pw!"}
    await tab.run(state, "submit", form)
    assert (state.error_field, state.error_message) == ("confirm_password", "दुई पासवर्ड मिलेनन्।")
    await tab.run(state, "submit", {**form, "username": "chandra", "confirm_password": "long enough pw"})
    assert state.error_field == "username" and not LATIN.search(state.error_message)


@pytest.mark.parametrize(("chosen", "stored"), [("ne", "ne"), ("en", "en"), ("", "")])
async def test_a_sign_up_keeps_the_language_chosen_before_it_so_the_first_mail_is_in_it(
    app_db, chosen: str, stored: str
) -> None:
    tab = reading(StateDriver(), chosen)
    state = tab.state(RegisterState, "/register")
    form = {"username": f"gita{chosen}", "email": f"gita{chosen}@example.com", "password": "long enough pw"}
    await tab.run(state, "submit", {**form, "confirm_password": form["password"]})
    assert state.error_message == ""
    with Session(get_engine()) as session:
        user_id = accounts.find_user_id(form["username"])
        profile = session.get(UserProfile, user_id)
        assert profile is not None and profile.language == stored  # never chosen: no choice stored
        mail = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == form["email"])).one()
    assert mail.context["language"] == (stored or "en")


async def test_a_wrong_password_and_the_slow_down_after_it_are_in_nepali_digits(app_db) -> None:
    new_user("esha", "long enough pw")
    tab = reading(StateDriver(), "ne")
    state = tab.state(LoginState, "/login")
    await tab.run(state, "submit", {"username": "esha", "password": "wrong password"})
    assert state.error_message == "प्रयोगकर्ता नाम र पासवर्ड मिलेनन्।"
    for _ in range(5):  # several failures more: a wait of seconds, whatever the speed of the machine
        throttle.note_failure(f"signin:client:{tab.client_ip}")
    await tab.run(state, "submit", {"username": "esha", "password": "wrong password"})
    assert re.fullmatch(r"धेरै पटक लगइन असफल भयो। [०-९]+ सेकेन्डपछि फेरि प्रयास गर्नुहोस्।", state.error_message)

    english = reading(StateDriver(), "en")
    state = english.state(LoginState, "/login")
    await english.run(state, "submit", {"username": "esha", "password": "wrong password"})
    assert re.fullmatch(r"Too many failed sign-ins\. Try again in \d+ seconds?\.", state.error_message)


async def test_the_reset_request_answer_is_in_nepali_with_its_minutes(app_db) -> None:
    tab = reading(StateDriver(), "ne")
    state = tab.state(ForgotPasswordState, "/forgot-password")
    await tab.run(state, "submit", {"email": ""})
    assert state.email_error == "खातामा भएको इमेल ठेगाना लेख्नुहोस्।"
    await tab.run(state, "submit", {"email": "nobody@example.com"})
    assert "३० मिनेट" in state.answer and not LATIN.search(state.answer)


async def test_profile_refusals_and_answers_are_in_nepali(app_db) -> None:
    user = new_user("gita")
    tab = reading(StateDriver(user_id=user), "ne")
    state = tab.state(ProfileState, "/profile")
    await tab.run(state, "save", {"display_name": "Gita", "email": "", "phone": "12345", "pan": "12"})
    # The example stays what people type (Latin digits); the count is in Devanagari digits.
    assert state.errors["phone"] == "१० अङ्कको मोबाइल नम्बर लेख्नुहोस्, जस्तै 9800000001, वा खाली छोड्नुहोस्।"
    assert state.errors["pan"].startswith("प्यान ९ अङ्कको हुन्छ")
    await tab.run(state, "resend_verification")
    assert state.resend_message == "पहिले इमेल ठेगाना थप्नुहोस्।"
    await tab.run(state, "set_reminders_enabled", "maybe")
    assert not LATIN.search(state.reminders_error)
    await tab.run(state, "set_calendar", "julian")
    assert state.calendar_error.endswith("केही बदलिएन।")


async def test_a_password_change_counts_the_other_sessions_in_nepali(app_db) -> None:
    user = new_user("hari", "long enough pw")
    accounts.start_session(user)  # another device
    tab = reading(StateDriver(user_id=user), "ne")
    state = tab.state(ChangePasswordState, "/profile")
    form = {"current_password": "long enough pw", "new_password": "short", "confirm_new_password": "short"}
    await tab.run(state, "change_password", form)
    assert state.errors == {"new_password": "कम्तीमा ८ अक्षर प्रयोग गर्नुहोस्।"}
    form = {**form, "new_password": "a new long pw", "confirm_new_password": "a new long pw"}
    await tab.run(state, "change_password", form)
    assert state.changed_message == "पासवर्ड बदलियो; अरू १ सत्र लगआउट भयो।"
    await tab.run(state, "change_password", {**form, "current_password": "not the password"})
    assert state.errors == {"current_password": "हालको पासवर्ड मिलेन।"}


async def test_an_unknown_unsubscribe_link_is_explained_in_nepali(app_db) -> None:
    tab = reading(StateDriver(), "ne")
    state = tab.state(UnsubscribeState, "/unsubscribe?token=nope")
    await tab.run(state, "load")
    assert not state.ok and state.message == translate(NE, mail_preferences.LINK_PROBLEM)
    assert not LATIN.search(state.message) and not ASCII_DIGIT.search(state.message)


def issued(user_id: int, purpose: Purpose) -> str:
    with Session(get_engine()) as session:
        _, token = account_tokens.issue(
            session, user_id=user_id, purpose=purpose, now=utcnow(), valid_for=timedelta(days=1), supersede=False
        )
        session.commit()
    return token


async def test_switching_language_on_the_unsubscribe_page_says_it_again_and_undoes_nothing(app_db) -> None:
    user = new_user("indra")
    token = issued(user, Purpose.UNSUBSCRIBE)
    tab = reading(StateDriver(), "en")
    state = tab.state(UnsubscribeState, f"/unsubscribe?token={token}", "/unsubscribe")
    await tab.run(state, "load")
    await tab.run(state, "resubscribe")
    assert mail_preferences.reminders_enabled(user) and state.message == "Renewal reminders are on again."
    reading(tab, "ne")
    state = tab.state(UnsubscribeState, f"/unsubscribe?token={token}", "/unsubscribe")
    await tab.run(state, "load")  # what the switch does: the page's on_load again
    assert state.message == "नवीकरण सम्झना फेरि खुला भयो।"
    assert mail_preferences.reminders_enabled(user)  # the link did not turn them off a second time
    await tab.run(state, "load")  # a reload in the same language opens the link anew
    assert not mail_preferences.reminders_enabled(user)


async def test_switching_language_on_the_confirmation_page_shows_the_same_answer(app_db) -> None:
    user = new_user("jamuna")
    with Session(get_engine()) as session:
        account_email.set_email(session, get_settings(), user_id=user, email="jamuna@example.com", now=utcnow())
        _, token = account_tokens.issue(
            session,
            user_id=user,
            purpose=Purpose.VERIFY_EMAIL,
            now=utcnow(),
            valid_for=timedelta(days=1),
            email="jamuna@example.com",
        )
        session.commit()
    tab = reading(StateDriver(), "en")
    state = tab.state(VerifyEmailState, f"/verify-email?token={token}", "/verify-email")
    await tab.run(state, "load")
    assert state.ok and state.message == "Thank you: jamuna@example.com is confirmed."
    reading(tab, "ne")
    state = tab.state(VerifyEmailState, f"/verify-email?token={token}", "/verify-email")
    await tab.run(state, "load")
    assert state.ok and state.message == "धन्यवाद: jamuna@example.com पुष्टि भयो।"  # not "this link was used"

"""Account recovery: confirmed addresses, reset links (hashed, 30 minutes, once, newest wins), password changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from khalti_portal import account_email, accounts, password_reset
from khalti_portal.account_tokens import token_hash
from khalti_portal.clock import utcnow
from khalti_portal.db.models import AccountToken, LocalAuthSession, MailStatus, OutboxMessage, UserProfile
from tests.smtp_support import TestSmtpServer, deliver_to

pytest_plugins = ["tests.db_fixtures"]

PASSWORD = "the first password"
NEW_PASSWORD = "a brand new password"


@pytest.fixture
def engine(sqlite_engine):
    return sqlite_engine


def sign_up(engine, name: str = "asha", email: str = "asha@example.com") -> int:
    return accounts.register(name, PASSWORD, email=email, client_key=f"10.0.0.{len(name)}", engine=engine)


def outbox(engine, template: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        query = select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)
        return list(session.exec(query).all())


def token_of(message: OutboxMessage) -> str:
    return message.context["link"].split("token=", 1)[1]


def confirm(engine, user_id: int) -> None:
    [*_, message] = [m for m in outbox(engine, "verify_email") if m.user_id == user_id]
    assert account_email.verify_email(token_of(message), engine=engine).ok


def profile(engine, user_id: int) -> UserProfile:
    with Session(engine) as session:
        row = session.get(UserProfile, user_id)
        assert row is not None
        return row


def sessions_of(engine, user_id: int) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(LocalAuthSession.session_id).where(LocalAuthSession.user_id == user_id)).all())


def ask_reset(engine, email: str = "asha@example.com", client: str = "10.1.1.1", now=None) -> str:
    return password_reset.request_reset(email, client_key=client, now=now, engine=engine)


# -- the address on the account -----------------------------------------------------------------------------


def test_signing_up_needs_an_email_address_and_mails_a_link_to_confirm_it(engine):
    with pytest.raises(accounts.AccountError) as err:
        accounts.register("nomail", PASSWORD, email=" ", client_key="10.0.0.1", engine=engine)
    assert err.value.field == "email"
    with pytest.raises(accounts.AccountError, match=r"like name@example\.com"):
        accounts.register("badmail", PASSWORD, email="asha@", client_key="10.0.0.1", engine=engine)

    user_id = sign_up(engine)

    assert account_email.email_status(user_id, engine=engine) == account_email.EmailStatus("asha@example.com", False)
    [message] = outbox(engine, "verify_email")
    assert (message.to_address, message.user_id) == ("asha@example.com", user_id)
    assert message.context["link"].startswith("http://localhost:3000/verify-email?token=")


def test_an_address_belongs_to_one_account_whatever_its_case(engine):
    first = sign_up(engine, "asha", "Asha@Example.com")
    with pytest.raises(accounts.AccountError) as err:
        sign_up(engine, "asha2", "asha@EXAMPLE.com")
    assert err.value.field == "email" and "another account" in str(err.value)
    other = sign_up(engine, "bina", "bina@example.com")
    problems = accounts.save_profile(other, accounts.Profile(email="ASHA@example.com"), engine=engine)
    assert problems == {"email": account_email.TAKEN}
    assert profile(engine, other).email == "bina@example.com"  # nothing stored
    assert accounts.find_user_id("asha2", engine=engine) is None  # the refused sign-up left no account
    assert profile(engine, first).email == "Asha@Example.com"


def test_the_database_refuses_a_second_account_for_one_address_even_past_the_check(engine):
    a, b = sign_up(engine, "asha"), sign_up(engine, "bina", "bina@example.com")
    with Session(engine) as session:
        row = session.get(UserProfile, b)
        row.email = "ASHA@example.com"
        session.add(row)
        with pytest.raises(Exception, match=r"(?i)unique"):
            session.commit()
    assert profile(engine, a).email == "asha@example.com"


def test_a_link_confirms_its_address_once_and_only_while_it_is_the_accounts(engine):
    user_id = sign_up(engine)
    [message] = outbox(engine, "verify_email")
    token = token_of(message)

    done = account_email.verify_email(token, engine=engine)
    assert done.ok and done.user_id == user_id and "asha@example.com is confirmed" in done.message
    assert profile(engine, user_id).email_verified_at is not None
    again = account_email.verify_email(token, engine=engine)
    assert not again.ok and "used" in again.message

    # A new address is unconfirmed until its own link is opened; the old address's links are void.
    assert accounts.save_profile(user_id, accounts.Profile(email="asha@new.example"), engine=engine) == {}
    assert profile(engine, user_id).email_verified_at is None
    [_, newer] = outbox(engine, "verify_email")
    assert newer.to_address == "asha@new.example"
    assert account_email.verify_email(token_of(newer), engine=engine).ok


def test_a_link_for_an_address_that_was_replaced_confirms_nothing(engine):
    user_id = sign_up(engine)
    [first] = outbox(engine, "verify_email")
    with Session(engine) as session:  # the address changed by hand (an admin), no new link issued
        row = session.get(UserProfile, user_id)
        row.email = "else@example.com"
        session.add(row)
        session.commit()
    result = account_email.verify_email(token_of(first), engine=engine)
    assert not result.ok and "no longer on the account" in result.message
    assert profile(engine, user_id).email_verified_at is None


def test_a_confirmation_link_expires_after_two_days_and_a_newer_one_spends_the_older(engine):
    user_id = sign_up(engine)
    [first] = outbox(engine, "verify_email")
    later = utcnow() + account_email.VERIFY_FOR + timedelta(seconds=1)
    assert "expired" in account_email.verify_email(token_of(first), now=later, engine=engine).message

    assert "on its way" in account_email.resend_verification(user_id, engine=engine)
    [_, second] = outbox(engine, "verify_email")
    assert "used or replaced" in account_email.verify_email(token_of(first), engine=engine).message
    assert account_email.verify_email(token_of(second), engine=engine).ok
    assert "already confirmed" in account_email.resend_verification(user_id, engine=engine)


def test_resending_the_link_is_limited(engine):
    user_id = sign_up(engine)
    answers = [account_email.resend_verification(user_id, engine=engine) for _ in range(5)]
    assert sum("on its way" in a for a in answers) == account_email.RESENDS_PER_HOUR
    assert "several links" in answers[-1]


def test_a_verification_link_is_not_a_reset_link_and_the_reverse(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    ask_reset(engine)
    [reset] = outbox(engine, "password_reset")
    assert not account_email.verify_email(token_of(reset), engine=engine).ok
    [verify] = outbox(engine, "verify_email")
    assert password_reset.reset_link_problem(token_of(verify), engine=engine) == password_reset.LINK_PROBLEMS["unknown"]


# -- forgotten passwords -----------------------------------------------------------------------------------


def test_a_reset_request_gets_the_same_answer_for_every_address_and_mail_only_to_a_confirmed_one(engine):
    confirmed, unconfirmed = sign_up(engine), sign_up(engine, "bina", "bina@example.com")
    confirm(engine, confirmed)

    answers = {
        ask_reset(engine, "asha@example.com", client="10.1.1.1"),
        ask_reset(engine, "BINA@example.com", client="10.1.1.2"),
        ask_reset(engine, "nobody@example.com", client="10.1.1.3"),
        ask_reset(engine, "not an address", client="10.1.1.4"),
    }

    assert answers == {password_reset.RESET_ANSWER}
    [mail] = outbox(engine, "password_reset")
    assert (mail.to_address, mail.user_id) == ("asha@example.com", confirmed)
    assert unconfirmed != confirmed


def test_a_reset_link_is_kept_only_as_a_hash(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    ask_reset(engine, "ASHA@example.com")  # any case finds the account
    [mail] = outbox(engine, "password_reset")
    token = token_of(mail)
    with Session(engine) as session:
        [row] = session.exec(select(AccountToken).where(AccountToken.purpose == "reset_password")).all()
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert row.expires_at - row.created_at == password_reset.RESET_FOR == timedelta(minutes=30)


def test_a_reset_link_works_once_signs_every_session_out_and_the_new_password_works(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    for _ in range(2):
        accounts.start_session(user_id, engine=engine)
    ask_reset(engine)
    token = token_of(outbox(engine, "password_reset")[0])
    assert password_reset.reset_link_problem(token, engine=engine) is None

    assert password_reset.reset_password(token, NEW_PASSWORD, engine=engine) == user_id

    assert sessions_of(engine, user_id) == []
    assert accounts.authenticate("asha", NEW_PASSWORD, client_key="10.9.9.9", engine=engine) == user_id
    with pytest.raises(accounts.AccountError):
        accounts.authenticate("asha", PASSWORD, client_key="10.9.9.8", engine=engine)
    with pytest.raises(accounts.AccountError) as err:
        password_reset.reset_password(token, "yet another password", engine=engine)
    assert err.value.field == "token" and "used" in str(err.value)


def test_a_reset_link_expires_after_thirty_minutes(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    now = utcnow()
    ask_reset(engine, now=now)
    token = token_of(outbox(engine, "password_reset")[0])
    late = now + timedelta(minutes=30)
    assert "expired" in password_reset.reset_link_problem(token, now=late, engine=engine)
    with pytest.raises(accounts.AccountError, match="expired"):
        password_reset.reset_password(token, NEW_PASSWORD, now=late, engine=engine)
    assert password_reset.reset_password(token, NEW_PASSWORD, now=late - timedelta(seconds=1), engine=engine)


def test_a_newer_reset_link_spends_the_older(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    ask_reset(engine)
    ask_reset(engine)
    older, newer = (token_of(m) for m in outbox(engine, "password_reset"))
    assert "used" in password_reset.reset_link_problem(older, engine=engine)
    with pytest.raises(accounts.AccountError, match="used"):
        password_reset.reset_password(older, NEW_PASSWORD, engine=engine)
    assert password_reset.reset_password(newer, NEW_PASSWORD, engine=engine) == user_id


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000, "../../etc", "\x00"])
def test_anything_else_is_not_a_link_of_ours(engine, token):
    assert password_reset.reset_link_problem(token, engine=engine) == password_reset.LINK_PROBLEMS["unknown"]
    assert not account_email.verify_email(token, engine=engine).ok


def test_a_weak_new_password_is_refused_and_the_link_still_works(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    ask_reset(engine)
    token = token_of(outbox(engine, "password_reset")[0])
    with pytest.raises(accounts.AccountError) as err:
        password_reset.reset_password(token, "short", engine=engine)
    assert err.value.field == "password"
    assert password_reset.reset_link_problem(token, engine=engine) is None


def test_reset_requests_are_limited_per_address_and_per_client(engine):
    user_id = sign_up(engine)
    confirm(engine, user_id)
    per_address = [ask_reset(engine, client=f"10.2.0.{i}") for i in range(5)]
    assert per_address.count(password_reset.RESET_ANSWER) == password_reset.RESETS_PER_ADDRESS_PER_HOUR
    assert per_address[-1] == password_reset.TOO_MANY
    assert len(outbox(engine, "password_reset")) == password_reset.RESETS_PER_ADDRESS_PER_HOUR

    per_client = [ask_reset(engine, f"someone{i}@example.com", client="10.3.0.1") for i in range(12)]
    assert per_client.count(password_reset.RESET_ANSWER) == password_reset.RESETS_PER_CLIENT_PER_HOUR
    assert per_client[-1] == password_reset.TOO_MANY


async def test_the_link_leaves_the_outbox_once_the_mail_is_sent(engine, make_world):
    world = make_world(engine)
    user_id = sign_up(engine)
    confirm(engine, user_id)
    ask_reset(engine)
    server = TestSmtpServer()
    report = await deliver_to(server, engine, world.settings)
    assert report.sent == 2  # the confirmation link and the reset link
    [mail] = outbox(engine, "password_reset")
    assert mail.status is MailStatus.SENT and "link" not in mail.context
    assert "/reset-password?token=" in server.received[-1].get_body(("plain",)).get_content()


# -- changing a password -----------------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_signs_out_every_other_session(engine):
    user_id = sign_up(engine)
    here = accounts.start_session(user_id, engine=engine)
    elsewhere = accounts.start_session(user_id, engine=engine)

    with pytest.raises(accounts.AccountError) as err:
        password_reset.change_password(user_id, PASSWORD, "short", keep_session=here, engine=engine)
    assert err.value.field == "new"
    with pytest.raises(accounts.AccountError) as err:
        password_reset.change_password(user_id, "not the password", NEW_PASSWORD, keep_session=here, engine=engine)
    assert err.value.field == "current"

    later = utcnow() + timedelta(seconds=2)  # past the pause a wrong current password costs
    changed = password_reset.change_password(
        user_id, PASSWORD, NEW_PASSWORD, keep_session=here, now=later, engine=engine
    )

    assert changed.sessions_ended == 1
    assert sessions_of(engine, user_id) == [here] and elsewhere != here
    assert accounts.authenticate("asha", NEW_PASSWORD, client_key="10.9.9.7", engine=engine) == user_id


def test_wrong_current_passwords_slow_down(engine):
    user_id = sign_up(engine)
    now = utcnow()
    with pytest.raises(accounts.AccountError, match="not right"):
        password_reset.change_password(
            user_id, "wrong password 1", NEW_PASSWORD, keep_session="", now=now, engine=engine
        )
    with pytest.raises(accounts.AccountError, match="Try again in"):
        password_reset.change_password(user_id, PASSWORD, NEW_PASSWORD, keep_session="", now=now, engine=engine)
    later = now + timedelta(seconds=2)
    assert password_reset.change_password(user_id, PASSWORD, NEW_PASSWORD, keep_session="", now=later, engine=engine)


def test_every_address_is_compared_without_case_in_the_database(engine):
    sign_up(engine, "asha", "MiXeD@Example.COM")
    with Session(engine) as session:
        found = session.exec(
            select(UserProfile.user_id).where(func.lower(UserProfile.email) == "mixed@example.com")
        ).all()
    assert len(found) == 1


def test_a_link_that_does_not_work_costs_no_password_hash(engine, monkeypatch):
    hashed = []
    monkeypatch.setattr(password_reset.LocalUser, "hash_password", staticmethod(lambda pw: hashed.append(pw) or b"x"))
    for token in ("forged-token", "", "A" * 43):
        with pytest.raises(accounts.AccountError) as err:
            password_reset.reset_password(token, NEW_PASSWORD, engine=engine)
        assert err.value.field == "token"
    assert hashed == []  # bcrypt is what a flood of forged links would have bought

"""The navigation bar's three vars come from one session look-up per token and minute, never a stale one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from khalti_portal import accounts
from khalti_portal.db.models import LocalAuthSession, LocalUser
from khalti_portal.db.session import get_engine
from khalti_portal.states.auth import NAV_SHARED_FOR, AuthState
from tests.state_support import StateDriver, new_user, sign_in_token


def test_session_identity_reads_who_and_what_in_one_query(app_db) -> None:
    reader = new_user("reader")
    boss, _ = accounts.make_admin("boss", "correct horse battery", promote=False)
    assert accounts.session_identity(sign_in_token(reader)) == accounts.Identity(reader, "reader", False)
    assert accounts.session_identity(sign_in_token(boss)) == accounts.Identity(boss, "boss", True)
    assert accounts.session_identity("") is None and accounts.session_identity("x" * 300) is None
    assert accounts.session_identity("no-such-session") is None


def test_an_expired_session_or_a_disabled_account_is_nobody(app_db) -> None:
    user = new_user("fading")
    token = sign_in_token(user)
    later = datetime.now(UTC) + timedelta(days=8)
    assert accounts.session_identity(token, now=later) is None
    with Session(get_engine()) as session:
        account = session.exec(select(LocalUser).where(LocalUser.id == user)).one()
        account.enabled = False
        session.add(account)
        session.commit()
    assert accounts.session_identity(token) is None


def test_the_three_vars_ask_once_and_again_for_a_new_token(app_db, monkeypatch) -> None:
    boss, _ = accounts.make_admin("boss2", "correct horse battery", promote=False)
    asked: list[str] = []
    real = accounts.session_identity

    def counting(token: str, **kwargs):
        asked.append(token)
        return real(token, **kwargs)

    monkeypatch.setattr(accounts, "session_identity", counting)
    tab = StateDriver(user_id=boss)
    state = tab.state(AuthState, "/")
    assert (state.is_authenticated, state.is_admin, state.username) == (True, True, "boss2")
    assert len(asked) == 1
    state.session_token = ""  # what signing out leaves: nothing of the admin may linger in the bar
    assert (state.is_authenticated, state.is_admin, state.username) == (False, False, "")
    assert len(asked) == 2


def test_a_session_ended_elsewhere_shows_in_the_bar_on_the_next_page_load(app_db, monkeypatch) -> None:
    user = new_user("elsewhere")
    tab = StateDriver(user_id=user)
    state = tab.state(AuthState, "/")
    assert state.is_authenticated
    with Session(get_engine()) as session:
        for row in session.exec(select(LocalAuthSession).where(LocalAuthSession.user_id == user)):
            session.delete(row)
        session.commit()
    clock = [state._nav_read_at + NAV_SHARED_FOR.total_seconds()]
    monkeypatch.setattr("khalti_portal.states.auth.time.time", lambda: clock[0])
    assert state._navigation_identity() is None


def test_a_new_page_load_at_once_still_asks_again(app_db) -> None:
    # Back from Khalti's page a moment after the last look-up: a full page load is a new socket (a new
    # session id), so it is not answered from the last page's look-up, however soon it comes.
    from reflex.istate.data import RouterData

    user = new_user("quick_return")
    tab = StateDriver(user_id=user)
    state = tab.state(AuthState, "/checkout/basic")
    assert state._navigation_identity() is not None
    with Session(get_engine()) as session:
        for row in session.exec(select(LocalAuthSession).where(LocalAuthSession.user_id == user)):
            session.delete(row)
        session.commit()
    assert state._navigation_identity() is not None  # the same page load, within the moment: shared
    state.router = RouterData.from_router_data({"pathname": "/payment/return", "sid": "another-socket"})
    assert state.router.session.session_id == "another-socket"
    assert state._navigation_identity() is None

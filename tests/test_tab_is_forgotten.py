"""Signing in or out empties every page state of the tab, so a reload hydrates nothing of the last person.

Called as the browser would (StateDriver), then the whole state tree the tab would be sent is searched for
the last user's name, payment reference and pidx. One test runs the handlers on Reflex's Redis state
manager, where an event loads only its own state's branch: the case `reset()` alone would miss.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio
import reflex as rx
import respx
from reflex.istate.data import RouterData
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex_base.event.context import EventContext
from sqlmodel import Session

import khalti_portal.states
from khalti_portal import accounts
from khalti_portal.billing.periods import grant_period
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings
from khalti_portal.db.models import Payment, Plan, UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.states.account import LoginState, RegisterState
from khalti_portal.states.admin_payments import AdminPaymentsState
from khalti_portal.states.admin_plans import AdminPlansState
from khalti_portal.states.auth import AuthState, tab_state_classes
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.payment_return import PaymentReturnState
from khalti_portal.states.profile import ProfileState
from tests.db_fixtures import lookup_body
from tests.state_support import StateDriver, make_admin, new_user, redirect_target

PASSWORD = "correct horse battery"
REDIS_URL = os.environ.get("TEST_STATE_REDIS_URL", "redis://127.0.0.1:6379/9")  # not e2e_production's index


def paid(user_id: int) -> Payment:
    """A completed Rs 499 payment with its period: what the dashboard, return page and admin pages show."""
    now, token = utcnow(), secrets.token_hex(6)
    with Session(get_engine(), expire_on_commit=False) as session:
        plan = Plan(slug=f"basic-{token}", name="Basic", price_paisa=49_900, duration_days=30)
        session.add(plan)
        session.flush()
        payment = Payment(
            purchase_order_id=f"KP-{token}",
            user_id=user_id,
            plan_id=plan.id,
            amount_paisa=49_900,
            plan_name="Basic",
            duration_days=30,
            status="completed",
            pidx=f"pidx{token}",
            transaction_id=f"TXN{token}",
            created_at=now - timedelta(minutes=5),
            completed_at=now,
        )
        session.add(payment)
        session.flush()
        grant_period(
            session,
            user_id=user_id,
            plan_id=plan.id,
            payment_id=payment.id,
            duration_days=30,
            now=now,
            mode=payment.khalti_mode,
        )
        session.commit()
        return payment


def arrive(tab: StateDriver, url: str) -> None:
    """The tab follows the sign-out's redirect (the URL is the browser's own: resets never touch it)."""
    tab.root.router = RouterData.from_router_data(
        {"pathname": url, "asPath": url, "query": {}, "headers": {"origin": "http://localhost:3000"}}
    )


def public_text(tab: StateDriver) -> str:
    """Everything the tab's state tree would send the browser on the next hydrate, as one string."""
    return json.dumps(tab.root.dict(), default=repr)


async def show_everything(tab: StateDriver, payment: Payment) -> None:
    """Open each page of the signed-in user, as they would have before leaving the computer."""
    await tab.run(tab.state(DashboardState, "/dashboard"), "load")
    await tab.run(tab.state(ProfileState, "/profile"), "save", {"display_name": "Asha Sharma", "email": "a@b.np"})
    ret = tab.state(PaymentReturnState, f"/payment/return?pidx={payment.pidx}", "/payment/return")
    await tab.run(ret, "load")
    assert ret.status == "completed" and ret.reference == payment.purchase_order_id


async def admin_with_a_payment_open(name: str) -> tuple[int, str, Payment, StateDriver, AdminPaymentsState]:
    """An admin's tab on /admin/payments with the details of a new customer's paid payment open."""
    admin = make_admin()
    customer = f"{name}_{secrets.token_hex(3)}"
    payment = paid(new_user(customer))
    tab = StateDriver(user_id=admin)
    page = tab.state(AdminPaymentsState, "/admin/payments")
    await tab.run(page, "load")
    await tab.run(page, "open_detail", payment.id)
    return admin, customer, payment, tab, page


def test_every_page_state_is_in_the_list_the_tab_is_emptied_from():
    # Import every state module, then walk Python's subclasses: a page state added later is found the same way.
    for module in pkgutil.iter_modules(khalti_portal.states.__path__):
        importlib.import_module(f"khalti_portal.states.{module.name}")
    subclasses, waiting = set(), [AuthState]
    while waiting:
        cls = waiting.pop()
        subclasses.add(cls)
        waiting += cls.__subclasses__()
    listed = tab_state_classes()
    assert set(listed) == subclasses
    assert len(listed) == len(subclasses) >= 10
    assert {DashboardState, ProfileState, PaymentReturnState, AdminPaymentsState, AdminPlansState} <= set(listed)


async def test_signing_out_leaves_nothing_of_the_user_in_any_page_state(app_db):
    name = f"asha_{secrets.token_hex(3)}"
    user_id = new_user(name)
    payment = paid(user_id)
    tab = StateDriver(user_id=user_id)
    await show_everything(tab, payment)
    before = public_text(tab)
    assert name in before and payment.purchase_order_id in before and "Asha Sharma" in before  # could fail

    nav = tab.state(AuthState, "/dashboard")
    events = await tab.run(nav, "sign_out")
    arrive(tab, "/")

    assert [redirect_target(e) for e in events] == ["/"]
    after = public_text(tab)
    for secret in (name, payment.purchase_order_id, payment.pidx, payment.transaction_id, "Asha Sharma", "a@b.np"):
        assert secret not in after
    assert tab.root.get_substate(DashboardState.get_full_name().split(".")).payments == []
    assert nav.session_token == "" and nav._user_id() is None


async def test_signing_in_empties_the_tab_of_the_previous_user(app_db):
    first, second = f"bikash_{secrets.token_hex(3)}", f"chandra_{secrets.token_hex(3)}"
    first_id = new_user(first)
    new_user(second, PASSWORD)
    payment = paid(first_id)
    tab = StateDriver(user_id=first_id)  # the first user never signed out
    await show_everything(tab, payment)

    login = tab.state(LoginState, "/login")
    await tab.run(login, "submit", {"username": second, "password": PASSWORD})

    assert login.error_message == "" and login.username == second
    assert login.session_token and login.session_token != tab.token
    after = public_text(tab)
    for secret in (first, payment.purchase_order_id, payment.pidx, "Asha Sharma"):
        assert secret not in after


async def test_signing_up_empties_the_tab_too(app_db):
    first = f"dipa_{secrets.token_hex(3)}"
    first_id = new_user(first)
    payment = paid(first_id)
    tab = StateDriver(user_id=first_id)
    await show_everything(tab, payment)

    register = tab.state(RegisterState, "/register")
    await tab.run(
        register,
        "submit",
        {"username": "esha_new", "email": "esha@example.com", "password": PASSWORD, "confirm_password": PASSWORD},
    )

    assert register.username == "esha_new"
    assert first not in public_text(tab) and payment.purchase_order_id not in public_text(tab)


async def test_a_failed_sign_in_leaves_the_tab_alone(app_db):
    name = f"farid_{secrets.token_hex(3)}"
    user_id = new_user(name, PASSWORD)
    payment = paid(user_id)
    tab = StateDriver(user_id=user_id)
    await show_everything(tab, payment)

    login = tab.state(LoginState, "/login")
    await tab.run(login, "submit", {"username": name, "password": "wrong password!"})

    assert login.error_message and login._user_id() == user_id  # still signed in, as before
    assert payment.purchase_order_id in public_text(tab)


async def test_an_admin_signing_out_leaves_no_payment_detail(app_db):
    _, customer, payment, tab, page = await admin_with_a_payment_open("gita")
    assert page.detail_open and page.detail.pidx == payment.pidx and page.detail.username == customer

    await tab.run(tab.state(AuthState, "/admin/payments"), "sign_out")
    arrive(tab, "/")

    after = public_text(tab)
    for secret in (customer, payment.purchase_order_id, payment.pidx, payment.transaction_id):
        assert secret not in after
    assert page.rows == [] and not page.detail_open


# -- the Redis state manager: each event loads only its own branch of the state tree -----------------------------


class RedisTab:
    """One browser tab on Reflex's Redis state manager: each event fetches, changes and stores its states."""

    def __init__(self, manager: StateManagerRedis, session_token: str) -> None:
        self.manager = manager
        self.client_token = f"tab-{secrets.token_hex(8)}"
        self.session_token = session_token

    def _token(self, cls: type[rx.State]) -> BaseStateToken:
        return BaseStateToken(ident=self.client_token, cls=cls)

    async def event(self, cls: type[rx.State], handler: str, url: str, *args: Any) -> rx.State:
        """Run one handler the way the server does: fetch `cls`'s branch, call it, persist what changed."""
        path, _, query = url.partition("?")
        router = RouterData.from_router_data(
            {
                "pathname": path,
                "asPath": url,
                "query": dict(p.split("=", 1) for p in query.split("&") if "=" in p),
                "headers": {"origin": "http://localhost:3000"},
                "token": self.client_token,
                "ip": "203.0.113.7",
            }
        )
        root = await self.manager.get_state(self._token(cls))
        root.router = router
        state = root.get_substate(cls.get_full_name().split("."))
        state.router = router
        state.is_hydrated = True
        if self.session_token:  # the browser's localStorage, sent with the tab's first event
            state.session_token, self.session_token = self.session_token, ""
        context = EventContext(token=self.client_token, state_manager=self.manager, enqueue_impl=_no_enqueue)
        with context:
            fn = getattr(type(state), handler)
            result = getattr(fn, "fn", fn)(state, *args)
            if hasattr(result, "__await__"):
                await result
        await self.manager.set_state(self._token(cls), root)
        return state

    async def stored(self, cls: type[rx.State]) -> rx.State:
        """The state as the next hydrate would read it from Redis."""
        root = await self.manager.get_state(self._token(rx.State))
        return root.get_substate(cls.get_full_name().split("."))


async def _no_enqueue(token: str, *events: Any) -> None:
    return None


@pytest.fixture
async def redis_manager():
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - the environment promises Redis
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    manager = StateManagerRedis(redis=client)
    yield manager
    await manager.close()


async def test_with_redis_signing_out_on_one_page_empties_states_that_event_never_loaded(app_db, redis_manager):
    name = f"hari_{secrets.token_hex(3)}"
    user_id = new_user(name, PASSWORD)
    payment = paid(user_id)
    tab = RedisTab(redis_manager, StateDriver(user_id=user_id).token)
    dashboard = await tab.event(DashboardState, "load", "/dashboard")
    assert dashboard.payments and (await tab.stored(DashboardState)).payments  # in Redis: this could fail

    # Signing out from the profile page: that event's tree is the profile's branch only.
    branch = await redis_manager.get_state(tab._token(ProfileState))
    auth = branch.get_substate(AuthState.get_full_name().split("."))
    assert DashboardState.get_name() not in auth.substates, "the event would have loaded the dashboard anyway"
    await tab.event(ProfileState, "sign_out", "/profile")

    assert (await tab.stored(DashboardState)).payments == []
    assert (await tab.stored(AuthState)).session_token == ""
    hydrated = json.dumps((await redis_manager.get_state(tab._token(rx.State))).dict(), default=repr)
    assert payment.purchase_order_id not in hydrated and name not in hydrated


async def test_with_redis_signing_in_on_the_login_page_empties_the_last_users_dashboard(app_db, redis_manager):
    first, second = f"isha_{secrets.token_hex(3)}", f"jay_{secrets.token_hex(3)}"
    first_id = new_user(first, PASSWORD)
    new_user(second, PASSWORD)
    payment = paid(first_id)
    tab = RedisTab(redis_manager, StateDriver(user_id=first_id).token)
    assert (await tab.event(DashboardState, "load", "/dashboard")).payments

    await tab.event(LoginState, "submit", "/login", {"username": second, "password": PASSWORD})

    assert (await tab.stored(DashboardState)).payments == []
    login = await tab.stored(LoginState)
    assert login.session_token and login.username == second
    hydrated = json.dumps((await redis_manager.get_state(tab._token(rx.State))).dict(), default=repr)
    assert payment.purchase_order_id not in hydrated and first not in hydrated


# -- a Khalti call that ends after the admin signed out writes nothing back --------------------------------------


async def test_a_check_now_answered_after_the_admin_signed_out_writes_nothing_into_the_emptied_tab(app_db):
    _, customer, payment, tab, page = await admin_with_a_payment_open("lata")

    def khalti_answers_after_the_sign_out(request: httpx.Request) -> httpx.Response:
        accounts.end_session(page.session_token)  # meanwhile the admin signed out: the session is gone...
        page.reset()  # ...and the tab was emptied
        body = lookup_body(payment.pidx, "Completed", payment.amount_paisa, transaction_id=payment.transaction_id)
        return httpx.Response(200, json=body)

    with respx.mock(base_url=get_settings().khalti_base_url, assert_all_called=True) as khalti:
        khalti.post("api/v2/epayment/lookup/").mock(side_effect=khalti_answers_after_the_sign_out)
        events = await tab.run(page, "check_now", payment.id)

    assert [redirect_target(e) for e in events] == ["/"]
    assert page.rows == [] and not page.detail_open and page.detail_notice == ""
    assert customer not in public_text(tab) and payment.purchase_order_id not in public_text(tab)


# -- an admin page that refuses a caller empties itself first -----------------------------------------------------


@pytest.mark.parametrize("handler", ["refresh", "load", "guard", "go_to_page"])
async def test_an_admin_page_that_refuses_a_demoted_admin_keeps_nothing_it_showed(app_db, handler):
    admin, customer, payment, tab, page = await admin_with_a_payment_open("kiran")
    assert page.rows and page.detail_open
    with Session(get_engine()) as session:
        session.get(UserProfile, admin).is_admin = False
        session.commit()

    events = await tab.run(page, handler, *((2,) if handler == "go_to_page" else ()))

    assert [redirect_target(e) for e in events] == ["/"]
    assert page.rows == [] and page.total == 0 and not page.detail_open and page.detail.pidx == ""
    assert customer not in public_text(tab) and payment.purchase_order_id not in public_text(tab)

"""The whole subscriber journey through the page states against the emulator over HTTP, and what the browser holds.

initiate → the hosted page (form posts, as a browser) → the return page → verify → the dashboard; the cancel
path; then every public state var of every page is walked for secrets, hashes, other users' data and rows.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from reflex_base.utils.serializers import serialize
from sqlmodel import Session, SQLModel, select

from khalti_portal.api import build_api
from khalti_portal.billing import deps as billing_deps
from khalti_portal.config import Settings, get_settings
from khalti_portal.db.models import LocalUser, Payment, SubscriptionPeriod
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.khalti import KhaltiClient
from khalti_portal.states import payment_return
from khalti_portal.states.account import RegisterState
from khalti_portal.states.catalog import CatalogState
from khalti_portal.states.checkout import CheckoutState
from khalti_portal.states.dashboard import DashboardState
from khalti_portal.states.payment_return import PaymentReturnState
from tests.emulator_support import HostedPage
from tests.state_support import StateDriver, navigation_target, new_user

ORIGIN = "http://localhost:3000"


@pytest.fixture
def emulator(app_db, monkeypatch):
    """The emulator in-process: billing's client and the 'browser' both reach it through ASGI."""
    settings = get_settings()
    api = build_api(settings)

    def factory_for(s: Settings):
        return lambda: KhaltiClient(
            secret_key=s.khalti_secret_key, base_url=s.khalti_base_url, transport=httpx.ASGITransport(app=api)
        )

    monkeypatch.setattr(billing_deps, "khalti_factory_for", factory_for)
    monkeypatch.setattr(payment_return, "RECHECK_FOR_SECONDS", 0.0)
    from khalti_portal.billing.plans import seed_demo_plans

    seed_demo_plans()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=ORIGIN)


async def sign_up(tab: StateDriver, username: str) -> None:
    state = tab.state(RegisterState, "/register")
    await tab.run(
        state,
        "submit",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password": "long enough pw",
            "confirm_password": "long enough pw",
        },
    )
    assert state.error_message == ""
    tab.token = state.session_token


async def check_out(tab: StateDriver, slug: str) -> str:
    state = tab.state(CheckoutState, f"/checkout/{slug}", route="/checkout/[plan]")
    await tab.run(state, "load")
    await tab.run(state, "pay")
    payment_url = navigation_target(tab.events[-1])
    assert payment_url and payment_url.startswith(f"{ORIGIN}/sandbox/khalti/pay/?pidx=")
    return payment_url


async def come_back(tab: StateDriver, location: str) -> PaymentReturnState:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ORIGIN}/payment/return"
    state = tab.state(PaymentReturnState, f"{parts.path}?{parts.query}")
    await tab.run(state, "load")
    return state


def rows(model) -> list:
    with Session(get_engine()) as s:
        return list(s.exec(select(model)).all())


async def test_sign_up_pay_return_and_see_the_expiry(emulator) -> None:
    tab = StateDriver()
    await sign_up(tab, "journey_user")
    payment_url = await check_out(tab, "basic")
    location = await HostedPage(emulator).complete(payment_url)
    returned = await come_back(tab, location)
    assert returned.status == "completed"
    dash = tab.state(DashboardState, "/dashboard")
    await tab.run(dash, "load")
    [period] = rows(SubscriptionPeriod)
    [payment] = rows(Payment)
    assert (payment.status, payment.amount_paisa, payment.transaction_id is not None) == ("completed", 49_900, True)
    assert dash.status == "active"
    assert dash.expires_iso == period.ends_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Nobody chose a calendar: the site's default (both) is shown, built here by the dates module.
    assert dash.expires_display == format_moment(period.ends_at, Calendar.BOTH)
    assert returned.expires_display == dash.expires_display
    assert (period.ends_at - period.starts_at).days == 30
    assert [(p.status, p.amount) for p in dash.payments] == [("completed", "Rs 499")]


async def test_cancel_on_the_hosted_page_gives_no_access(emulator) -> None:
    tab = StateDriver()
    await sign_up(tab, "canceler")
    payment_url = await check_out(tab, "standard")
    location = await HostedPage(emulator).cancel(payment_url)
    assert "status=User%20canceled" in location
    returned = await come_back(tab, location)
    assert returned.status == "canceled"
    assert rows(SubscriptionPeriod) == []
    assert [p.status for p in rows(Payment)] == ["canceled"]
    dash = tab.state(DashboardState, "/dashboard")
    await tab.run(dash, "load")
    assert dash.status == "none"


def _walk(value: Any, found: list[Any]) -> None:
    if isinstance(value, SQLModel):
        found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, found)
    elif isinstance(value, list | tuple | set):
        for v in value:
            _walk(v, found)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            _walk(getattr(value, name), found)


async def test_no_secret_hash_row_or_other_users_data_in_any_public_state_var(emulator) -> None:
    other = new_user("someone_else")
    other_tab = StateDriver(user_id=other)
    other_payment = await HostedPage(emulator).complete(await check_out(other_tab, "premium"))
    await come_back(other_tab, other_payment)

    tab = StateDriver()
    await sign_up(tab, "walker")
    await come_back(tab, await HostedPage(emulator).complete(await check_out(tab, "basic")))
    for cls, url in ((CatalogState, "/"), (DashboardState, "/dashboard")):
        await tab.run(tab.state(cls, url), "load")
    # A stranger opening the other user's return URL learns nothing either.
    await come_back(tab, other_payment)

    public = tab.root.dict()
    # Router data is the URL and headers this browser itself sent (the stranger typed that URL): not ours to leak.
    public["reflex___state____state"] = {
        k: v for k, v in public["reflex___state____state"].items() if not k.startswith("rx_router_")
    }
    text = json.dumps(public, default=serialize)
    assert get_settings().khalti_secret_key not in text
    for user in rows(LocalUser):
        assert user.password_hash.decode() not in text
    assert "password_hash" not in text
    assert "someone_else" not in text
    [theirs] = [p for p in rows(Payment) if p.user_id == other]
    assert theirs.purchase_order_id not in text and theirs.transaction_id not in text
    assert "walker" in text  # the walk does see this user's own data: it could have failed
    rows_found: list[Any] = []
    _walk(public, rows_found)
    # reflex-local-auth's own LocalAuthState is in the tree; we never sign it in (our AuthState keeps its
    # own token), so its only "row" is the library's unauthenticated placeholder, id -1, no data.
    assert all(isinstance(r, LocalUser) and r.id == -1 and not r.username for r in rows_found), rows_found

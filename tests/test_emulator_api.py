"""The emulator's merchant API answers exactly as KHALTI.md says Khalti does."""

from __future__ import annotations

import random
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.sandbox import create_emulator_app
from tests.clocks import ManualClock
from tests.emulator_support import HostedPage, pidx_of

KEY = "emulator_test_key_0123456789"
AUTH = {"Authorization": f"Key {KEY}"}
BASE = "http://testserver/sandbox/khalti/"
INITIATE = "api/v2/epayment/initiate/"
LOOKUP = "api/v2/epayment/lookup/"
TTL = 1800
VALID: dict[str, Any] = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000",
    "amount": 129950,
    "purchase_order_id": "order-1",
    "purchase_order_name": "Standard plan, 30 days",
}


def refund_path(transaction_id: str) -> str:
    return f"api/merchant-transaction/{transaction_id}/refund/"


def mounted(app: Starlette) -> Starlette:
    return Starlette(routes=[Mount("/sandbox/khalti", app=app)])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_client(tmp_path, clock) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Build an emulator (options as create_emulator_app's) and a client mounted like the portal's."""
    apps: list[Starlette] = []

    def make(**options: Any) -> httpx.AsyncClient:
        options.setdefault("db_path", str(tmp_path / "emulator.db"))
        options.setdefault("clock", clock)
        options.setdefault("link_ttl_seconds", TTL)
        app = create_emulator_app(secret_key=KEY, **options)
        apps.append(app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted(app)), base_url=BASE)

    yield make
    for app in apps:
        app.state.emulator_store.dispose()


@pytest.fixture
async def client(make_client) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as http:
        yield http


async def initiate(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post(INITIATE, json={**VALID, **changes}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def lookup(client: httpx.AsyncClient, pidx: str) -> httpx.Response:
    return await client.post(LOOKUP, json={"pidx": pidx}, headers=AUTH)


async def paid(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    """Initiate, pay on the hosted page, and return the Completed lookup body."""
    started = await initiate(client, **changes)
    await HostedPage(client).complete(started["payment_url"])
    response = await lookup(client, started["pidx"])
    assert response.status_code == 200
    return response.json()


def errors(**fields: str | list[Any]) -> dict[str, Any]:
    return {
        **{name: [value] if isinstance(value, str) else value for name, value in fields.items()},
        "error_key": "validation_error",
    }


# -- initiate: validation ----------------------------------------------------------------------------

REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
BAD_URL = "Enter a valid URL."
BAD_INT = "A valid integer is required."
MIN_AMOUNT = "Amount should be greater than Rs. 10, that is 1000 paisa."
MISMATCH = "Amount Breakdown mismatch."

_DROP = object()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"return_url": _DROP}, errors(return_url=REQUIRED)),
        ({"website_url": _DROP}, errors(website_url=REQUIRED)),
        ({"amount": _DROP}, errors(amount=REQUIRED)),
        ({"purchase_order_id": _DROP}, errors(purchase_order_id=REQUIRED)),
        ({"purchase_order_name": _DROP}, errors(purchase_order_name=REQUIRED)),
        ({"return_url": ""}, errors(return_url=BLANK)),
        ({"return_url": "   "}, errors(return_url=BLANK)),
        ({"website_url": ""}, errors(website_url=BLANK)),
        ({"purchase_order_id": ""}, errors(purchase_order_id=BLANK)),
        ({"purchase_order_id": " \t"}, errors(purchase_order_id=BLANK)),
        ({"purchase_order_name": ""}, errors(purchase_order_name=BLANK)),
        ({"return_url": None}, errors(return_url=NULL)),
        ({"purchase_order_name": None}, errors(purchase_order_name=NULL)),
        ({"amount": None}, errors(amount=NULL)),
        ({"purchase_order_id": True}, errors(purchase_order_id="Not a valid string.")),
        ({"purchase_order_name": ["x"]}, errors(purchase_order_name="Not a valid string.")),
        ({"return_url": "not a url"}, errors(return_url=BAD_URL)),
        ({"return_url": "localhost:3000/payment/return"}, errors(return_url=BAD_URL)),
        ({"return_url": "javascript:alert(1)"}, errors(return_url=BAD_URL)),
        ({"return_url": "http://"}, errors(return_url=BAD_URL)),
        ({"return_url": "mailto:a@example.com"}, errors(return_url=BAD_URL)),
        # Django's URLValidator wants a dotted host name, localhost or an IP: Khalti refuses these too.
        ({"return_url": "http://testserver/payment/return"}, errors(return_url=BAD_URL)),
        ({"website_url": "example"}, errors(website_url=BAD_URL)),
        ({"website_url": "http://exa mple.com"}, errors(website_url=BAD_URL)),
        ({"amount": 1000.5}, errors(amount=BAD_INT)),
        ({"amount": "abc"}, errors(amount=BAD_INT)),
        ({"amount": ""}, errors(amount=BAD_INT)),
        ({"amount": "12.99"}, errors(amount=BAD_INT)),
        ({"amount": True}, errors(amount=BAD_INT)),
        ({"amount": False}, errors(amount=BAD_INT)),
        ({"amount": [1000]}, errors(amount=BAD_INT)),
        ({"amount": {"paisa": 1000}}, errors(amount=BAD_INT)),
        ({"amount": 999}, errors(amount=MIN_AMOUNT)),
        ({"amount": 0}, errors(amount=MIN_AMOUNT)),
        ({"amount": -5000}, errors(amount=MIN_AMOUNT)),
        ({"amount": "999"}, errors(amount=MIN_AMOUNT)),
        (
            {"amount": 2000, "amount_breakdown": [{"label": "Plan", "amount": 1500}, {"label": "VAT", "amount": 400}]},
            errors(amount=MISMATCH),
        ),
        (
            {"amount_breakdown": [{"label": "Plan", "amount": 1000.5}]},
            errors(amount_breakdown=[{"amount": [BAD_INT]}]),
        ),
        (
            {"amount_breakdown": {"label": "Plan", "amount": 1000}},
            errors(amount_breakdown='Expected a list of items but got type "dict".'),
        ),
    ],
    ids=lambda value: repr(value)[:60] if isinstance(value, dict) and "error_key" not in value else "",
)
async def test_initiate_validation_errors(client, changes, expected):
    body = {**VALID, **changes}
    body = {key: value for key, value in body.items() if value is not _DROP}
    response = await client.post(INITIATE, json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == expected


async def test_initiate_reports_every_invalid_field_at_once(client):
    response = await client.post(
        INITIATE,
        json={"return_url": "", "website_url": "nope", "amount": 12.5, "purchase_order_name": " "},
        headers=AUTH,
    )
    assert response.status_code == 400
    assert response.json() == errors(
        return_url=BLANK, website_url=BAD_URL, amount=BAD_INT, purchase_order_id=REQUIRED, purchase_order_name=BLANK
    )


async def test_breakdown_is_checked_only_once_the_fields_are_valid(client):
    body = {**VALID, "purchase_order_id": "", "amount_breakdown": [{"label": "Plan", "amount": 1}]}
    response = await client.post(INITIATE, json=body, headers=AUTH)
    assert response.json() == errors(purchase_order_id=BLANK)


@pytest.mark.parametrize(
    "changes",
    [
        {"return_url": "https://portal.example.com.np/payment/return?ref=1#top"},
        {"return_url": "http://127.0.0.1:8000/payment/return"},
        {"return_url": "http://[::1]:3000/payment/return"},
        {"website_url": "http://localhost"},
        {"amount": 1000},
        {"amount": "1500"},  # DRF's IntegerField takes digit strings...
        {"amount": 1500.0},  # ...and integral floats
        {"purchase_order_id": 42},  # DRF's CharField takes numbers
        {"amount": 2000, "amount_breakdown": [{"label": "Plan", "amount": 2500}, {"label": "Promo", "amount": -500}]},
        {"customer_info": {"name": "Sita", "email": "sita@example.com", "phone": "9800000001"}},
        {"product_details": [{"identity": "p1", "name": "Plan", "total_price": 129950, "quantity": 1}]},
        {"merchant_username": "sita", "merchant_extra": "anything"},
        {"amount_breakdown": []},
    ],
)
async def test_initiate_accepts_what_khalti_accepts(client, changes):
    await initiate(client, **changes)


async def test_initiate_accepts_a_form_encoded_body_like_drf(client):
    response = await client.post(INITIATE, data={**VALID, "amount": "2000"}, headers=AUTH)
    assert response.status_code == 200
    body = (await lookup(client, response.json()["pidx"])).json()
    assert body["total_amount"] == 2000


@pytest.mark.parametrize(
    ("content", "content_type", "status", "expected"),
    [
        (b"{not json", "application/json", 400, {"detail": re.compile(r"^JSON parse error - "), "error_key": None}),
        (b"[1, 2]", "application/json", 400, {"non_field_errors": None}),
        (b"hello", "text/plain", 415, {"detail": 'Unsupported media type "text/plain" in request.'}),
    ],
)
async def test_unreadable_bodies(client, content, content_type, status, expected):
    response = await client.post(INITIATE, content=content, headers={**AUTH, "Content-Type": content_type})
    assert response.status_code == status
    body = response.json()
    for key, value in expected.items():
        assert key in body
        if isinstance(value, re.Pattern):
            assert value.match(body[key])
        elif value is not None:
            assert body[key] == value


async def test_an_empty_body_is_every_field_required(client):
    response = await client.post(INITIATE, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == errors(
        return_url=REQUIRED,
        website_url=REQUIRED,
        amount=REQUIRED,
        purchase_order_id=REQUIRED,
        purchase_order_name=REQUIRED,
    )


# -- authentication ----------------------------------------------------------------------------------

NOT_PROVIDED = {"detail": "Authentication credentials were not provided.", "status_code": 401}
INVALID_TOKEN = {"detail": "Invalid token.", "status_code": 401}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, NOT_PROVIDED),
        ({"Authorization": ""}, NOT_PROVIDED),
        ({"Authorization": KEY}, NOT_PROVIDED),  # the key without the `Key ` keyword
        ({"Authorization": f"Bearer {KEY}"}, NOT_PROVIDED),
        ({"Authorization": f"Token {KEY}"}, NOT_PROVIDED),
        ({"Authorization": "Key wrong_key"}, INVALID_TOKEN),
        ({"Authorization": "Key test_secret_key_0123456789abcdef"}, INVALID_TOKEN),
        ({"Authorization": f"Key {KEY}x"}, INVALID_TOKEN),
        ({"Authorization": "Key"}, {"detail": "Invalid token header. No credentials provided.", "status_code": 401}),
        (
            {"Authorization": f"Key {KEY} extra"},
            {"detail": "Invalid token header. Token string should not contain spaces.", "status_code": 401},
        ),
    ],
)
@pytest.mark.parametrize("path", [INITIATE, LOOKUP, refund_path("GFq9PFS7b2iYvL8Lir9oXe")])
async def test_every_api_call_needs_the_key(client, headers, expected, path):
    # An invalid body too: authentication is checked first, as DRF does.
    response = await client.post(path, json={"amount": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json() == expected
    assert response.headers["www-authenticate"] == "Key"


async def test_the_keyword_is_case_insensitive_like_drf(client):
    response = await client.post(INITIATE, json=VALID, headers={"Authorization": f"key {KEY}"})
    assert response.status_code == 200


async def test_other_methods_are_405_after_authentication(client):
    assert (await client.get(LOOKUP)).status_code == 401
    response = await client.get(LOOKUP, headers=AUTH)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


# -- initiate: the answer ----------------------------------------------------------------------------


async def test_initiate_answers_pidx_payment_url_and_expiry(client, clock):
    body = await initiate(client)
    assert set(body) == {"pidx", "payment_url", "expires_at", "expires_in"}
    assert re.fullmatch(r"[A-Za-z0-9]{22}", body["pidx"])
    assert body["payment_url"] == f"{BASE}pay/?pidx={body['pidx']}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+05:45", body["expires_at"])
    assert datetime.fromisoformat(body["expires_at"]) == clock.now + timedelta(seconds=TTL)
    assert body["expires_in"] == TTL


async def test_expires_at_keeps_microseconds_even_when_zero(make_client, clock):
    clock.now = clock.now.replace(microsecond=0)
    async with make_client() as client:
        body = await initiate(client)
    assert body["expires_at"] == "2026-01-15T12:15:00.000000+05:45"  # 06:00 UTC + 30 min, in Nepal time


async def test_each_initiate_gets_a_fresh_pidx(client):
    pidxs = {(await initiate(client))["pidx"] for _ in range(5)}
    assert len(pidxs) == 5


# -- lookup through the payment's life ---------------------------------------------------------------


async def test_unknown_pidx_is_404(client):
    response = await lookup(client, "bZQLD9wRVWo4CdESSfuSsB")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "error_key": "validation_error"}


async def test_lookup_without_pidx_is_a_validation_error(client):
    response = await client.post(LOOKUP, json={}, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == errors(pidx=REQUIRED)
    response = await client.post(LOOKUP, json={"pidx": ""}, headers=AUTH)
    assert response.json() == errors(pidx=BLANK)


async def test_lookup_is_initiated_until_paid_then_completed(client):
    started = await initiate(client)
    response = await lookup(client, started["pidx"])
    assert response.status_code == 200
    assert response.json() == {
        "pidx": started["pidx"],
        "total_amount": 129950,
        "status": "Initiated",
        "transaction_id": None,
        "fee": 0,
        "refunded": False,
    }
    await HostedPage(client).complete(started["payment_url"])
    response = await lookup(client, started["pidx"])
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Completed"
    assert re.fullmatch(r"[A-Za-z0-9]{22}", body["transaction_id"])
    assert body["fee"] == 129950 * 3 // 100
    assert body["refunded"] is False
    assert body["total_amount"] == 129950
    assert list(body) == ["pidx", "total_amount", "status", "transaction_id", "fee", "refunded"]


async def test_canceled_payment_looks_up_as_400_user_canceled(client):
    started = await initiate(client)
    await HostedPage(client).cancel(started["payment_url"])
    response = await lookup(client, started["pidx"])
    assert response.status_code == 400
    assert response.json() == {
        "pidx": started["pidx"],
        "total_amount": 129950,
        "status": "User canceled",
        "transaction_id": None,
        "fee": 0,
        "refunded": False,
    }


async def test_unpaid_link_expires_after_the_ttl(client, clock):
    started = await initiate(client)
    clock.advance(seconds=TTL - 1)
    assert (await lookup(client, started["pidx"])).json()["status"] == "Initiated"
    clock.advance(seconds=1)
    response = await lookup(client, started["pidx"])
    assert response.status_code == 400
    assert response.json()["status"] == "Expired"
    assert response.json()["transaction_id"] is None


async def test_a_paid_payment_never_expires(client, clock):
    body = await paid(client)
    clock.advance(days=30)
    response = await lookup(client, body["pidx"])
    assert response.status_code == 200
    assert response.json() == body


# -- refunds -------------------------------------------------------------------------------------------


async def test_full_refund(client):
    body = await paid(client)
    response = await client.post(refund_path(body["transaction_id"]), headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"detail": "Transaction refund successful."}
    after = await lookup(client, body["pidx"])
    assert after.status_code == 200
    assert after.json() == {**body, "status": "Refunded", "refunded": True}
    again = await client.post(refund_path(body["transaction_id"]), headers=AUTH)
    assert again.status_code == 400
    assert again.json()["error_key"] == "validation_error"
    assert "Refunded" in again.json()["detail"]


async def test_an_empty_json_object_is_a_full_refund_too(client):
    body = await paid(client)
    response = await client.post(refund_path(body["transaction_id"]), json={}, headers=AUTH)
    assert response.status_code == 200
    assert (await lookup(client, body["pidx"])).json()["status"] == "Refunded"


async def test_partial_refunds_then_the_rest(client):
    body = await paid(client)
    path = refund_path(body["transaction_id"])
    response = await client.post(path, json={"amount": 50000}, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"detail": "Transaction refund successful."}
    after = (await lookup(client, body["pidx"])).json()
    assert after["status"] == "Partially Refunded"
    assert after["refunded"] is True
    too_much = await client.post(path, json={"amount": 129950 - 50000 + 1}, headers=AUTH)
    assert too_much.status_code == 400
    assert too_much.json()["error_key"] == "validation_error"
    assert (await client.post(path, json={"amount": 129950 - 50000}, headers=AUTH)).status_code == 200
    assert (await lookup(client, body["pidx"])).json()["status"] == "Refunded"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (-5, "Ensure this value is greater than or equal to 1."),
        ("abc", BAD_INT),
        (10.5, BAD_INT),
        (True, BAD_INT),
    ],
)
async def test_refund_amount_must_be_a_positive_integer(client, amount, message):
    body = await paid(client)
    response = await client.post(refund_path(body["transaction_id"]), json={"amount": amount}, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == errors(amount=message)
    assert (await lookup(client, body["pidx"])).json()["status"] == "Completed"


async def test_refund_of_an_unknown_transaction_is_404(client):
    response = await client.post(refund_path("GFq9PFS7b2iYvL8Lir9oXe"), headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("status", ["Pending", "Failed"])
async def test_refund_of_a_transaction_that_is_not_completed_is_400(client, status):
    body = await paid(client)
    await client.post(f"_control/{body['pidx']}", json={"status": status})
    response = await client.post(refund_path(body["transaction_id"]), headers=AUTH)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "error_key"}
    assert response.json()["error_key"] == "validation_error"


# -- test control -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "http_status", "has_transaction", "refunded"),
    [
        ("Pending", 200, False, False),
        ("Completed", 200, True, False),
        ("Initiated", 200, False, False),
        ("User canceled", 400, False, False),
        ("Expired", 400, False, False),
        ("Refunded", 200, True, True),
        ("Partially Refunded", 200, True, True),
        ("Failed", 400, False, False),
    ],
)
async def test_control_sets_any_status(client, status, http_status, has_transaction, refunded):
    started = await initiate(client)
    response = await client.post(f"_control/{started['pidx']}", json={"status": status})
    assert response.status_code == 200
    forced = response.json()
    assert forced["status"] == status
    looked_up = await lookup(client, started["pidx"])
    assert looked_up.status_code == http_status
    assert looked_up.json() == forced
    assert (forced["transaction_id"] is not None) is has_transaction
    assert forced["refunded"] is refunded
    if has_transaction:
        assert re.fullmatch(r"[A-Za-z0-9]{22}", forced["transaction_id"])
        assert forced["fee"] == 129950 * 3 // 100


async def test_control_keeps_an_existing_transaction_id(client):
    body = await paid(client)
    forced = (await client.post(f"_control/{body['pidx']}", json={"status": "Refunded"})).json()
    assert forced["transaction_id"] == body["transaction_id"]
    back = (await client.post(f"_control/{body['pidx']}", json={"status": "Completed"})).json()
    assert back == body


async def test_control_overrides_total_amount_to_fake_a_mismatch(client):
    started = await initiate(client)
    forced = (
        await client.post(f"_control/{started['pidx']}", json={"status": "Completed", "total_amount": 1000})
    ).json()
    assert forced["total_amount"] == 1000
    assert (await lookup(client, started["pidx"])).json()["total_amount"] == 1000
    only_amount = (await client.post(f"_control/{started['pidx']}", json={"total_amount": 5000})).json()
    assert only_amount["status"] == "Completed"
    assert only_amount["total_amount"] == 5000


async def test_control_initiated_revives_an_expired_link(client, clock):
    started = await initiate(client)
    clock.advance(seconds=TTL + 5)
    assert (await lookup(client, started["pidx"])).json()["status"] == "Expired"
    await client.post(f"_control/{started['pidx']}", json={"status": "Initiated"})
    assert (await lookup(client, started["pidx"])).json()["status"] == "Initiated"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "Paid"}, 400),
        ({"status": "User cancelled"}, 400),
        ({}, 400),
        ({"total_amount": "abc"}, 400),
        ({"total_amount": -1}, 400),
    ],
)
async def test_control_rejects_nonsense(client, body, status):
    started = await initiate(client)
    response = await client.post(f"_control/{started['pidx']}", json=body)
    assert response.status_code == status
    assert (await lookup(client, started["pidx"])).json()["status"] == "Initiated"


async def test_control_needs_json_so_a_cross_site_form_cannot_flip_a_payment(client):
    started = await initiate(client)
    response = await client.post(f"_control/{started['pidx']}", data={"status": "Completed"})
    assert response.status_code == 415
    response = await client.post(
        f"_control/{started['pidx']}", content=b'{"status": "Completed"}', headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert (await lookup(client, started["pidx"])).json()["status"] == "Initiated"


async def test_control_of_an_unknown_pidx_is_404(client):
    response = await client.post("_control/nope", json={"status": "Completed"})
    assert response.status_code == 404


async def test_stats_count_lookups_per_pidx_and_initiates(client):
    assert (await client.get("_control/stats")).json() == {"lookups": {}, "initiates": 0}
    first, second = await initiate(client), await initiate(client)
    await client.post(INITIATE, json={**VALID, "amount": 5}, headers=AUTH)  # refused: not counted
    for _ in range(3):
        await lookup(client, first["pidx"])
    await lookup(client, second["pidx"])
    await lookup(client, "unknownpidx")
    await client.post(LOOKUP, json={"pidx": first["pidx"]})  # no key: not counted
    await client.post(f"_control/{first['pidx']}", json={"status": "Completed"})  # control is no lookup
    stats = (await client.get("_control/stats")).json()
    assert stats == {"lookups": {first["pidx"]: 3, second["pidx"]: 1, "unknownpidx": 1}, "initiates": 2}
    reset = await client.post("_control/reset-stats")
    assert reset.status_code == 200
    assert reset.json() == {"lookups": {}, "initiates": 0}
    assert (await client.get("_control/stats")).json() == {"lookups": {}, "initiates": 0}
    assert (await lookup(client, first["pidx"])).json()["status"] == "Completed"  # payments stay


# -- faults ----------------------------------------------------------------------------------------------


async def test_latency_delays_api_answers_only(make_client):
    async with make_client(latency_ms=300) as client:
        started = time.perf_counter()
        body = await initiate(client)
        assert time.perf_counter() - started >= 0.3
        started = time.perf_counter()
        assert (await client.get(body["payment_url"])).status_code == 200
        assert (await client.get("_control/stats")).status_code == 200
        assert time.perf_counter() - started < 0.3


async def test_failure_rate_one_makes_every_api_call_a_503_html_page(make_client):
    async with make_client(failure_rate=1.0, faults=("unavailable",)) as client:
        for path in (INITIATE, LOOKUP, refund_path("x")):
            response = await client.post(path, json=VALID, headers=AUTH)
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("text/html")
            assert "503 Service Temporarily Unavailable" in response.text
        # Faults strike before Khalti's app: nothing was counted, and the page and control still work.
        assert (await client.get("_control/stats")).json() == {"lookups": {}, "initiates": 0}
        assert (await client.get("pay/?pidx=nope")).status_code == 404


async def test_failures_follow_the_seeded_rng(make_client):
    async with make_client(failure_rate=0.5, faults=("unavailable",), rng=random.Random(7)) as client:
        statuses = [(await client.post(INITIATE, json=VALID, headers=AUTH)).status_code for _ in range(20)]
    model = random.Random(7)
    assert statuses == [503 if model.random() < 0.5 else 200 for _ in range(20)]
    assert 200 in statuses and 503 in statuses


async def test_failure_kinds_are_drawn_from_the_rng(make_client):
    async with make_client(failure_rate=1.0, rng=random.Random(3), hang_seconds=0.01) as client:
        statuses = [(await client.post(LOOKUP, json={"pidx": "x"}, headers=AUTH)).status_code for _ in range(12)]
    model = random.Random(3)
    expected = []
    for _ in range(12):
        model.random()
        expected.append(504 if model.choice(("unavailable", "hang")) == "hang" else 503)
    assert statuses == expected
    assert set(statuses) == {503, 504}


class TimeoutASGITransport(httpx.ASGITransport):
    """ASGITransport that honours the read timeout as a socket would (plain ASGITransport ignores it)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        read_timeout = request.extensions.get("timeout", {}).get("read")
        try:
            return await asyncio.wait_for(super().handle_async_request(request), timeout=read_timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None


async def test_a_hang_outlasts_the_clients_read_timeout(tmp_path):
    app = create_emulator_app(
        secret_key=KEY, db_path=str(tmp_path / "e.db"), failure_rate=1.0, faults=("hang",), hang_seconds=0.5
    )
    transport = TimeoutASGITransport(app=mounted(app))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=httpx.Timeout(5, read=0.1)) as client:
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            await client.post(LOOKUP, json={"pidx": "x"}, headers=AUTH)
        assert time.perf_counter() - started < 0.4
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted(app)), base_url=BASE) as client:
        started = time.perf_counter()
        response = await client.post(LOOKUP, json={"pidx": "x"}, headers=AUTH)
        assert time.perf_counter() - started >= 0.5
        assert response.status_code == 504
        assert response.headers["content-type"].startswith("text/html")
    app.state.emulator_store.dispose()


@pytest.mark.parametrize(
    "options",
    [{"failure_rate": 1.5}, {"failure_rate": -0.1}, {"link_ttl_seconds": 0}, {"faults": ("explode",)}, {"faults": ()}],
)
def test_bad_options_are_refused(tmp_path, options):
    with pytest.raises(ValueError):
        create_emulator_app(secret_key=KEY, db_path=str(tmp_path / "e.db"), **options)


def test_pidx_of():
    assert pidx_of(f"{BASE}pay/?pidx=abc") == "abc"

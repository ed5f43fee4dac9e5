"""The hosted checkout page over HTTP: credentials, OTP, pay or cancel, and Khalti's return redirect."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.sandbox import create_emulator_app
from khalti_portal.sandbox.templates import rupees
from tests.clocks import ManualClock
from tests.emulator_support import HostedPage, redirect_params

KEY = "emulator_test_key_0123456789"
AUTH = {"Authorization": f"Key {KEY}"}
BASE = "http://testserver/sandbox/khalti/"
TTL = 1800
RETURN_URL = "http://localhost:3000/payment/return"
ORDER: dict[str, Any] = {
    "return_url": RETURN_URL,
    "website_url": "http://localhost:3000",
    "amount": 129950,
    "purchase_order_id": "po_7f3a9c",
    "purchase_order_name": "Standard plan & more",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(tmp_path, clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_emulator_app(secret_key=KEY, db_path=str(tmp_path / "e.db"), clock=clock, link_ttl_seconds=TTL)
    transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/sandbox/khalti", app=app)]))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http
    app.state.emulator_store.dispose()


@pytest.fixture
def page(client) -> HostedPage:
    return HostedPage(client)


async def start(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await client.post("api/v2/epayment/initiate/", json={**ORDER, **changes}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def status_of(client: httpx.AsyncClient, pidx: str) -> dict[str, Any]:
    return (await client.post("api/v2/epayment/lookup/", json={"pidx": pidx}, headers=AUTH)).json()


def has_id(html: str, element_id: str) -> bool:
    return f'id="{element_id}"' in html


def error_text(html: str) -> str:
    found = re.search(r'<p class="error" id="error" role="alert">(.*?)</p>', html)
    assert found, "no #error on the page"
    return found.group(1)


def label_for(html: str, element_id: str) -> str | None:
    found = re.search(rf'<label for="{element_id}">(.*?)</label>', html)
    return found.group(1) if found else None


# -- what the page shows -----------------------------------------------------------------------------------


async def test_page_shows_merchant_order_amount_and_labelled_credentials_form(client, page):
    started = await start(client)
    response = await page.open(started["payment_url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="http://localhost:3000"' in html
    assert "Rs 1,299.50" in html
    assert "Standard plan &amp; more" in html
    assert label_for(html, "khalti-id") and label_for(html, "mpin")
    assert has_id(html, "khalti-id") and has_id(html, "mpin") and has_id(html, "cancel")
    assert not has_id(html, "otp") and not has_id(html, "pay") and not has_id(html, "error")
    for credential in ("9800000000", "9800000005", "1111", "987654"):
        assert credential in html


async def test_merchant_text_is_escaped(client, page):
    started = await start(client, purchase_order_name='<script>alert("x")</script>')
    html = (await page.open(started["payment_url"])).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("paisa", "text"),
    [
        (129950, "Rs 1,299.50"),
        (1000, "Rs 10"),
        (10000000, "Rs 1,00,000"),
        (100005, "Rs 1,000.05"),
        (123456789, "Rs 12,34,567.89"),
        (-2550, "Rs -25.50"),
    ],
)
def test_rupees_uses_integer_paisa_and_lakh_grouping(paisa, text):
    assert rupees(paisa) == text


async def test_unknown_pidx_is_a_404_page(client, page):
    for response in (
        await client.get("pay/?pidx=doesnotexist"),
        await client.get("pay/"),
        await client.post("pay/?pidx=doesnotexist", data={"action": "cancel"}),
    ):
        assert response.status_code == 404
        assert has_id(response.text, "not-found")
        assert not has_id(response.text, "khalti-id")


# -- wrong credentials change nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("khalti_id", "mpin", "message"),
    [
        ("", "1111", "Enter your Khalti ID"),
        ("9800000006", "1111", "not a test account"),
        ("9812345678", "1111", "not a test account"),
        ("abc", "1111", "not a test account"),
        ("9800000000", "1234", "Incorrect MPIN"),
        ("9800000000", "", "Incorrect MPIN"),
    ],
)
async def test_wrong_credentials_show_an_error_and_change_nothing(client, page, khalti_id, mpin, message):
    started = await start(client)
    response, token = await page.login(started["payment_url"], khalti_id=khalti_id, mpin=mpin)
    assert response.status_code == 400
    assert message in error_text(response.text)
    assert token is None
    assert has_id(response.text, "khalti-id") and not has_id(response.text, "otp")
    assert f'value="{khalti_id}"' in response.text  # the ID is kept, the MPIN is not
    body = await status_of(client, started["pidx"])
    assert body["status"] == "Initiated"
    assert body["transaction_id"] is None


async def test_right_credentials_lead_to_the_otp_step(client, page):
    started = await start(client)
    response, token = await page.login(started["payment_url"], khalti_id="9800000004")
    assert response.status_code == 200
    html = response.text
    assert token
    assert label_for(html, "otp")
    assert has_id(html, "otp") and has_id(html, "pay") and has_id(html, "cancel")
    assert "98XXXXX004" in html
    assert "Pay Rs 1,299.50" in html
    assert (await status_of(client, started["pidx"]))["status"] == "Initiated"


async def test_wrong_otp_shows_an_error_changes_nothing_and_can_be_retried(client, page):
    started = await start(client)
    _, token = await page.login(started["payment_url"])
    response = await page.pay(started["payment_url"], token, otp="123456")
    assert response.status_code == 400
    assert "Incorrect OTP" in error_text(response.text)
    assert has_id(response.text, "otp")
    assert (await status_of(client, started["pidx"]))["status"] == "Initiated"
    response = await page.pay(started["payment_url"], token)
    assert response.status_code == 303


@pytest.mark.parametrize("token", ["", "forged-token", "x" * 200, "ñ"])
async def test_an_unknown_step_token_sends_back_to_step_one(client, page, token):
    started = await start(client)
    await page.login(started["payment_url"])
    response = await page.pay(started["payment_url"], token)
    assert response.status_code == 400
    assert "expired" in error_text(response.text)
    assert has_id(response.text, "khalti-id")
    assert (await status_of(client, started["pidx"]))["status"] == "Initiated"


async def test_the_otp_step_is_short_lived(client, page, clock):
    started = await start(client)
    _, token = await page.login(started["payment_url"])
    clock.advance(minutes=11)
    response = await page.pay(started["payment_url"], token)
    assert response.status_code == 400
    assert "expired" in error_text(response.text)
    assert (await status_of(client, started["pidx"]))["status"] == "Initiated"


async def test_a_newer_login_replaces_the_older_otp_step(client, page):
    started = await start(client)
    _, first = await page.login(started["payment_url"])
    _, second = await page.login(started["payment_url"], khalti_id="9800000002")
    assert (await page.pay(started["payment_url"], first)).status_code == 400
    location = (await page.pay(started["payment_url"], second)).headers["location"]
    assert redirect_params(location)["mobile"] == "98XXXXX002"


# -- paying and canceling -------------------------------------------------------------------------------------


async def test_pay_redirects_to_return_url_with_khaltis_parameters(client, page):
    started = await start(client)
    _, token = await page.login(started["payment_url"], khalti_id="9800000003")
    response = await page.pay(started["payment_url"], token)
    assert response.status_code == 303
    location = response.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == RETURN_URL
    body = await status_of(client, started["pidx"])
    assert body["status"] == "Completed"
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert query == {
        "pidx": [started["pidx"]],
        "status": ["Completed"],
        "transaction_id": [body["transaction_id"]],
        "tidx": [body["transaction_id"]],
        "amount": ["129950"],
        "total_amount": ["129950"],
        "mobile": ["98XXXXX003"],
        "purchase_order_id": ["po_7f3a9c"],
        "purchase_order_name": ["Standard plan & more"],
    }
    assert "purchase_order_name=Standard%20plan%20%26%20more" in parts.query  # %20, never "+"


@pytest.mark.parametrize("step", ["credentials", "otp"])
async def test_cancel_redirects_with_user_canceled_and_empty_payment_fields(client, page, step):
    started = await start(client)
    if step == "otp":
        await page.login(started["payment_url"])
    response = await page.submit(started["payment_url"], action="cancel")
    assert response.status_code == 303
    location = response.headers["location"]
    raw_query = urlsplit(location).query
    assert "status=User%20canceled" in raw_query
    assert "transaction_id=&tidx=&" in raw_query and "mobile=&" in raw_query
    assert redirect_params(location) == {
        "pidx": started["pidx"],
        "status": "User canceled",
        "transaction_id": "",
        "tidx": "",
        "amount": "129950",
        "total_amount": "129950",
        "mobile": "",
        "purchase_order_id": "po_7f3a9c",
        "purchase_order_name": "Standard plan & more",
    }
    body = await status_of(client, started["pidx"])
    assert body["status"] == "User canceled"
    # Canceled is final: no paying afterwards, even with a token from before.
    opened = await page.open(started["payment_url"])
    assert 'data-status="User canceled"' in opened.text
    assert not has_id(opened.text, "khalti-id")
    refused, token = await page.login(started["payment_url"])
    assert refused.status_code == 409
    assert token is None


async def test_a_return_url_with_a_query_keeps_it(client, page):
    started = await start(client, return_url="http://localhost:3000/payment/return?lang=ne")
    location = await page.complete(started["payment_url"])
    assert location.startswith("http://localhost:3000/payment/return?lang=ne&pidx=")
    assert redirect_params(location)["status"] == "Completed"


async def test_total_amount_in_the_redirect_is_what_khalti_charged(client, page):
    started = await start(client)
    await client.post(f"_control/{started['pidx']}", json={"total_amount": 1000})
    html = (await page.open(started["payment_url"])).text
    assert "Rs 10" in html
    params = redirect_params(await page.complete(started["payment_url"]))
    assert (params["amount"], params["total_amount"]) == ("129950", "1000")


async def test_pay_twice_is_refused_and_keeps_one_transaction(client, page):
    started = await start(client)
    _, token = await page.login(started["payment_url"])
    first = await page.pay(started["payment_url"], token)
    assert first.status_code == 303
    transaction_id = redirect_params(first.headers["location"])["transaction_id"]
    second = await page.pay(started["payment_url"], token)
    assert second.status_code == 409
    assert 'data-status="Completed"' in second.text
    assert not has_id(second.text, "otp") and not has_id(second.text, "pay")
    relogin, new_token = await page.login(started["payment_url"])
    assert relogin.status_code == 409 and new_token is None
    cancel = await page.submit(started["payment_url"], action="cancel")
    assert cancel.status_code == 409
    body = await status_of(client, started["pidx"])
    assert body["status"] == "Completed"
    assert body["transaction_id"] == transaction_id
    opened = await page.open(started["payment_url"])
    assert opened.status_code == 200
    assert "already been completed" in opened.text
    back = re.search(r'id="back-to-merchant" href="([^"]+)"', opened.text).group(1).replace("&amp;", "&")
    assert redirect_params(back)["transaction_id"] == transaction_id


async def test_pay_after_expiry_is_refused(client, page, clock):
    started = await start(client)
    _, token = await page.login(started["payment_url"])
    clock.advance(seconds=TTL)
    response = await page.pay(started["payment_url"], token)
    assert response.status_code == 409
    assert 'data-status="Expired"' in response.text
    assert "expired" in response.text
    assert not has_id(response.text, "otp")
    lookup = await client.post("api/v2/epayment/lookup/", json={"pidx": started["pidx"]}, headers=AUTH)
    assert lookup.status_code == 400
    assert lookup.json()["status"] == "Expired"
    opened = await page.open(started["payment_url"])
    assert 'data-status="Expired"' in opened.text
    assert not has_id(opened.text, "khalti-id")
    assert (await page.submit(started["payment_url"], action="cancel")).status_code == 409


async def test_login_after_expiry_is_refused(client, page, clock):
    started = await start(client)
    clock.advance(seconds=TTL + 1)
    response, token = await page.login(started["payment_url"])
    assert response.status_code == 409
    assert token is None


@pytest.mark.parametrize("status", ["Pending", "Failed", "Refunded", "Partially Refunded"])
async def test_other_final_states_show_no_form(client, page, status):
    started = await start(client)
    await client.post(f"_control/{started['pidx']}", json={"status": status})
    opened = await page.open(started["payment_url"])
    assert opened.status_code == 200
    assert f'data-status="{status}"' in opened.text
    assert not has_id(opened.text, "khalti-id") and not has_id(opened.text, "pay")

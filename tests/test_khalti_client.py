"""KhaltiClient against respx: every answer in KHALTI.md becomes a typed result or a typed error."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from khalti_portal.khalti import (
    AmountLine,
    CustomerInfo,
    InitiateResult,
    KhaltiAuthError,
    KhaltiClient,
    KhaltiError,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiUnexpectedResponseError,
    KhaltiValidationError,
    LookupResult,
    LookupStatus,
    ProductDetail,
    RefundResult,
)
from tests import khalti_fixtures as fx

KEY = "live_secret_key_SUPERSECRET_123"
BASE = "https://dev.khalti.com/"
INITIATE_URL = BASE + "api/v2/epayment/initiate/"
LOOKUP_URL = BASE + "api/v2/epayment/lookup/"
REFUND_URL = BASE + f"api/merchant-transaction/{fx.TRANSACTION_ID}/refund/"

INITIATE_ARGS: dict[str, Any] = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000/",
    "amount_paisa": 1000,
    "purchase_order_id": "order-42",
    "purchase_order_name": "Monthly plan",
}


@pytest.fixture
async def client():
    async with KhaltiClient(secret_key=KEY, base_url=BASE) as khalti:
        yield khalti


@pytest.fixture
def khalti_mock():
    with respx.mock(assert_all_called=False) as router:
        yield router


def sent_json(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- the requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        ("https://dev.khalti.com/", "https://dev.khalti.com/"),
        ("https://dev.khalti.com", "https://dev.khalti.com/"),
        ("https://khalti.com/", "https://khalti.com/"),
        ("http://host:3000/sandbox/khalti/", "http://host:3000/sandbox/khalti/"),
        ("http://host:3000/sandbox/khalti", "http://host:3000/sandbox/khalti/"),
    ],
)
async def test_every_call_posts_json_to_base_plus_path_with_key_header(khalti_mock, base_url, prefix):
    initiate = khalti_mock.post(prefix + "api/v2/epayment/initiate/").respond(200, json=fx.INITIATE_OK)
    lookup = khalti_mock.post(prefix + "api/v2/epayment/lookup/").respond(200, json=fx.LOOKUP_COMPLETED)
    refund = khalti_mock.post(prefix + f"api/merchant-transaction/{fx.TRANSACTION_ID}/refund/").respond(
        200, json=fx.REFUND_OK
    )
    async with KhaltiClient(secret_key=KEY, base_url=base_url) as khalti:
        assert khalti.base_url == prefix
        await khalti.initiate(**INITIATE_ARGS)
        await khalti.lookup(fx.PIDX)
        await khalti.refund(fx.TRANSACTION_ID)

    for route in (initiate, lookup, refund):
        assert route.call_count == 1
        request = route.calls.last.request
        assert request.method == "POST"
        assert request.headers["Authorization"] == f"Key {KEY}"
        assert request.headers["Content-Type"] == "application/json"
    assert str(initiate.calls.last.request.url) == prefix + "api/v2/epayment/initiate/"
    assert str(lookup.calls.last.request.url) == prefix + "api/v2/epayment/lookup/"
    assert str(refund.calls.last.request.url) == prefix + f"api/merchant-transaction/{fx.TRANSACTION_ID}/refund/"
    assert sent_json(lookup) == {"pidx": fx.PIDX}
    assert sent_json(refund) == {}


async def test_initiate_sends_khaltis_field_names(client, khalti_mock):
    route = khalti_mock.post(INITIATE_URL).respond(200, json=fx.INITIATE_OK)
    await client.initiate(
        return_url="http://localhost:3000/payment/return",
        website_url="http://localhost:3000/",
        amount_paisa=1300,
        purchase_order_id="order-42",
        purchase_order_name="Monthly plan",
        customer_info=CustomerInfo(name="Ram Bahadur", email="", phone="9800000001"),
        amount_breakdown=[AmountLine("Plan", 1500), AmountLine("Discount", -300), AmountLine("VAT", 100)],
        product_details=[ProductDetail("plan-1", "Monthly plan", 1300, 1, 1300)],
        merchant_extra={"user_id": "7", "merchant_plan": "monthly"},
    )
    assert sent_json(route) == {
        "return_url": "http://localhost:3000/payment/return",
        "website_url": "http://localhost:3000/",
        "amount": 1300,
        "purchase_order_id": "order-42",
        "purchase_order_name": "Monthly plan",
        "customer_info": {"name": "Ram Bahadur", "phone": "9800000001"},
        "amount_breakdown": [
            {"label": "Plan", "amount": 1500},
            {"label": "Discount", "amount": -300},
            {"label": "VAT", "amount": 100},
        ],
        "product_details": [
            {"identity": "plan-1", "name": "Monthly plan", "total_price": 1300, "quantity": 1, "unit_price": 1300}
        ],
        "merchant_user_id": "7",
        "merchant_plan": "monthly",
    }


async def test_initiate_omits_optional_fields_that_are_empty(client, khalti_mock):
    route = khalti_mock.post(INITIATE_URL).respond(200, json=fx.INITIATE_OK)
    await client.initiate(**INITIATE_ARGS, customer_info=CustomerInfo(), amount_breakdown=[], product_details=[])
    assert set(sent_json(route)) == {"return_url", "website_url", "amount", "purchase_order_id", "purchase_order_name"}


async def test_refund_partial_body_and_mobile(client, khalti_mock):
    route = khalti_mock.post(REFUND_URL).respond(200, json=fx.REFUND_OK)
    result = await client.refund(fx.TRANSACTION_ID, amount_paisa=500, mobile="9800000001")
    assert sent_json(route) == {"amount": 500, "mobile": "9800000001"}
    assert result == RefundResult(detail="Transaction refund successful.", raw=fx.REFUND_OK)


async def test_transport_can_be_injected():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=fx.LOOKUP_COMPLETED)

    async with KhaltiClient(secret_key=KEY, base_url=BASE, transport=httpx.MockTransport(handler)) as khalti:
        result = await khalti.lookup(fx.PIDX)
    assert result.status is LookupStatus.COMPLETED
    assert str(seen[0].url) == LOOKUP_URL


def test_default_timeout_is_explicit():
    khalti = KhaltiClient(secret_key=KEY, base_url=BASE)
    assert khalti.timeout == httpx.Timeout(connect=10.0, read=30.0, write=10.0, pool=10.0)
    custom = httpx.Timeout(3.0)
    assert KhaltiClient(secret_key=KEY, base_url=BASE, timeout=custom).timeout == custom


async def test_aclose_closes_the_client():
    khalti = KhaltiClient(secret_key=KEY, base_url=BASE)
    await khalti.aclose()
    assert khalti._http.is_closed


@pytest.mark.parametrize("base_url", ["", "dev.khalti.com", "ftp://khalti.com/", "https://khalti.com/?x=1"])
def test_bad_base_url_is_refused(base_url):
    with pytest.raises(ValueError, match="base_url"):
        KhaltiClient(secret_key=KEY, base_url=base_url)


@pytest.mark.parametrize("secret_key", ["", "   ", "two words", "line\nbreak"])
def test_bad_secret_key_is_refused_without_echoing_it(secret_key):
    with pytest.raises(ValueError, match="secret_key") as caught:
        KhaltiClient(secret_key=secret_key, base_url=BASE)
    if secret_key.strip():
        assert secret_key not in str(caught.value)


async def test_a_short_key_does_not_garble_answers(khalti_mock):
    khalti_mock.post(INITIATE_URL).respond(400, json=fx.BLANK_RETURN_URL)
    async with KhaltiClient(secret_key="k", base_url=BASE) as khalti:
        with pytest.raises(KhaltiValidationError) as caught:
            await khalti.initiate(**INITIATE_ARGS)
    assert caught.value.field_errors == {"return_url": ["This field may not be blank."]}
    assert caught.value.error_key == "validation_error"
    assert caught.value.body == fx.BLANK_RETURN_URL


# -- initiate --------------------------------------------------------------------------------------


async def test_initiate_success_parses_an_aware_expiry(client, khalti_mock):
    khalti_mock.post(INITIATE_URL).respond(200, json=fx.INITIATE_OK)
    result = await client.initiate(**INITIATE_ARGS)
    assert isinstance(result, InitiateResult)
    assert result.pidx == "bZQLD9wRVWo4CdESSfuSsB"
    assert result.payment_url == "https://test-pay.khalti.com/?pidx=bZQLD9wRVWo4CdESSfuSsB"
    assert result.expires_in == 1800
    assert result.raw == fx.INITIATE_OK
    assert result.expires_at.tzinfo is not None
    assert result.expires_at.utcoffset() == timedelta(hours=5, minutes=45)
    assert result.expires_at == datetime(2023, 5, 25, 10, 41, 16, 471649, tzinfo=UTC)


async def test_initiate_without_expires_in(client, khalti_mock):
    body = {k: v for k, v in fx.INITIATE_OK.items() if k != "expires_in"}
    khalti_mock.post(INITIATE_URL).respond(200, json=body)
    assert (await client.initiate(**INITIATE_ARGS)).expires_in is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (fx.BLANK_RETURN_URL, "return_url", "This field may not be blank."),
        (fx.INVALID_RETURN_URL, "return_url", "Enter a valid URL."),
        (fx.INVALID_WEBSITE_URL, "website_url", "Enter a valid URL."),
        (fx.AMOUNT_BELOW_MINIMUM, "amount", "Amount should be greater than Rs. 10, that is 1000 paisa."),
        (fx.AMOUNT_NOT_INTEGER, "amount", "A valid integer is required."),
        (fx.BREAKDOWN_MISMATCH, "amount", "Amount Breakdown mismatch."),
        (fx.BLANK_PURCHASE_ORDER_ID, "purchase_order_id", "This field may not be blank."),
    ],
)
async def test_initiate_validation_errors(client, khalti_mock, body, field, message):
    khalti_mock.post(INITIATE_URL).respond(400, json=body)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.initiate(**INITIATE_ARGS)
    err = caught.value
    assert err.http_status == 400
    assert err.field_errors == {field: [message]}
    assert err.error_key == "validation_error"
    assert err.body == body
    assert err.should_retry is False
    assert message in str(err)


async def test_validation_error_surfaces_non_field_errors_detail_and_error_data(client, khalti_mock):
    body = {
        "non_field_errors": ["Duplicate purchase_order_id."],
        "detail": "Bad request.",
        "error_data": {"code": 7},
        "customer_info": {"email": ["Enter a valid email address."]},
        "error_key": "validation_error",
    }
    khalti_mock.post(INITIATE_URL).respond(400, json=body)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.initiate(**INITIATE_ARGS)
    err = caught.value
    assert err.non_field_errors == ["Duplicate purchase_order_id."]
    assert err.detail == "Bad request."
    assert err.error_data == {"code": 7}
    assert err.field_errors == {"customer_info.email": ["Enter a valid email address."]}


@pytest.mark.parametrize(
    ("kwargs", "field_errors"),
    [
        ({"amount_paisa": 999}, {"amount": ["Amount should be greater than Rs. 10, that is 1000 paisa."]}),
        ({"amount_paisa": 0}, {"amount": ["Amount should be greater than Rs. 10, that is 1000 paisa."]}),
        ({"amount_paisa": 12.5}, {"amount": ["A valid integer is required."]}),
        ({"amount_paisa": 1000.0}, {"amount": ["A valid integer is required."]}),
        ({"amount_paisa": "1000"}, {"amount": ["A valid integer is required."]}),
        ({"amount_paisa": True}, {"amount": ["A valid integer is required."]}),
        (
            {"amount_paisa": 1500, "amount_breakdown": [AmountLine("Plan", 1000), AmountLine("VAT", 130)]},
            {"amount": ["Amount Breakdown mismatch."]},
        ),
        (
            {"amount_paisa": 1000, "amount_breakdown": [AmountLine("Plan", 1000.0)]},  # type: ignore[arg-type]
            {"amount_breakdown": ["A valid integer is required."]},
        ),
        (
            {"product_details": [ProductDetail("p", "Plan", 10.0, 1, 1000)]},  # type: ignore[arg-type]
            {"product_details": ["A valid integer is required."]},
        ),
        ({"purchase_order_id": ""}, {"purchase_order_id": ["This field may not be blank."]}),
        ({"return_url": "  "}, {"return_url": ["This field may not be blank."]}),
        ({"merchant_extra": {"user_id": 7}}, {"merchant_user_id": ["Not a valid string."]}),
    ],
)
async def test_initiate_is_validated_before_any_request(client, khalti_mock, kwargs, field_errors):
    route = khalti_mock.post(INITIATE_URL).respond(200, json=fx.INITIATE_OK)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.initiate(**{**INITIATE_ARGS, **kwargs})
    assert not route.called
    assert caught.value.http_status is None
    assert caught.value.field_errors == field_errors
    assert caught.value.should_retry is False


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"payment_url": fx.INITIATE_OK["payment_url"], "expires_at": fx.INITIATE_OK["expires_at"]}, "pidx"),
        ({**fx.INITIATE_OK, "pidx": 12345}, "pidx"),
        ({**fx.INITIATE_OK, "payment_url": None}, "payment_url"),
        ({**fx.INITIATE_OK, "payment_url": "javascript:alert(1)"}, "payment_url"),
        ({**fx.INITIATE_OK, "expires_at": "next tuesday"}, "expires_at"),
        ({**fx.INITIATE_OK, "expires_at": "2023-05-25T16:26:16"}, "expires_at"),
        ({**fx.INITIATE_OK, "expires_in": "1800"}, "expires_in"),
    ],
)
async def test_initiate_2xx_with_bad_shape_is_unexpected(client, khalti_mock, body, why):
    khalti_mock.post(INITIATE_URL).respond(200, json=body)
    with pytest.raises(KhaltiUnexpectedResponseError) as caught:
        await client.initiate(**INITIATE_ARGS)
    assert caught.value.http_status == 200
    assert why in str(caught.value)
    assert caught.value.should_retry is False


# -- lookup ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "http_status", "status"),
    [
        (fx.LOOKUP_COMPLETED, 200, LookupStatus.COMPLETED),
        (fx.LOOKUP_PENDING, 200, LookupStatus.PENDING),
        (fx.LOOKUP_INITIATED, 200, LookupStatus.INITIATED),
        (fx.LOOKUP_REFUNDED, 200, LookupStatus.REFUNDED),
        (fx.LOOKUP_PARTIALLY_REFUNDED, 200, LookupStatus.PARTIALLY_REFUNDED),
        (fx.LOOKUP_PARTIALLY_REFUNDED_LOWER, 200, LookupStatus.PARTIALLY_REFUNDED),
        (fx.lookup_body("PARTIALLY  REFUNDED", refunded=True), 200, LookupStatus.PARTIALLY_REFUNDED),
        (fx.LOOKUP_EXPIRED, 400, LookupStatus.EXPIRED),
        (fx.LOOKUP_USER_CANCELED, 400, LookupStatus.USER_CANCELED),
        (fx.lookup_body("User cancelled", transaction_id=None), 400, LookupStatus.USER_CANCELED),
        (fx.LOOKUP_FAILED, 200, LookupStatus.FAILED),
        (fx.lookup_body("Ambiguous", transaction_id=None), 200, LookupStatus.UNKNOWN),
        (fx.lookup_body("Something new", transaction_id=None), 400, LookupStatus.UNKNOWN),
    ],
)
async def test_lookup_statuses(client, khalti_mock, body, http_status, status):
    route = khalti_mock.post(LOOKUP_URL).respond(http_status, json=body)
    result = await client.lookup(fx.PIDX)
    assert sent_json(route) == {"pidx": fx.PIDX}
    assert isinstance(result, LookupResult)
    assert result.status is status
    assert result.status_text == body["status"]
    assert result.pidx == fx.PIDX
    assert result.total_amount == 1000
    assert result.transaction_id == body["transaction_id"]
    assert result.fee == 0
    assert result.refunded is body["refunded"]
    assert result.http_status == http_status
    assert result.raw == body


async def test_lookup_defaults_fee_refunded_and_transaction_id(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(200, json={"pidx": fx.PIDX, "status": "Pending", "total_amount": 2500})
    result = await client.lookup(fx.PIDX)
    assert (result.fee, result.refunded, result.transaction_id, result.total_amount) == (0, False, None, 2500)


async def test_lookup_empty_transaction_id_is_none(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(200, json=fx.lookup_body("User canceled", transaction_id=""))
    assert (await client.lookup(fx.PIDX)).transaction_id is None


async def test_lookup_unknown_pidx_is_not_found(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(404, json=fx.NOT_FOUND)
    with pytest.raises(KhaltiNotFoundError) as caught:
        await client.lookup("nope")
    assert caught.value.http_status == 404
    assert caught.value.body == fx.NOT_FOUND
    assert caught.value.should_retry is False


async def test_lookup_400_saying_only_not_found_is_not_found(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(400, json=fx.NOT_FOUND)
    with pytest.raises(KhaltiNotFoundError) as caught:
        await client.lookup("nope")
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"pidx": fx.PIDX, "total_amount": 1000}, "status"),
        ({"pidx": fx.PIDX, "status": "Completed"}, "total_amount"),
        ({"status": "Completed", "total_amount": 1000}, "pidx"),
        ({**fx.LOOKUP_COMPLETED, "total_amount": 1000.0}, "total_amount"),
        ({**fx.LOOKUP_COMPLETED, "total_amount": 12.99}, "total_amount"),
        ({**fx.LOOKUP_COMPLETED, "total_amount": "1000"}, "total_amount"),
        ({**fx.LOOKUP_COMPLETED, "total_amount": True}, "total_amount"),
        ({**fx.LOOKUP_COMPLETED, "total_amount": -1000}, "total_amount"),
        ({**fx.LOOKUP_COMPLETED, "fee": 1.5}, "fee"),
        ({**fx.LOOKUP_COMPLETED, "refunded": "false"}, "refunded"),
        ({**fx.LOOKUP_COMPLETED, "transaction_id": 42}, "transaction_id"),
        ({**fx.LOOKUP_COMPLETED, "status": 1}, "status"),
        ({**fx.LOOKUP_COMPLETED, "pidx": "someone-else"}, "different pidx"),
    ],
)
async def test_lookup_200_with_missing_or_mistyped_fields_is_unexpected(client, khalti_mock, body, why):
    khalti_mock.post(LOOKUP_URL).respond(200, json=body)
    with pytest.raises(KhaltiUnexpectedResponseError) as caught:
        await client.lookup(fx.PIDX)
    assert caught.value.http_status == 200
    assert caught.value.body == body
    assert why in str(caught.value)


async def test_lookup_400_lookup_body_with_float_amount_is_unexpected(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(400, json={**fx.LOOKUP_EXPIRED, "total_amount": 10.0})
    with pytest.raises(KhaltiUnexpectedResponseError):
        await client.lookup(fx.PIDX)


async def test_lookup_blank_pidx_is_refused_locally(client, khalti_mock):
    route = khalti_mock.post(LOOKUP_URL).respond(200, json=fx.LOOKUP_COMPLETED)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.lookup("")
    assert not route.called
    assert caught.value.field_errors == {"pidx": ["This field may not be blank."]}


def test_lookup_status_parse():
    assert LookupStatus.parse("Completed") is LookupStatus.COMPLETED
    assert LookupStatus.parse("partially refunded") is LookupStatus.PARTIALLY_REFUNDED
    assert LookupStatus.parse("PARTIALLY REFUNDED") is LookupStatus.PARTIALLY_REFUNDED
    assert LookupStatus.parse("  Partially \t Refunded ") is LookupStatus.PARTIALLY_REFUNDED
    assert LookupStatus.parse("User canceled") is LookupStatus.USER_CANCELED
    assert LookupStatus.parse("User cancelled") is LookupStatus.USER_CANCELED
    assert LookupStatus.parse("user  CANCELLED") is LookupStatus.USER_CANCELED
    assert LookupStatus.parse("") is LookupStatus.UNKNOWN
    assert LookupStatus.parse("Refund pending") is LookupStatus.UNKNOWN
    assert LookupStatus.parse(None) is LookupStatus.UNKNOWN  # type: ignore[arg-type]
    assert LookupStatus.PARTIALLY_REFUNDED == "Partially Refunded"


# -- errors common to every call -------------------------------------------------------------------


@pytest.mark.parametrize("body", [fx.INVALID_TOKEN, fx.NO_CREDENTIALS])
@pytest.mark.parametrize("http_status", [401, 403])
async def test_auth_errors(client, khalti_mock, body, http_status):
    khalti_mock.post(LOOKUP_URL).respond(http_status, json=body)
    with pytest.raises(KhaltiAuthError) as caught:
        await client.lookup(fx.PIDX)
    err = caught.value
    assert err.http_status == http_status
    assert err.body == body
    assert err.should_retry is False
    assert body["detail"] in str(err)


@pytest.mark.parametrize("http_status", [500, 502, 503, 504])
async def test_server_errors_are_retryable(client, khalti_mock, http_status):
    khalti_mock.post(LOOKUP_URL).respond(http_status, json={"detail": "Service unavailable"})
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    err = caught.value
    assert (err.reason, err.http_status, err.should_retry) == ("server_error", http_status, True)
    assert err.body == {"detail": "Service unavailable"}


async def test_503_with_empty_body(client, khalti_mock):
    khalti_mock.post(INITIATE_URL).respond(503)
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.initiate(**INITIATE_ARGS)
    assert (caught.value.reason, caught.value.http_status, caught.value.body) == ("server_error", 503, None)


async def test_rate_limited(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(429, headers={"Retry-After": "12"}, json={"detail": "Throttled."})
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    assert (caught.value.reason, caught.value.http_status, caught.value.retry_after) == ("rate_limited", 429, 12.0)


@pytest.mark.parametrize(
    ("side_effect", "reason"),
    [
        (httpx.ReadTimeout, "timeout"),
        (httpx.ConnectTimeout, "timeout"),
        (httpx.WriteTimeout, "timeout"),
        (httpx.PoolTimeout, "timeout"),
        (httpx.ConnectError, "connection"),
        (httpx.ReadError, "connection"),
        (httpx.RemoteProtocolError, "connection"),
    ],
)
async def test_transport_failures_are_retryable(client, khalti_mock, side_effect, reason):
    khalti_mock.post(LOOKUP_URL).mock(side_effect=side_effect)
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    err = caught.value
    assert (err.reason, err.http_status, err.body, err.should_retry) == (reason, None, None, True)
    assert isinstance(err.__cause__, side_effect)


@pytest.mark.parametrize("http_status", [200, 400, 404, 502])
async def test_html_error_page_is_unavailable(client, khalti_mock, http_status):
    khalti_mock.post(LOOKUP_URL).respond(
        http_status, text=fx.HTML_ERROR_PAGE, headers={"Content-Type": "text/html; charset=utf-8"}
    )
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    err = caught.value
    assert err.reason == ("server_error" if http_status >= 500 else "invalid_response")
    assert err.http_status == http_status
    assert isinstance(err.body, str) and "502 Bad Gateway" in err.body
    assert err.should_retry is True


@pytest.mark.parametrize("content", [b'{"pidx": "abc", "status": ', b"", b"\xff\xfe garbage"])
async def test_invalid_json_is_unavailable(client, khalti_mock, content):
    khalti_mock.post(LOOKUP_URL).respond(200, content=content, headers={"Content-Type": "application/json"})
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    assert (caught.value.reason, caught.value.http_status) == ("invalid_response", 200)


async def test_long_text_body_is_truncated(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(200, text="x" * 10_000)
    with pytest.raises(KhaltiUnavailableError) as caught:
        await client.lookup(fx.PIDX)
    assert len(caught.value.body) <= 500


async def test_json_that_is_not_an_object_is_unexpected(client, khalti_mock):
    khalti_mock.post(LOOKUP_URL).respond(200, json=["Completed"])
    with pytest.raises(KhaltiUnexpectedResponseError):
        await client.lookup(fx.PIDX)


@pytest.mark.parametrize(
    ("http_status", "body"),
    [
        (418, {"detail": "I'm a teapot"}),
        (302, {}),
        (409, fx.BLANK_RETURN_URL),
        (400, {}),
        (400, {"unexpected": 1}),
    ],
)
async def test_unexpected_statuses_and_bodies(client, khalti_mock, http_status, body):
    khalti_mock.post(INITIATE_URL).respond(http_status, json=body)
    with pytest.raises(KhaltiUnexpectedResponseError) as caught:
        await client.initiate(**INITIATE_ARGS)
    assert caught.value.http_status == http_status
    assert caught.value.should_retry is False


def test_error_tree_and_pickling():
    for cls in (
        KhaltiAuthError,
        KhaltiValidationError,
        KhaltiNotFoundError,
        KhaltiUnavailableError,
        KhaltiUnexpectedResponseError,
    ):
        assert issubclass(cls, KhaltiError)
    assert KhaltiError.should_retry is False
    assert KhaltiUnavailableError.should_retry is True
    err = KhaltiUnavailableError("down", reason="server_error", http_status=503, body="<html>")
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.reason, copy.http_status, copy.body) == (
        KhaltiUnavailableError,
        "down",
        "server_error",
        503,
        "<html>",
    )
    invalid = pickle.loads(pickle.dumps(KhaltiValidationError("bad", field_errors={"a": ["b"]})))
    assert invalid.field_errors == {"a": ["b"]}


# -- refund ----------------------------------------------------------------------------------------


async def test_refund_full(client, khalti_mock):
    route = khalti_mock.post(REFUND_URL).respond(200, json=fx.REFUND_OK)
    result = await client.refund(fx.TRANSACTION_ID)
    assert sent_json(route) == {}
    assert result.detail == "Transaction refund successful."
    assert result.raw == fx.REFUND_OK


async def test_refund_validation_error(client, khalti_mock):
    body = {"amount": ["Refund amount exceeds the transaction amount."], "error_key": "validation_error"}
    khalti_mock.post(REFUND_URL).respond(400, json=body)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.refund(fx.TRANSACTION_ID, amount_paisa=10**9)
    assert caught.value.http_status == 400
    assert caught.value.field_errors == {"amount": ["Refund amount exceeds the transaction amount."]}


async def test_refund_detail_only_400_is_validation(client, khalti_mock):
    body = {"detail": "Transaction already refunded.", "error_key": "validation_error"}
    khalti_mock.post(REFUND_URL).respond(400, json=body)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.refund(fx.TRANSACTION_ID)
    assert caught.value.detail == "Transaction already refunded."
    assert caught.value.field_errors == {}


async def test_refund_unknown_transaction_is_not_found(client, khalti_mock):
    khalti_mock.post(REFUND_URL).respond(404, json={"detail": "Not found."})
    with pytest.raises(KhaltiNotFoundError) as caught:
        await client.refund(fx.TRANSACTION_ID)
    assert caught.value.http_status == 404


async def test_refund_200_without_detail_is_unexpected(client, khalti_mock):
    khalti_mock.post(REFUND_URL).respond(200, json={"ok": True})
    with pytest.raises(KhaltiUnexpectedResponseError):
        await client.refund(fx.TRANSACTION_ID)


@pytest.mark.parametrize(
    ("args", "kwargs", "field_errors"),
    [
        (("",), {}, {"transaction_id": ["This field may not be blank."]}),
        (("../../epayment/lookup",), {}, {"transaction_id": ["Enter a valid transaction id."]}),
        (("abc/def",), {}, {"transaction_id": ["Enter a valid transaction id."]}),
        (("abc?x=1",), {}, {"transaction_id": ["Enter a valid transaction id."]}),
        ((".",), {}, {"transaction_id": ["Enter a valid transaction id."]}),
        (("..",), {}, {"transaction_id": ["Enter a valid transaction id."]}),
        ((fx.TRANSACTION_ID,), {"amount_paisa": 0}, {"amount": ["Ensure this value is greater than or equal to 1."]}),
        ((fx.TRANSACTION_ID,), {"amount_paisa": 12.5}, {"amount": ["A valid integer is required."]}),
        ((fx.TRANSACTION_ID,), {"amount_paisa": True}, {"amount": ["A valid integer is required."]}),
        ((fx.TRANSACTION_ID,), {"mobile": ""}, {"mobile": ["This field may not be blank."]}),
    ],
)
async def test_refund_is_validated_before_any_request(client, khalti_mock, args, kwargs, field_errors):
    route = khalti_mock.route(method="POST").respond(200, json=fx.REFUND_OK)
    with pytest.raises(KhaltiValidationError) as caught:
        await client.refund(*args, **kwargs)
    assert not route.called
    assert caught.value.http_status is None
    assert caught.value.field_errors == field_errors


# -- logging and the secret key --------------------------------------------------------------------


async def test_one_log_line_per_call(client, khalti_mock, caplog):
    khalti_mock.post(INITIATE_URL).respond(200, json=fx.INITIATE_OK)
    khalti_mock.post(LOOKUP_URL).respond(400, json=fx.LOOKUP_EXPIRED)
    with caplog.at_level(logging.DEBUG, logger="khalti_portal.khalti"):
        await client.initiate(**INITIATE_ARGS)
        await client.lookup(fx.PIDX)
    records = [r for r in caplog.records if r.name == "khalti_portal.khalti"]
    assert len(records) == 2
    initiate_line, lookup_line = (r.getMessage() for r in records)
    assert "initiate" in initiate_line and "order-42" in initiate_line and "bZQLD9wRVWo4CdESSfuSsB" in initiate_line
    assert "http_status=200" in initiate_line and "duration_ms=" in initiate_line
    assert "lookup" in lookup_line and fx.PIDX in lookup_line and "http_status=400" in lookup_line


def _texts_of(err: BaseException) -> list[str]:
    texts = [str(err), repr(err), repr(err.args), "".join(traceback.format_exception(err))]
    body = getattr(err, "body", None)
    texts.append(json.dumps(body) if isinstance(body, dict) else str(body))
    texts.append(repr(vars(err)))
    return texts


async def _echo_server() -> tuple[asyncio.Server, str]:
    """A real HTTP server on localhost, so httpcore's own logging runs too."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps(fx.lookup_body("Completed")).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/"


async def test_the_key_appears_in_no_log_line_or_exception(client, caplog):
    texts: list[str] = [repr(client), str(client), repr(vars(client))]
    errors: list[BaseException] = []
    results: list[object] = []

    async def attempt(call) -> None:
        try:
            results.append(await call())
        except KhaltiError as exc:
            errors.append(exc)

    for name in ("khalti_portal.khalti", "httpx", "httpcore", "respx"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)

    scenarios: list[tuple[str, int, dict[str, Any]]] = [
        (LOOKUP_URL, 200, {"json": fx.LOOKUP_COMPLETED}),
        (LOOKUP_URL, 400, {"json": fx.LOOKUP_EXPIRED}),
        (LOOKUP_URL, 401, {"json": fx.INVALID_TOKEN}),
        (LOOKUP_URL, 401, {"json": fx.NO_CREDENTIALS}),
        (LOOKUP_URL, 404, {"json": fx.NOT_FOUND}),
        (LOOKUP_URL, 500, {"json": {}}),
        (LOOKUP_URL, 503, {"text": "Service Unavailable"}),
        (LOOKUP_URL, 502, {"text": fx.HTML_ERROR_PAGE, "headers": {"Content-Type": "text/html"}}),
        (LOOKUP_URL, 200, {"text": fx.HTML_ERROR_PAGE, "headers": {"Content-Type": "text/html"}}),
        (LOOKUP_URL, 200, {"content": b"{not json"}),
        (LOOKUP_URL, 200, {"json": {"pidx": fx.PIDX}}),
        (LOOKUP_URL, 200, {"json": {**fx.LOOKUP_COMPLETED, "total_amount": 10.0}}),
        (LOOKUP_URL, 418, {"json": {}}),
        # A hostile or buggy server echoing the key back must not smuggle it into our errors.
        (LOOKUP_URL, 401, {"json": {"detail": f"Invalid token: Key {KEY}", "status_code": 401}}),
        (LOOKUP_URL, 400, {"json": {"pidx": [f"bad {KEY}"], KEY: ["x"], "error_key": "validation_error"}}),
        (LOOKUP_URL, 502, {"text": f"<html>Authorization: Key {KEY}</html>"}),
        (LOOKUP_URL, 200, {"json": {**fx.LOOKUP_COMPLETED, "status": KEY, "transaction_id": KEY}}),
        (INITIATE_URL, 200, {"json": fx.INITIATE_OK}),
        (INITIATE_URL, 400, {"json": fx.BLANK_RETURN_URL}),
        (INITIATE_URL, 200, {"json": {**fx.INITIATE_OK, "expires_at": "soon"}}),
        (REFUND_URL, 200, {"json": fx.REFUND_OK}),
        (REFUND_URL, 404, {"json": fx.NOT_FOUND}),
    ]
    for url, status, response in scenarios:
        with respx.mock() as router:
            router.post(url).respond(status, **response)
            if url == INITIATE_URL:
                await attempt(lambda: client.initiate(**INITIATE_ARGS))
            elif url == REFUND_URL:
                await attempt(lambda: client.refund(fx.TRANSACTION_ID, amount_paisa=100))
            else:
                await attempt(lambda: client.lookup(fx.PIDX))

    for side_effect in (httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError, httpx.ReadError):
        with respx.mock() as router:
            router.post(LOOKUP_URL).mock(side_effect=side_effect)
            await attempt(lambda: client.lookup(fx.PIDX))

    await attempt(lambda: client.initiate(**{**INITIATE_ARGS, "amount_paisa": 999}))
    await attempt(lambda: client.initiate(**{**INITIATE_ARGS, "purchase_order_id": KEY, "amount_paisa": 12.5}))
    await attempt(lambda: client.refund("a/b"))

    # Real sockets: a refused connection and a real exchange, with httpcore logging at DEBUG.
    async with KhaltiClient(secret_key=KEY, base_url="http://127.0.0.1:9/") as refused:
        await attempt(lambda: refused.lookup(fx.PIDX))
    server, url = await _echo_server()
    async with server, KhaltiClient(secret_key=KEY, base_url=url) as real:
        await attempt(lambda: real.lookup(fx.PIDX))

    assert len(errors) >= 20 and len(results) >= 5
    for err in errors:
        texts.extend(_texts_of(err))
    texts.extend(repr(result) for result in results)
    texts.extend(json.dumps(getattr(result, "raw", None), default=str) for result in results)
    for record in caplog.records:
        texts.extend([record.getMessage(), repr(record.args), record.msg if isinstance(record.msg, str) else ""])
    texts.append(caplog.text)

    assert any("httpcore" in r.name for r in caplog.records), "httpcore logging was not exercised"
    assert len([r for r in caplog.records if r.name == "khalti_portal.khalti"]) == len(errors) + len(results)
    leaks = [text for text in texts if KEY in text]
    assert leaks == []
    assert "SUPERSECRET" not in "".join(texts)

"""KhaltiClient against the emulator in-process: every answer the emulator gives becomes the typed outcome
KHALTI.md calls for — the same the client's respx tests expect from real Khalti."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from khalti_portal.api import build_api
from khalti_portal.config import Settings, load_settings
from khalti_portal.khalti import (
    AmountLine,
    InitiateResult,
    KhaltiAuthError,
    KhaltiClient,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiValidationError,
    LookupResult,
    LookupStatus,
    RefundResult,
)
from khalti_portal.sandbox import create_emulator_app
from tests.clocks import ManualClock
from tests.emulator_support import HostedPage

BASE = "http://testserver/sandbox/khalti/"
ORDER: dict[str, Any] = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000",
    "amount_paisa": 129950,
    "purchase_order_id": "po_7f3a9c",
    "purchase_order_name": "Standard plan",
}
FEE = 129950 * 3 // 100


def as_khalti_body(order: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in order.items() if key != "amount_paisa"}
    body["amount"] = order["amount_paisa"]
    if "amount_breakdown" in body:
        body["amount_breakdown"] = [line.to_khalti() for line in body["amount_breakdown"]]
    return body


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings({"KHALTI_EMULATOR_DB": str(tmp_path / "emulator.db"), "APP_URL": "http://localhost:3000"})


@pytest.fixture
def api(settings) -> AsyncIterator[Starlette]:
    app = build_api(settings)
    yield app
    for route in app.routes:
        if isinstance(route, Mount):
            route.app.state.emulator_store.dispose()


@pytest.fixture
async def khalti(api, settings) -> AsyncIterator[KhaltiClient]:
    transport = httpx.ASGITransport(app=api)
    async with KhaltiClient(secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport) as client:
        yield client


@pytest.fixture
async def browser(api) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the same emulator: the hosted page and the control routes."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=BASE) as client:
        yield client


async def force(browser: httpx.AsyncClient, pidx: str, **body: Any) -> dict[str, Any]:
    response = await browser.post(f"_control/{pidx}", json=body)
    assert response.status_code == 200
    return response.json()


async def paid(khalti: KhaltiClient, browser: httpx.AsyncClient) -> LookupResult:
    started = await khalti.initiate(**ORDER)
    await HostedPage(browser).complete(started.payment_url)
    return await khalti.lookup(started.pidx)


# -- initiate ---------------------------------------------------------------------------------------------


async def test_initiate_is_a_typed_result(khalti, settings):
    before = datetime.now().astimezone()
    result = await khalti.initiate(**ORDER, amount_breakdown=[AmountLine("Plan", 129950)])
    assert isinstance(result, InitiateResult)
    assert len(result.pidx) == 22
    assert result.payment_url == f"{BASE}pay/?pidx={result.pidx}"
    assert result.expires_in == settings.emulator_link_ttl_seconds
    assert result.expires_at.utcoffset() == timedelta(hours=5, minutes=45)
    assert result.expires_at - before >= timedelta(seconds=settings.emulator_link_ttl_seconds - 5)


@pytest.mark.parametrize(
    ("changes", "field_errors"),
    [
        ({"return_url": "not a url"}, {"return_url": ["Enter a valid URL."]}),
        ({"website_url": "http://testserver"}, {"website_url": ["Enter a valid URL."]}),
        (
            {"return_url": "ftp//x", "website_url": "x"},
            {"return_url": ["Enter a valid URL."], "website_url": ["Enter a valid URL."]},
        ),
    ],
)
async def test_server_side_validation_errors_are_typed(khalti, changes, field_errors):
    with pytest.raises(KhaltiValidationError) as caught:
        await khalti.initiate(**{**ORDER, **changes})
    error = caught.value
    assert error.http_status == 400
    assert error.field_errors == field_errors
    assert error.error_key == "validation_error"
    assert not error.should_retry


@pytest.mark.parametrize(
    "changes",
    [
        {"return_url": ""},
        {"website_url": "  "},
        {"purchase_order_id": ""},
        {"purchase_order_name": ""},
        {"amount_paisa": 1000.5},
        {"amount_paisa": True},
        {"amount_paisa": 999},
        {"amount_paisa": 0},
        {"amount_paisa": 2000, "amount_breakdown": [AmountLine("Plan", 1500), AmountLine("VAT", 400)]},
    ],
)
async def test_what_the_client_refuses_locally_the_emulator_refuses_with_the_same_words(
    khalti, browser, settings, changes
):
    order = {**ORDER, **changes}
    with pytest.raises(KhaltiValidationError) as caught:
        await khalti.initiate(**order)
    response = await browser.post(
        "api/v2/epayment/initiate/",
        json=as_khalti_body(order),
        headers={"Authorization": f"Key {settings.khalti_secret_key}"},
    )
    assert response.status_code == 400
    server_errors = {key: value for key, value in response.json().items() if key != "error_key"}
    assert caught.value.field_errors == server_errors


# -- authentication -------------------------------------------------------------------------------------------


async def test_a_wrong_key_is_an_auth_error(api):
    transport = httpx.ASGITransport(app=api)
    async with KhaltiClient(secret_key="test_secret_key_wrong", base_url=BASE, transport=transport) as khalti:
        for call in (khalti.initiate(**ORDER), khalti.lookup("x" * 22), khalti.refund("y" * 22)):
            with pytest.raises(KhaltiAuthError) as caught:
                await call
            assert caught.value.http_status == 401
            assert caught.value.body == {"detail": "Invalid token.", "status_code": 401}


class DropAuthorization(httpx.ASGITransport):
    """A proxy on the way that loses the Authorization header."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        del request.headers["Authorization"]
        return await super().handle_async_request(request)


async def test_a_missing_header_is_an_auth_error(api, settings):
    transport = DropAuthorization(app=api)
    async with KhaltiClient(secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport) as khalti:
        with pytest.raises(KhaltiAuthError) as caught:
            await khalti.lookup("x" * 22)
    assert caught.value.body == {"detail": "Authentication credentials were not provided.", "status_code": 401}


# -- lookup ------------------------------------------------------------------------------------------------------


async def test_unknown_pidx_is_not_found(khalti):
    with pytest.raises(KhaltiNotFoundError) as caught:
        await khalti.lookup("bZQLD9wRVWo4CdESSfuSsB")
    assert caught.value.http_status == 404


async def test_initiated_then_completed_by_the_hosted_page(khalti, browser):
    started = await khalti.initiate(**ORDER)
    before = await khalti.lookup(started.pidx)
    assert (before.status, before.http_status, before.transaction_id, before.fee) == (
        LookupStatus.INITIATED,
        200,
        None,
        0,
    )
    await HostedPage(browser).complete(started.payment_url)
    after = await khalti.lookup(started.pidx)
    assert isinstance(after, LookupResult)
    assert (after.status, after.status_text, after.http_status) == (LookupStatus.COMPLETED, "Completed", 200)
    assert after.total_amount == 129950
    assert after.fee == FEE
    assert after.transaction_id and len(after.transaction_id) == 22
    assert after.refunded is False


async def test_canceled_on_the_hosted_page_is_a_result_not_an_error(khalti, browser):
    started = await khalti.initiate(**ORDER)
    await HostedPage(browser).cancel(started.payment_url)
    result = await khalti.lookup(started.pidx)
    assert (result.status, result.status_text, result.http_status) == (LookupStatus.USER_CANCELED, "User canceled", 400)
    assert result.transaction_id is None


@pytest.mark.parametrize(
    ("status", "expected", "http_status", "has_transaction", "refunded"),
    [
        ("Initiated", LookupStatus.INITIATED, 200, False, False),
        ("Pending", LookupStatus.PENDING, 200, False, False),
        ("Completed", LookupStatus.COMPLETED, 200, True, False),
        ("User canceled", LookupStatus.USER_CANCELED, 400, False, False),
        ("Expired", LookupStatus.EXPIRED, 400, False, False),
        ("Refunded", LookupStatus.REFUNDED, 200, True, True),
        ("Partially Refunded", LookupStatus.PARTIALLY_REFUNDED, 200, True, True),
        ("Failed", LookupStatus.FAILED, 400, False, False),
    ],
)
async def test_every_status_the_emulator_can_report(
    khalti, browser, status, expected, http_status, has_transaction, refunded
):
    started = await khalti.initiate(**ORDER)
    forced = await force(browser, started.pidx, status=status)
    result = await khalti.lookup(started.pidx)
    assert result.status is expected
    assert result.status_text == status
    assert result.http_status == http_status
    assert (result.transaction_id is not None) is has_transaction
    assert result.transaction_id == forced["transaction_id"]
    assert result.refunded is refunded
    assert result.raw == forced


async def test_an_amount_mismatch_is_visible_in_the_result(khalti, browser):
    started = await khalti.initiate(**ORDER)
    await force(browser, started.pidx, status="Completed", total_amount=1000)
    result = await khalti.lookup(started.pidx)
    assert (result.status, result.total_amount) == (LookupStatus.COMPLETED, 1000)


async def test_a_link_expires_by_the_clock(tmp_path, settings):
    clock = ManualClock()
    emulator = create_emulator_app(
        secret_key=settings.khalti_secret_key, db_path=str(tmp_path / "clocked.db"), clock=clock, link_ttl_seconds=60
    )
    transport = httpx.ASGITransport(app=Starlette(routes=[Mount("/sandbox/khalti", app=emulator)]))
    async with KhaltiClient(secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport) as khalti:
        started = await khalti.initiate(**ORDER)
        assert started.expires_at == clock.now + timedelta(seconds=60)
        clock.advance(seconds=60)
        result = await khalti.lookup(started.pidx)
    assert (result.status, result.http_status) == (LookupStatus.EXPIRED, 400)
    emulator.state.emulator_store.dispose()


# -- refunds -------------------------------------------------------------------------------------------------------


async def test_full_refund_then_lookup_refunded(khalti, browser):
    payment = await paid(khalti, browser)
    result = await khalti.refund(payment.transaction_id)
    assert isinstance(result, RefundResult)
    assert result.detail == "Transaction refund successful."
    after = await khalti.lookup(payment.pidx)
    assert (after.status, after.refunded, after.http_status) == (LookupStatus.REFUNDED, True, 200)


async def test_partial_refund_then_lookup_partially_refunded(khalti, browser):
    payment = await paid(khalti, browser)
    await khalti.refund(payment.transaction_id, amount_paisa=50000)
    after = await khalti.lookup(payment.pidx)
    assert (after.status, after.refunded) == (LookupStatus.PARTIALLY_REFUNDED, True)
    with pytest.raises(KhaltiValidationError) as caught:
        await khalti.refund(payment.transaction_id, amount_paisa=129950)
    assert caught.value.http_status == 400
    assert caught.value.error_key == "validation_error"


async def test_refunding_twice_is_a_validation_error(khalti, browser):
    payment = await paid(khalti, browser)
    await khalti.refund(payment.transaction_id)
    with pytest.raises(KhaltiValidationError) as caught:
        await khalti.refund(payment.transaction_id)
    assert caught.value.http_status == 400
    assert caught.value.detail and "Refunded" in caught.value.detail


async def test_refunding_an_unknown_transaction_is_not_found(khalti):
    with pytest.raises(KhaltiNotFoundError) as caught:
        await khalti.refund("GFq9PFS7b2iYvL8Lir9oXe")
    assert caught.value.http_status == 404


# -- unavailability -------------------------------------------------------------------------------------------------


def faulty_emulator(tmp_path, settings: Settings, **options: Any) -> Starlette:
    emulator = create_emulator_app(secret_key=settings.khalti_secret_key, db_path=str(tmp_path / "f.db"), **options)
    return Starlette(routes=[Mount("/sandbox/khalti", app=emulator)])


async def test_a_503_html_page_is_unavailable_and_retryable(tmp_path, settings):
    app = faulty_emulator(tmp_path, settings, failure_rate=1.0, faults=("unavailable",))
    transport = httpx.ASGITransport(app=app)
    async with KhaltiClient(secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport) as khalti:
        calls: list[Callable[[], Any]] = [
            lambda: khalti.initiate(**ORDER),
            lambda: khalti.lookup("x" * 22),
            lambda: khalti.refund("y" * 22),
        ]
        for call in calls:
            with pytest.raises(KhaltiUnavailableError) as caught:
                await call()
            assert (caught.value.reason, caught.value.http_status, caught.value.should_retry) == (
                "server_error",
                503,
                True,
            )


class TimeoutASGITransport(httpx.ASGITransport):
    """ASGITransport that honours the read timeout as a socket would."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        read_timeout = request.extensions.get("timeout", {}).get("read")
        try:
            return await asyncio.wait_for(super().handle_async_request(request), timeout=read_timeout)
        except TimeoutError:
            raise httpx.ReadTimeout("timed out", request=request) from None


async def test_a_hang_is_an_unavailable_timeout(tmp_path, settings):
    app = faulty_emulator(tmp_path, settings, failure_rate=1.0, faults=("hang",), hang_seconds=2)
    transport = TimeoutASGITransport(app=app)
    timeout = httpx.Timeout(5.0, read=0.1)
    async with KhaltiClient(
        secret_key=settings.khalti_secret_key, base_url=BASE, transport=transport, timeout=timeout
    ) as khalti:
        with pytest.raises(KhaltiUnavailableError) as caught:
            await khalti.lookup("x" * 22)
    assert (caught.value.reason, caught.value.should_retry) == ("timeout", True)

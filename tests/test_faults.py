"""Faults on the way to Khalti: timeouts, 5xx, resets, HTML pages, malformed JSON — with respx, with the
emulator's failure settings in-process, and with a real hanging server.

On initiate the payment ends `failed` with its reason, the caller gets a try-again message and initiate is
never retried. On lookup the payment stays `pending`, the reconciler retries a few times with a short
backoff, and a later run finishes it. Logs name the order and pidx, never the key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from khalti_portal.billing.checkout import MESSAGES, start_checkout
from khalti_portal.billing.reconcile import LOOKUP_RETRY_DELAYS, ReconcileReport, reconcile_once
from khalti_portal.db.models import Payment, PaymentEvent, SubscriptionPeriod
from khalti_portal.khalti import KhaltiClient
from khalti_portal.sandbox import create_emulator_app
from tests.test_reconcile_emulator import CountingTransport, EmulatorKhalti, mounted, pay_by_checkout
from tests.test_reconcile_processes import KEY, serve_emulator

pytest_plugins = ["tests.db_fixtures"]

PRICE = 49_900
SETTLE = timedelta(seconds=30)
NO_WAIT = (0.0, 0.0)
HTML_503 = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>"
JSON = {"content-type": "application/json"}

MALFORMED = b'{"pidx": "abc", "payment_url": '
NOT_FOUND = {"detail": "Not found.", "error_key": "validation_error"}

# What Khalti (or the network) does, and the client's reason: every way an answer can fail to arrive or make sense.
UNAVAILABLE = [
    pytest.param(httpx.ReadTimeout("timed out"), "timeout", id="read-timeout"),
    pytest.param(httpx.ConnectTimeout("timed out"), "timeout", id="connect-timeout"),
    pytest.param(httpx.Response(500, json={"detail": "Internal server error"}), "server_error", id="500-json"),
    pytest.param(httpx.Response(502, text="<html><body>502 Bad Gateway</body></html>"), "server_error", id="502-html"),
    pytest.param(httpx.Response(503, text=HTML_503), "server_error", id="503-html"),
    pytest.param(httpx.Response(504), "server_error", id="504-empty"),
    pytest.param(httpx.ReadError("[Errno 104] Connection reset by peer"), "connection", id="connection-reset"),
    pytest.param(httpx.ConnectError("[Errno 111] Connection refused"), "connection", id="connection-refused"),
    pytest.param(httpx.RemoteProtocolError("Server disconnected"), "connection", id="server-disconnected"),
    pytest.param(httpx.Response(200, text="<!DOCTYPE html><html>Login</html>"), "invalid_response", id="200-html"),
    pytest.param(httpx.Response(200, content=MALFORMED, headers=JSON), "invalid_response", id="200-malformed-json"),
    pytest.param(httpx.Response(200, content=b""), "invalid_response", id="200-empty"),
    pytest.param(httpx.Response(429, json={"detail": "Request was throttled."}), "rate_limited", id="429"),
]
# Answers that no retry will change: asked once, then backed off.
NOT_RETRYABLE = [
    pytest.param(httpx.Response(401, json={"detail": "Invalid token."}), "KhaltiAuthError", id="401"),
    pytest.param(httpx.Response(404, json=NOT_FOUND), "KhaltiNotFoundError", id="404-not-found"),
    pytest.param(
        httpx.Response(200, json={"status": "Completed"}), "KhaltiUnexpectedResponseError", id="200-bad-shape"
    ),
]


@pytest.fixture
def shop(world):
    """A subscriber and the Rs 499 plan."""
    return world, world.user(), world.plan("basic", price_paisa=PRICE, duration_days=30)


def no_key_anywhere(world, caplog) -> None:
    assert world.khalti_key not in caplog.text
    for record in caplog.records:
        assert world.khalti_key not in record.getMessage()
        assert world.khalti_key not in (record.exc_text or "")
    for event in world.rows(PaymentEvent):
        assert world.khalti_key not in json.dumps(event.model_dump(mode="json"))
    for payment in world.rows(Payment):
        assert world.khalti_key not in json.dumps(payment.model_dump(mode="json"))


# -- initiate: never retried, the payment fails with its reason ------------------------------------------------


@pytest.mark.parametrize(("fault", "reason"), UNAVAILABLE)
async def test_initiate_fault_fails_the_payment_once_with_a_try_again_message(shop, khalti, caplog, fault, reason):
    world, user_id, _ = shop
    khalti.routes["initiate"].mock(side_effect=[fault])
    caplog.set_level(logging.INFO, logger="khalti_portal")

    outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=world.deps)

    assert khalti.routes["initiate"].call_count == 1  # never retried: a second initiate is a second link
    assert (outcome.kind, outcome.ok, outcome.payment_url) == ("khalti_unavailable", False, None)
    assert outcome.message == MESSAGES["khalti_unavailable"] and "try again" in outcome.message
    [payment] = world.rows(Payment)
    assert (payment.status, payment.pidx, payment.next_check_at) == ("failed", None, None)
    assert payment.failure_reason.startswith("initiate failed: khalti_unavailable")
    assert reason in payment.failure_reason
    assert "<html" not in payment.failure_reason.lower()
    [failed] = world.rows(PaymentEvent, PaymentEvent.kind == "transition", PaymentEvent.to_status == "failed")
    assert (failed.source, failed.from_status) == ("checkout", "created")
    assert any(payment.purchase_order_id in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    no_key_anywhere(world, caplog)
    # A failed payment is settled: the reconciler never looks it up.
    world.clock.advance(timedelta(hours=1))
    report = await reconcile_once(deps=world.deps, retry_delays=NO_WAIT)
    assert report.claimed == 0 and khalti.routes["lookup"].call_count == 0


@pytest.mark.parametrize("fault", ["unavailable", "hang"])
async def test_initiate_against_the_failing_emulator_fails_the_payment_once(world, tmp_path, fault):
    emulator = EmulatorKhalti(world, tmp_path, fault=fault)  # "hang" with hang_seconds=0: a 504 nginx page
    try:
        emulator.up = False
        user_id = world.user()
        world.plan("basic", price_paisa=PRICE, duration_days=30)

        outcome = await start_checkout(user_id=user_id, plan_slug="basic", deps=emulator.deps)

        assert outcome.kind == "khalti_unavailable" and "try again" in outcome.message
        assert emulator.requests == Counter({"initiate": 1})
        [payment] = world.rows(Payment)
        assert payment.status == "failed" and "server_error" in payment.failure_reason
        assert (await emulator.stats())["initiates"] == 0  # the emulator never created a pidx
    finally:
        emulator.dispose()


def test_initiate_that_really_times_out_fails_once(sqlite_world, tmp_path):
    world = sqlite_world  # about sockets and timeouts, not databases
    with serve_emulator(
        tmp_path / "server.db",
        tmp_path / "granian.log",
        RECONCILE_TEST_FAILURE_RATE="1",
        RECONCILE_TEST_FAULTS="hang",
        RECONCILE_TEST_HANG_SECONDS="30",
    ) as base:
        requests: Counter[str] = Counter()
        deps = real_server_deps(world, base, requests)
        user_id = world.user()
        world.plan("basic", price_paisa=PRICE, duration_days=30)

        outcome = asyncio.run(start_checkout(user_id=user_id, plan_slug="basic", deps=deps))

    assert outcome.kind == "khalti_unavailable" and "try again" in outcome.message
    assert requests == Counter({"initiate": 1})  # the hang was not followed by a second initiate
    [payment] = world.rows(Payment)
    assert payment.status == "failed" and "timeout" in payment.failure_reason


def real_server_deps(world, base: str, requests: Counter[str]):
    """BillingDeps whose client reaches `base` over real sockets with a 0.5 s read timeout, counting requests."""

    def factory() -> KhaltiClient:
        return KhaltiClient(
            secret_key=KEY,
            base_url=base,
            timeout=httpx.Timeout(5.0, read=0.5),
            transport=CountingTransport(httpx.AsyncHTTPTransport(), requests),
        )

    return dataclasses.replace(world.deps, khalti_factory=factory)


# -- lookup: the payment stays pending; retried a little now, finished by a later run ----------------------------


def lookup_with(world, khalti, payment: Payment, *answers: Any) -> Counter[str]:
    """Answer lookups for `payment` with `answers` in turn, then Completed for ever; count the calls."""
    calls: Counter[str] = Counter()
    queue = list(answers)

    def lookup(request: httpx.Request) -> httpx.Response:
        calls[json.loads(request.content)["pidx"]] += 1
        said = queue.pop(0) if queue else "Completed"
        if isinstance(said, Exception):
            raise said
        if isinstance(said, httpx.Response):  # a fresh copy: the same fault may answer several times
            return httpx.Response(said.status_code, headers=said.headers, content=said.content)
        return httpx.Response(200, json=world.lookup_body(payment.pidx, said, PRICE))

    khalti.routes["lookup"].mock(side_effect=lookup)
    return calls


async def run(deps, **kwargs: Any) -> ReconcileReport:
    kwargs.setdefault("retry_delays", NO_WAIT)
    return await reconcile_once(deps=deps, **kwargs)


def lookup_errors(world, payment: Payment) -> list[PaymentEvent]:
    return world.rows(PaymentEvent, PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "lookup_error")


@pytest.mark.parametrize(("fault", "reason"), UNAVAILABLE)
async def test_lookup_fault_keeps_it_pending_and_the_next_run_completes_it(shop, khalti, caplog, fault, reason):
    world, user_id, plan = shop
    payment = world.payment(user_id=user_id, plan=plan)
    calls = lookup_with(world, khalti, payment, fault, fault, fault)  # down for the whole first run
    world.clock.advance(SETTLE)
    caplog.set_level(logging.INFO, logger="khalti_portal")

    down = await run(world.deps)

    assert (down.claimed, down.errors, down.retries, down.still_pending, down.completed) == (1, 1, 2, 1, 0)
    assert calls[payment.pidx] == 3  # one attempt and two retries
    stored = world.get(Payment, payment.id)
    assert (stored.status, stored.claimed_until, stored.claimed_by) == ("pending", None, None)
    assert stored.next_check_at is None  # still due: the next run asks again
    assert len(lookup_errors(world, payment)) == 3
    assert all(f"KhaltiUnavailableError ({reason})" in e.detail for e in lookup_errors(world, payment))
    assert world.rows(SubscriptionPeriod) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(payment.purchase_order_id in m and payment.pidx in m for m in warnings)
    no_key_anywhere(world, caplog)

    back = await run(world.deps)  # Khalti is back

    assert (back.claimed, back.completed, back.errors) == (1, 1, 0)
    assert world.get(Payment, payment.id).status == "completed"
    assert len(world.rows(SubscriptionPeriod, SubscriptionPeriod.payment_id == payment.id)) == 1
    assert calls[payment.pidx] == 4


async def test_a_blip_is_absorbed_by_the_retry_within_the_same_run(shop, khalti):
    world, user_id, plan = shop
    payment = world.payment(user_id=user_id, plan=plan)
    calls = lookup_with(world, khalti, payment, httpx.Response(503, text=HTML_503))
    world.clock.advance(SETTLE)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    report = await reconcile_once(deps=world.deps, sleep=sleep)  # the default delays, recorded not slept

    assert (report.completed, report.errors, report.retries) == (1, 0, 1)
    assert pauses == [LOOKUP_RETRY_DELAYS[0]] and calls[payment.pidx] == 2
    assert world.get(Payment, payment.id).status == "completed"


async def test_the_retry_backs_off_half_a_second_then_a_second(shop, khalti):
    world, user_id, plan = shop
    payment = world.payment(user_id=user_id, plan=plan)
    down = httpx.Response(503, text=HTML_503)
    lookup_with(world, khalti, payment, down, down, down)
    world.clock.advance(SETTLE)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    report = await reconcile_once(deps=world.deps, sleep=sleep)

    assert pauses == [0.5, 1.0] and report.errors == 1


@pytest.mark.parametrize(("answer", "error"), NOT_RETRYABLE)
async def test_an_answer_no_retry_can_change_is_asked_once_then_backed_off(shop, khalti, caplog, answer, error):
    world, user_id, plan = shop
    payment = world.payment(user_id=user_id, plan=plan)
    calls = lookup_with(world, khalti, payment, answer)
    world.clock.advance(SETTLE)

    report = await run(world.deps)

    assert (report.errors, report.retries, report.still_pending) == (1, 0, 1)
    assert calls[payment.pidx] == 1
    stored = world.get(Payment, payment.id)
    assert stored.status == "pending" and stored.claimed_until is None
    assert stored.next_check_at == world.now() + SETTLE  # backed off like a Pending answer
    [event] = lookup_errors(world, payment)
    assert event.detail.startswith(error)
    no_key_anywhere(world, caplog)
    assert (await run(world.deps)).claimed == 0  # not asked again until due
    world.clock.advance(SETTLE)
    assert (await run(world.deps)).completed == 1


@pytest.mark.parametrize("fault", ["unavailable", "hang"])
async def test_emulator_down_during_lookup_then_back_completes_on_the_next_run(world, tmp_path, fault):
    emulator = EmulatorKhalti(world, tmp_path, fault=fault)
    try:
        _, payment = await pay_by_checkout(world, emulator)
        await emulator.force(payment.pidx, "Completed")
        world.clock.advance(SETTLE)
        emulator.up = False

        down = await run(emulator.deps)

        assert (down.errors, down.retries, down.completed) == (1, 2, 0)
        assert emulator.requests["lookup"] == 3
        assert world.get(Payment, payment.id).status == "pending"
        assert (await emulator.stats())["lookups"] == {}  # faulted calls never reached the emulator's lookup

        emulator.up = True
        back = await run(emulator.deps)

        assert (back.completed, back.errors) == (1, 0)
        assert world.get(Payment, payment.id).status == "completed"
        assert len(world.rows(SubscriptionPeriod)) == 1
        assert (await emulator.stats())["lookups"] == {payment.pidx: 1}
    finally:
        emulator.dispose()


def test_lookup_that_really_times_out_stays_pending_and_completes_when_khalti_answers(sqlite_world, tmp_path):
    world = sqlite_world  # about sockets and timeouts, not databases
    world.clock.set(datetime.now(UTC))  # the server's emulator runs on real time: its link expiry must fit
    db_path = tmp_path / "server.db"
    healthy = create_emulator_app(secret_key=KEY, db_path=str(db_path))  # the same store, answering
    try:
        with serve_emulator(
            db_path,
            tmp_path / "granian.log",
            RECONCILE_TEST_FAILURE_RATE="1",
            RECONCILE_TEST_FAULTS="hang",
            RECONCILE_TEST_HANG_SECONDS="30",
        ) as base:
            requests: Counter[str] = Counter()
            hanging = real_server_deps(world, base, requests)
            answering = _asgi_deps(world, healthy, base)
            user_id = world.user()
            world.plan("basic", price_paisa=PRICE, duration_days=30)
            # Checkout and payment through the answering emulator, whose store the hanging server shares.
            started = asyncio.run(start_checkout(user_id=user_id, plan_slug="basic", deps=answering))
            payment = world.get(Payment, started.payment_id)
            asyncio.run(_force(healthy, base, payment.pidx, "Completed"))
            world.clock.advance(SETTLE)

            timed_out = asyncio.run(run(hanging))

            assert (timed_out.errors, timed_out.retries) == (1, 2) and requests == Counter({"lookup": 3})
            assert world.get(Payment, payment.id).status == "pending"
            [first, *_] = lookup_errors(world, payment)
            assert "timeout" in first.detail

            answered = asyncio.run(run(answering))

        assert answered.completed == 1
        assert world.get(Payment, payment.id).status == "completed"
        assert len(world.rows(SubscriptionPeriod)) == 1
    finally:
        healthy.state.emulator_store.dispose()


def _asgi_deps(world, app, base: str):
    def factory() -> KhaltiClient:
        return KhaltiClient(secret_key=KEY, base_url=base, transport=httpx.ASGITransport(app=mounted(app)))

    return dataclasses.replace(world.deps, khalti_factory=factory)


async def _force(app, base: str, pidx: str, status: str) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mounted(app)), base_url=base) as client:
        response = await client.post(f"_control/{pidx}", json={"status": status})
        assert response.status_code == 200, response.text

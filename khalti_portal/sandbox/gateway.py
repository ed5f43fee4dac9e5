"""Khalti's merchant API: initiate, lookup and refund, with Khalti's status codes and bodies.

Order of checks follows Django REST Framework, which Khalti runs on: authentication first (401),
then the method (405), then the body (400), then the object (404).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from khalti_portal.sandbox.context import (
    FAULT_HANG,
    BodyError,
    EmulatorContext,
    khalti_timestamp,
    public_base,
    read_data,
)
from khalti_portal.sandbox.store import HTTP_400_STATUSES, RefundOutcome, new_id
from khalti_portal.sandbox.validation import validate_initiate, validate_lookup, validate_refund

Endpoint = Callable[[Request], Awaitable[Response]]
ApiEndpoint = Callable[[Request, Any], Awaitable[Response]]  # called with the authenticated request's parsed body

NOT_PROVIDED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
REFUND_OK = "Transaction refund successful."

# What a load balancer in front of Khalti answers when the app behind it is down or too slow.
UNAVAILABLE_HTML = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
TIMEOUT_HTML = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def _validation_error(errors: dict[str, object]) -> JSONResponse:
    return JSONResponse({**errors, "error_key": "validation_error"}, status_code=400)


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "status_code": 401}, status_code=401, headers={"WWW-Authenticate": "Key"})


class Gateway:
    """The three API endpoints, bound to one emulator's context."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    # -- cross-cutting -----------------------------------------------------------------------------

    def api_route(self, endpoint: ApiEndpoint) -> Endpoint:
        """An API route: latency and injected failures, then DRF's order — auth, method, body — then `endpoint`."""

        async def faulty(request: Request) -> Response:
            ctx = self.ctx
            if ctx.latency_ms:
                await asyncio.sleep(ctx.latency_ms / 1000)
            # Draw from the rng only when faults are on, so a seeded rng gives a repeatable sequence.
            if ctx.failure_rate > 0 and ctx.rng.random() < ctx.failure_rate:
                fault = ctx.faults[0] if len(ctx.faults) == 1 else ctx.rng.choice(ctx.faults)
                if fault == FAULT_HANG:
                    await asyncio.sleep(ctx.hang_seconds)
                    return HTMLResponse(TIMEOUT_HTML, status_code=504)
                return HTMLResponse(UNAVAILABLE_HTML, status_code=503)
            if denied := self._denied(request):
                return denied
            try:
                data = await read_data(request)
            except BodyError as exc:
                return exc.response
            return await endpoint(request, data)

        return faulty

    def _denied(self, request: Request) -> Response | None:
        """DRF TokenAuthentication with the keyword `Key`, then the method: the 401/405 to send, or None."""
        parts = request.headers.get("authorization", "").split()
        if not parts or parts[0].lower() != "key":
            return _unauthorized(NOT_PROVIDED)
        if len(parts) == 1:
            return _unauthorized("Invalid token header. No credentials provided.")
        if len(parts) > 2:
            return _unauthorized("Invalid token header. Token string should not contain spaces.")
        if not secrets.compare_digest(parts[1].encode(), self.ctx.secret_key.encode()):
            return _unauthorized(INVALID_TOKEN)
        if request.method != "POST":
            return JSONResponse(
                {"detail": f'Method "{request.method}" not allowed.'}, status_code=405, headers={"Allow": "POST"}
            )
        return None

    # -- endpoints ----------------------------------------------------------------------------------

    async def initiate(self, request: Request, data: Any) -> Response:
        """`POST api/v2/epayment/initiate/`: validate, store a pidx, answer where to pay."""
        payment, errors = validate_initiate(data)
        if payment is None:
            return _validation_error(errors)
        now_us = self.ctx.now_us()
        expires_at_us = now_us + self.ctx.ttl_us
        pidx = new_id()
        await run_in_threadpool(
            self.ctx.store.create_payment,
            pidx=pidx,
            amount=payment.amount,
            return_url=payment.return_url,
            website_url=payment.website_url,
            purchase_order_id=payment.purchase_order_id,
            purchase_order_name=payment.purchase_order_name,
            request=data,
            now_us=now_us,
            expires_at_us=expires_at_us,
        )
        return JSONResponse(
            {
                "pidx": pidx,
                "payment_url": f"{public_base(request)}pay/?pidx={pidx}",
                "expires_at": khalti_timestamp(expires_at_us),
                "expires_in": self.ctx.link_ttl_seconds,
            }
        )

    async def lookup(self, request: Request, data: Any) -> Response:
        """`POST api/v2/epayment/lookup/`: the pidx's status; 400 (with the body) when it is over unpaid."""
        pidx, errors = validate_lookup(data)
        if pidx is None:
            return _validation_error(errors)
        row = await run_in_threadpool(self.ctx.store.lookup, pidx)
        if row is None:
            return JSONResponse({"detail": "Not found.", "error_key": "validation_error"}, status_code=404)
        body = row.lookup_body(self.ctx.now_us())
        return JSONResponse(body, status_code=400 if body["status"] in HTTP_400_STATUSES else 200)

    async def refund(self, request: Request, data: Any) -> Response:
        """`POST api/merchant-transaction/{transaction_id}/refund/`: full (empty body) or `{"amount": n}`."""
        amount, errors = validate_refund(data)
        if errors:
            return _validation_error(errors)
        transaction_id = request.path_params["transaction_id"]
        outcome, row = await run_in_threadpool(self.ctx.store.refund, transaction_id, amount)
        if outcome is RefundOutcome.NOT_FOUND or row is None:
            return JSONResponse({"detail": "Not found."}, status_code=404)
        if outcome is RefundOutcome.NOT_REFUNDABLE:
            detail = f"Transaction cannot be refunded: its status is {row.status_at(self.ctx.now_us())}."
            return JSONResponse({"detail": detail, "error_key": "validation_error"}, status_code=400)
        if outcome is RefundOutcome.TOO_MUCH:
            left = row.total_amount - row.refunded_amount
            detail = f"Refund amount exceeds the refundable amount of {left} paisa."
            return JSONResponse({"detail": detail, "error_key": "validation_error"}, status_code=400)
        return JSONResponse({"detail": REFUND_OK})

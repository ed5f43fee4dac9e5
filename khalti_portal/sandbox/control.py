"""Test control: force a pidx into any status, and count the calls a client made.

These routes are not Khalti's. They need no key: the emulator exists only in emulator mode and
moves no money, and tests and demos drive them with plain HTTP. To keep a stray cross-site HTML
form from flipping a payment, `POST _control/{pidx}` requires `Content-Type: application/json`,
which a form cannot send. They are never subject to injected latency or failures.

- `POST _control/{pidx}` `{"status": ..., "total_amount": n}` (either or both) → the lookup body.
  `Completed`, `Refunded` and `Partially Refunded` give the pidx a transaction id and fee if it has
  none; `Initiated`, `User canceled` and `Expired` clear them; `Initiated` on a link past its
  expiry extends it by the link TTL. `total_amount` changes only what lookup reports (and the
  return redirect's `total_amount`), to simulate an amount mismatch.
- `GET _control/stats` → `{"lookups": {pidx: count}, "initiates": n}` (answered lookups, known or
  unknown pidx; successful initiates).
- `POST _control/reset-stats` → zeroes both, answers the (empty) stats.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from khalti_portal.sandbox.context import EmulatorContext
from khalti_portal.sandbox.store import STATUSES
from khalti_portal.sandbox.validation import FieldError, to_integer


def _error(errors: dict[str, Any], status_code: int = 400) -> JSONResponse:
    return JSONResponse({**errors, "error_key": "validation_error"}, status_code=status_code)


async def _json_object(request: Request) -> dict[str, Any] | Response:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return JSONResponse({"detail": "Control requests must be application/json."}, status_code=415)
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        return _error({"detail": f"JSON parse error - {exc}"})
    if not isinstance(data, dict):
        return _error({"detail": "Expected a JSON object."})
    return data


class Control:
    """The control endpoints, bound to one emulator's context."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    async def set_status(self, request: Request) -> Response:
        """`POST _control/{pidx}`: force a status and/or the reported total_amount."""
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        status = data.get("status")
        if status is not None and status not in STATUSES:
            return _error({"status": [f'"{status}" is not a valid choice.'], "choices": list(STATUSES)})
        total_amount = None
        if data.get("total_amount") is not None:
            try:
                total_amount = to_integer(data["total_amount"])
            except FieldError as exc:
                return _error({"total_amount": [str(exc)]})
            if total_amount < 0:
                return _error({"total_amount": ["Ensure this value is greater than or equal to 0."]})
        if status is None and total_amount is None:
            return _error({"status": ["Give a status, a total_amount, or both."]})
        now_us = self.ctx.now_us()
        row = await run_in_threadpool(
            lambda: self.ctx.store.force_status(
                request.path_params["pidx"],
                status=status,
                total_amount=total_amount,
                now_us=now_us,
                ttl_us=self.ctx.ttl_us,
            )
        )
        if row is None:
            return JSONResponse({"detail": "Not found.", "error_key": "validation_error"}, status_code=404)
        return JSONResponse(row.lookup_body(now_us))

    async def stats(self, request: Request) -> Response:
        """`GET _control/stats`: lookups per pidx and the number of initiates."""
        return JSONResponse(await run_in_threadpool(self.ctx.store.stats))

    async def reset_stats(self, request: Request) -> Response:
        """`POST _control/reset-stats`: start counting again."""
        await run_in_threadpool(self.ctx.store.reset_stats)
        return JSONResponse(await run_in_threadpool(self.ctx.store.stats))

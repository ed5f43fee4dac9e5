"""The hosted checkout page (`pay/?pidx=...`): Khalti ID + MPIN, then OTP, then back to the merchant.

Nothing a browser sends is trusted beyond the pidx, the credentials and the OTP-step token: the
amount, the merchant's URLs and the mobile number come from the stored row. The step between
credentials and OTP lives server-side (`step_token` on the row); the hidden `token` field only
proves that this browser passed step 1. Wrong credentials change nothing.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from khalti_portal.sandbox.context import EmulatorContext
from khalti_portal.sandbox.store import (
    COMPLETED,
    INITIATED,
    PAID_STATUSES,
    USER_CANCELED,
    PaymentRow,
    mask_mobile,
    new_id,
)
from khalti_portal.sandbox.templates import (
    TEST_IDS,
    TEST_MPIN,
    TEST_OTP,
    credentials_page,
    not_found_page,
    otp_page,
    state_page,
)

OTP_STEP_SECONDS = 600  # how long the OTP form stays valid after Khalti ID + MPIN

MISSING_ID = "Enter your Khalti ID (your 10-digit mobile number)."
UNKNOWN_ID = "This Khalti ID is not a test account. Use 9800000000 to 9800000005."
WRONG_MPIN = "Incorrect MPIN. The test MPIN is 1111."
WRONG_OTP = "Incorrect OTP. The test OTP is 987654."
STEP_EXPIRED = "Your verification step has expired. Enter your Khalti ID and MPIN again."


def return_url_for(row: PaymentRow, *, status: str) -> str:
    """The merchant's return_url with Khalti's query parameters (spaces as %20, empty values kept)."""
    paid = status == COMPLETED
    transaction_id = (row.transaction_id or "") if paid else ""
    params = [
        ("pidx", row.pidx),
        ("status", status),
        ("transaction_id", transaction_id),
        ("tidx", transaction_id),
        ("amount", str(row.amount)),
        ("total_amount", str(row.total_amount)),
        ("mobile", mask_mobile(row.mobile) if paid else ""),
        ("purchase_order_id", row.purchase_order_id),
        ("purchase_order_name", row.purchase_order_name),
    ]
    query = urlencode(params, quote_via=quote)
    parts = urlsplit(row.return_url)
    # A return_url that already has a query keeps it; Khalti's parameters are appended.
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


class Checkout:
    """The hosted page's endpoints, bound to one emulator's context."""

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    async def _row(self, pidx: str) -> PaymentRow | None:
        return await run_in_threadpool(self.ctx.store.get, pidx) if pidx else None

    def _state(self, row: PaymentRow, status: str, *, status_code: int) -> HTMLResponse:
        if status in PAID_STATUSES:
            back = return_url_for(row, status=COMPLETED)
        elif status == USER_CANCELED:
            back = return_url_for(row, status=USER_CANCELED)
        else:
            back = row.website_url
        return HTMLResponse(state_page(row, status, back_url=back), status_code=status_code)

    async def show(self, request: Request) -> Response:
        """`GET pay/?pidx=`: step 1, or why this pidx can no longer be paid."""
        row = await self._row(request.query_params.get("pidx", ""))
        if row is None:
            return HTMLResponse(not_found_page(), status_code=404)
        status = row.status_at(self.ctx.now_us())
        if status != INITIATED:
            return self._state(row, status, status_code=200)
        return HTMLResponse(credentials_page(row))

    async def submit(self, request: Request) -> Response:
        """`POST pay/`: one of the buttons `login`, `pay`, `cancel`."""
        form = await request.form()
        field = {key: value for key, value in form.items() if isinstance(value, str)}
        row = await self._row(field.get("pidx") or request.query_params.get("pidx", ""))
        if row is None:
            return HTMLResponse(not_found_page(), status_code=404)
        status = row.status_at(self.ctx.now_us())
        if status != INITIATED:
            return self._state(row, status, status_code=409)
        action = field.get("action", "")
        if action == "cancel":
            return await self._cancel(row)
        if action == "pay":
            return await self._pay(row, token=field.get("token", ""), otp=field.get("otp", "").strip())
        return await self._login(row, khalti_id=field.get("khalti_id", "").strip(), mpin=field.get("mpin", "").strip())

    async def _refused(self, pidx: str) -> Response:
        """A transition lost (expired, canceled or paid meanwhile): show the state it is in now."""
        row = await self._row(pidx)
        if row is None:  # pragma: no cover - rows are never deleted
            return HTMLResponse(not_found_page(), status_code=404)
        return self._state(row, row.status_at(self.ctx.now_us()), status_code=409)

    async def _login(self, row: PaymentRow, *, khalti_id: str, mpin: str) -> Response:
        digits = khalti_id.replace(" ", "").replace("-", "")
        error = None
        if not digits:
            error = MISSING_ID
        elif digits not in TEST_IDS:
            error = UNKNOWN_ID
        elif not secrets.compare_digest(mpin.encode(), TEST_MPIN.encode()):
            error = WRONG_MPIN
        if error:
            return HTMLResponse(credentials_page(row, khalti_id=khalti_id, error=error), status_code=400)
        now_us = self.ctx.now_us()
        token = secrets.token_urlsafe(24)
        started = await run_in_threadpool(
            lambda: self.ctx.store.start_otp(
                row.pidx,
                mobile=digits,
                token=token,
                token_expires_us=now_us + OTP_STEP_SECONDS * 1_000_000,
                now_us=now_us,
            )
        )
        if not started:
            return await self._refused(row.pidx)
        return HTMLResponse(otp_page(row, token=token, masked_mobile=mask_mobile(digits)))

    async def _pay(self, row: PaymentRow, *, token: str, otp: str) -> Response:
        now_us = self.ctx.now_us()
        mobile = await run_in_threadpool(self.ctx.store.step_mobile, row.pidx, token, now_us)
        if mobile is None:
            fresh = await self._row(row.pidx)
            if fresh is not None and fresh.status_at(now_us) != INITIATED:
                # Paid (or canceled) meanwhile, e.g. a double click landing on another worker.
                return self._state(fresh, fresh.status_at(now_us), status_code=409)
            return HTMLResponse(credentials_page(row, error=STEP_EXPIRED), status_code=400)
        if not secrets.compare_digest(otp.encode(), TEST_OTP.encode()):
            return HTMLResponse(
                otp_page(row, token=token, masked_mobile=mask_mobile(mobile), error=WRONG_OTP), status_code=400
            )
        transaction_id = new_id()
        paid = await run_in_threadpool(
            lambda: self.ctx.store.complete(row.pidx, token=token, transaction_id=transaction_id, now_us=now_us)
        )
        if not paid:
            return await self._refused(row.pidx)
        fresh = await self._row(row.pidx)
        assert fresh is not None  # rows are never deleted
        return RedirectResponse(return_url_for(fresh, status=COMPLETED), status_code=303)

    async def _cancel(self, row: PaymentRow) -> Response:
        canceled = await run_in_threadpool(lambda: self.ctx.store.cancel(row.pidx, now_us=self.ctx.now_us()))
        if not canceled:
            return await self._refused(row.pidx)
        return RedirectResponse(return_url_for(row, status=USER_CANCELED), status_code=303)

"""`GET /api/v1/entitlements/{username}` and `?email=`: whether a person has access now, for the merchant's systems.

Thin, like states/: authenticate the key, count it against API_RATE_PER_MINUTE, ask billing, serialise.
Every way a key can be wrong (missing, malformed, unknown, revoked) gets the same 401 after the same work:
one SHA-256 and one indexed lookup. Keys are counted per minute (a fixed window, so `Retry-After` is exact)
in the shared throttle store (Redis when configured), so the limit holds across workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from khalti_portal import throttle
from khalti_portal.billing.api_keys import hash_key
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.entitlements import entitlement_for, user_id_named, user_id_with_email
from khalti_portal.db.models import ApiKey

UNAUTHORIZED = {"error": "unauthorized", "message": "Send a valid API key: Authorization: Bearer <key>."}
MAX_KEY_CHARS = 200
LAST_USED_EVERY = timedelta(minutes=1)  # how stale `last_used_at` may get: one write a minute per key at most


@dataclass(frozen=True)
class _Caller:
    key_id: int


def _error(status: int, error: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers or None)


def _key_of(request: Request) -> str:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented or len(presented) > MAX_KEY_CHARS:
        return ""
    return presented


def _authenticate(presented: str, deps: BillingDeps) -> _Caller | None:
    """The key's caller, or None; the same hash and the same query whatever is wrong with it."""
    digest = hash_key(presented or "\x00no key")
    now = deps.now()
    with Session(deps.engine) as session:
        row = session.exec(
            select(ApiKey.id, ApiKey.revoked_at, ApiKey.last_used_at).where(ApiKey.key_hash == digest)
        ).first()
        if row is None or row[1] is not None or not presented:
            return None
        key_id, _, last_used = row
        if last_used is None or last_used < now - LAST_USED_EVERY:
            session.exec(
                update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=now),
                execution_options={"synchronize_session": False},
            )
            session.commit()
    return _Caller(key_id)


def _rate_limited(caller: _Caller, deps: BillingDeps) -> int | None:
    """Seconds until the key may ask again when it has used its minute, else None (and the request is counted)."""
    now: datetime = deps.now()
    minute = now.replace(second=0, microsecond=0)
    key = f"api:key:{caller.key_id}:{minute:%Y%m%d%H%M}"
    limit = deps.settings.api_rate_per_minute
    if throttle.take(key, limit, timedelta(minutes=1), now=now, marks=throttle.store(deps.engine)) is not None:
        return None
    return max(1, math.ceil((minute + timedelta(minutes=1) - now).total_seconds()))


async def _guarded(request: Request, deps: BillingDeps) -> JSONResponse | None:
    """401 or 429 when the request may not go on; None when it may."""
    caller = await run_in_threadpool(_authenticate, _key_of(request), deps)
    if caller is None:
        return JSONResponse(UNAUTHORIZED, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="entitlements"'})
    wait = await run_in_threadpool(_rate_limited, caller, deps)
    if wait is not None:
        return _error(
            429, "rate_limited", f"Too many requests for this key; try again in {wait} s.", **{"Retry-After": str(wait)}
        )
    return None


async def _answer(user_id: int | None, what: str, deps: BillingDeps) -> JSONResponse:
    entitlement = await run_in_threadpool(entitlement_for, user_id, deps=deps) if user_id is not None else None
    if entitlement is None:
        return _error(404, "not_found", f"No account {what}.")
    return JSONResponse(entitlement.as_json())


def routes_for(deps: BillingDeps | None = None):
    """The two endpoints, bound to `deps` (tests pass their own; the server resolves the defaults per request)."""

    def current() -> BillingDeps:
        return resolve(deps)

    async def by_username(request: Request) -> JSONResponse:
        """`GET /api/v1/entitlements/{username}`."""
        d = current()
        if (refused := await _guarded(request, d)) is not None:
            return refused
        username = request.path_params["username"][:255]
        user_id = await run_in_threadpool(user_id_named, username, deps=d)
        return await _answer(user_id, "with that username", d)

    async def by_email(request: Request) -> JSONResponse:
        """`GET /api/v1/entitlements?email=<confirmed address>`."""
        d = current()
        if (refused := await _guarded(request, d)) is not None:
            return refused
        email = request.query_params.get("email", "").strip()
        if not email:
            return _error(400, "bad_request", "Give ?email=<address> or use /api/v1/entitlements/<username>.")
        user_id = await run_in_threadpool(user_id_with_email, email, deps=d)
        return await _answer(user_id, "with that confirmed email address", d)

    return by_username, by_email

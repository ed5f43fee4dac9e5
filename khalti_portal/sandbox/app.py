"""`create_emulator_app`: a Starlette app that behaves like Khalti's Web Checkout (see docs KHALTI.md).

Routes are relative to where the app is mounted (the portal mounts it at `/sandbox/khalti`):

| route | what |
|---|---|
| `POST api/v2/epayment/initiate/` | Khalti's initiate |
| `POST api/v2/epayment/lookup/` | Khalti's lookup |
| `POST api/merchant-transaction/{transaction_id}/refund/` | Khalti's refund |
| `GET pay/?pidx=` / `POST pay/` | the hosted checkout page |
| `POST _control/{pidx}`, `GET _control/stats`, `POST _control/reset-stats` | test control |

Only the three API routes suffer the injected latency and failures.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from khalti_portal.sandbox.checkout import Checkout
from khalti_portal.sandbox.context import FAULTS, EmulatorContext, utc_now
from khalti_portal.sandbox.control import Control
from khalti_portal.sandbox.gateway import Gateway
from khalti_portal.sandbox.store import EmulatorStore

_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class MountRootMiddleware:
    """Make `request.base_url` the emulator's own public base (`http://host/sandbox/khalti/`).

    Starlette's `base_url` deliberately points at the outermost app's root, but Khalti's
    `payment_url` must point at the hosted page under this mount. Inside a Mount, `root_path` is the
    full public prefix (any proxy root_path included), so it becomes the app root for this app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with `app_root_path` set to this mount's `root_path`."""
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "app_root_path": scope.get("root_path", "")}
        await self.app(scope, receive, send)


def create_emulator_app(
    *,
    secret_key: str,
    db_path: str,
    latency_ms: int = 0,
    failure_rate: float = 0.0,
    link_ttl_seconds: int = 3600,
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
    hang_seconds: float = 35.0,
    faults: Sequence[str] = FAULTS,
) -> Starlette:
    """A Khalti emulator keeping its state in the SQLite file `db_path`.

    `secret_key` is the merchant key the API accepts. `latency_ms` delays every API answer;
    `failure_rate` (0..1, drawn from `rng`) makes an API call fail with one of `faults`:
    `"unavailable"` (503 with an HTML body) or `"hang"` (no answer for `hang_seconds`, then a 504,
    which a client with a shorter read timeout never sees). `clock` (UTC-aware datetimes) decides
    expiry. The store is `app.state.emulator_store` (tests dispose it).
    """
    if not 0.0 <= failure_rate <= 1.0:
        raise ValueError(f"failure_rate must be between 0 and 1, got {failure_rate}")
    if link_ttl_seconds < 1:
        raise ValueError(f"link_ttl_seconds must be at least 1, got {link_ttl_seconds}")
    unknown = set(faults) - set(FAULTS)
    if unknown or not faults:
        raise ValueError(f"faults must be a non-empty selection of {FAULTS}, got {tuple(faults)}")
    ctx = EmulatorContext(
        store=EmulatorStore(db_path),
        secret_key=secret_key,
        link_ttl_seconds=link_ttl_seconds,
        latency_ms=max(0, latency_ms),
        failure_rate=failure_rate,
        hang_seconds=hang_seconds,
        faults=tuple(faults),
        clock=clock or utc_now,
        rng=rng or random.Random(),  # noqa: S311 - fault injection, not security
    )
    gateway, checkout, control = Gateway(ctx), Checkout(ctx), Control(ctx)
    routes = [
        # Every method reaches the endpoint, which answers DRF's 405 after authentication.
        Route("/api/v2/epayment/initiate/", gateway.api_route(gateway.initiate), methods=_ANY_METHOD),
        Route("/api/v2/epayment/lookup/", gateway.api_route(gateway.lookup), methods=_ANY_METHOD),
        Route(
            "/api/merchant-transaction/{transaction_id}/refund/",
            gateway.api_route(gateway.refund),
            methods=_ANY_METHOD,
        ),
        Route("/pay/", checkout.show, methods=["GET"]),
        Route("/pay/", checkout.submit, methods=["POST"]),
        Route("/_control/stats", control.stats, methods=["GET"]),
        Route("/_control/reset-stats", control.reset_stats, methods=["POST"]),
        Route("/_control/{pidx}", control.set_status, methods=["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(MountRootMiddleware)])
    app.state.emulator_store = ctx.store
    return app

"""`build_api`: the Starlette app handed to `rx.App(api_transformer=...)`; Reflex mounts itself under it."""
# Routes: /api/v1/entitlements (the merchant's systems), /api/unsubscribe (RFC 8058), /sandbox/* (emulator mode).

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from khalti_portal import routes as app_routes
from khalti_portal.api import entitlements
from khalti_portal.api.openapi import openapi_json
from khalti_portal.config import EMULATOR_MOUNT, MAILBOX_MOUNT, Settings


async def _to_mailbox(request: Request) -> RedirectResponse:
    """`/sandbox/mail` → `/sandbox/mail/` (relative, so a proxy's path prefix stays); Reflex would 404 it."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(MAILBOX_MOUNT.rstrip("/").rsplit("/", 1)[1] + "/" + query, status_code=307)


async def _one_click_unsubscribe(request: Request) -> PlainTextResponse | RedirectResponse:
    """RFC 8058: a mail client's unsubscribe button POSTs `List-Unsubscribe=One-Click` here; no sign-in.

    A GET (someone opened the header's URL) goes to the page at `/unsubscribe`, which says what happened.
    """
    from khalti_portal import mail_preferences

    token = request.query_params.get("token", "")
    if request.method != "POST":
        return RedirectResponse(f"{app_routes.UNSUBSCRIBE_ROUTE}?{request.url.query}", status_code=303)
    done = await run_in_threadpool(mail_preferences.unsubscribe, token)
    return PlainTextResponse(done.message, status_code=200 if done.ok else 400)


def build_api(settings: Settings) -> Starlette:
    """The backend's own routes: the entitlement API, one-click unsubscribe, and in emulator mode the emulator.

    The emulator is at `/sandbox/khalti`, the mailbox (what the mail sink received) at `/sandbox/mail`.
    In sandbox and live mode nothing is mounted there, so both are a 404 and no test-control route can
    exist next to real money.
    """
    by_username, by_email = entitlements.routes_for()
    routes: list[BaseRoute] = [
        Route(app_routes.UNSUBSCRIBE_API_ROUTE, _one_click_unsubscribe, methods=["GET", "HEAD", "POST"]),
        Route("/api/v1/openapi.json", openapi_json, methods=["GET"]),
        Route("/api/v1/entitlements", by_email, methods=["GET"]),
        Route("/api/v1/entitlements/{username}", by_username, methods=["GET"]),
    ]
    if settings.khalti_env == "emulator":
        # Imported here so sandbox/live deployments never even load the emulator.
        from khalti_portal.sandbox import create_emulator_app, create_mailbox_app

        emulator = create_emulator_app(
            secret_key=settings.emulator_key,
            db_path=settings.emulator_db,
            latency_ms=settings.emulator_latency_ms,
            failure_rate=settings.emulator_failure_rate,
            link_ttl_seconds=settings.emulator_link_ttl_seconds,
        )
        routes.append(Mount(EMULATOR_MOUNT.rstrip("/"), app=emulator))
        mailbox = create_mailbox_app(emulator.state.emulator_store)  # one store, one SQLite engine
        routes.append(Route(MAILBOX_MOUNT.rstrip("/"), _to_mailbox, methods=["GET", "HEAD"]))
        routes.append(Mount(MAILBOX_MOUNT.rstrip("/"), app=mailbox))
    return Starlette(routes=routes)

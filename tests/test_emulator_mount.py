"""build_api mounts the emulator at /sandbox/khalti and its mailbox at /sandbox/mail in emulator mode, nowhere else."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount

from khalti_portal.api import build_api
from khalti_portal.config import Settings, load_settings

ORDER = {
    "return_url": "http://localhost:3000/payment/return",
    "website_url": "http://localhost:3000",
    "amount": 1000,
    "purchase_order_id": "po_1",
    "purchase_order_name": "Basic",
}


@pytest.fixture
def emulator_settings(tmp_path) -> Iterator[Settings]:
    yield load_settings({"KHALTI_EMULATOR_DB": str(tmp_path / "emulator.db")})


def dispose(api: Starlette) -> None:
    for route in api.routes:
        if isinstance(route, Mount) and hasattr(route.app, "state"):
            store = getattr(route.app.state, "emulator_store", None)
            if store is not None:
                store.dispose()


def client_for(app: Starlette, **transport_options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, **transport_options), base_url="http://testserver")


@pytest.mark.parametrize(
    "environ",
    [
        {"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "x"},
        {"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": "x", "APP_URL": "https://shop.example"},
    ],
)
async def test_nothing_is_mounted_outside_emulator_mode(environ, tmp_path):
    settings = load_settings({**environ, "KHALTI_EMULATOR_DB": str(tmp_path / "emulator.db")})
    api = build_api(settings)
    async with client_for(api) as client:
        for response in (
            await client.post("/sandbox/khalti/api/v2/epayment/lookup/", json={"pidx": "x"}),
            await client.post("/sandbox/khalti/api/v2/epayment/initiate/", json=ORDER),
            await client.get("/sandbox/khalti/pay/?pidx=x"),
            await client.get("/sandbox/khalti/_control/stats"),
            await client.post("/sandbox/khalti/_control/x", json={"status": "Completed"}),
            await client.get("/sandbox/mail/"),
            await client.get("/sandbox/mail"),
            await client.get("/sandbox/mail/messages.json"),
            await client.get("/sandbox/mail/1.eml"),
        ):
            assert response.status_code == 404
    assert not os.path.exists(settings.emulator_db)  # noqa: ASYNC240 - a test, one stat call


async def test_emulator_mode_answers_under_the_mount(emulator_settings):
    api = build_api(emulator_settings)
    headers = {"Authorization": f"Key {emulator_settings.emulator_key}"}
    async with client_for(api) as client:
        response = await client.post("/sandbox/khalti/api/v2/epayment/lookup/", json={"pidx": "x"})
        assert response.status_code == 401
        response = await client.post("/sandbox/khalti/api/v2/epayment/lookup/", json={"pidx": "x"}, headers=headers)
        assert response.json() == {"detail": "Not found.", "error_key": "validation_error"}
        response = await client.get("/sandbox/khalti/pay/?pidx=x")
        assert response.status_code == 404
        assert 'id="not-found"' in response.text
        started = await client.post("/sandbox/khalti/api/v2/epayment/initiate/", json=ORDER, headers=headers)
        assert started.status_code == 200
        pidx = started.json()["pidx"]
        assert started.json()["payment_url"] == f"http://testserver/sandbox/khalti/pay/?pidx={pidx}"
        assert (await client.get(started.json()["payment_url"])).status_code == 200
        assert (await client.get("/sandbox/khalti/_control/stats")).json()["initiates"] == 1
    dispose(api)


async def test_emulator_mode_has_the_mailbox_with_or_without_the_trailing_slash(emulator_settings):
    api = build_api(emulator_settings)
    async with client_for(api) as client:
        page = await client.get("/sandbox/mail/")
        assert page.status_code == 200
        assert 'id="mailbox-empty"' in page.text
        assert (await client.get("/sandbox/mail/messages.json")).json() == []
        bare = await client.get("/sandbox/mail", params={"to": "sita@example.com"})
        assert bare.status_code == 307
        assert bare.headers["location"] == "mail/?to=sita%40example.com"  # relative: a proxy's prefix stays
        followed = await client.get("/sandbox/mail", follow_redirects=True)
        assert (followed.status_code, str(followed.url)) == (200, "http://testserver/sandbox/mail/")
        unknown = await client.get("/sandbox/mail/42")
        assert unknown.status_code == 404
        assert 'id="not-found"' in unknown.text
    mounts = [route.app for route in api.routes if isinstance(route, Mount)]
    assert mounts[0].state.emulator_store is mounts[1].state.emulator_store  # one SQLite engine for both
    dispose(api)


async def test_the_emulator_uses_the_settings_key_and_ttl(tmp_path):
    settings = load_settings(
        {
            "KHALTI_EMULATOR_DB": str(tmp_path / "e.db"),
            "KHALTI_EMULATOR_KEY": "my_emulator_key_123",
            "KHALTI_EMULATOR_LINK_TTL_SECONDS": "90",
        }
    )
    api = build_api(settings)
    async with client_for(api) as client:
        response = await client.post(
            "/sandbox/khalti/api/v2/epayment/initiate/",
            json=ORDER,
            headers={"Authorization": "Key my_emulator_key_123"},
        )
        assert response.json()["expires_in"] == 90
        assert settings.khalti_secret_key == "my_emulator_key_123"  # the portal's client uses the same key
    dispose(api)


async def test_payment_url_follows_the_public_host_and_a_proxy_root_path(emulator_settings):
    api = build_api(emulator_settings)
    headers = {"Authorization": f"Key {emulator_settings.emulator_key}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api, root_path="/portal"), base_url="https://shop.example.com.np"
    ) as client:
        response = await client.post("/portal/sandbox/khalti/api/v2/epayment/initiate/", json=ORDER, headers=headers)
        assert response.status_code == 200
        pidx = response.json()["pidx"]
        assert response.json()["payment_url"] == f"https://shop.example.com.np/portal/sandbox/khalti/pay/?pidx={pidx}"
    dispose(api)


async def test_layered_like_reflex_the_emulator_wins_and_the_rest_falls_through(emulator_settings):
    """Reflex mounts its own app at "" under build_api's app, and that under a top-level app."""
    seen: list[str] = []

    async def reflex_like(request: Request) -> PlainTextResponse:
        seen.append(request.url.path)
        return PlainTextResponse("reflex")

    api = build_api(emulator_settings)
    fallback = Starlette()
    fallback.add_route("/{path:path}", reflex_like, methods=["GET", "POST"])
    api.mount("", fallback)
    top = Starlette()
    top.mount("", api)
    headers = {"Authorization": f"Key {emulator_settings.emulator_key}"}
    async with client_for(top) as client:
        response = await client.post("/sandbox/khalti/api/v2/epayment/initiate/", json=ORDER, headers=headers)
        assert response.status_code == 200
        assert response.json()["payment_url"].startswith("http://testserver/sandbox/khalti/pay/?pidx=")
        assert (await client.get("/dashboard")).text == "reflex"
        assert (await client.get("/sandbox/other")).text == "reflex"
        assert 'id="mailbox"' in (await client.get("/sandbox/mail/")).text
        assert (await client.get("/sandbox/mail")).status_code == 307  # not Reflex's page-not-found
    assert seen == ["/dashboard", "/sandbox/other"]
    dispose(api)

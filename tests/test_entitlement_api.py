"""The entitlement API over HTTP, on SQLite and PostgreSQL: every answer it can give, and its OpenAPI description."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.routing import Route

from khalti_portal.api.entitlements import UNAUTHORIZED, routes_for
from khalti_portal.api.openapi import OPENAPI, openapi_json
from khalti_portal.db.models import ApiKey, Plan, SubscriptionPeriod, UserProfile

pytest_plugins = ["tests.db_fixtures"]

KEY = "kp_test_key_0123456789abcdefghijklmnopqrstuv"


def app_for(world) -> Starlette:
    by_username, by_email = routes_for(world.deps)
    return Starlette(
        routes=[
            Route("/api/v1/openapi.json", openapi_json),
            Route("/api/v1/entitlements", by_email),
            Route("/api/v1/entitlements/{username}", by_username),
        ]
    )


def client_for(world) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(world)), base_url="http://portal.test")


def add_key(world, key: str = KEY) -> int:
    with Session(world.engine) as session:
        row = ApiKey(label="website", prefix=key[:11], key_hash=hashlib.sha256(key.encode()).hexdigest())
        session.add(row)
        session.commit()
        return int(row.id)


def subscribed(world, name: str, *, days_left: float, features=("members", "downloads")) -> int:
    user_id = world.user(name)
    with Session(world.engine) as session:
        plan = Plan(
            slug=f"plan-{name}", name="Standard", price_paisa=129_950, duration_days=30, feature_keys=list(features)
        )
        session.add(plan)
        session.flush()
        end = world.now() + timedelta(days=days_left)
        session.add(
            SubscriptionPeriod(user_id=user_id, plan_id=plan.id, starts_at=end - timedelta(days=30), ends_at=end)
        )
        session.add(UserProfile(user_id=user_id, email=f"{name}@example.com", email_verified_at=world.now()))
        session.commit()
    return user_id


def schema_of(status: int, path: str) -> Draft202012Validator:
    responses = OPENAPI["paths"][path]["get"]["responses"]
    ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    return Draft202012Validator(OPENAPI["components"]["schemas"][ref])


BEARER = {"Authorization": f"Bearer {KEY}"}
BY_NAME = "/api/v1/entitlements/{username}"


async def test_an_active_subscriber_is_entitled_with_the_plans_features(world):
    add_key(world)
    subscribed(world, "asha", days_left=20)
    async with client_for(world) as client:
        answer = await client.get("/api/v1/entitlements/ASHA", headers=BEARER)
    assert answer.status_code == 200
    body = answer.json()
    schema_of(200, BY_NAME).validate(body)
    assert body == {
        "username": "asha",
        "status": "active",
        "active": True,
        "plan": "plan-asha",
        "plan_name": "Standard",
        "expires_at": (world.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "features": ["downloads", "members"],
    }


@pytest.mark.parametrize(("days_left", "status", "active"), [(-1, "grace", True), (-10, "expired", False)])
async def test_grace_keeps_access_and_expiry_ends_it(world, days_left, status, active):
    add_key(world)
    subscribed(world, "bina", days_left=days_left)
    async with client_for(world) as client:
        body = (await client.get("/api/v1/entitlements/bina", headers=BEARER)).json()
    assert (body["status"], body["active"]) == (status, active)
    assert body["features"] == (["downloads", "members"] if active else [])


async def test_someone_who_never_subscribed_is_answered_inactive(world):
    add_key(world)
    world.user("chandra")
    async with client_for(world) as client:
        answer = await client.get("/api/v1/entitlements/chandra", headers=BEARER)
    assert answer.status_code == 200
    schema_of(200, BY_NAME).validate(answer.json())
    assert answer.json() | {"username": "chandra"} == {
        "username": "chandra",
        "status": "none",
        "active": False,
        "plan": None,
        "plan_name": None,
        "expires_at": None,
        "features": [],
    }


async def test_a_revoked_or_refunded_period_gives_nothing(world):
    add_key(world)
    user_id = subscribed(world, "dipa", days_left=20)
    with Session(world.engine) as session:
        for period in session.exec(select(SubscriptionPeriod).where(SubscriptionPeriod.user_id == user_id)):
            period.revoked_at = world.now()
            session.add(period)
        session.commit()
    async with client_for(world) as client:
        body = (await client.get("/api/v1/entitlements/dipa", headers=BEARER)).json()
    assert body["active"] is False and body["features"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": KEY},  # no scheme
        {"Authorization": "Bearer "},  # malformed: empty
        {"Authorization": "Bearer kp_wrong_key_000000000000000000000000"},  # unknown
    ],
    ids=["missing", "no-scheme", "empty", "wrong"],
)
async def test_every_bad_key_gets_the_same_401(world, headers):
    add_key(world)
    subscribed(world, "esha", days_left=20)
    async with client_for(world) as client:
        answer = await client.get("/api/v1/entitlements/esha", headers=headers)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    schema_of(401, BY_NAME).validate(answer.json())


async def test_a_revoked_key_stops_working_on_the_next_request(world):
    key_id = add_key(world)
    subscribed(world, "gita", days_left=20)
    async with client_for(world) as client:
        assert (await client.get("/api/v1/entitlements/gita", headers=BEARER)).status_code == 200
        with Session(world.engine) as session:
            row = session.get(ApiKey, key_id)
            row.revoked_at = world.now()
            session.add(row)
            session.commit()
        answer = await client.get("/api/v1/entitlements/gita", headers=BEARER)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


async def test_an_unknown_user_is_a_json_404(world):
    add_key(world)
    async with client_for(world) as client:
        answer = await client.get("/api/v1/entitlements/nobody", headers=BEARER)
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    schema_of(404, BY_NAME).validate(answer.json())


async def test_by_email_only_a_confirmed_address_names_someone(world):
    add_key(world)
    subscribed(world, "hari", days_left=20)
    unconfirmed = world.user("ila")
    with Session(world.engine) as session:
        session.add(UserProfile(user_id=unconfirmed, email="ila@example.com"))
        session.commit()
    async with client_for(world) as client:
        found = await client.get("/api/v1/entitlements", params={"email": "HARI@example.com"}, headers=BEARER)
        hidden = await client.get("/api/v1/entitlements", params={"email": "ila@example.com"}, headers=BEARER)
        missing = await client.get("/api/v1/entitlements", headers=BEARER)
    assert found.status_code == 200 and found.json()["username"] == "hari"
    assert hidden.status_code == 404
    assert missing.status_code == 400
    schema_of(400, "/api/v1/entitlements").validate(missing.json())


async def test_each_key_is_limited_per_minute_with_retry_after(make_world, db_engine):
    world = make_world(db_engine, API_RATE_PER_MINUTE="3")
    add_key(world)
    world.user("jaya")
    async with client_for(world) as client:
        answers = [await client.get("/api/v1/entitlements/jaya", headers=BEARER) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        limited = answers[-1]
        schema_of(429, BY_NAME).validate(limited.json())
        wait = int(limited.headers["Retry-After"])
        second = world.now().second + world.now().microsecond / 1e6
        assert 1 <= wait <= 60 and abs(wait - (60 - second)) <= 1
        world.clock.advance(timedelta(seconds=wait))
        assert (await client.get("/api/v1/entitlements/jaya", headers=BEARER)).status_code == 200


async def test_the_openapi_description_is_valid_and_served(world):
    validate(OPENAPI)
    async with client_for(world) as client:
        answer = await client.get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.json()["paths"].keys() == OPENAPI["paths"].keys()


@pytest.mark.parametrize("mode", ["emulator", "live"])
def test_the_servers_routes_include_the_api_in_every_mode(mode, app_db):
    # The routes above are tested bound to a test database; this checks the server really mounts them.
    from starlette.testclient import TestClient

    from khalti_portal.api import build_api
    from khalti_portal.config import load_settings

    env = {"KHALTI_ENV": mode, "KHALTI_SECRET_KEY": "k", "APP_URL": "https://shop.example"} if mode == "live" else {}
    client = TestClient(build_api(load_settings(env)))
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")
    answer = client.get("/api/v1/entitlements/asha")
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED

"""A subscriber buys a plan on the production shape: PostgreSQL, Redis state, two workers, in Chromium."""

from __future__ import annotations

import subprocess

import pytest
import redis
from playwright.sync_api import expect

from tests.e2e.helpers import Journey, iso_z
from tests.e2e.server import Server
from tests.e2e_production.conftest import WORKERS

pytestmark = pytest.mark.e2e


def serving_processes(server: Server) -> int:
    """Processes in the server's process group that run the app (the reflex parent and its workers)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "-g", str(server.process.pid)], capture_output=True, text=True, check=True
    ).stdout  # type: ignore[union-attr]
    return sum("reflex run" in line or "granian" in line for line in out.splitlines())


def test_sign_up_pay_and_see_access_with_postgres_redis_and_two_workers(
    journey: Journey, redis_client: redis.Redis
) -> None:
    j, db = journey, journey.db
    assert serving_processes(j.server) >= WORKERS + 1  # the reflex parent and its Granian workers
    user_id = j.register("prod_shape_user")
    pidx = j.buy("standard", snap=True)
    payment = db.payment(pidx)
    assert (payment["user_id"], payment["status"], payment["amount_paisa"]) == (user_id, "completed", 129_950)
    [period] = db.periods(user_id)
    j.open_dashboard("active")
    expect(j.page.locator("#subscription-expiry")).to_have_attribute("data-expires-at", iso_z(period["ends_at"]))
    # The tabs' state lives in Redis, not in one worker's memory.
    assert redis_client.dbsize() > 0

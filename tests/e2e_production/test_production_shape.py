"""A subscriber buys a plan on the production shape: PostgreSQL, Redis state, two workers, in Chromium."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import redis
from playwright.sync_api import expect

from tests.e2e.helpers import Journey, iso_z
from tests.e2e.server import Server
from tests.e2e_production.conftest import WORKERS

pytestmark = pytest.mark.e2e


def serving_processes(server: Server) -> int:
    """Processes in the server's session that run the app (the reflex parent and its workers).

    Read from /proc, argument by argument: `ps` cuts its lines to the terminal's width, and in a clone whose
    path is long the line ended before "reflex run".
    """
    session = server.process.pid  # started with start_new_session: its pid is the session id, as `ps -g` read it
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Field 6 of stat is the session; the command name (field 2) may hold spaces, so split after ")".
            sid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3])
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):  # the process ended while we looked
            continue
        if sid == session and is_app_server(argv):
            count += 1
    return count


def is_app_server(argv: list[bytes]) -> bool:
    """`.../reflex run ...` or a Granian worker, whatever the folders in front of them."""
    names = [Path(arg.decode(errors="replace")).name for arg in argv]
    return any(pair == ("reflex", "run") for pair in itertools.pairwise(names)) or any(b"granian" in a for a in argv)


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

"""The throttle's stores hold their limits when many workers race, and the caseless-username migration's guard.

Racing threads stand in for workers: each store counts and adds atomically (an advisory lock on
PostgreSQL, the write lock on SQLite, MULTI/EXEC on Redis), so exactly `limit` get through.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from khalti_portal import throttle
from khalti_portal.clock import utcnow
from khalti_portal.config import load_settings
from khalti_portal.db.session import make_engine
from tests.migration_support import upgrade

pytest_plugins = ["tests.db_fixtures", "tests.throttle_fixtures"]

RACERS = 20


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def marks(request) -> throttle.MarkStore:
    if request.param == "redis":
        return request.getfixturevalue("redis_marks")
    engine = request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
    SQLModel.metadata.create_all(engine)
    return throttle.DatabaseStore(engine)


def test_racing_workers_never_get_past_the_limit(marks) -> None:
    start, now = threading.Barrier(RACERS), utcnow()

    def worker(_: int) -> bool:
        start.wait()
        return throttle.take("race", 5, timedelta(minutes=10), now=now, marks=marks) is not None

    with ThreadPoolExecutor(RACERS) as pool:
        results = list(pool.map(worker, range(RACERS)))
    assert sum(results) == 5  # no more, and a burst does not shut everyone out either
    # Refused takes leave no mark behind: the window holds exactly what got through.
    assert marks.count("race", now - timedelta(minutes=10))[0] == sum(results)


def test_a_window_slides(marks) -> None:
    t0 = utcnow()
    assert [throttle.take("w", 2, timedelta(seconds=10), now=t0, marks=marks) is not None for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert throttle.take("w", 2, timedelta(seconds=10), now=t0 + timedelta(seconds=10, milliseconds=1), marks=marks)


def test_failures_are_forgotten_after_an_hour_and_on_forget(marks) -> None:
    t0 = utcnow()
    for i in range(3):
        throttle.note_failure("f", now=t0 + timedelta(seconds=i), marks=marks)
    assert throttle.wait_left("f", now=t0 + timedelta(seconds=2), marks=marks) == timedelta(seconds=4)
    assert throttle.wait_left("f", now=t0 + timedelta(hours=1, seconds=3), marks=marks) == timedelta(0)
    throttle.forget("f", marks=marks)
    assert marks.count("f", t0 - timedelta(hours=1)) == (0, None)


def test_redis_is_used_when_configured_and_the_database_otherwise(redis_marks, sqlite_engine) -> None:
    with_redis = load_settings({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert throttle.store(sqlite_engine, settings=with_redis) is redis_marks
    assert isinstance(throttle.store(sqlite_engine, settings=load_settings({})), throttle.DatabaseStore)


# -- the migration that makes usernames unique regardless of case ------------------------------------

BEFORE = "0920988b79f3"  # the revision just before usernames became caseless


def add_users(engine, *names: str) -> None:
    with engine.begin() as conn:
        for name in names:
            conn.execute(
                text("INSERT INTO localuser (username, password_hash, enabled) VALUES (:n, :h, :e)"),
                {"n": name, "h": b"x", "e": True},
            )


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_stops_naming_every_clashing_pair(request, tmp_path, database: str) -> None:
    engine = (
        make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        if database == "sqlite"
        else request.getfixturevalue("pg_empty_engine")
    )
    upgrade(engine, BEFORE)
    add_users(engine, "Admin", "admin", "asha", "Bikash", "BIKASH", "bikash")
    with pytest.raises(RuntimeError) as refused:
        upgrade(engine, "head")
    assert str(refused.value) == (
        "Usernames must be unique regardless of case, but these accounts clash: 'Admin' / 'admin'; "
        "'BIKASH' / 'Bikash' / 'bikash'. Rename all but one in each group "
        "(UPDATE localuser SET username = ... WHERE id = ...), then run the migration again."
    )
    # Once an operator renames them, the same migration goes through and the rule holds from then on.
    with engine.begin() as conn:
        conn.execute(text("UPDATE localuser SET username = 'admin2' WHERE username = 'admin'"))
        conn.execute(text("UPDATE localuser SET username = username || '_' || id WHERE lower(username) = 'bikash'"))
    upgrade(engine, "head")
    with pytest.raises(Exception, match=r"(?i)unique"):
        add_users(engine, "ASHA")

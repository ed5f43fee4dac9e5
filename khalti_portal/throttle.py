"""Limits that hold across workers: Redis when REFLEX_REDIS_URL is set, the database otherwise.

Everything is built on one store of timestamped *marks* per key (a sorted set in Redis, rows of
`ThrottleMark` in the database):

- `take(key, limit, window)`: at most `limit` actions per sliding `window` (registration per client,
  checkouts per user, page lookups per payment); returns a claim to `release`, or None when refused.
- `wait_left(key)` / `note_failure(key)` / `forget(key)`: growing delays after failures (sign-in):
  1 s after the first, doubling to at most 60 s, forgotten after an hour without one.

Keys are built by the callers from what the server knows (a user id, a username, the client address
Reflex resolved through `TRUSTED_PROXY_HOPS`), never from anything the client chooses.
The functions are synchronous (they do I/O): call them from a worker thread in async code.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import delete, func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from khalti_portal.clock import utcnow
from khalti_portal.config import Settings, get_settings
from khalti_portal.db.models import ThrottleMark

FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=60)
FAILURE_MEMORY = timedelta(hours=1)
MAX_KEY = 200


class MarkStore(Protocol):
    """Where marks live; both backends keep a mark until `keep` after it was made."""

    def add(self, key: str, at: datetime, keep: timedelta) -> str:
        """Add a mark at `at`; returns its id."""

    def count(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many marks of `key` are later than `since`, and the latest one's time."""

    def take(self, key: str, limit: int, window: timedelta, now: datetime) -> str | None:
        """Atomically: add a mark unless `limit` marks already fall in `window`; its id, or None."""

    def discard(self, key: str, mark_id: str) -> None:
        """Remove one mark."""

    def clear(self, key: str) -> None:
        """Remove every mark of `key`."""


class DatabaseStore:
    """Marks as `ThrottleMark` rows: shared by every worker on one database."""

    def __init__(self, engine: Engine) -> None:
        """Use `engine`."""
        self.engine = engine

    def add(self, key: str, at: datetime, keep: timedelta) -> str:
        """Insert one row (failures and remembered clients: no limit to check)."""
        with Session(self.engine) as session:
            mark = ThrottleMark(key=key, created_at=at, expires_at=at + keep)
            session.add(mark)
            # Marks nobody can count any more go as new ones come: the table stays small.
            session.exec(delete(ThrottleMark).where(col(ThrottleMark.expires_at) < at))
            session.commit()
            return str(mark.id)

    def count(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """Count from the rows."""
        query = select(func.count(), func.max(ThrottleMark.created_at)).where(
            ThrottleMark.key == key, col(ThrottleMark.created_at) > since
        )
        with Session(self.engine) as session:
            n, latest = session.exec(query).one()
        return int(n), _aware(latest)

    def take(self, key: str, limit: int, window: timedelta, now: datetime) -> str | None:
        """Count and add in one transaction that racing takers of `key` go through one at a time."""
        with Session(self.engine) as session:
            if self.engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
            # On SQLite this write takes the database's write lock first, which serialises takers the same way.
            session.exec(delete(ThrottleMark).where(col(ThrottleMark.expires_at) < now))
            n = session.exec(
                select(func.count()).where(ThrottleMark.key == key, col(ThrottleMark.created_at) > now - window)
            ).one()
            if n >= limit:
                session.commit()
                return None
            mark = ThrottleMark(key=key, created_at=now, expires_at=now + window)
            session.add(mark)
            session.commit()
            return str(mark.id)

    def discard(self, key: str, mark_id: str) -> None:
        """Delete the row."""
        with Session(self.engine) as session:
            session.exec(delete(ThrottleMark).where(ThrottleMark.key == key, ThrottleMark.id == int(mark_id)))
            session.commit()

    def clear(self, key: str) -> None:
        """Delete the key's rows."""
        with Session(self.engine) as session:
            session.exec(delete(ThrottleMark).where(ThrottleMark.key == key))
            session.commit()


class RedisStore:
    """Marks as a sorted set per key (score = time), expiring on their own: shared by every host."""

    def __init__(self, url: str, *, prefix: str = "khalti_portal:throttle:") -> None:
        """Connect lazily to `url`; every key is stored under `prefix`."""
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def add(self, key: str, at: datetime, keep: timedelta) -> str:
        """ZADD, dropping marks older than `keep`, in one round trip."""
        mark_id, name, score = secrets.token_hex(8), self.prefix + key, at.timestamp()
        pipe = self.redis.pipeline()
        pipe.zadd(name, {mark_id: score})
        pipe.zremrangebyscore(name, "-inf", score - keep.total_seconds())
        pipe.expire(name, max(1, int(keep.total_seconds()) + 1))
        pipe.execute()
        return mark_id

    def count(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """ZCOUNT and the highest score."""
        name = self.prefix + key
        pipe = self.redis.pipeline()
        pipe.zcount(name, f"({since.timestamp()}", "+inf")
        pipe.zrange(name, -1, -1, withscores=True)
        n, latest = pipe.execute()
        if not n or not latest:
            return 0, None
        return int(n), datetime.fromtimestamp(latest[0][1], tz=since.tzinfo)

    def take(self, key: str, limit: int, window: timedelta, now: datetime) -> str | None:
        """ZADD and ZCOUNT in one MULTI/EXEC: Redis runs them in order, so the count ranks this mark exactly."""
        mark_id, name, score = secrets.token_hex(8), self.prefix + key, now.timestamp()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(name, "-inf", score - window.total_seconds())
        pipe.zadd(name, {mark_id: score})
        pipe.zcount(name, f"({score - window.total_seconds()}", "+inf")
        pipe.expire(name, max(1, int(window.total_seconds()) + 1))
        _, _, n, _ = pipe.execute()
        if n > limit:
            self.redis.zrem(name, mark_id)  # a refused take uses up no slot
            return None
        return mark_id

    def discard(self, key: str, mark_id: str) -> None:
        """ZREM."""
        self.redis.zrem(self.prefix + key, mark_id)

    def clear(self, key: str) -> None:
        """DEL."""
        self.redis.delete(self.prefix + key)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back what the UTC column type stored; func.max bypasses the type, so make sure.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@lru_cache(maxsize=4)
def _redis_store(url: str) -> RedisStore:
    return RedisStore(url)


def store(engine: Engine | None = None, *, settings: Settings | None = None) -> MarkStore:
    """Redis when REFLEX_REDIS_URL is set (in `settings`, default the process's), else the database.

    The database is `engine`, or the app's; billing passes the engine and settings of its own deps.
    """
    settings = settings or get_settings()
    if settings.redis_url:
        return _redis_store(settings.redis_url)
    if engine is None:
        from khalti_portal.db.session import get_engine

        engine = get_engine()
    return DatabaseStore(engine)


def _key(key: str) -> str:
    return key[:MAX_KEY]


def take(
    key: str, limit: int, window: timedelta, *, now: datetime | None = None, marks: MarkStore | None = None
) -> str | None:
    """Count one action under `key` if fewer than `limit` were counted in the last `window`.

    Returns the mark's id (pass it to `release` to give the slot back), or None when refused.
    Each store counts and adds atomically, so racing workers never let more than `limit` through.
    """
    marks = marks or store()
    return marks.take(_key(key), limit, window, now or utcnow())


def release(key: str, mark_id: str, *, marks: MarkStore | None = None) -> None:
    """Give back a slot `take` handed out (e.g. a re-check loop that has finished)."""
    (marks or store()).discard(_key(key), mark_id)


def delay_after(failures: int) -> timedelta:
    """How long to wait after `failures` failures in a row: none, then 1 s doubling to 60 s."""
    if failures <= 0:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - 1, 16), MAX_DELAY)


def wait_left(key: str, *, now: datetime | None = None, marks: MarkStore | None = None) -> timedelta:
    """How long `key` must still wait before its next try (zero when it may try now)."""
    marks, now = marks or store(), now or utcnow()
    n, latest = marks.count(_key(key), now - FAILURE_MEMORY)
    if latest is None:
        return timedelta(0)
    return max(timedelta(0), latest + delay_after(n) - now)


def note_failure(key: str, *, now: datetime | None = None, marks: MarkStore | None = None) -> None:
    """Count a failure: the next try under `key` waits longer."""
    (marks or store()).add(_key(key), now or utcnow(), FAILURE_MEMORY)


def forget(key: str, *, marks: MarkStore | None = None) -> None:
    """Forget the failures of `key` (a successful sign-in)."""
    (marks or store()).clear(_key(key))


def seen(key: str, *, now: datetime | None = None, within: timedelta, marks: MarkStore | None = None) -> bool:
    """Whether a mark of `key` was made within `within` (e.g. this client signed in to this account)."""
    now = now or utcnow()
    n, _ = (marks or store()).count(_key(key), now - within)
    return n > 0


def remember(key: str, *, keep: timedelta, now: datetime | None = None, marks: MarkStore | None = None) -> None:
    """Make a mark that `seen` will find for `keep`."""
    (marks or store()).add(_key(key), now or utcnow(), keep)

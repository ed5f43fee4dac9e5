"""The database engine and short transactions, shared by billing, the CLI and the app."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from khalti_portal.config import get_settings


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; SQLite gets WAL, writers queued in this process, and a busy timeout between processes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _queue_writers(engine, WRITER_PATIENCE_SECONDS)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
WRITER_PATIENCE_SECONDS = 30.0


def _queue_writers(engine: Engine, patience: float) -> None:
    """SQLite has one writer at a time: this process's writers wait for it in line, not by polling.

    SQLite's busy handler retries a locked database after sleeping 1, 2, 5 … 100 ms: under load a writer
    sleeps long after the lock came free, and the worker threads all sleep while the CPU idles (the
    benchmark saw that: docs/performance.md). So a write transaction first takes this engine's lock, from
    its first INSERT/UPDATE/DELETE (where the sqlite3 module begins it) until its commit or rollback has
    happened; the next writer wakes as soon as it is let go. Other processes (a CLI command) still meet
    the busy handler. A writer that waits longer than `patience` goes ahead and meets it too.
    """
    lock = threading.Lock()
    holders: set[int] = set()  # id() of the DBAPI connections holding the lock

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn, _cursor, statement, _params, _context, _many) -> None:
        raw = conn.connection.dbapi_connection
        if id(raw) not in holders and statement.lstrip()[:7].upper().startswith(_WRITES):
            if lock.acquire(timeout=patience):
                holders.add(id(raw))

    def let_go(connection: Any) -> None:
        raw = getattr(connection, "dbapi_connection", connection)
        if id(raw) in holders:
            holders.discard(id(raw))
            lock.release()

    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        finish = getattr(dialect, name)

        def finish_then_let_go(connection: Any, finish: Any = finish) -> None:
            try:
                finish(connection)
            finally:
                let_go(connection)

        # On this engine's own dialect instance: the pool's reset-on-return rolls back through it too.
        setattr(dialect, name, finish_then_let_go)

    # A connection thrown away mid-transaction (an error broke it) ends its transaction too.
    for pool_event in ("invalidate", "close"):
        event.listen(engine, pool_event, lambda dbapi_connection, *_: let_go(dbapi_connection))


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process's engine for the configured database."""
    return make_engine(get_settings().db_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One short transaction: commits on success, rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def forget_inherited_connections() -> None:
    """In a freshly forked worker: let go of the pooled connections inherited from the parent, unclosed.

    `reflex run` touches the database before Granian forks its workers, so each worker would otherwise
    share the parent's PostgreSQL socket with its siblings, and two workers' queries on one socket fail
    (INTRANS, "server closed the connection"). `dispose(close=False)` leaves the parent's sockets alone
    and makes this process open its own (SQLAlchemy's advice for forked pools).
    """
    engines = [get_engine()] if get_engine.cache_info().currsize else []
    try:
        from reflex import model  # Reflex keeps its own engines (reflex-local-auth queries through them)
    except ImportError:  # pragma: no cover - reflex is a dependency; the CLI may run without its model
        model = None
    engines += list(getattr(model, "_ENGINE", {}).values())
    for engine in engines:
        engine.dispose(close=False)


# Looked up at fork time, not bound now, so a test can show what happens without it.
os.register_at_fork(after_in_child=lambda: forget_inherited_connections())

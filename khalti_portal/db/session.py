"""The database engine and short transactions, shared by billing, the CLI and the app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from khalti_portal.config import get_settings


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so short writers queue, not fail."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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

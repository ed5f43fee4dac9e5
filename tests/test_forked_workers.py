"""A forked worker (Granian's workers are forks of `reflex run`) opens its own database connections."""

from __future__ import annotations

import os

from sqlalchemy import text

from khalti_portal.db import session as db_session


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def pid_seen_by_a_forked_child(engine) -> int:
    """Fork; the child asks the (inherited) engine which PostgreSQL backend serves it and reports it back."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through the pipe
        code = 0
        try:
            os.write(write_end, str(backend_pid(engine)).encode())
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    answer = os.read(read_end, 64).decode()
    os.close(read_end)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and answer, "the child could not query"
    return int(answer)


def test_a_forked_child_does_not_reuse_the_parents_pooled_connection(pg_empty_engine, monkeypatch):
    monkeypatch.setattr(db_session, "get_engine", _cached(pg_empty_engine))
    parent = backend_pid(pg_empty_engine)  # now pooled: without the fork hook the child would reuse it
    assert pid_seen_by_a_forked_child(pg_empty_engine) != parent
    assert backend_pid(pg_empty_engine) == parent  # the parent's own connection was left open and usable


def test_without_the_hook_the_child_would_share_the_parents_connection(pg_empty_engine, monkeypatch):
    # The rule above could fail: with the hook made a no-op, the fork reuses the parent's pooled socket.
    monkeypatch.setattr(db_session, "forget_inherited_connections", lambda: None)
    parent = backend_pid(pg_empty_engine)
    assert pid_seen_by_a_forked_child(pg_empty_engine) == parent


def _cached(engine):
    def get_engine():
        return engine

    get_engine.cache_info = lambda: type("Info", (), {"currsize": 1})()
    return get_engine

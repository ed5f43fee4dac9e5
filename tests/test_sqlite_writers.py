"""SQLite's one writer at a time: this process's writers queue for it instead of polling a locked database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from khalti_portal.db.session import make_engine

THREADS, EACH = 8, 25


@pytest.fixture
def engine(tmp_path):
    # No busy timeout at all: two writers of this process meeting at SQLite's lock would fail at once.
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}", busy_timeout=0)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
        conn.execute(text("CREATE TABLE seen (n INTEGER NOT NULL)"))
    yield engine
    engine.dispose()


def test_racing_write_transactions_all_commit_without_waiting_on_sqlite(engine):
    start = threading.Barrier(THREADS)

    def write() -> None:
        start.wait()
        for _ in range(EACH):
            with engine.begin() as conn:  # read-modify-write, as billing's transactions are
                conn.execute(text("UPDATE counter SET n = n + 1"))
                n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                conn.execute(text("INSERT INTO seen VALUES (:n)"), {"n": n})

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(write) for _ in range(THREADS)]:
            future.result()  # an OperationalError ("database is locked") would be raised here
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == THREADS * EACH
        seen = [row[0] for row in conn.execute(text("SELECT n FROM seen ORDER BY n"))]
    assert seen == list(range(1, THREADS * EACH + 1))  # each transaction saw only its own increment


def test_a_failed_write_lets_the_next_writer_in(engine):
    with pytest.raises(OperationalError), engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 1"))
        conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
    with engine.begin() as conn:  # would wait for a lock never let go, then meet SQLite's: locked
        conn.execute(text("UPDATE counter SET n = n + 10"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 10


def test_reads_do_not_queue_behind_a_writer(engine):
    with engine.begin() as writer:
        writer.execute(text("UPDATE counter SET n = 5"))
        with engine.connect() as reader:  # WAL: a reader sees the last commit while the writer is mid-way
            assert reader.execute(text("SELECT n FROM counter")).scalar_one() == 0

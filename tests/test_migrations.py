"""The committed migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import khalti_portal.db.models  # noqa: F401  (every table in the metadata)
from khalti_portal.db.session import make_engine
from tests.migration_support import upgrade


def schema_differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def assert_migrations_match_models(engine: Engine) -> None:
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert schema_differences(engine) == []


def test_migrations_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    assert_migrations_match_models(make_engine(f"sqlite:///{tmp_path / 'fresh.db'}"))


def test_migrations_on_postgresql(pg_empty_engine: Engine) -> None:
    assert_migrations_match_models(pg_empty_engine)
    with pg_empty_engine.connect() as conn:
        # The UTC column type is timestamptz on PostgreSQL.
        kind = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name='payment' AND column_name='created_at'"
                " AND table_schema = current_schema()"
            )
        ).scalar_one()
    assert kind == "timestamp with time zone"


def test_a_model_change_without_a_migration_is_caught(tmp_path: Path) -> None:
    # The comparison above could fail: a column the models lack shows up as a difference.
    engine = make_engine(f"sqlite:///{tmp_path / 'drift.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE plan ADD COLUMN stray INTEGER"))
    assert schema_differences(engine) != []


def _upgrade_with_two_accounts_sharing_an_address(engine: Engine) -> list[tuple[int, str]]:
    upgrade(engine, "5d3e8a1c7f20")  # before addresses were unique
    with engine.begin() as conn:
        for user_id, name, email in [
            (1, "first", "Asha@Example.com"),
            (2, "second", "asha@example.COM"),
            (3, "third", ""),
        ]:
            conn.execute(
                text("INSERT INTO localuser (id, username, password_hash, enabled) VALUES (:id, :n, :h, true)"),
                {"id": user_id, "n": name, "h": b"x"},
            )
            conn.execute(
                text(
                    "INSERT INTO userprofile (user_id, is_admin, display_name, email, phone, created_at)"
                    " VALUES (:id, false, '', :e, '', CURRENT_TIMESTAMP)"
                ),
                {"id": user_id, "e": email},
            )
    upgrade(engine)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT user_id, email FROM userprofile ORDER BY user_id"))]


def test_the_first_account_keeps_a_shared_address_and_the_others_are_listed(tmp_path: Path, capsys) -> None:
    rows = _upgrade_with_two_accounts_sharing_an_address(make_engine(f"sqlite:///{tmp_path / 'dupes.db'}"))
    assert rows == [(1, "Asha@Example.com"), (2, ""), (3, "")]
    assert "email 'asha@example.COM' cleared from user 2: user 1 had it first" in capsys.readouterr().out


def test_the_first_account_keeps_a_shared_address_on_postgresql(pg_empty_engine: Engine, capsys) -> None:
    rows = _upgrade_with_two_accounts_sharing_an_address(pg_empty_engine)
    assert rows == [(1, "Asha@Example.com"), (2, ""), (3, "")]
    assert "cleared from user 2" in capsys.readouterr().out

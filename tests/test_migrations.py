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

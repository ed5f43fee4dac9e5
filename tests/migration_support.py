"""Run the committed alembic migrations on an engine, up to a chosen revision (as `reflex db migrate` would)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def upgrade(engine: Engine, target: str = "head") -> None:
    """Apply the migrations from wherever `engine`'s database stands up to `target`."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    script = ScriptDirectory.from_config(config)
    with engine.connect() as connection:
        with EnvironmentContext(config, script, fn=lambda rev, _ctx: script._upgrade_revs(target, rev)) as env:
            env.configure(connection=connection)
            env.run_migrations()
        connection.commit()

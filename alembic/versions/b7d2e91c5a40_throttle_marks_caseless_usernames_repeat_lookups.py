"""throttle marks, usernames unique regardless of case, repeated lookups counted on the payment

Sign-in throttling moves from `loginattempt` (a hard lock) to `throttlemark`, the database backend of
khalti_portal.throttle (used when no Redis is configured). `localuser` gets a unique index on
lower(username): the upgrade stops, naming every clashing group, when two accounts differ only in case.

Revision ID: b7d2e91c5a40
Revises: 0920988b79f3
Create Date: 2026-11-27 18:30:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import khalti_portal.db.types

# revision identifiers, used by Alembic.
revision: str = "b7d2e91c5a40"
down_revision: Union[str, Sequence[str], None] = "0920988b79f3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


class UsernameClashError(RuntimeError):
    """Accounts whose usernames differ only in case: an operator must rename or merge them first."""


def clashing_usernames(connection: sa.engine.Connection) -> list[list[str]]:
    """Groups of usernames that are equal regardless of case (empty on a fresh install)."""
    rows = connection.execute(
        sa.text(
            "SELECT username FROM localuser WHERE lower(username) IN"
            " (SELECT lower(username) FROM localuser GROUP BY lower(username) HAVING count(*) > 1)"
        )
    ).scalars()
    groups: dict[str, list[str]] = {}
    for name in rows:
        groups.setdefault(name.lower(), []).append(name)
    # Sorted here, not in SQL: the order must not depend on the database's collation.
    return [sorted(names) for _, names in sorted(groups.items())]


def upgrade() -> None:
    """Upgrade schema."""
    clashes = clashing_usernames(op.get_bind())
    if clashes:
        listed = "; ".join(" / ".join(repr(n) for n in group) for group in clashes)
        raise UsernameClashError(
            "Usernames must be unique regardless of case, but these accounts clash: "
            f"{listed}. Rename all but one in each group (UPDATE localuser SET username = ... WHERE id = ...), "
            "then run the migration again."
        )
    with op.batch_alter_table("localuser", schema=None) as batch_op:
        batch_op.create_index("uq_localuser_username_lower", [sa.text("lower(username)")], unique=True)

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repeat_lookups", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "throttlemark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", khalti_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", khalti_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("throttlemark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttlemark_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_throttlemark_key"), ["key"], unique=False)

    with op.batch_alter_table("loginattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loginattempt_username"))
        batch_op.drop_index(batch_op.f("ix_loginattempt_created_at"))
        batch_op.drop_index(batch_op.f("ix_loginattempt_client_key"))
    op.drop_table("loginattempt")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table(
        "loginattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("client_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", khalti_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loginattempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loginattempt_client_key"), ["client_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_loginattempt_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_loginattempt_username"), ["username"], unique=False)

    with op.batch_alter_table("throttlemark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttlemark_key"))
        batch_op.drop_index(batch_op.f("ix_throttlemark_expires_at"))
    op.drop_table("throttlemark")

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("repeat_lookups")

    with op.batch_alter_table("localuser", schema=None) as batch_op:
        batch_op.drop_index("uq_localuser_username_lower")

"""userprofile.email_verified_at, one account per email regardless of case, accounttoken for mailed links

An address is unique regardless of case from here on. Where several profiles share one, the first
(lowest user id) keeps it and the others are cleared; each cleared profile is printed so the operator can
tell those people. Every existing address starts unverified.

Revision ID: 8c41f2d9e6b3
Revises: 5d3e8a1c7f20
Create Date: 2026-11-27 23:10:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import khalti_portal.db.types

# revision identifiers, used by Alembic.
revision: str = "8c41f2d9e6b3"
down_revision: Union[str, Sequence[str], None] = "5d3e8a1c7f20"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def duplicate_emails(connection: sa.engine.Connection) -> list[tuple[int, str, int]]:
    """(user id, email, the user id that keeps it) for every profile whose address an earlier one has."""
    rows = connection.execute(
        sa.text("SELECT user_id, email FROM userprofile WHERE email <> '' ORDER BY user_id")
    ).all()
    first: dict[str, int] = {}
    cleared = []
    for user_id, email in rows:
        owner = first.setdefault(email.lower(), user_id)
        if owner != user_id:
            cleared.append((user_id, email, owner))
    return cleared


def upgrade() -> None:
    """Upgrade schema."""
    connection = op.get_bind()
    for user_id, email, owner in duplicate_emails(connection):
        connection.execute(sa.text("UPDATE userprofile SET email = '' WHERE user_id = :id"), {"id": user_id})
        print(f"email {email!r} cleared from user {user_id}: user {owner} had it first (addresses are now unique)")

    utc = khalti_portal.db.types.UTCDateTime(timezone=True)
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", utc, nullable=True))
    op.create_index(
        "uq_userprofile_email_lower",
        "userprofile",
        [sa.text("lower(email)")],
        unique=True,
        sqlite_where=sa.text("email != ''"),
        postgresql_where=sa.text("email != ''"),
    )

    op.create_table(
        "accounttoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("expires_at", utc, nullable=False),
        sa.Column("used_at", utc, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["localuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_accounttoken_user_id"), "accounttoken", ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema (cleared duplicate addresses are not restored)."""
    op.drop_index(op.f("ix_accounttoken_user_id"), table_name="accounttoken")
    op.drop_table("accounttoken")
    op.drop_index("uq_userprofile_email_lower", table_name="userprofile")
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")

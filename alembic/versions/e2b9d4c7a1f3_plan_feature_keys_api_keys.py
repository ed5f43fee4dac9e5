"""plan.feature_keys (what a plan unlocks) and apikey (keys for the entitlement API, stored hashed)

Revision ID: e2b9d4c7a1f3
Revises: c6d1e8b4a2f9
Create Date: 2026-11-28 00:05:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import khalti_portal.db.types

# revision identifiers, used by Alembic.
revision: str = "e2b9d4c7a1f3"
down_revision: Union[str, Sequence[str], None] = "c6d1e8b4a2f9"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    utc = khalti_portal.db.types.UTCDateTime(timezone=True)
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feature_keys", sa.JSON(), server_default="[]", nullable=False))
    op.create_table(
        "apikey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("last_used_at", utc, nullable=True),
        sa.Column("revoked_at", utc, nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["localuser.id"]),
        sa.ForeignKeyConstraint(["revoked_by"], ["localuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("apikey")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("feature_keys")

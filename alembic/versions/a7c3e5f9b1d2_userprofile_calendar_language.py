"""userprofile.calendar and .language: how a subscriber reads dates and which language ("" = site default)

Revision ID: a7c3e5f9b1d2
Revises: f4a8c1d2e7b6
Create Date: 2026-11-28 03:20:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a7c3e5f9b1d2"
down_revision: Union[str, Sequence[str], None] = "f4a8c1d2e7b6"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar", sa.String(length=4), server_default="", nullable=False))
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("userprofile", schema=None) as batch_op:
        batch_op.drop_column("language")
        batch_op.drop_column("calendar")

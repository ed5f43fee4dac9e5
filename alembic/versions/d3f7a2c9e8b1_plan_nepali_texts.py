"""plan.description_ne and .features_ne: the catalog card's words for readers of Nepali ("" = the English ones)

Revision ID: d3f7a2c9e8b1
Revises: a7c3e5f9b1d2
Create Date: 2026-11-28 06:40:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d3f7a2c9e8b1"
down_revision: Union[str, Sequence[str], None] = "a7c3e5f9b1d2"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_ne", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("features_ne", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("features_ne")
        batch_op.drop_column("description_ne")

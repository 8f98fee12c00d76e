"""Data retention: the anonymous day aggregates of archived days.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_aggregates",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("popup_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", "popup_id", name=op.f("pk_day_aggregates")),
    )


def downgrade() -> None:
    op.drop_table("day_aggregates")

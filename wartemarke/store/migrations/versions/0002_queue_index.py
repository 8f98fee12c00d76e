"""Index the queue by service: people ahead are counted per service in SQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_index("ix_tickets_day_status")
        batch_op.create_index(
            "ix_tickets_day_status_service", ["day", "status", "service_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_index("ix_tickets_day_status_service")
        batch_op.create_index("ix_tickets_day_status", ["day", "status"], unique=False)

"""Cases per visit, and a counter's services changed by the clerk for one day.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_cases",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_visit_cases_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_visit_cases_service_id_services")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "service_id", name=op.f("pk_visit_cases")),
    )
    op.create_table(
        "counter_day_services",
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["counters.id"],
            name=op.f("fk_counter_day_services_counter_id_counters"),
        ),
        sa.PrimaryKeyConstraint("counter_id", "day", name=op.f("pk_counter_day_services")),
    )


def downgrade() -> None:
    op.drop_table("counter_day_services")
    op.drop_table("visit_cases")

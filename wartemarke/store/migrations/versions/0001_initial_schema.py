"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=8), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_day", ["day"], unique=False)
        batch_op.create_index("ix_events_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "hub_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_state")),
    )
    op.bulk_insert(sa.table("hub_state", sa.column("id"), sa.column("seq")), [{"id": 1, "seq": 0}])
    op.create_table(
        "number_counters",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "prefix", name=op.f("pk_number_counters")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("expected_minutes", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("manual_open", sa.Boolean(), nullable=True),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("prefix", name=op.f("uq_services_prefix")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("held_by", sa.Integer(), nullable=True),
        sa.Column("held_since", sa.DateTime(), nullable=True),
        sa.Column("current_ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["held_by"], ["users.id"], name=op.f("fk_counters_held_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counters")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("original_service_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("serving_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_tickets_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("day", "number", name="uq_tickets_day_number"),
        sa.UniqueConstraint("token", name=op.f("uq_tickets_token")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_day_status", ["day", "status"], unique=False)

    op.create_table(
        "counter_services",
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_counter_services_counter_id_counters")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_counter_services_service_id_services")
        ),
        sa.PrimaryKeyConstraint("counter_id", "service_id", name=op.f("pk_counter_services")),
    )


def downgrade() -> None:

    op.drop_table("counter_services")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_day_status")

    op.drop_table("tickets")
    op.drop_table("counters")
    op.drop_table("users")
    op.drop_table("settings")
    op.drop_table("services")
    op.drop_table("number_counters")
    op.drop_table("hub_state")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_ticket_id")
        batch_op.drop_index("ix_events_day")

    op.drop_table("events")

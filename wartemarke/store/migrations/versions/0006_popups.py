"""Pop-up events: every ticket belongs to one; existing data goes to a first pop-up.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    popups = op.create_table(
        "popups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("first_day", sa.String(length=10), nullable=True),
        sa.Column("last_day", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_popups")),
        sa.UniqueConstraint("key", name=op.f("uq_popups_key")),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("popup_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("popup_id", sa.Integer(), nullable=True))

    # Data from before this version: one pop-up named after the venue, spanning its days.
    conn = op.get_bind()
    first, last = conn.execute(sa.text("SELECT min(day), max(day) FROM tickets")).one()
    if first is None:
        return
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
    venue = conn.execute(sa.select(settings.c.value).where(settings.c.key == "venue")).scalar()
    name = (venue or {}).get("name") if isinstance(venue, dict) else None
    conn.execute(
        popups.insert().values(
            id=1,
            key=str(uuid.uuid4()),
            name=name or "Pop-Up-Bürgerbüro",
            place="",
            address="",
            first_day=first,
            last_day=last,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )
    conn.execute(sa.text("UPDATE tickets SET popup_id = 1"))
    conn.execute(sa.text("UPDATE events SET popup_id = 1"))
    conn.execute(settings.insert().values(key="current_popup", value=1))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("popup_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("popup_id")
    op.drop_table("popups")

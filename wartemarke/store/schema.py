"""Tables. Every change to them is an Alembic migration under ``migrations/versions``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite stores no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row: the sequence number of the last change broadcast to the screens. Updating it first
# in every writing transaction also serialises writers across processes (PostgreSQL row lock).
hub_state = Table(
    "hub_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False, default=0),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False, default=""),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("prefix", String(3), nullable=False, unique=True),
    Column("expected_minutes", Float, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("manual_open", Boolean, nullable=True),
    Column("sort", Integer, nullable=False, default=0),
    Column("names", JSON, nullable=True),  # {"en": "ID card", …}: the name in other languages
    Column("descriptions", JSON, nullable=True),
    Column("priority", Integer, nullable=False, default=0, server_default="0"),
)

counters = Table(
    "counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("held_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("held_since", UTCDateTime, nullable=True),
    Column("current_ticket_id", Integer, nullable=True),
)

counter_services = Table(
    "counter_services",
    metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id"), primary_key=True),
)

# The last running number handed out per day and prefix. Together with the unique constraint on
# tickets (day, number) this makes a repeated number impossible, even after a crash.
number_counters = Table(
    "number_counters",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("prefix", String(3), primary_key=True),
    Column("last", Integer, nullable=False),
)

# A pop-up office: some days at one venue. One installation serves many over the year; every
# ticket belongs to the one that was current when it was issued. ``key`` is a global id (a UUID,
# or one set in the site file) so that exports of several laptops merge into the same pop-up.
popups = Table(
    "popups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("place", String(200), nullable=False, default=""),
    Column("address", String(300), nullable=False, default=""),
    # The venue's own Stadtbezirk ("1".."10") or Stadtteil code (see districts.py), if known.
    Column("district", String(32), nullable=True),
    Column("first_day", String(10), nullable=True),
    Column("last_day", String(10), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", String(10), nullable=False),
    Column("number", String(8), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False),
    Column("original_service_id", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("lang", String(8), nullable=False, default="de"),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("called_at", UTCDateTime, nullable=True),
    Column("serving_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("counter_id", Integer, nullable=True),
    Column("recalls", Integer, nullable=False, default=0),
    Column("popup_id", Integer, nullable=True),
    Column("appointment_id", Integer, nullable=True),
    Column("due_at", UTCDateTime, nullable=True),  # an appointment's slot start
    UniqueConstraint("day", "number", name="uq_tickets_day_number"),
    # The queue of one service today: counts, positions and call order all filter on these.
    Index("ix_tickets_day_status_service", "day", "status", "service_id"),
)

# Append-only: rows are inserted, never updated or deleted (retention aside). The source for
# statistics, the evaluation report and audit.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("day", String(10), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ticket_id", Integer, nullable=True),
    Column("number", String(8), nullable=True),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("service_id", Integer, nullable=True),
    Column("counter_id", Integer, nullable=True),
    Column("user_id", Integer, nullable=True),
    Column("data", JSON, nullable=True),
    # The pop-up current when the event was written (a ticket's own is tickets.popup_id).
    Column("popup_id", Integer, nullable=True),
    Index("ix_events_day", "day"),
    Index("ix_events_ticket_id", "ticket_id"),
)


# The concerns handled in one visit: a family may bring several (a passport for one, an ID card
# for another, a change of address). Statistics count persons (tickets) and cases separately.
visit_cases = Table(
    "visit_cases",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id"), primary_key=True),
    Column("count", Integer, nullable=False),
)

# A clerk's change of the services a counter serves, for one day only; the admin's setting
# (counter_services) applies again the next day.
counter_day_services = Table(
    "counter_day_services",
    metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("service_ids", JSON, nullable=False),
)

# What visitors tell about their visit on the phone page: a rating from 1 to 5 and the district
# they live in. Keyed by ticket (one answer per visit), holding nothing personal.
feedback = Table(
    "feedback",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id"), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("service_id", Integer, nullable=False),
    Column("rating", Integer, nullable=True),
    Column("district", String(32), nullable=True),
    Column("at", UTCDateTime, nullable=False),
)

# Tickets waiting to be printed. A job is claimed (pending -> printing) in a transaction before
# its bytes go out, so two spoolers never print the same job; see ``wartemarke/printing.py``.
print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("number", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("printed_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Index("ix_print_jobs_status", "status"),
)

# Data retention (``wartemarke/retention.py``): the anonymous figures of one archived day and
# one pop-up event (see ``wartemarke/stats.py``), kept after the day's raw rows (tickets, events,
# cases, answers) were deleted. ``popup_id`` 0: tickets that belong to no pop-up.
day_aggregates = Table(
    "day_aggregates",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("popup_id", Integer, primary_key=True, autoincrement=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Booked time slots. ``name`` is the only personal item, optional, and deleted when the day is
# closed; the booking code is what the visitor types or scans at the kiosk.
appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", String(10), nullable=False),
    Column("slot", String(5), nullable=False),  # "HH:MM", the venue's local time
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False),
    Column("code", String(16), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("name", String(128), nullable=True),
    Column("ticket_id", Integer, nullable=True),
    Column("checked_in_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("popup_id", Integer, nullable=True),
    Index("ix_appointments_day_slot", "day", "slot"),
)

"""Schema changes are migrations: the migrated schema equals the code's, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from wartemarke.store import open_store
from wartemarke.store.migrate import current_revision, head_revision
from wartemarke.store.schema import metadata


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def test_migrations_build_exactly_the_declared_schema(database_url):
    store = open_store(database_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert current_revision(store.engine) == head_revision(store.engine)


def test_reopening_keeps_data_and_runs_no_migration_twice(database_url):
    store = open_store(database_url)
    with store.write() as tx:
        tx.add_user("anna", "hash", "admin", datetime.now(UTC))
        seq = tx.seq
    store.dispose()
    again = open_store(database_url)
    with again.read() as tx:
        assert tx.user_by_name("anna").role == "admin"
        assert tx.seq == seq


def test_upgrade_from_the_first_release_keeps_tickets(database_url):
    from alembic import command
    from sqlalchemy import create_engine, text

    from wartemarke.store.database import normalise_url
    from wartemarke.store.migrate import alembic_config

    engine = create_engine(normalise_url(database_url))
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO services (id, name, prefix, expected_minutes, description, enabled, "
                "sort) VALUES (1, 'Personalausweis', 'A', 15, '', true, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO tickets (day, number, token, service_id, status, priority, lang, "
                "issued_at, queued_at, recalls) VALUES ('2026-03-30', 'A001', 'tok-0001', 1, "
                "'waiting', 0, 'de', '2026-03-30 08:00:00', '2026-03-30 08:00:00', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO settings (key, value) VALUES "
                """('venue', '{"name": "Pop-Up im Museum"}')"""
            )
        )
    engine.dispose()
    store = open_store(database_url)
    assert current_revision(store.engine) == head_revision(store.engine) != "0001"
    with store.read() as tx:
        ticket = tx.ticket_by_token("tok-0001")
        assert ticket.number == "A001" and tx.people_ahead(ticket) == 0
        # The data from before pop-up events belongs to one pop-up named after the venue.
        (popup,) = tx.popups()
        assert (popup["name"], popup["first_day"], popup["last_day"]) == (
            "Pop-Up im Museum",
            "2026-03-30",
            "2026-03-30",
        )
        assert tx.current_popup_id() == popup["id"]
        popup_of = tx.conn.execute(text("SELECT popup_id FROM tickets")).scalar_one()
        assert popup_of == popup["id"]

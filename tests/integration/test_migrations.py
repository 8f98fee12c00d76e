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

"""Engine set-up, migrations and the transaction boundary.

``Store.write()`` opens the one transaction a use case runs in. Writers are serialised:
SQLite starts it with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two processes
never dead-end on a lock upgrade), PostgreSQL locks the single ``hub_state`` row first. Inside that
lock "call next" reads the queue and updates a ticket with no other writer in between, in one
process or in several.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, select, update
from sqlalchemy.engine import Connection, Engine

from . import schema
from .migrate import upgrade_to_head
from .repository import Tx

SQLITE_BUSY_TIMEOUT_MS = 10_000


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'wartemarke.sqlite3'}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin() below decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed ticket survives a power cut too, not only a killed process.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


def normalise_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling; the driver shipped with us is psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class Store:
    def __init__(self, url: str) -> None:
        url = normalise_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict = {}
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    def migrate(self) -> None:
        upgrade_to_head(self.engine)

    @contextlib.contextmanager
    def write(self, publish: bool = True) -> Iterator[Tx]:
        """One writing transaction. With ``publish`` the change gets the next sequence number."""
        with self.engine.connect() as conn:
            conn.info["write"] = True
            try:
                with conn.begin():
                    tx = Tx(conn)
                    if publish:
                        tx.seq = conn.execute(
                            update(schema.hub_state)
                            .where(schema.hub_state.c.id == 1)
                            .values(seq=schema.hub_state.c.seq + 1)
                            .returning(schema.hub_state.c.seq)
                        ).scalar_one()
                    else:
                        tx.seq = conn.execute(
                            select(schema.hub_state.c.seq)
                            .where(schema.hub_state.c.id == 1)
                            .with_for_update()
                        ).scalar_one()
                    yield tx
            finally:
                conn.info.pop("write", None)

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A consistent read-only view (one snapshot on both backends)."""
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                tx = Tx(conn)
                tx.seq = conn.execute(
                    select(schema.hub_state.c.seq).where(schema.hub_state.c.id == 1)
                ).scalar_one()
                yield tx

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store

"""Engine set-up, migrations and the transaction boundary.

``Store.write()`` opens the one transaction a use case runs in. Writers are serialised:
SQLite starts it with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two processes
never dead-end on a lock upgrade), PostgreSQL locks the single ``hub_state`` row first. Inside that
lock "call next" reads the queue and updates a ticket with no other writer in between, in one
process or in several.

Waiting for that lock never freezes the server: SQLite's own busy handler sleeps in C, which under
gevent stops every request and websocket of the process, so the write lock is polled without it
and the waits in between are ``time.sleep`` (cooperative once gevent has patched it), up to
``WRITE_LOCK_WAIT`` seconds. What the database cannot do for a while (locked beyond that, disk
full, I/O error, connection lost) leaves ``write()``/``read()`` as a ``StorageError`` after the
transaction rolled back; the web layer answers it with 503 and a message for the user.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from . import schema
from .migrate import upgrade_to_head
from .repository import Tx

try:
    import resource
except ImportError:  # not on Windows
    resource = None

# The most SQLite's busy handler may block the whole process in C, for the rare waits other than
# the write lock (a reader meeting another process's WAL recovery, a migration at start-up).
SQLITE_BUSY_TIMEOUT_MS = 100
# How long a write waits for the write lock held elsewhere (another process, a backup, the CLI)
# before it gives up with StorageError("busy"): well within the screens' 10 s request timeout.
WRITE_LOCK_WAIT = 5.0
_POLL_FIRST, _POLL_MAX = 0.001, 0.025  # seconds between attempts at the write lock
# An I/O error with less room than this left (on the disk, or below the process's file size
# limit) is a full disk to the user: room for a few transactions of a few pages each.
FULL_BELOW_BYTES = 1024 * 1024

# SQLite's primary result codes (``sqlite_errorcode & 0xFF``) that mean "not now", not "wrong".
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_IOERR,  # EFBIG (file size limit) shows up as IOERR_WRITE, not FULL
    sqlite3.SQLITE_READONLY,  # e.g. the file system was remounted read-only
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_PROTOCOL,
}


class StorageError(Exception):
    """The database cannot serve right now: locked beyond ``WRITE_LOCK_WAIT``, disk full, an I/O
    error, the PostgreSQL connection lost. Nothing was half-written (the transaction rolled
    back); trying again later may work. ``kind``: "busy", "full" or "unavailable"."""

    RETRY_AFTER = {"busy": 2, "unavailable": 5, "full": 30}
    MESSAGES = {
        "busy": "Die Datenbank ist gerade belegt. Bitte gleich noch einmal versuchen. "
        "(The database is busy right now. Please try again in a moment.)",
        "unavailable": "Die Datenbank ist gerade nicht erreichbar. Bitte gleich noch einmal "
        "versuchen. (The database cannot be reached right now. Please try again in a moment.)",
        "full": "Der Speicher des Servers ist voll: Es kann nichts gespeichert werden. Bitte "
        "wenden Sie sich an das Personal. "
        "(The server's storage is full: nothing can be saved. Please ask the staff.)",
    }

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def error(self) -> str:
        """The API's error code."""
        return "storage_full" if self.kind == "full" else "storage_unavailable"

    @property
    def message(self) -> str:
        """For the user, German first."""
        return self.MESSAGES[self.kind]

    @property
    def retry_after(self) -> int:
        """Seconds (the Retry-After header)."""
        return self.RETRY_AFTER[self.kind]


def storage_error(exc: BaseException) -> StorageError | None:
    """``exc`` as a StorageError when the database (not the program) is the problem, else None:
    a syntax error or a broken constraint stays a bug, answered 500 and logged in full."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection stayed in use
        return StorageError("busy", str(exc).splitlines()[0])
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    detail = " ".join(str(orig).split())[:200] or type(orig).__name__
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        primary = None if code is None else code & 0xFF
        if primary in _SQLITE_BUSY:
            return StorageError("busy", detail)
        if primary == sqlite3.SQLITE_FULL:
            return StorageError("full", detail)
        if primary in _SQLITE_UNAVAILABLE:
            return StorageError("unavailable", detail)
        return None
    psycopg = sys.modules.get("psycopg")  # loaded only where PostgreSQL is in use
    if psycopg is not None and isinstance(orig, psycopg.OperationalError):
        # Besides these states: class 08 or none at all is a lost connection, 57P01 a shutdown.
        state = orig.sqlstate or ""
        if state == "53100":  # disk_full
            return StorageError("full", detail)
        if state in ("55P03", "40001", "40P01", "57014", "53300"):  # lock timeout and the like
            return StorageError("busy", detail)
        return StorageError("unavailable", detail)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return StorageError("unavailable", detail)
    return None


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'wartemarke.sqlite3'}"


def take_sqlite_write_lock(dbapi_connection, wait: float) -> None:
    """``BEGIN IMMEDIATE``, retried with cooperative sleeps until ``wait`` seconds have passed.

    Only the BEGIN is retried: nothing has been read or written yet, so trying again is safe.
    The busy handler is off meanwhile (it would sleep in C and freeze every greenlet)."""
    deadline = time.monotonic() + wait
    delay = _POLL_FIRST
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _SQLITE_BUSY:
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorageError(
                        "busy", f"the database stayed locked for more than {wait:g} s ({exc})"
                    ) from exc
            time.sleep(min(delay, left))
            delay = min(delay * 2, _POLL_MAX)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _configure_sqlite(engine: Engine, lock_wait: float) -> None:
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
        if conn.info.get("write"):
            take_sqlite_write_lock(conn.connection.driver_connection, lock_wait)
        else:
            conn.exec_driver_sql("BEGIN")


def normalise_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling; the driver shipped with us is psycopg 3."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


class Store:
    def __init__(self, url: str, lock_wait: float = WRITE_LOCK_WAIT) -> None:
        url = normalise_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.lock_wait = lock_wait
        kwargs: dict = {}
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, lock_wait)

    def migrate(self) -> None:
        upgrade_to_head(self.engine)

    @contextlib.contextmanager
    def _storage_errors(self) -> Iterator[None]:
        """Turn the database's "not now" into StorageError; every other exception passes."""
        try:
            yield
        except Exception as exc:
            problem = storage_error(exc)
            if problem is None:
                raise
            if problem.kind == "unavailable" and self._out_of_space():
                problem = StorageError("full", f"{problem.detail}: no room left for the database")
            if problem is exc:
                raise
            raise problem from exc

    def _out_of_space(self) -> bool:
        """After SQLite's I/O error: did its files run out of room? SQLite says "full" only for
        ENOSPC; the process's file size limit (EFBIG: ``ulimit -f``, systemd's LimitFSIZE)
        reaches us as a mere "disk I/O error", like a failing disk's EIO."""
        name = self.engine.url.database if self.is_sqlite else None
        if not name or name == ":memory:":
            return False
        path = Path(name)
        try:
            if shutil.disk_usage(path.parent).free < FULL_BELOW_BYTES:
                return True
            limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0] if resource else -1
            if limit in (-1, getattr(resource, "RLIM_INFINITY", -1)):
                return False
            files = [path.with_name(path.name + end) for end in ("", "-wal", "-shm", "-journal")]
            sizes = [f.stat().st_size for f in files if f.exists()]
            return max(sizes, default=0) + FULL_BELOW_BYTES > limit
        except OSError:
            return False

    @contextlib.contextmanager
    def write(self, publish: bool = True) -> Iterator[Tx]:
        """One writing transaction. With ``publish`` the change gets the next sequence number.

        Raises StorageError when the database cannot take it now; nothing of it was kept."""
        with self._storage_errors(), self.engine.connect() as conn:
            conn.info["write"] = True
            try:
                with conn.begin():
                    if not self.is_sqlite:
                        # PostgreSQL's lock waits already yield under gevent (psycopg waits
                        # cooperatively once select is patched); bound them as SQLite's are.
                        ms = int(self.lock_wait * 1000)
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
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
        with self._storage_errors(), self.engine.connect() as conn:
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

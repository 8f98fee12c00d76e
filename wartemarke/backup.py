"""``wartemarke backup`` and ``wartemarke restore``: a consistent copy while the server runs.

SQLite: the online backup API copies the database a few pages at a time with short pauses, so
the running server's commits never wait long for the disk. The copy reads one snapshot: the
source connection holds a read transaction from the first page to the last. In WAL mode that
never blocks a writer, and without it every commit of the server (another connection) would
restart the copy from page one, for ever on a busy day. The copy goes to a temporary file next
to the target, is switched out of WAL mode (one self-contained file), checked (integrity, schema
version, tables) and only then renamed: the target is never half-written.

PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot, so the figures printed are
those of the dump; ``pg_restore`` to restore.

Restore refuses while a server runs on the data dir: ``serve`` holds a shared advisory lock on
``<data dir>/server.lock`` (``hold_server_lock``) for its lifetime, restore takes it exclusively.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .config import ConfigError

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows: no lock, so restore cannot tell whether a server runs
    fcntl = None

LOCK_FILE = "server.lock"
# Pages per backup step (1 MiB at SQLite's default 4 KiB pages) and the pause after each, in
# which the server's commits have the disk to themselves: 5,000 tickets are about 4 MiB.
STEP_PAGES = 256
STEP_PAUSE = 0.005
SQLITE_MAGIC = b"SQLite format 3\x00"
SIDECARS = ("-wal", "-journal", "-shm")
_lock_fd: int | None = None


class BackupError(ConfigError):
    """A backup or restore that cannot be done; the message says why (one line)."""


@dataclass
class Facts:
    """What a checked backup holds."""

    path: Path
    size: int
    revision: str
    head: str
    tickets: int
    events: int
    first_day: str | None
    last_day: str | None

    def describe(self) -> str:
        days = f"days {self.first_day} to {self.last_day}" if self.first_day else "no days yet"
        schema = f"schema {self.revision}" + (
            "" if self.revision == self.head else f" (older than {self.head}: upgraded at start)"
        )
        return (
            f"{_size(self.size)}, {self.tickets} tickets, {self.events} events, {days}, "
            f"{schema}, integrity ok"
        )


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


# --- the server's lock ------------------------------------------------------------------------


def hold_server_lock(data_dir: Path) -> None:
    """Called by ``serve``: a shared lock on the data dir, held until the process ends (several
    server processes may share a data dir). Refused while a restore runs there."""
    global _lock_fd
    if fcntl is None:
        return
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError(
            f"a restore is running on {data_dir}; start the server once it has finished"
        ) from None
    except OSError as exc:  # a file system without locks: serve anyway, unguarded
        os.close(fd)
        log.warning(
            "cannot lock %s (%s): a restore cannot tell that this server runs",
            data_dir / LOCK_FILE,
            exc,
        )
        return
    _lock_fd = fd  # never closed: the kernel releases the lock when the process ends


@contextlib.contextmanager
def no_server_running(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's lock exclusively: no server runs on it, none starts meanwhile."""
    if fcntl is None:
        yield
        return
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a Wartemarke server is running on {data_dir}: stop it first "
                "(e.g. systemctl stop wartemarke), then restore"
            ) from None
        yield
    finally:
        os.close(fd)


# --- schema versions --------------------------------------------------------------------------


def known_revisions() -> list[str]:
    """This version's migrations, oldest first."""
    from alembic.script import ScriptDirectory

    from .store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(None))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def check_revision(revision: str | None, where: str) -> str:
    """The head revision; BackupError unless ``revision`` is one this version knows."""
    known = known_revisions()
    if revision is None:
        raise BackupError(f"{where}: not a Wartemarke database (no schema version)")
    if revision not in known:
        raise BackupError(
            f"{where}: unknown schema version {revision!r} (made by a newer Wartemarke? "
            f"this one knows up to {known[-1]})"
        )
    return known[-1]


# --- SQLite -----------------------------------------------------------------------------------


def connect_existing(path: Path) -> sqlite3.Connection:
    """An existing database file, never created by accident."""
    return sqlite3.connect(
        f"{path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=5
    )


def _remove(path: Path) -> None:
    for suffix in ("", *SIDECARS):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _missing_schema(conn: sqlite3.Connection) -> list[str]:
    """Tables and columns of the current schema that the database lacks."""
    from .store import schema

    missing = []
    for table in schema.metadata.sorted_tables:
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")')}
        if not have:
            missing.append(table.name)
        else:
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    return missing


def check_sqlite(path: Path, name: Path | None = None) -> Facts:
    """Integrity, a known schema version (and at the current one: every table and column),
    the figures. Opens read-write: a copy in WAL mode becomes one self-contained file.
    ``name``: the file the messages speak of (``path`` is a temporary copy of it)."""
    where = str(name or path)
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{where}: not a SQLite database")
    try:
        conn = connect_existing(path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"{where}: damaged: {'; '.join(problems)[:300]}")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            revision = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row and row[0]
            head = check_revision(revision, where)
            if revision == head and (missing := _missing_schema(conn)):
                raise BackupError(f"{where}: schema {revision} lacks {', '.join(missing[:5])}")
            facts = _figures(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{where}: not a usable database: {exc}") from None
    return Facts(path, path.stat().st_size, revision, head, *facts)


def _figures(conn) -> tuple[int, int, str | None, str | None]:
    """Tickets, events, first and last day: on a DB-API connection or a SQLAlchemy one."""

    def one(sql: str):
        result = (
            conn.execute(sql) if isinstance(conn, sqlite3.Connection) else conn.exec_driver_sql(sql)
        )
        return tuple(result.fetchone())

    tickets = one("SELECT count(*) FROM tickets")[0]
    events = one("SELECT count(*) FROM events")[0]
    first, last = one(
        "SELECT min(day), max(day) FROM "
        "(SELECT day FROM tickets UNION ALL SELECT day FROM events) AS d"
    )
    return tickets, events, first, last


def backup_sqlite(
    source: Path,
    target: Path,
    pages: int = STEP_PAGES,
    pause: float = STEP_PAUSE,
    on_step: Callable[[int, int], None] | None = None,
) -> Facts:
    """Copy ``source`` to ``target`` ``pages`` at a time; ``on_step(remaining, total)`` after
    each step (tests use it to write between steps)."""

    def step(_status, remaining: int, total: int) -> None:
        if on_step is not None:
            on_step(remaining, total)
        time.sleep(pause)

    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{target} is the database itself; write the backup elsewhere")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        src = connect_existing(source)
        try:
            src.execute("PRAGMA query_only=ON")
            # The snapshot starts with the first read and lasts until the end of the copy.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            dst = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(dst, pages=pages, progress=step)
                dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            finally:
                dst.close()
            src.execute("COMMIT")
        finally:
            src.close()
        _fsync(tmp)
        facts = check_sqlite(tmp, target)
        os.replace(tmp, target)
        _fsync(target.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        _remove(tmp)
    facts.path = target
    return facts


def _free_name(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``… if taken (two restores in one second)."""
    candidate, n = base, 1
    while any(Path(f"{candidate}{s}").exists() for s in ("", *SIDECARS)):
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def restore_sqlite(
    backup: Path, db: Path, data_dir: Path, now: datetime
) -> tuple[Facts, Path | None]:
    """Check a copy of ``backup`` in the data dir, then swap it in; the replaced database
    (with its -wal) is kept under ``*.before-restore-<timestamp>``. Returns (facts, kept)."""
    if not backup.is_file():
        raise BackupError(f"{backup}: no such file")
    with no_server_running(data_dir):
        tmp = db.with_name(f".{db.name}.restore-{os.getpid()}.tmp")
        _remove(tmp)
        try:
            try:
                shutil.copyfile(backup, tmp)
                if Path(f"{backup}-wal").is_file():  # a raw copy of a live database
                    shutil.copyfile(f"{backup}-wal", f"{tmp}-wal")
            except OSError as exc:
                raise BackupError(f"cannot copy {backup}: {exc.strerror or exc}") from None
            facts = check_sqlite(tmp, backup)
            _fsync(tmp)
            kept = None
            if any(Path(f"{db}{s}").exists() for s in ("", *SIDECARS)):
                kept = _free_name(db.with_name(f"{db.name}.before-restore-{_stamp(now)}"))
                # The -wal goes with its database: left behind it would be replayed into the
                # restored one. The -shm is only an index, rebuilt from the -wal on open.
                for suffix in ("-wal", "-journal", ""):
                    if Path(f"{db}{suffix}").exists():
                        os.replace(f"{db}{suffix}", f"{kept}{suffix}")
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{db}-shm").unlink()
            os.replace(tmp, db)
            _fsync(db.parent)
        finally:
            _remove(tmp)
    facts.path = backup
    facts.size = backup.stat().st_size
    return facts, kept


# --- PostgreSQL -------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` from PATH, else from Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = [
        p for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}") if os.access(p, os.X_OK)
    ]
    if versions:
        return str(max(versions, key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0))
    raise BackupError(
        f"{name} not found: install the PostgreSQL client tools "
        "(Debian/Ubuntu: apt install postgresql-client) or put it on PATH"
    )


def _libpq(url: str) -> tuple[str, dict]:
    """A connection URL for the PostgreSQL tools, and the environment with the password (not
    on the command line, where every user of the machine could read it)."""
    from sqlalchemy.engine import make_url

    from .store.database import normalise_url

    parsed = make_url(normalise_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


@contextlib.contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """The database unreachable (or refusing us): one line, not a traceback."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.engine import make_url

    try:
        yield
    except sa_exc.DBAPIError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        detail = " ".join(str(exc.orig).split())[:300]
        raise BackupError(f"cannot use the database {shown}: {detail}") from None


def _run(args: list[str], env: dict, what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, env=env)
    if done.returncode != 0:
        error = " ".join(done.stderr.decode(errors="replace").split())[:400]
        raise BackupError(f"{what} failed: {error or f'exit code {done.returncode}'}")
    return done


def _dump_revision(path: Path, env: dict) -> str | None:
    """The schema version inside a custom-format dump (its alembic_version table's row)."""
    _run([pg_tool("pg_restore"), "--list", str(path)], env, f"{path}: reading the archive")
    script = _run(
        [pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        env,
        f"{path}: reading the archive",
    ).stdout.decode(errors="replace")
    found = re.search(r"^COPY [\w.\"]*alembic_version .*FROM stdin;\n([^\n\\]+)\n", script, re.M)
    return found[1].strip() if found else None


def backup_postgres(url: str, target: Path) -> Facts:
    from .store import Store

    pg_dump = pg_tool("pg_dump")
    conninfo, env = _libpq(url)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    store = Store(url)
    try:
        with _database_errors(url), store.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # The dump reads exactly this snapshot: the figures are those of the file.
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                figures = _figures(conn)
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        "--no-password",
                        f"--snapshot={snapshot}",
                        f"--file={tmp}",
                        f"--dbname={conninfo}",
                    ],
                    env,
                    "pg_dump",
                )
        revision = _dump_revision(tmp, env)
        head = check_revision(revision, str(target))
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        store.dispose()
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return Facts(target, target.stat().st_size, revision, head, *figures)


def restore_postgres(
    backup: Path, url: str, data_dir: Path, now: datetime
) -> tuple[Facts, Path | None]:
    """Check the archive, keep a dump of the database it replaces in the data dir, then
    ``pg_restore --clean`` in one transaction (all or nothing)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from .store import Store
    from .store.migrate import current_revision

    if not backup.is_file():
        raise BackupError(f"{backup}: no such file")
    conninfo, env = _libpq(url)
    revision = _dump_revision(backup, env)
    head = check_revision(revision, str(backup))
    known = known_revisions()
    with no_server_running(data_dir):
        store = Store(url)
        try:
            with _database_errors(url), store.engine.connect() as conn:
                others = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            if others:
                raise BackupError(
                    f"{others} other connection(s) to the database (a server elsewhere?): "
                    "stop them first, then restore"
                )
            with _database_errors(url):
                current = current_revision(store.engine)
        finally:
            store.dispose()
        if current in known and known.index(current) > known.index(revision):
            raise BackupError(
                f"the database is at schema {current}, newer than the backup's {revision}: "
                "restore into a new, empty database instead"
            )
        kept = None
        if current is not None:
            name = make_url(url).database or "database"
            kept = _free_name(data_dir / f"{name}.before-restore-{_stamp(now)}.dump")
            _run(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-password",
                    f"--file={kept}",
                    f"--dbname={conninfo}",
                ],
                env,
                "pg_dump of the database to be replaced",
            )
        _run(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--no-password",
                f"--dbname={conninfo}",
                str(backup),
            ],
            env,
            "pg_restore",
        )
    store = Store(url)
    try:
        with _database_errors(url), store.engine.connect() as conn:
            figures = _figures(conn)
    finally:
        store.dispose()
    return Facts(backup, backup.stat().st_size, revision, head, *figures), kept


# --- the commands -----------------------------------------------------------------------------


def backup_target(out: str, now: datetime, suffix: str) -> Path:
    """OUT itself, or a timestamped file in it when OUT is a directory (or ends with /)."""
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"cannot create {path}: {exc.strerror}") from None
        return path / f"wartemarke-{_stamp(now)}{suffix}"
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")
    return path


def backup(database_url: str, out: str, now: datetime) -> Facts:
    from sqlalchemy.engine import make_url

    from .store.database import normalise_url

    url = normalise_url(database_url)
    if url.startswith("sqlite"):
        return backup_sqlite(Path(make_url(url).database), backup_target(out, now, ".sqlite3"))
    return backup_postgres(url, backup_target(out, now, ".dump"))


def restore(database_url: str, backup_file: Path, data_dir: Path, now: datetime):
    from sqlalchemy.engine import make_url

    from .store.database import normalise_url

    url = normalise_url(database_url)
    if url.startswith("sqlite"):
        return restore_sqlite(backup_file, Path(make_url(url).database), data_dir, now)
    return restore_postgres(backup_file, url, data_dir, now)

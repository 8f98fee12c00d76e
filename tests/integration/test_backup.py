"""``wartemarke backup`` and ``restore`` against real server processes: a consistent copy while
tickets are issued, a restore the server answers from, and refusals that change nothing."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import site_with_counters, wartemarke
from tests.integration.test_concurrency import issue_many
from wartemarke.backup import backup_sqlite, known_revisions

DB = "wartemarke.sqlite3"


class Writer(threading.Thread):
    """Issues tickets over HTTP, one after the other, until stopped; keeps what it got."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.issued: list[dict] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            r = session.post(self.url + "/api/tickets", json={"service": 1 + len(self.issued) % 3})
            if r.status_code != 201:
                self.errors.append(f"{r.status_code} {r.text}")
                return
            self.issued.append(r.json())

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.issued) < count:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"only {len(self.issued)} of {count} tickets"
            time.sleep(0.01)


def copy_tokens(path: Path, journal: str = "delete") -> dict[str, str]:
    """token -> number of every ticket in a backup, after checking that it is consistent:
    intact, every ticket with its "issued" event (and no event without its ticket), and each
    day's numbers per prefix 1..n with the number counter at n. A backup is one file (no WAL)."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == journal
        assert (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            == (known_revisions()[-1])
        )
        tickets = conn.execute("SELECT id, day, number, token FROM tickets").fetchall()
        issued = {r[0] for r in conn.execute("SELECT ticket_id FROM events WHERE kind='issued'")}
        assert {t[0] for t in tickets} == issued
        numbers: dict[tuple[str, str], list[int]] = {}
        for _, day, number, _ in tickets:
            prefix, digits = re.fullmatch(r"([A-Z]+)(\d+)", number).groups()
            numbers.setdefault((day, prefix), []).append(int(digits))
        counters = {(d, p): last for d, p, last in conn.execute("SELECT * FROM number_counters")}
        for key, found in numbers.items():
            assert sorted(found) == list(range(1, len(found) + 1)), key
            assert counters[key] == len(found), key
        return {t[3]: t[2] for t in tickets}
    finally:
        conn.close()


def files_of(data_dir: Path) -> dict[str, str]:
    """Name -> content hash of the database's files (and anything a restore might leave)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in data_dir.iterdir()
        if p.is_file() and (p.name.startswith((DB, f".{DB}")) or "restore" in p.name)
    }


def backed_up(result) -> Path:
    """The file a successful ``wartemarke backup`` names in its line."""
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    return Path(result.stdout.split(": ", 1)[0])


def test_backup_while_tickets_are_issued_is_one_consistent_snapshot(make_server, tmp_path):
    server = make_server(site=site_with_counters(1))
    issue_many(server.url, 60)  # some pages to copy: the copy below takes one page per step
    writer = Writer(server.url)
    writer.start()
    try:
        writer.wait_for(20)
        before = len(writer.issued)
        after_snapshot: list[int] = []

        def between_steps(remaining: int, total: int) -> None:
            # The snapshot was taken before the first step: everything issued from here on
            # (committed by the server meanwhile) must stay out of the copy.
            if not after_snapshot and remaining:
                after_snapshot.append(len(writer.issued))
                writer.wait_for(len(writer.issued) + 15)

        facts = backup_sqlite(
            server.data_dir / DB, tmp_path / "copy.sqlite3", pages=1, on_step=between_steps
        )
        writer.wait_for(len(writer.issued) + 5)  # the server still issues after the copy
    finally:
        writer.stop.set()
        writer.join(30)
    assert not writer.errors, writer.errors
    assert after_snapshot, "the copy took a single step: nothing was written between steps"
    tokens = copy_tokens(tmp_path / "copy.sqlite3")
    assert facts.tickets == len(tokens)
    issued = writer.issued
    for ticket in issued[:before]:
        assert tokens[ticket["token"]] == ticket["number"]
    mark = after_snapshot[0]
    assert not {t["token"] for t in issued[mark + 1 :]} & tokens.keys()
    assert len(issued[mark + 1 :]) >= 14
    # The live database kept everything, and the server answers for all of it.
    live = requests.get(f"{server.url}/api/tickets/{issued[-1]['token']}")
    assert live.status_code == 200 and live.json()["number"] == issued[-1]["number"]


def test_cli_backup_restore_into_fresh_dir_and_refused_while_running(make_server, tmp_path):
    server = make_server(site=site_with_counters(1))
    issued = issue_many(server.url, 30)
    writer = Writer(server.url)
    writer.start()
    try:
        writer.wait_for(5)
        result = wartemarke("backup", f"{tmp_path / 'backups'}/", data_dir=server.data_dir)
    finally:
        writer.stop.set()
        writer.join(30)
    assert not writer.errors, writer.errors
    copy = backed_up(result)
    assert re.fullmatch(r"wartemarke-\d{8}-\d{6}\.sqlite3", copy.name)
    assert copy.parent == tmp_path / "backups" and not list(copy.parent.glob(".*"))
    tokens = copy_tokens(copy)
    assert f"{copy.stat().st_size / 1024:.1f} KiB" in result.stdout
    assert f" {len(tokens)} tickets, {len(tokens)} events, days " in result.stdout
    assert len(tokens) >= 35  # the 30 before, the writer's first 5

    fresh = tmp_path / "fresh"
    done = wartemarke("restore", str(copy), data_dir=fresh)
    assert done.returncode == 0, done.stderr
    assert f"{len(tokens)} tickets" in done.stdout and "kept" not in done.stdout
    restored = make_server(site=site_with_counters(1), data_dir=fresh)
    for ticket in issued:
        r = requests.get(f"{restored.url}/api/tickets/{ticket['token']}")
        assert r.status_code == 200 and r.json()["number"] == ticket["number"]

    # Both servers run: a restore onto either data dir is refused and changes nothing.
    for target in (restored.data_dir, server.data_dir):
        files = files_of(target)
        refused = wartemarke("restore", str(copy), data_dir=target)
        assert refused.returncode == 2
        assert refused.stderr.strip().splitlines() == [
            f"wartemarke: error: a Wartemarke server is running on {target}: stop it first "
            "(e.g. systemctl stop wartemarke), then restore"
        ]
        assert files_of(target).keys() == files.keys()  # the live server rewrites them
    assert requests.get(f"{restored.url}/api/tickets/{issued[0]['token']}").status_code == 200


def test_bad_backup_refused_database_untouched_then_good_one_keeps_the_old(make_server, tmp_path):
    server = make_server(site=site_with_counters(1))
    first = issue_many(server.url, 20)
    copy = backed_up(wartemarke("backup", str(tmp_path / "good.sqlite3"), data_dir=server.data_dir))
    later = issue_many(server.url, 10)
    server.kill()  # as after a crash: the live database keeps its -wal
    assert (server.data_dir / f"{DB}-wal").exists()
    files = files_of(server.data_dir)

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is no database\n" * 500)
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    cases = {
        garbage: "not a SQLite database",
        truncated: "not a usable database: database disk image is malformed",
        foreign: "not a Wartemarke database (no schema version)",
        tmp_path / "missing.sqlite3": "no such file",
    }
    for bad, why in cases.items():
        result = wartemarke("restore", str(bad), data_dir=server.data_dir)
        assert result.returncode == 2, result.stdout
        assert result.stderr.strip().splitlines() == [f"wartemarke: error: {bad}: {why}"]
        assert files_of(server.data_dir) == files

    good = wartemarke("restore", str(copy), data_dir=server.data_dir)
    assert good.returncode == 0, good.stderr
    kept = Path(re.search(r"kept as (\S+)", good.stdout)[1])
    assert kept.parent == server.data_dir and ".before-restore-" in kept.name
    assert not (server.data_dir / f"{DB}-wal").exists()  # the old -wal went with the old file
    # The replaced database is whole (with its -wal): every ticket of before the restore.
    kept_tokens = copy_tokens(kept, journal="wal")
    assert {t["token"] for t in first + later} <= kept_tokens.keys()

    server.start()
    for ticket in first:
        assert requests.get(f"{server.url}/api/tickets/{ticket['token']}").status_code == 200
    for ticket in later:
        assert requests.get(f"{server.url}/api/tickets/{ticket['token']}").status_code == 404
    # Numbering goes on from the restored state, without a gap or a repeat.
    assert server.issue(1)["number"] == f"A{sum(t['number'][0] == 'A' for t in first) + 1:03d}"


@pytest.mark.postgres
@pytest.mark.skipif(
    not (shutil.which("pg_dump") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))),
    reason="pg_dump/pg_restore are not installed",
)
def test_postgres_backup_and_restore(make_server, postgres_url, tmp_path):
    env = {"WARTEMARKE_DATABASE": postgres_url}
    server = make_server(site=site_with_counters(1), env=env)
    first = issue_many(server.url, 20)
    result = wartemarke("backup", f"{tmp_path}/", data_dir=server.data_dir, env=env)
    copy = backed_up(result)
    assert re.fullmatch(r"wartemarke-\d{8}-\d{6}\.dump", copy.name)
    assert " 20 tickets, 20 events, days " in result.stdout
    assert f"schema {known_revisions()[-1]}," in result.stdout
    later = issue_many(server.url, 5)

    refused = wartemarke("restore", str(copy), data_dir=server.data_dir, env=env)
    assert refused.returncode == 2 and "server is running" in refused.stderr
    server.stop()
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"PGDMP but not really" * 10)
    bad = wartemarke("restore", str(garbage), data_dir=server.data_dir, env=env)
    assert bad.returncode == 2 and "reading the archive failed" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1

    done = wartemarke("restore", str(copy), data_dir=server.data_dir, env=env)
    assert done.returncode == 0, done.stderr
    kept = Path(re.search(r"kept as (\S+)", done.stdout)[1])
    assert kept.is_file() and kept.parent == server.data_dir

    server.start()
    for ticket in first:
        assert requests.get(f"{server.url}/api/tickets/{ticket['token']}").status_code == 200
    for ticket in later:
        assert requests.get(f"{server.url}/api/tickets/{ticket['token']}").status_code == 404

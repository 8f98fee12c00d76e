"""The database locked for a moment, the disk full, PostgreSQL gone: the visitor gets a clear
answer (503 with a message and Retry-After, never a 500), the server stays responsive meanwhile,
nothing is half-written, and everything works again once the fault is over."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import sqlite3
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import socketio

from tests.conftest import Server, site_with_counters
from tests.integration.test_flow import Listener
from tests.integration.test_printing import wait_until
from wartemarke.clock import write_clock_file
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import VirtualPrinter
from wartemarke.store.database import WRITE_LOCK_WAIT

BERLIN = ZoneInfo("Europe/Berlin")
# RLIMIT_FSIZE for the "full disk": below one WAL frame (a 4 KiB page plus its header), so the
# first page a transaction writes to the emptied WAL fails (EFBIG; Python ignores SIGXFSZ).
FULL_AT_BYTES = 4096


def db_path(server: Server) -> Path:
    return server.data_dir / "wartemarke.sqlite3"


@contextlib.contextmanager
def write_lock(path: Path):
    """Another process's writer: holds SQLite's write lock until the block ends (rolled back)."""
    db = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("ROLLBACK")
    finally:
        db.close()


@contextlib.contextmanager
def disk_full(server: Server, logs: list[str]):
    """The server process can no longer grow a file beyond FULL_AT_BYTES, and its WAL is empty:
    its next write to the database fails as on a full disk. Its log file is emptied first (the
    limit holds for it too; what it held goes to ``logs``) so that its error lines still fit."""
    logs.append(server.log())
    os.truncate(server.log_path, 0)  # the server appends (O_APPEND): it writes from 0 again
    pid = server.proc.pid
    soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (FULL_AT_BYTES, hard))
    try:
        db = sqlite3.connect(db_path(server), timeout=10)
        try:  # everything into the main file, the WAL emptied to 0 bytes
            wait_until(lambda: db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0)
        finally:
            db.close()
        # Not one WAL frame fits any more (a write that failed half-way may have left a part).
        assert Path(f"{db_path(server)}-wal").stat().st_size <= FULL_AT_BYTES
        yield
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))


def assert_whole(path: Path) -> list[tuple[str, str]]:
    """No corruption and no half ticket: every day's numbers per prefix run 1, 2, 3 … without a
    gap, each ticket has its "issued" event and at most one print job.
    Returns (day, number) of every ticket."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tickets = db.execute("SELECT day, number FROM tickets ORDER BY id").fetchall()
        running = defaultdict(list)
        for day, number in tickets:
            running[day, number[0]].append(int(number[1:]))
        for key, numbers in running.items():
            assert numbers == list(range(1, len(numbers) + 1)), f"numbering of {key}: {numbers}"
        issued = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'issued'").fetchone()[0]
        assert issued == len(tickets)
        orphans = db.execute(
            "SELECT COUNT(*) FROM print_jobs WHERE ticket_id NOT IN (SELECT id FROM tickets)"
        ).fetchone()[0]
        assert orphans == 0
        twice = db.execute(
            "SELECT COUNT(*) FROM (SELECT ticket_id FROM print_jobs GROUP BY ticket_id "
            "HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        assert twice == 0
        return tickets
    finally:
        db.close()


def post_ticket(server: Server, service: int = 1) -> requests.Response:
    return requests.post(server.url + "/api/tickets", json={"service": service}, timeout=30)


def assert_storage_answer(r: requests.Response, error: str, text: str) -> dict:
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["error"] == error and text in body["message"], body
    assert int(r.headers["Retry-After"]) == body["retry_after"] > 0
    return body


def timed(fn) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


# --- the database locked by another process ----------------------------------------------


def test_a_short_lock_waits_and_the_server_stays_responsive(make_server):
    server = make_server(site=site_with_counters(1))
    assert server.issue(1)["number"] == "A001"
    display = Listener(server.url)
    display.next("snapshot")
    answers: list[tuple[int, str | None, float]] = []

    def ticket() -> None:
        r = post_ticket(server)
        answers.append((r.status_code, r.json().get("number"), time.monotonic()))

    health, snapshots = [], []
    try:
        with write_lock(db_path(server)):
            locked = time.monotonic()
            visitors = [threading.Thread(target=ticket) for _ in range(3)]
            for visitor in visitors:
                visitor.start()
            # While the tickets wait for the lock, the rest of the server answers at once
            # (before, SQLite's busy handler slept in C and froze every greenlet).
            while time.monotonic() - locked < 1.5:
                health.append(timed(lambda: requests.get(server.url + "/api/health", timeout=5)))

                def snapshot() -> None:
                    display.client.emit("snapshot", namespace="/display")
                    display.next("snapshot", timeout=5)

                snapshots.append(timed(snapshot))
            assert answers == [], "a ticket was issued while another process held the lock"
            released = time.monotonic()
        for visitor in visitors:
            visitor.join(30)
    finally:
        display.close()

    assert len(health) >= 3 and max(health) < 1.0, health
    assert max(snapshots) < 1.0, snapshots
    assert sorted(a[:2] for a in answers) == [(201, "A002"), (201, "A003"), (201, "A004")]
    assert all(done >= released for *_, done in answers)  # they waited, then succeeded
    assert len(assert_whole(db_path(server))) == 4
    assert "Traceback" not in server.log() and "ERROR" not in server.log()


def test_a_lock_held_too_long_answers_503_then_all_is_well(make_server):
    server = make_server(site=site_with_counters(1), clerks=1)
    server.issue(1)
    clerk = server.login("clerk1", "secret-1")
    with write_lock(db_path(server)):
        started = time.monotonic()
        r = post_ticket(server)
        waited = time.monotonic() - started
        assert_storage_answer(r, "storage_unavailable", "Die Datenbank ist gerade belegt")
        assert "try again" in r.json()["message"]
        assert waited >= WRITE_LOCK_WAIT - 0.5  # it did wait for the lock before giving up
        # Reads go on meanwhile: the counter screen still sees the queue.
        assert requests.get(server.url + "/api/state", timeout=5).status_code == 200
        assert clerk.get(server.url + "/api/counters").status_code == 200

    assert server.issue(1)["number"] == "A002"  # the refused one took no number
    r = clerk.post(server.url + "/api/counters/1/next")
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"
    assert [n for _, n in assert_whole(db_path(server))] == ["A001", "A002"]
    log = server.log()
    assert len(re.findall(r"ERROR wartemarke\.app: storage error on POST /api/tickets", log)) == 1
    assert "Traceback" not in log


# --- the disk full --------------------------------------------------------------------------


def test_a_full_disk_answers_503_keeps_everything_whole_and_recovers(make_server, tmp_path):
    clock = tmp_path / "clock"
    write_clock_file(clock, datetime(2027, 3, 30, 10, 0, tzinfo=BERLIN))
    env = {"WARTEMARKE_CLOCK_FILE": str(clock), "WARTEMARKE_HOUSEKEEPING_SECONDS": "1"}
    with VirtualPrinter() as printer:
        server = make_server(
            site=site_with_counters(1), clerks=1, extra=["--printer", printer.url], env=env
        )
        clerk = server.login("clerk1", "secret-1")
        printed = [server.issue(1)["number"], server.issue(2)["number"]]
        printer.wait_for_jobs(2, timeout=15)
        printer.state = "paper_out"
        wait_until(lambda: clerk.get(server.url + "/api/printer").json()["paper"] == "out")
        queued = server.issue(1)["number"]  # waits in the print queue
        logs: list[str] = []

        with disk_full(server, logs):
            for service in (1, 2, 3):
                assert_storage_answer(
                    post_ticket(server, service),
                    "storage_full",
                    "Der Speicher des Servers ist voll",
                )
            r = clerk.post(server.url + "/api/counters/1/next")
            body = assert_storage_answer(r, "storage_full", "storage is full")
            assert "Personal" in body["message"]  # German first, then English
            # Reading goes on: screens keep their queue, a display connects and gets it.
            assert requests.get(server.url + "/api/state", timeout=5).status_code == 200
            display = Listener(server.url)
            assert display.next("snapshot")["seq"] > 0
            display.close()
            # The printer is back, but the spooler cannot record the job as taken: it waits.
            printer.state = "online"
            wait_until(lambda: "print spooler waits for the database" in server.log(), 15)
            assert len(printer.jobs) == 2

        # The disk has room again: the queued ticket prints, the next one gets the next number.
        assert queued in decode(printer.wait_for_jobs(3, timeout=15)[2]).text
        fresh = server.issue(1)
        assert fresh["number"] == "A003" and fresh["print"] == "queued"
        printer.wait_for_jobs(4, timeout=15)
        wait_until(lambda: clerk.get(server.url + "/api/printer").json()["pending"] == [])
        assert [n for _, n in assert_whole(db_path(server))] == [*printed, queued, "A003"]
        r = clerk.post(server.url + "/api/counters/1/next")
        assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"

        # Midnight passes while the disk is full: housekeeping cannot close the day, and
        # closes it as soon as there is room again (before, it waited for the next midnight).
        with disk_full(server, logs):
            write_clock_file(clock, datetime(2027, 3, 31, 7, 0, tzinfo=BERLIN))
            wait_until(lambda: "housekeeping step failed" in server.log(), 15)
            status = requests.get(f"{server.url}/api/tickets/{fresh['token']}").json()["status"]
            assert status == "waiting"
        wait_until(
            lambda: (
                requests.get(f"{server.url}/api/tickets/{fresh['token']}").json()["status"]
                == "cancelled"
            ),
            15,
        )
        assert server.issue(1)["number"] == "A001"  # the new day starts clean
        tickets = assert_whole(db_path(server))
        assert [day for day, _ in tickets] == ["2027-03-30"] * 4 + ["2027-03-31"]

    log = "".join(logs) + server.log()
    assert len(re.findall(r"storage error on POST /api/tickets: full", log)) == 3
    assert len(re.findall(r"storage error on POST /api/counters/1/next: full", log)) == 1
    assert log.count("print spooler waits for the database") == 1  # once, not every round
    assert "Traceback" not in log


# --- PostgreSQL unreachable ---------------------------------------------------------------


def test_postgres_gone_answers_503_and_the_server_carries_on(make_server, postgres_url):
    import psycopg

    base, name = postgres_url.rsplit("/", 1)
    server = make_server(
        site=site_with_counters(1),
        env={"WARTEMARKE_DATABASE": postgres_url},
        extra=["--printer", "none"],
    )
    assert server.issue(1)["number"] == "A001"
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        try:
            assert_storage_answer(post_ticket(server), "storage_unavailable", "nicht erreichbar")
            assert_storage_answer(
                requests.get(server.url + "/api/state", timeout=30),
                "storage_unavailable",
                "cannot be reached",
            )
            # A display cannot get its snapshot: it is refused (and reconnects by itself),
            # the server is not hurt.
            client = socketio.Client(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                client.connect(
                    server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=10
                )
            client.disconnect()
            assert requests.get(server.url + "/api/health", timeout=5).status_code == 200
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    assert server.issue(1)["number"] == "A002"
    display = Listener(server.url)
    assert display.next("snapshot")["seq"] > 0
    display.close()
    log = server.log()
    assert "storage error on POST /api/tickets: unavailable" in log
    assert "storage error on Socket.IO /display connect: unavailable" in log
    assert "Traceback" not in log

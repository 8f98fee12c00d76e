"""kill -9 in the middle of a busy moment: no ticket lost, no number handed out twice."""

from __future__ import annotations

import sqlite3
import threading
import time

import requests

from tests.conftest import site_with_counters


def issue_until(url: str, stop: threading.Event, got: list[dict], failures: list[str]):
    session = requests.Session()
    i = 0
    while not stop.is_set():
        i += 1
        try:
            r = session.post(url + "/api/tickets", json={"service": 1 + i % 2}, timeout=2)
        except requests.RequestException as exc:
            failures.append(type(exc).__name__)
            time.sleep(0.01)
            continue
        if r.status_code == 201:
            got.append(r.json())


def test_sigkill_mid_run_loses_nothing(make_server):
    server = make_server(site=site_with_counters(2), clerks=1)
    clerk = server.login("clerk1", "secret-1")
    got: list[dict] = []
    failures: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=issue_until, args=(server.url, stop, got, failures))
    writer.start()
    try:
        while len(got) < 100:
            time.sleep(0.01)
        for _ in range(5):
            clerk.post(server.url + "/api/counters/1/next")
        before_kill = len(got)
        server.kill()
        time.sleep(0.3)  # the writer meets a dead server for a moment
        restart = server.start()
        assert restart is server
        while len(got) < before_kill + 100:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(10)

    assert failures, "the writer should have met the dead server"
    numbers = [t["number"] for t in got]
    assert len(numbers) == len(set(numbers)), "a number was handed out twice"
    for t in got:  # every ticket a visitor received still exists after the crash
        r = requests.get(f"{server.url}/api/tickets/{t['token']}")
        assert r.status_code == 200 and r.json()["number"] == t["number"]

    db = sqlite3.connect(server.data_dir / "wartemarke.sqlite3")
    rows = db.execute("SELECT number FROM tickets ORDER BY id").fetchall()
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored))
    for prefix in ("A", "P"):
        running = sorted(int(n[1:]) for n in stored if n.startswith(prefix))
        assert running == list(range(1, len(running) + 1)), "numbering has a hole or a repeat"
    # Every transition of every ticket is in the event log.
    issued_events = db.execute("SELECT COUNT(*) FROM events WHERE kind = 'issued'").fetchone()[0]
    assert issued_events == len(stored)
    # The clerk's session survives the restart (the key lives in the data dir).
    r = clerk.post(server.url + "/api/counters/1/next")
    assert r.status_code == 200 and r.json()["ticket"]["status"] == "called"

"""Clerks pressing "next" at the same moment never get the same ticket, in one server process
or in several sharing the database."""

from __future__ import annotations

import threading
from collections import Counter

import requests

from tests.conftest import Server, site_with_counters


def issue_many(url: str, n: int, services=(1, 2, 3)) -> list[dict]:
    session = requests.Session()
    out = []
    for i in range(n):
        r = session.post(url + "/api/tickets", json={"service": services[i % len(services)]})
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


def hammer(clerks: list[tuple[requests.Session, str, int]]) -> list[str]:
    """Every clerk presses "next" as fast as possible until nobody waits; returns all calls."""
    calls: list[str] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(len(clerks))

    def work(session: requests.Session, url: str, counter: int):
        start.wait()
        while True:
            r = session.post(f"{url}/api/counters/{counter}/next")
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text}")
                return
            ticket = r.json()["ticket"]
            if ticket is None:
                return
            with lock:
                calls.append(ticket["number"])

    threads = [threading.Thread(target=work, args=c) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    return calls


def test_six_clerks_call_200_tickets_each_exactly_once(make_server):
    server = make_server(site=site_with_counters(6), clerks=6)
    issued = issue_many(server.url, 200)
    clerks = [(server.login(f"clerk{i}", f"secret-{i}"), server.url, i) for i in range(1, 7)]
    calls = hammer(clerks)
    assert Counter(calls).most_common(1)[0][1] == 1
    assert sorted(calls) == sorted(t["number"] for t in issued)
    state = requests.get(server.url + "/api/state").json()
    assert all(s["waiting"] == 0 for s in state["services"])
    # The last 'next' of each clerk (answered null) closed the visitor still open there.
    statuses = Counter(
        requests.get(f"{server.url}/api/tickets/{t['token']}").json()["status"] for t in issued
    )
    assert statuses == {"done": 200}


def test_two_server_processes_share_one_queue(make_server, tmp_path):
    first = make_server(site=site_with_counters(4), clerks=4)
    # A second process on the same data dir (same SQLite file), as a scaled-out site runs.
    second = Server(first.data_dir, extra=first.extra).start()
    try:
        issued = issue_many(first.url, 60) + issue_many(second.url, 60)
        numbers = [t["number"] for t in issued]
        assert len(set(numbers)) == 120, "a number was handed out twice"
        clerks = [
            (first.login("clerk1", "secret-1"), first.url, 1),
            (first.login("clerk2", "secret-2"), first.url, 2),
            (second.login("clerk3", "secret-3"), second.url, 3),
            (second.login("clerk4", "secret-4"), second.url, 4),
        ]
        calls = hammer(clerks)
        assert sorted(calls) == sorted(numbers)
    finally:
        second.stop()

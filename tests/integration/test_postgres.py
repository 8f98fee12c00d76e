"""The same guarantees on PostgreSQL: a real server on 127.0.0.1, real server processes."""

from __future__ import annotations

from collections import Counter

import requests

from tests.conftest import Server, site_with_counters
from tests.integration.test_concurrency import hammer, issue_many


def test_flow_and_concurrent_clerks_on_two_processes(make_server, postgres_url):
    env = {"WARTEMARKE_DATABASE": postgres_url}
    first = make_server(site=site_with_counters(6), clerks=6, env=env)
    second = Server(first.data_dir / "second", extra=first.extra, env=env)
    second.data_dir.mkdir()
    second.start()
    try:
        # 100 tickets: six clerks still race for each one (about 17 calls each), and every
        # call is a dozen round trips to PostgreSQL from a machine busy with the whole suite.
        issued = issue_many(first.url, 50) + issue_many(second.url, 50)
        numbers = [t["number"] for t in issued]
        assert len(set(numbers)) == 100
        clerks = [
            (srv.login(f"clerk{i}", f"secret-{i}"), srv.url, i)
            for i, srv in zip(range(1, 7), [first, second] * 3, strict=True)
        ]
        calls = hammer(clerks)
        assert Counter(calls).most_common(1)[0][1] == 1
        assert sorted(calls) == sorted(numbers)
        state = requests.get(second.url + "/api/state").json()
        assert all(s["waiting"] == 0 for s in state["services"])
        assert state["calls"] and state["seq"] > 2 * len(numbers)  # issued and called, each
    finally:
        second.stop()


def test_sigkill_keeps_every_ticket(make_server, postgres_url):
    env = {"WARTEMARKE_DATABASE": postgres_url}
    server = make_server(site=site_with_counters(1), env=env)
    issued = issue_many(server.url, 30)
    server.kill()
    server.start()
    again = issue_many(server.url, 30)
    numbers = [t["number"] for t in issued + again]
    assert len(set(numbers)) == 60
    for t in issued:
        assert requests.get(f"{server.url}/api/tickets/{t['token']}").json()["status"] == "waiting"

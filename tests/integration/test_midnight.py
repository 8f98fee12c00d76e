"""The laptop runs (or sleeps) across midnight and nobody closed the day: the server closes it
by itself as soon as it notices the new day, and the new day starts clean."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from tests.conftest import site_with_counters
from wartemarke.clock import write_clock_file

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_day_nobody_closed_is_closed_after_midnight(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, datetime(2027, 3, 30, 15, 50, tzinfo=BERLIN))
    env = {"WARTEMARKE_CLOCK_FILE": str(clock_file), "WARTEMARKE_HOUSEKEEPING_SECONDS": "1"}
    server = make_server(site=site_with_counters(2), clerks=1, env=env)
    server.add_users([("boss", "secret-boss", "admin")])
    served, called, waiting = server.issue(1), server.issue(1), server.issue(2)
    clerk = server.login("clerk1", "secret-1")
    url = server.url
    assert clerk.post(url + "/api/counters/1/next").json()["ticket"]["number"] == "A001"
    clerk.post(url + "/api/counters/1/start")
    assert clerk.post(url + "/api/counters/2/next").status_code == 409  # one counter each

    # The laptop sleeps through the night; the clerk's counters are still held at 07:00.
    write_clock_file(clock_file, datetime(2027, 3, 31, 7, 0, tzinfo=BERLIN))

    def status(ticket) -> str:
        return requests.get(f"{url}/api/tickets/{ticket['token']}").json()["status"]

    deadline = time.monotonic() + 15
    while status(waiting) == "waiting" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [status(t) for t in (served, called, waiting)] == ["done", "cancelled", "cancelled"]
    counters = requests.get(url + "/api/counters").json()
    assert not any(c["staffed"] for c in counters)
    fresh = server.issue(1)
    assert fresh["number"] == "A001" and fresh["position"] == 1  # numbers restart

    boss = server.login("boss", "secret-boss")
    day = boss.get(url + "/api/stats", params={"from": "2027-03-30", "to": "2027-03-30"}).json()
    assert (day["issued"], day["served"], day["cancelled"], day["waiting_left"]) == (3, 1, 2, 0)
    log = server.log()
    assert "Traceback" not in log

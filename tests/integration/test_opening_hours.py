"""Opening hours at work in a real server, whose clock starts on a chosen pop-up morning."""

from __future__ import annotations

import requests

from tests.conftest import site_with_counters

HOURS = """
[opening]
dates = ["2026-03-30"]
hours = "09:00-16:00"
closing_margin_min = 15
"""


def test_before_opening_nothing_is_issued(make_server):
    server = make_server(
        site=site_with_counters(1) + HOURS,
        env={"WARTEMARKE_CLOCK_START": "2026-03-30T08:50:00+02:00"},
    )
    state = requests.get(server.url + "/api/state").json()
    assert state["day"] == "2026-03-30"
    assert state["venue"]["open"] is False and state["venue"]["opens_at"] == "09:00"
    services = requests.get(server.url + "/api/services").json()
    assert {s["availability"] for s in services} == {"outside_hours"}
    refused = requests.post(server.url + "/api/tickets", json={"service": 1})
    assert refused.status_code == 409 and refused.json()["availability"] == "outside_hours"


def test_shortly_before_closing_the_cut_off_applies(make_server):
    server = make_server(
        site=site_with_counters(1) + HOURS,
        env={"WARTEMARKE_CLOCK_START": "2026-03-30T15:20:00+02:00"},
    )
    first = requests.post(server.url + "/api/tickets", json={"service": 3})
    assert first.status_code == 201  # 15:20 + nobody waiting: in time
    assert first.json()["issued_at"].startswith("2026-03-30T13:20")
    # One counter, 10-minute visits: with two waiting a newcomer is due at 15:40, in time;
    # with three at 15:50, after 15:45 (16:00 minus the margin): no more numbers.
    for _ in range(2):
        assert requests.post(server.url + "/api/tickets", json={"service": 3}).status_code == 201
    full = requests.post(server.url + "/api/tickets", json={"service": 3})
    assert full.status_code == 409 and full.json()["availability"] == "full"
    services = {s["id"]: s for s in requests.get(server.url + "/api/services").json()}
    assert services[3]["availability"] == "full" and services[3]["closes_at"] == "16:00"


def test_a_bad_clock_start_is_a_clear_error(make_server, tmp_path):
    from tests.conftest import free_port
    from tests.integration.test_cli import serve

    result = serve(
        "--port",
        str(free_port()),
        "--data-dir",
        str(tmp_path),
        env={"WARTEMARKE_CLOCK_START": "tomorrow morning"},
    )
    assert result.returncode == 2 and "WARTEMARKE_CLOCK_START" in result.stderr

"""Walk-in wait estimates with appointments, against the real server and a clock the test
moves: bookings ahead of a walk-in lengthen its estimate, missed ones give their time back, an
appointment ticket waits for its slot, and the counter page learns which visitor is booked."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.conftest import SITE_TOML
from wartemarke.clock import write_clock_file

BERLIN = ZoneInfo("Europe/Berlin")
DAY = "2027-03-30"
# One counter for every service, so the figures are plain: A and P visits take 15 minutes.
SITE = (
    SITE_TOML
    + """
[[counters]]
id = 1
name = "Schalter 1"
services = [1, 2, 3]

[opening]
hours = "09:00-16:00"

[appointments]
slot_minutes = 20
early_minutes = 60
grace_minutes = 15
walk_in_after = 2
walk_in_wait_limit = 20
"""
)


class Office:
    def __init__(self, server, clock_file):
        self.server, self.clock_file, self.url = server, clock_file, server.url
        self.boss = server.login("boss", "secret-boss")

    def at(self, hhmm: str) -> None:
        h, m = map(int, hhmm.split(":"))
        write_clock_file(self.clock_file, datetime(2027, 3, 30, h, m, tzinfo=BERLIN))

    def book(self, slot: str, service: int) -> dict:
        r = self.boss.post(
            self.url + "/api/admin/appointments",
            json={"day": DAY, "slot": slot, "service": service},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def check_in(self, code: str) -> dict:
        r = requests.post(self.url + "/api/checkin", json={"code": code}, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()

    def new_walk_in_estimate(self, service: int = 1) -> int:
        """What the kiosk shows for a walk-in taking a number now."""
        services = requests.get(self.url + "/api/services", timeout=10).json()
        return next(s for s in services if s["id"] == service)["estimated_wait_min"]

    def estimate(self, ticket: dict) -> int:
        """What the visitor's phone shows."""
        r = requests.get(self.url + f"/api/tickets/{ticket['token']}", timeout=10)
        return r.json()["estimated_wait_min"]


@pytest.fixture
def office(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, datetime(2027, 3, 30, 9, 0, tzinfo=BERLIN))
    server = make_server(site=SITE, clerks=1, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    return Office(server, clock_file)


def test_a_walk_ins_estimate_rises_with_bookings_ahead_and_falls_back_when_they_are_missed(
    office,
):
    # 09:00, one counter: two walk-ins are 30 minutes of work for the next one.
    a1, a2 = office.server.issue(1), office.server.issue(1)
    assert office.new_walk_in_estimate() == 30
    assert (office.estimate(a1), office.estimate(a2)) == (0, 15)

    # Booked for 09:20 (Personalausweis) and 09:40 (Reisepass, the same counter): both start
    # before a new walk-in's turn (30 minutes, then 45, then 60), so both come first.
    first = office.book("09:20", 1)
    second = office.book("09:40", 2)
    office.book("11:00", 1)  # long after: changes nothing
    assert office.new_walk_in_estimate() == 60
    a3 = office.server.issue(1)
    assert a3["estimated_wait_min"] == 60  # on the kiosk's answer and the printed ticket
    assert office.estimate(a3) == 60
    assert office.estimate(a2) == 15  # A002's turn comes before the first slot
    assert office.new_walk_in_estimate() == 75  # three walk-ins ahead now: 45, 60, 75
    # Another service at the same counter waits for due appointments only: none yet.
    assert office.new_walk_in_estimate(3) == 0

    # 09:05: the 09:20 visitor checks in early. The appointment ticket waits for its slot.
    office.at("09:05")
    t1 = office.check_in(first["code"])
    assert t1["number"] == "T001" and t1["estimated_wait_min"] == 15
    assert office.estimate(t1) == 15
    assert office.estimate(a3) == 60
    # A walk-in after the check-in has T001 among the people ahead; its time counts once, by
    # its slot: 3 walk-ins (45 minutes), T001 (09:20) and the 09:40 booking: 75, not 90.
    a4 = office.server.issue(1)
    assert (a4["people_ahead"], a4["estimated_wait_min"]) == (4, 75)

    # 09:41: the 09:40 visitor has not come yet (check-in until 09:55): still counted.
    office.at("09:41")
    assert office.estimate(t1) == 0  # due now
    assert (office.estimate(a3), office.estimate(a4)) == (60, 75)
    # 09:56: missed. Its 15 minutes go to the walk-ins.
    office.at("09:56")
    assert (office.estimate(a3), office.estimate(a4)) == (45, 60)
    # Checking in late gives a walk-in ticket (of its service, behind everyone): no change.
    late = office.check_in(second["code"])
    assert late["number"] == "P001" and late["appointment"]["late"] is True
    assert (office.estimate(a3), office.estimate(a4)) == (45, 60)

    # T001 is called (it is due and goes first): its time is no longer ahead of anyone.
    clerk = office.server.login("clerk1", "secret-1")
    called = clerk.post(office.url + "/api/counters/1/next").json()["ticket"]
    assert called["number"] == "T001"
    assert called["appointment"] == {
        "slot": "09:20",
        "due_at": "2027-03-30T07:20:00Z",
        "due": True,
    }
    assert (office.estimate(a3), office.estimate(a4)) == (30, 45)  # the walk-ins ahead alone
    # A new walk-in: four ahead (60 minutes); the 11:00 booking starts after that.
    assert office.new_walk_in_estimate() == 60


def test_the_counter_page_learns_which_visitor_is_booked(office):
    """The staff's views of a ticket (the counter's answer, the waiting lists) carry the slot
    in the venue's time; a walk-in's carries null."""
    booking = office.book("09:40", 1)
    walk_in = office.server.issue(1)
    t1 = office.check_in(booking["code"])
    clerk = office.server.login("clerk1", "secret-1")
    lists = clerk.get(office.url + "/api/queue").json()
    views = {t["number"]: t for t in lists["1"]}
    assert views[walk_in["number"]]["appointment"] is None
    assert views[t1["number"]]["appointment"] == {
        "slot": "09:40",
        "due_at": "2027-03-30T07:40:00Z",
        "due": False,
    }
    # Before its slot the walk-in is called; then, at 09:40, the appointment.
    first = clerk.post(office.url + "/api/counters/1/next").json()["ticket"]
    assert (first["number"], first["appointment"]) == (walk_in["number"], None)
    office.at("09:40")
    second = clerk.post(office.url + "/api/counters/1/next").json()["ticket"]
    assert second["number"] == "T001" and second["appointment"]["slot"] == "09:40"
    state = clerk.get(office.url + "/api/counters/1").json()
    assert state["ticket"]["appointment"]["due"] is True

"""Appointments against walk-ins in the statistics, through the real server: a small day with a
clock the test moves (bookings, a cancellation, check-ins early, on time and late, a no-show,
walk-ins and a refusal) gives exactly the figures the test knows, in /api/stats, in the CSV and
in the report, and the same after the day is archived (data retention)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import requests

from tests.integration.test_appointments import BERLIN, DAY, SITE
from wartemarke.clock import Clock, write_clock_file
from wartemarke.retention import apply_retention
from wartemarke.store import open_store

NO_DATA = {"mean": None, "median": None, "p90": None, "n": 0}


class StandingClock(Clock):
    def __init__(self, at: datetime) -> None:
        super().__init__("Europe/Berlin")
        self.at = at

    def now(self) -> datetime:
        return self.at


def local(hhmm: str, day: str = DAY) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.fromisoformat(day).replace(hour=h, minute=m, tzinfo=BERLIN)


def test_appointments_and_walk_ins_in_the_statistics(make_server, tmp_path):
    clock_file = tmp_path / "clock"

    def at(hhmm: str) -> None:
        write_clock_file(clock_file, local(hhmm))

    at("07:00")
    server = make_server(site=SITE, clerks=2, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    url = server.url
    boss = server.login("boss", "secret-boss")
    one, two = server.login("clerk1", "secret-1"), server.login("clerk2", "secret-2")

    def book(slot: str, service: int) -> dict:
        r = boss.post(url + "/api/admin/appointments",
                      json={"day": DAY, "slot": slot, "service": service})  # fmt: skip
        assert r.status_code == 201, r.text
        return r.json()

    def check_in(appointment: dict) -> dict:
        r = requests.post(url + "/api/checkin", json={"code": appointment["code"]})
        assert r.status_code == 201, r.text
        return r.json()

    def counter(session, n: int, action: str) -> dict:
        r = session.post(f"{url}/api/counters/{n}/{action}", json={})
        assert r.status_code == 200, r.text
        return r.json()["ticket"]

    # Before opening: five bookings (one cancelled), and a walk-in turned away.
    a1, a2, a3 = book("09:20", 1), book("09:20", 2), book("09:40", 1)
    a4, a5 = book("10:00", 1), book("10:00", 2)
    assert boss.post(f"{url}/api/admin/appointments/{a5['id']}/cancel").status_code == 200
    refused = requests.post(url + "/api/tickets", json={"service": 1})
    assert refused.status_code == 409 and refused.json()["availability"] == "outside_hours"

    at("09:01")
    w1 = server.issue(1)
    at("09:05")
    assert check_in(a1)["number"] == "T001"  # 15 minutes early
    at("09:10")
    assert counter(one, 1, "next")["number"] == w1["number"]  # T001 is not due yet
    at("09:12")
    w2 = server.issue(1)
    at("09:15")
    counter(one, 1, "finish")
    at("09:21")
    assert counter(one, 1, "next")["number"] == "T001"  # due: before the waiting walk-in
    at("09:24")
    counter(one, 1, "finish")
    at("09:25")
    assert check_in(a2)["number"] == "T002"  # 5 minutes after its slot start: in time
    at("09:26")
    assert counter(two, 2, "next")["number"] == "T002"
    at("09:29")
    counter(two, 2, "finish")
    at("09:30")
    assert counter(one, 1, "next")["number"] == w2["number"]
    at("09:40")
    counter(one, 1, "finish")
    at("10:00")
    late = check_in(a3)  # 20 minutes after 09:40, grace 15: a walk-in ticket
    assert late["appointment"]["late"] is True and late["number"] == "A003"
    at("10:05")
    assert counter(one, 1, "next")["number"] == "A003"
    at("10:15")
    counter(one, 1, "finish")
    at("10:16")  # the staff's list marks the 10:00 appointment nobody came for
    listing = boss.get(url + "/api/admin/appointments", params={"day": DAY}).json()
    assert {x["id"]: x["status"] for x in listing["appointments"]}[a4["id"]] == "no_show"

    r = boss.get(url + "/api/stats", params={"from": DAY, "to": DAY})
    assert r.status_code == 200, r.text
    stats = r.json()
    a = stats["appointments"]
    by_service = {row["id"]: row for row in a.pop("by_service")}
    assert a == {
        "booked": 5,
        "cancelled": 1,
        "due": 4,
        "checked_in": 2,
        "early": 1,
        "on_time": 1,
        "late": 1,
        "no_show": 1,
        "no_show_share": 0.25,
        "served": 3,
        # Check-in minus slot start: -15, +5, +20 minutes.
        "punctuality_min": {"mean": 3.3, "median": 5.0, "p90": 17.0, "n": 3},
        # T001 from its slot 09:20, T002 from its check-in 09:25: called a minute later each.
        "wait_after_slot_min": {"mean": 1.0, "median": 1.0, "p90": 1.0, "n": 2},
        # A001 9 min, A002 18 min, A003 (the late appointment) 5 min.
        "walk_ins": {
            "issued": 3,
            "served": 3,
            "wait_min": {"mean": 10.7, "median": 9.0, "p90": 16.2, "n": 3},
        },
        # T001 16 min (from its early check-in), T002 1 min.
        "with_appointment": {
            "issued": 2,
            "served": 2,
            "wait_min": {"mean": 8.5, "median": 8.5, "p90": 14.5, "n": 2},
        },
        "walk_ins_turned_away": 1,
    }
    assert (stats["issued"], stats["served"], stats["turned_away"]) == (5, 5, 1)
    counts = ("booked", "cancelled", "checked_in", "late", "no_show", "served")
    assert [by_service[1][k] for k in counts] == [3, 0, 1, 1, 1, 2]
    assert [by_service[2][k] for k in counts] == [2, 1, 1, 0, 0, 1]
    assert by_service[1]["walk_ins"]["issued"] == 3
    assert by_service[1]["with_appointment"]["issued"] == 1
    assert by_service[2]["with_appointment"]["wait_min"]["median"] == 1.0
    assert by_service[3]["booked"] == 0 and by_service[3]["walk_ins"]["wait_min"] == NO_DATA

    # The CSV: one row per figure, decimal commas.
    r = boss.get(url + "/api/stats.csv", params={"table": "appointments", "from": DAY, "to": DAY})
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["figure", "value"]
    table = dict(rows[1:])
    assert table["booked"] == "5" and table["no_show_share"] == "0,25"
    assert table["punctuality_min_median"] == "5,0"
    assert table["walk_ins_wait_min_p90"] == "16,2" and table["with_appointment_issued"] == "2"

    # The report: the section, its figures, and the method.
    html = report(boss, url)
    assert "Termine und Laufkundschaft" in html and "25,0 %" in html
    assert "<b>Termine</b>" in html and "Wartezeit ab Terminbeginn" in html

    # Archived (data retention): the same figures from the day aggregates alone.
    store = open_store(f"sqlite:///{server.data_dir}/wartemarke.sqlite3")
    try:
        later = StandingClock(local("10:00") + timedelta(days=5))
        assert apply_retention(store, later, 1)["days"] == [DAY]
    finally:
        store.dispose()
    after = boss.get(url + "/api/stats", params={"from": DAY, "to": DAY}).json()
    assert after.pop("archived_days") == [DAY] and stats.pop("archived_days") == []
    assert after == stats | {"appointments": after["appointments"]}
    assert after["appointments"] == a | {"by_service": list(by_service.values())}
    note = " In diesem Zeitraum liegen für 1 Tag nur noch Tagessummen vor."
    archived = report(boss, url)
    assert note in archived and archived.replace(note, "") == html


def report(boss, url: str) -> str:
    r = boss.get(url + "/admin/report", params={"from": DAY, "to": DAY})
    assert r.status_code == 200, r.text
    return r.text

"""Appointments against the real server, with a clock the test moves: booking and its limits,
check-in at the kiosk (early, on time, late, twice, wrong day), the call order of due
appointments and walk-ins, no-shows, and the names deleted when the day is closed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.conftest import site_with_counters
from wartemarke.clock import write_clock_file

BERLIN = ZoneInfo("Europe/Berlin")
DAY = "2027-03-30"
SITE = (
    site_with_counters(3)
    + """
[opening]
hours = "09:00-16:00"

[appointments]
prefix = "T"
slot_minutes = 20
counters = 2
early_minutes = 60
grace_minutes = 15
walk_in_after = 2
walk_in_wait_limit = 20
"""
)


class Day:
    def __init__(self, server, clock_file):
        self.server, self.clock_file, self.url = server, clock_file, server.url

    def at(self, hhmm: str) -> None:
        h, m = map(int, hhmm.split(":"))
        write_clock_file(self.clock_file, datetime(2027, 3, 30, h, m, tzinfo=BERLIN))

    def check_in(self, code: str) -> requests.Response:
        return requests.post(self.url + "/api/checkin", json={"code": code})


@pytest.fixture
def day(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, datetime(2027, 3, 30, 7, 0, tzinfo=BERLIN))
    server = make_server(site=SITE, clerks=2, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    return Day(server, clock_file)


def test_booking_check_in_and_call_order(day):
    boss = day.server.login("boss", "secret-boss")
    book = day.url + "/api/admin/appointments"

    def booking(slot, service=1, **extra):
        return boss.post(book, json={"day": DAY, "slot": slot, "service": service, **extra})

    first = booking("09:20", name="Erika Mustermann")
    assert first.status_code == 201, first.text
    a = first.json()
    assert (a["slot"], a["status"], a["name"], len(a["code"])) == (
        "09:20",
        "booked",
        "Erika Mustermann",
        6,
    )
    assert booking("09:20", service=2).status_code == 201
    full = booking("09:20", service=3)  # two counters take appointments at once
    assert full.status_code == 409 and full.json()["error"] == "slot_full"
    assert "09:20" in full.json()["message"]
    assert booking("09:10").status_code == 400  # no slot start (every 20 min from 09:00)
    assert booking("17:00").status_code == 409  # closed then
    assert booking("09:20", service=99).status_code == 404
    late = booking("09:40").json()
    missed = booking("10:00").json()
    tomorrow = boss.post(book, json={"day": "2027-03-31", "slot": "09:00", "service": 1}).json()

    # Check-in: too early, then within the hour before the slot; twice gives the same ticket.
    r = day.check_in(a["code"])
    assert r.status_code == 409 and r.json()["error"] == "too_early"
    assert r.json()["check_in_from"] == "08:20"
    day.at("09:05")
    r = day.check_in(a["code"].lower()[:3] + " " + a["code"][3:])  # typed sloppily
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["number"] == "T001" and ticket["appointment"] == {
        "slot": "09:20",
        "code": a["code"],
        "late": False,
    }
    assert ticket["service"] == 1 and ticket["status_url"].endswith(ticket["token"])
    again = day.check_in(a["code"])
    assert again.status_code == 200 and again.json()["number"] == "T001"
    assert again.json()["token"] == ticket["token"]
    r = day.check_in("ZZZZZZ")
    assert r.status_code == 404
    r = day.check_in(tomorrow["code"])
    assert r.status_code == 409 and r.json() | {"day": "2027-03-31"} == r.json()
    assert day.check_in("not a code!").status_code == 400
    assert requests.post(day.url + "/api/checkin", json={}).status_code == 400

    # Before its slot the appointment waits; a walk-in is called first.
    walk_in = day.server.issue(1)
    clerk = day.server.login("clerk1", "secret-1")
    day.at("09:10")
    called = clerk.post(day.url + "/api/counters/1/next").json()["ticket"]
    assert called["number"] == walk_in["number"]
    clerk.post(day.url + "/api/counters/1/finish")
    later_walk_in = day.server.issue(1)
    day.at("09:21")  # now T001 is due and goes ahead of the waiting walk-in
    assert clerk.post(day.url + "/api/counters/1/next").json()["ticket"]["number"] == "T001"
    clerk.post(day.url + "/api/counters/1/finish")
    assert (
        clerk.post(day.url + "/api/counters/1/next").json()["ticket"]["number"]
        == later_walk_in["number"]
    )

    # Too late for the 09:40 slot (grace 15 min): a walk-in ticket, the booking counts as late.
    day.at("10:00")
    r = day.check_in(late["code"])
    assert r.status_code == 201 and r.json()["number"].startswith("A")
    assert r.json()["appointment"]["late"] is True

    # Nobody came for 10:00: a no-show once its check-in time is over.
    day.at("10:16")
    listing = boss.get(book, params={"day": DAY}).json()
    status = {x["code"]: x["status"] for x in listing["appointments"]}
    assert status[missed["code"]] == "no_show" and status[late["code"]] == "late"
    assert status[a["code"]] == "checked_in"
    assert {x["code"]: x["ticket"] for x in listing["appointments"]}[a["code"]] == "T001"

    # Closing the day deletes the names (the only personal item).
    r = boss.post(day.url + "/api/admin/day/close", json={"confirm": True})
    assert r.status_code == 200 and r.json()["names_deleted"] == 1
    listing = boss.get(book, params={"day": DAY}).json()
    assert all(x["name"] is None for x in listing["appointments"])
    cancelled = boss.post(f"{book}/{tomorrow['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    r = day.check_in(tomorrow["code"])
    assert r.status_code == 409


def test_import_all_or_nothing(day):
    boss = day.server.login("boss", "secret-boss")
    url = day.url + "/api/admin/appointments"
    good = "Datum;Uhrzeit;Dienst;Name\n30.03.2027;09:00;A;Frau A\n30.03.2027;9.20;Reisepass;\n"
    r = boss.post(url + "/import", files={"file": ("termine.csv", good.encode("cp1252"))})
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2, "days": [DAY]}
    bad = (
        "day,time,service\n"
        "2027-03-30,09:40,1\n"  # fine, but the file has bad rows: not booked either
        "2027-03-30,09:50,1\n"  # not a slot start
        "2027-03-30,10:00,Führerschein\n"  # no such service
        "gestern,10:00,1\n"
    )
    r = boss.post(url + "/import", files={"file": ("t.csv", bad.encode())})
    assert r.status_code == 400 and r.json()["error"] == "bad_rows"
    assert [row["line"] for row in r.json()["rows"]] == [3, 4, 5]
    assert len(boss.get(url, params={"day": DAY}).json()["appointments"]) == 2
    r = boss.post(url + "/import", files={"file": ("t.csv", b"Name;Zeit\nx;09:00\n")})
    assert r.status_code == 400 and "Datum" in r.json()["message"]
    clerk = day.server.login("clerk1", "secret-1")
    assert clerk.post(url + "/import", files={"file": ("t.csv", good.encode())}).status_code == 403


def test_bookings_go_with_their_day_when_it_is_archived(day, tmp_path):
    import sqlite3

    from tests.conftest import wartemarke

    boss = day.server.login("boss", "secret-boss")
    url = day.url + "/api/admin/appointments"
    for slot in ("09:20", "09:40"):
        r = boss.post(url, json={"day": DAY, "slot": slot, "service": 1, "name": "Frau X"})
        assert r.status_code == 201
    day.at("09:10")
    assert day.check_in(r.json()["code"]).status_code == 201
    day.server.stop()

    # Days later nobody closed that day: the names go anyway, then the whole day is archived.
    write_clock_file(day.clock_file, datetime(2027, 4, 12, 8, 0, tzinfo=BERLIN))
    env = {"WARTEMARKE_CLOCK_FILE": str(day.clock_file)}
    db = day.server.data_dir / "wartemarke.sqlite3"
    listed = wartemarke("appointments", "list", "--day", DAY, data_dir=day.server.data_dir, env=env)
    assert listed.returncode == 0, listed.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM appointments WHERE name IS NOT NULL"
        ).fetchone() == (0,)
    done = wartemarke("retention", "--days", "5", data_dir=day.server.data_dir, env=env)
    assert done.returncode == 0 and "2 bookings" in done.stdout, done.stdout + done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM appointments").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_late_check_in_when_walk_ins_are_closed(day):
    boss = day.server.login("boss", "secret-boss")
    url = day.url + "/api/admin/appointments"
    late = boss.post(url, json={"day": DAY, "slot": "15:40", "service": 3}).json()
    gone = boss.post(url, json={"day": "2027-04-02", "slot": "09:00", "service": 3}).json()
    boss.post(f"{url}/{gone['id']}/cancel")
    day.at("16:05")  # 25 minutes after the slot, and the office closed at 16:00
    r = day.check_in(late["code"])
    assert r.status_code == 409 and r.json()["error"] == "late_and_closed"
    assert r.json()["availability"] == "outside_hours"
    assert day.check_in(late["code"]).status_code == 409  # again: the same, counted once
    figures = boss.get(day.url + "/api/stats", params={"from": DAY, "to": DAY}).json()
    assert figures["turned_away"] == 1 and figures["appointments"]["late"] == 1
    r = day.check_in(gone["code"])  # cancelled says so, whatever its day
    assert r.status_code == 409 and r.json()["error"] == "cancelled"
    # A mistyped code costs the kiosk nothing: check-in is not paced like tickets.
    kiosk = {"X-Wartemarke-Device": "kiosk-entrance-1"}
    for _ in range(6):
        r = requests.post(day.url + "/api/checkin", json={"code": "ZZZZZZ"}, headers=kiosk)
        assert r.status_code == 404


def test_an_appointment_ticket_prints_its_slot(make_server, tmp_path):
    from tests.integration.test_printing import wait_until
    from wartemarke.printers.decode import decode
    from wartemarke.printers.virtual_tcp import VirtualPrinter

    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, datetime(2027, 3, 30, 9, 10, tzinfo=BERLIN))
    with VirtualPrinter() as printer:
        server = make_server(
            site=SITE,
            extra=["--printer", printer.url],
            env={"WARTEMARKE_CLOCK_FILE": str(clock_file)},
        )
        server.add_users([("boss", "secret-boss", "admin")])
        boss = server.login("boss", "secret-boss")
        code = boss.post(
            server.url + "/api/admin/appointments", json={"day": DAY, "slot": "09:40", "service": 2}
        ).json()["code"]
        r = requests.post(server.url + "/api/checkin", json={"code": code})
        assert r.status_code == 201 and r.json()["print"] == "queued"
        job = decode(wait_until(lambda: printer.jobs and printer.jobs[0]))
        assert "T001" in job.text and "Ihr Termin: 09:40" in job.text
        assert "Personen vor Ihnen" not in job.text and "Reisepass" in job.text

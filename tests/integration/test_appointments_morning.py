"""A scripted morning of appointments and walk-ins through the real API, with a clock the test
moves: early, punctual, late and missing visitors; every call is checked against the call
order as the README writes it down, computed here by the test's own code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from tests.integration.test_appointments import BERLIN, DAY, SITE
from wartemarke.clock import write_clock_file

AFTER, LIMIT = 2, timedelta(minutes=20)  # walk_in_after, walk_in_wait_limit of SITE
GRACE, EARLY = timedelta(minutes=15), timedelta(minutes=60)


def at(hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2027, 3, 30, h, m, tzinfo=BERLIN)


@dataclass
class Waiting:
    number: str
    queued: datetime
    due: datetime | None  # an appointment's slot start


class Policy:
    """The README's call order, written again from the text."""

    def __init__(self) -> None:
        self.waiting: list[Waiting] = []
        self.calls: dict[int, list[bool]] = {}  # per counter; True: an appointment was called
        self.overrides = 0

    def predict(self, now: datetime, counter: int) -> str | None:
        ready = sorted((w for w in self.waiting if w.due and w.due <= now), key=lambda w: w.due)
        walk_ins = sorted((w for w in self.waiting if w.due is None), key=lambda w: w.queued)
        streak = 0
        for was_appointment in reversed(self.calls.get(counter, [])):
            if not was_appointment:
                break
            streak += 1
        if ready and walk_ins and streak >= AFTER:
            overdue = [w for w in walk_ins if now - w.queued >= LIMIT]
            if overdue:
                self.overrides += 1
                return overdue[0].number
        if ready:
            return ready[0].number
        return walk_ins[0].number if walk_ins else None

    def called(self, number: str, counter: int) -> None:
        (w,) = [w for w in self.waiting if w.number == number]
        self.waiting.remove(w)
        self.calls.setdefault(counter, []).append(w.due is not None)


def test_a_morning_of_appointments_and_walk_ins(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, at("07:00"))
    server = make_server(site=SITE, clerks=2, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    boss = server.login("boss", "secret-boss")
    clerks = {1: server.login("clerk1", "secret-1"), 2: server.login("clerk2", "secret-2")}
    http = requests.Session()

    # Two bookings per slot (SITE: two counters take appointments), services mixed.
    codes: dict[str, str] = {}
    for i, slot in enumerate(
        ["09:00", "09:00", "09:20", "09:20", "09:40", "09:40", "10:00", "10:20"]
    ):
        r = boss.post(
            server.url + "/api/admin/appointments",
            json={"day": DAY, "slot": slot, "service": 1 + i % 3},
        )
        assert r.status_code == 201, r.text
        codes[f"{slot}/{i % 2}"] = r.json()["code"]

    policy = Policy()
    late_numbers: list[str] = []
    script = [  # (time, what, argument)
        ("08:40", "check_in", "09:00/0"),  # 20 minutes early
        ("08:55", "check_in", "09:00/1"),
        ("09:00", "walk_in", 1),
        ("09:01", "call", 1),  # both 09:00 appointments are due: they go first
        ("09:02", "walk_in", 2),
        ("09:03", "call", 2),
        ("09:04", "check_in", "09:20/0"),  # early: waits for 09:20
        ("09:06", "call", 1),  # a walk-in: the 09:20 one is not due yet
        ("09:10", "walk_in", 3),
        ("09:12", "walk_in", 1),
        ("09:21", "check_in", "09:20/1"),  # on time
        ("09:22", "call", 2),  # two appointments called in a row now …
        ("09:23", "call", 1),
        ("09:41", "check_in", "09:40/0"),
        ("09:41", "call", 2),  # … and the 09:02 walk-in has waited 39 min: before 09:40
        ("09:42", "walk_in", 2),
        ("09:43", "call", 1),
        ("09:50", "call", 2),
        ("09:58", "check_in", "09:40/1"),  # late (09:55 was the last minute): a walk-in
        ("10:01", "check_in", "10:00/0"),
        ("10:02", "call", 1),
        ("10:03", "call", 2),
        ("10:04", "call", 1),
        ("10:05", "call", 2),
        ("10:06", "call", 1),
    ]
    checked = 0
    for hhmm, what, arg in script:
        now = at(hhmm)
        write_clock_file(clock_file, now)
        if what == "walk_in":
            ticket = server.issue(arg)
            policy.waiting.append(Waiting(ticket["number"], now, None))
        elif what == "check_in":
            r = http.post(server.url + "/api/checkin", json={"code": codes[arg]})
            assert r.status_code == 201, (hhmm, r.text)
            body = r.json()
            slot = at(arg.split("/")[0])
            if now > slot + GRACE:
                assert body["appointment"]["late"] is True and not body["number"].startswith("T")
                late_numbers.append(body["number"])
                policy.waiting.append(Waiting(body["number"], now, None))
            else:
                assert body["number"].startswith("T") and now >= slot - EARLY
                policy.waiting.append(Waiting(body["number"], now, slot))
        else:
            counter = clerks[arg]
            expected = policy.predict(now, arg)
            counter.post(f"{server.url}/api/counters/{arg}/finish")
            r = counter.post(f"{server.url}/api/counters/{arg}/next")
            assert r.status_code == 200, r.text
            got = (r.json().get("ticket") or {}).get("number")
            assert got == expected, (
                f"{hhmm}: counter {arg} called {got}, the policy says {expected}"
            )
            if got:
                policy.called(got, arg)
                checked += 1

    assert checked == 12 and not policy.waiting  # everyone was called, in the written order
    assert policy.overrides >= 1 and late_numbers  # the streak rule did apply

    # Nobody came for 10:20: a no-show once 10:35 has passed.
    write_clock_file(clock_file, at("10:40"))
    listing = boss.get(server.url + "/api/admin/appointments", params={"day": DAY}).json()
    status = {a["code"]: a["status"] for a in listing["appointments"]}
    assert status[codes["09:40/1"]] == "late" and status[codes["10:20/1"]] == "no_show"
    assert list(status.values()).count("checked_in") == 6

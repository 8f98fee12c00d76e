"""The city's evaluation over a year of data: statistics, report and retention, measured in process.

Run from the repository root::

    .venv/bin/python bench/bench_stats.py [--days N] [--per-day N] [--counters N] [--runs N]
        [--seed N] [--writer bulk|ops] [--keep]

It builds a temporary SQLite store (``open_store("sqlite:///...")``, the application's own set-up)
holding a simulated year: by default 3 pop-up events of 5 days each, about 350 tickets a day, with
the mix of /work/shared/LOAD-MODEL.md: booked appointments (imported a few days ahead, checked in
at the kiosk, 12 % never come) and walk-ins, four services, service times, visitors who are called
and do not come, cases, answers on the phone page. The simulated clerks call with the
application's own call policy (``domain.appointments.choose``).

The rows are written in exactly the shape ``wartemarke.operations.Operations`` writes them (tickets,
the event log, appointments, pop-ups, cases, answers, number counters), but in bulk: the writer
replays each action with the domain's own ``Ticket`` transitions and inserts the rows per day.
Before that, two check days (of two events, each prepared) are written both through ``Operations``
(with a clock standing at each moment, as in tests/integration/test_retention.py; the clerks'
``call_next`` must call what the simulation expects) and by the bulk writer into two stores, and
every row of every table must be the same (tokens aside, which are random); otherwise the
benchmark stops. ``--writer ops`` writes the whole year through ``Operations`` instead (about
20 s per thousand tickets on 2 CPUs).

Then it measures ``stats.collect()`` over the year and over one event, the report rendering,
``retention.apply_retention`` for every day older than 1 day, and ``collect()`` again, now from the
day aggregates, which must give the same figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import heapq
import itertools
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import print_table  # noqa: E402
from wartemarke import retention, stats  # noqa: E402
from wartemarke.auth import hash_password  # noqa: E402
from wartemarke.clock import Clock  # noqa: E402
from wartemarke.config import CounterSpec, ServiceSpec, Site  # noqa: E402
from wartemarke.domain import appointments as booking  # noqa: E402
from wartemarke.domain.model import Status, Ticket, Transition  # noqa: E402
from wartemarke.operations import Actor, Operations, iso  # noqa: E402
from wartemarke.report import render  # noqa: E402
from wartemarke.sitefile import write_site  # noqa: E402
from wartemarke.store import open_store  # noqa: E402
from wartemarke.store import schema as s  # noqa: E402

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
UTC = datetime.UTC
RULES = booking.Rules()  # the defaults: 20-minute slots, check-in 60 min early to 15 min late
PASSWORD_HASH = hash_password("bench-only")  # one salt for every store: their rows compare
# An appointment row: the fields of ``Appointment``, plus these two the store adds.
APPOINTMENT_COLUMNS = [c.name for c in s.appointments.c if c.name not in ("created_at", "popup_id")]
QUEUE_FRONT = 50  # as operations.counters: the call policy sees the front of each queue

rows: list[tuple[str, str, str]] = []  # (figure, value, remark)


def row(name: str, value: str, remark: str = "") -> None:
    rows.append((name, value, remark))
    print(f"  {name}: {value} {remark}".rstrip(), flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:.2f} MiB"


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    """Median seconds of ``runs`` calls of ``fn``, every time, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def each(times: list[float]) -> str:
    return ", ".join(ms(t) for t in times)


# The load model (/work/shared/LOAD-MODEL.md) ----------------------------------------------

SERVICES = [
    ServiceSpec(1, "Reisepass", "P", 15, names={"en": "Passport"}),
    ServiceSpec(2, "Personalausweis", "A", 15, names={"en": "Identity card"}),
    ServiceSpec(3, "Meldeangelegenheiten", "M", 10, names={"en": "Registration of address"}),
    ServiceSpec(4, "Sonstige Anliegen", "S", 10, names={"en": "Other matters"}),
]
PREFIXES = {spec.id: spec.prefix for spec in SERVICES}
MIX = {1: 35, 2: 35, 3: 20, 4: 10}  # per cent of the visitors
# Service time in minutes (min, mode, max) of a triangular distribution.
SERVICE_MINUTES = {1: (10, 15, 30), 2: (10, 15, 30), 3: (5, 10, 20), 4: (5, 10, 20)}
OPEN, LAST_SLOT, LAST_CALL, CLOSE_DAY = 9 * 60, 15 * 60 + 40, 16 * 60 + 30, 17 * 60 + 30
BOOKED_SHARE = 0.8  # of a day's tickets: 42 slots and about 16 walk-ins, 12 % of slots missed
WALK_INS_BY_HOUR = [20, 12, 15, 17, 15, 12, 9]  # per cent, from 9:00
RATINGS = {5: 50, 4: 30, 3: 12, 2: 5, 1: 3}
LANGS = {"de": 85, "en": 10, "tr": 3, "ar": 2}
DISTRICT_ANSWERS = (
    [str(b) for b in range(1, 11)]
    + ["Bilk", "Oberbilk", "Garath", "Hellerhof", "Benrath", "Eller", "Rath", "Flingern Nord"]
    + ["outside"] * 3
)
NAMES = ["Yılmaz", "Müller", "Schmidt", "Nowak", "Haddad", "Kowalski", "Weber", "Rossi"]
VENUES = [
    ("rheinbad", "Pop-Up-Bürgerbüro im Rheinbad", "Rheinbad", "Europaplatz 1", "Stockum"),
    ("museum", "Pop-Up im Museum Kunstpalast", "Museum Kunstpalast", "Ehrenhof 4-5", "1"),
    ("bib", "Pop-Up in der Stadtteilbücherei Garath", "Bücherei", "Fritz-Erler-Str. 21", "10"),
    ("aquazoo", "Pop-Up im Aquazoo", "Aquazoo Löbbecke Museum", "Kaiserswerther Str. 380", "5"),
]
DAYS_PER_EVENT = 5


@dataclass(frozen=True)
class Rates:
    missed: float = 0.12  # booked, never checked in (LOAD-MODEL: 12 %)
    late: float = 0.04  # of those who check in: after the grace time, get a walk-in ticket
    priority: float = 0.03  # walk-ins who need priority (the kiosk's priority button)
    no_show: float = 0.10  # called, recalled, not there
    second_recall: float = 0.4  # of those: recalled twice before "no-show"
    give_up: float = 0.03  # walk-ins who cancel on the phone page after their patience ran out
    patience: tuple[float, float] = (15, 60)  # minutes
    requeue: float = 0.01  # stepped away when called: back into the queue, in place
    transfer: float = 0.03  # sent on to another service after the start
    without_ticket: float = 0.01  # a free counter serves someone who came without a ticket
    direct_finish: float = 0.10  # the clerk finishes without pressing "start"
    extra_case: tuple[float, float] = (0.07, 0.06)  # a 2nd case of another / the same service
    feedback: float = 0.30  # served visitors who answer on the phone page
    refused_full: float = 0.01  # "no more numbers today" at the kiosk, per ticket of the day
    refused_outside: float = 0.005  # "the office is closed at this time"


# For the check day: every kind of history, more often (the bulk writer is compared on it).
CHECK_RATES = Rates(
    late=0.2,
    priority=0.1,
    no_show=0.15,
    give_up=0.25,
    patience=(1, 10),
    requeue=0.08,
    transfer=0.1,
    without_ticket=0.06,
    direct_finish=0.2,
    extra_case=(0.15, 0.15),
    feedback=0.5,
    refused_full=0.05,
    refused_outside=0.05,
)


def counters_for(per_day: int) -> int:
    """Counters for a day of ``per_day`` tickets: about 16 counter minutes a ticket (service,
    walk to the counter, no-shows) over 7.5 hours of calling, plus 20 % (350 a day: 15)."""
    return max(3, math.ceil(per_day * 16 / (LAST_CALL - OPEN) * 1.2))


def plan_events(today: datetime.date, days: int) -> list[tuple[dict, list[datetime.date]]]:
    """Pop-up events of up to 5 weekdays, spread over the past year (the last one ends at least
    a week ago): ``(fields, days)``."""
    count = math.ceil(days / DAYS_PER_EVENT)
    spacing = max(1, 50 // count)  # weeks between the events' first days
    last_monday = today - datetime.timedelta(days=today.weekday() + 14)
    out, left = [], days
    for i in range(count):
        monday = last_monday - datetime.timedelta(weeks=spacing * (count - 1 - i))
        n = min(DAYS_PER_EVENT, left)
        left -= n
        dates = [monday + datetime.timedelta(days=d) for d in range(n)]
        slug, name, place, address, district = VENUES[i % len(VENUES)]
        fields = {
            "key": f"{slug}-{dates[0].isoformat()}",
            "name": name,
            "place": place,
            "address": address,
            "district": district,
            "first_day": dates[0].isoformat(),
            "last_day": dates[-1].isoformat(),
        }
        out.append((fields, dates))
    return out


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def local_utc(day: datetime.date, minute: float) -> datetime.datetime:
    local = datetime.datetime.combine(day, datetime.time(0), BERLIN)
    return (local + datetime.timedelta(minutes=minute)).astimezone(UTC)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def plan_bookings(
    rng: random.Random, days: list[datetime.date], per_day: int, counters: int, codes: set[str]
) -> list[dict]:
    """The bookings of an event's days, spread evenly over the 20-minute slots (at most as many
    in one slot as there are counters): the import's rows."""
    slots = list(range(OPEN, LAST_SLOT + 1, RULES.slot_minutes))
    n = min(round(per_day * BOOKED_SHARE), len(slots) * counters)
    out = []
    for day in days:
        for i in range(n):
            code = ""
            while not code or code in codes:
                code = "".join(rng.choice(booking.CODE_ALPHABET) for _ in range(6))
            codes.add(code)
            fields = {
                "day": day.isoformat(),
                "slot": hhmm(slots[i * len(slots) // n]),
                "service": pick(rng, MIX),
                "code": code,
            }
            if rng.random() < 0.6:
                fields["name"] = f"{rng.choice(['Frau', 'Herr'])} {rng.choice(NAMES)}"
            out.append(fields)
    return out


# One office day, simulated -----------------------------------------------------------------


@dataclass
class Visit:
    key: tuple[str, int]  # (day, running number): the writers' handle on the ticket
    service: int
    queued: float  # minutes since local midnight
    priority: int = 0
    due: float | None = None  # an appointment ticket's slot start
    order: int = 0  # order of the ticket's insert that day (the ticket ids' order)
    status: str = "waiting"
    calls: int = 0
    ticket: SimpleNamespace | None = None  # what the call policy sees of it (made once)


@dataclass
class Desk:
    id: int
    held: bool = False
    done: bool = False


@dataclass
class Day:
    """The simulation's state of one day."""

    date: datetime.date
    rng: random.Random
    rates: Rates
    waiting: dict = field(default_factory=dict)
    # per counter, per call: an appointment's ticket? (the streak counts per counter)
    calls: dict = field(default_factory=dict)
    keys: itertools.count = field(default_factory=lambda: itertools.count(1))
    inserts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def visit(self, minute: float, service: int, **kw) -> Visit:
        return Visit((self.date.isoformat(), next(self.keys)), service, minute, **kw)

    def choose(self, minute: float, counter: int) -> Visit | None:
        """The ticket ``Operations.call_next`` calls now: ``domain.appointments.choose`` on the
        front of both queues, as the store returns them."""

        def ticket(v: Visit) -> SimpleNamespace:
            if v.ticket is None:
                v.ticket = SimpleNamespace(
                    visit=v,
                    id=v.order,
                    priority=v.priority,
                    queued_at=local_utc(self.date, v.queued),
                    due_at=None if v.due is None else local_utc(self.date, v.due),
                )
            return v.ticket

        visits = list(self.waiting.values())
        booked = sorted(
            (v for v in visits if v.due is not None), key=lambda v: (v.due, v.queued, v.order)
        )
        walk_ins = sorted(
            (v for v in visits if v.due is None), key=lambda v: (-v.priority, v.queued, v.order)
        )
        streak = 0
        for was_booked in reversed(self.calls.get(counter, [])[-RULES.walk_in_after :]):
            if not was_booked:
                break
            streak += 1
        chosen = booking.choose(
            [ticket(v) for v in booked[:QUEUE_FRONT]],
            [ticket(v) for v in walk_ins[:QUEUE_FRONT]],
            local_utc(self.date, minute),
            streak,
            RULES,
        )
        return None if chosen is None else chosen.visit


def simulate_day(
    rng: random.Random,
    day: datetime.date,
    bookings: list[dict],
    walk_ins: int,
    counters: int,
    rates: Rates = Rates(),  # noqa: B008 - frozen
) -> list:
    """One office day as visitors, clerks and the admin act: ``[(local minute, action, *args)]``
    in the order they happen."""
    d = Day(day, rng, rates)
    actions: list = []
    heap: list = []
    order = itertools.count()
    desks = [Desk(c) for c in range(1, counters + 1)]
    idle: set[int] = set()

    def at(minute: float, kind: str, *payload) -> None:
        heapq.heappush(heap, (minute, next(order), kind, payload))

    def duration(service: int) -> float:
        low, mode, high = SERVICE_MINUTES[service]
        return rng.triangular(low, high, mode)

    def wake(minute: float) -> None:
        for c in sorted(idle):
            at(minute, "free", c)
        idle.clear()

    for fields in bookings:
        if rng.random() < rates.missed:
            continue  # never comes: the application marks it a no-show
        h, m = map(int, fields["slot"].split(":"))
        slot = 60 * h + m
        if rng.random() < rates.late:
            arrive = slot + RULES.grace_minutes + rng.uniform(0.5, 20)
        else:
            arrive = slot + rng.uniform(-10, 5)
        at(arrive, "check_in", fields, slot)
    for _ in range(walk_ins):
        hour = rng.choices(range(len(WALK_INS_BY_HOUR)), weights=WALK_INS_BY_HOUR)[0]
        at(OPEN + 60 * hour + rng.uniform(0, 60), "arrive")
    n = len(bookings) + walk_ins
    for _ in range(round(n * rates.refused_full)):
        at(rng.uniform(15 * 60, 16 * 60), "refuse", "full")
    for _ in range(round(n * rates.refused_outside)):
        early = rng.random() < 0.5
        at(
            rng.uniform(8 * 60 + 30, OPEN) if early else rng.uniform(16 * 60, 17 * 60),
            "refuse",
            "outside_hours",
        )
    for desk in desks:
        at(OPEN, "free", desk.id)
        at(LAST_CALL, "end", desk.id)
    at(CLOSE_DAY, "close_day")

    def queue(visit: Visit, now: float) -> None:
        d.waiting[visit.key] = visit
        wake(now)

    while heap:
        now, _, kind, payload = heapq.heappop(heap)
        if kind == "arrive":
            priority = 1 if rng.random() < rates.priority else 0
            visit = d.visit(now, pick(rng, MIX), priority=priority, order=next(d.inserts))
            actions.append((now, "issue", visit.key, visit.service, priority, pick(rng, LANGS)))
            if rng.random() < rates.give_up:
                at(now + rng.uniform(*rates.patience), "give_up", visit)
            queue(visit, now)
        elif kind == "check_in":
            fields, slot = payload
            late = now > slot + RULES.grace_minutes
            visit = d.visit(now, fields["service"], order=next(d.inserts))
            visit.due = None if late else slot
            actions.append((now, "check_in", visit.key, fields["code"], pick(rng, LANGS)))
            queue(visit, now)
        elif kind == "give_up":
            visit = payload[0]
            if visit.status == "waiting" and visit.key in d.waiting:
                del d.waiting[visit.key]
                visit.status = "cancelled"
                actions.append((now, "cancel", visit.key))
        elif kind == "refuse":
            actions.append((now, "refused", pick(rng, MIX), payload[0]))
        elif kind == "wake":
            wake(now)
        elif kind == "end":
            desk = desks[payload[0] - 1]
            if desk.id in idle:  # nothing to do at the last call: the clerk leaves
                idle.discard(desk.id)
                desk.done = True
                if desk.held:
                    desk.held = False
                    actions.append((now, "release", desk.id))
        elif kind == "free":
            desk = desks[payload[0] - 1]
            if desk.done:
                continue
            if now >= LAST_CALL:
                desk.done = True
                if desk.held:
                    desk.held = False
                    actions.append((now, "release", desk.id))
                continue
            if rng.random() < rates.without_ticket:
                visit = d.visit(now, pick(rng, MIX), order=next(d.inserts))
                visit.status, desk.held = "serving", True
                actions.append((now, "without_ticket", desk.id, visit.key, visit.service))
                at(now + duration(visit.service), "finish", desk.id, visit)
                continue
            visit = d.choose(now, desk.id)
            if visit is None:
                idle.add(desk.id)
                due = [v.due for v in d.waiting.values() if v.due is not None and v.due > now]
                if due:
                    at(min(due), "wake")
                continue
            del d.waiting[visit.key]
            d.calls.setdefault(desk.id, []).append(visit.due is not None)
            visit.status, desk.held = "called", True
            visit.calls += 1
            actions.append((now, "call", desk.id, visit.key))
            walk = rng.uniform(0.3, 1.5)
            first = visit.calls == 1
            chance = rng.random()
            if first and chance < rates.no_show:
                t = now + rng.uniform(1, 2)
                at(t, "recall", desk.id)
                if rng.random() < rates.second_recall:
                    t += rng.uniform(1, 2)
                    at(t, "recall", desk.id)
                at(t + rng.uniform(1, 2), "no_show", desk.id, visit)
            elif first and chance < rates.no_show + rates.requeue:
                at(now + walk, "requeue", desk.id, visit)
            elif first and chance < rates.no_show + rates.requeue + rates.transfer:
                at(now + walk, "start", desk.id)
                at(now + walk + rng.uniform(2, 6), "transfer", desk.id, visit)
            elif rng.random() < rates.direct_finish:
                at(now + walk + duration(visit.service), "finish", desk.id, visit)
            else:
                at(now + walk, "start", desk.id)
                at(now + walk + duration(visit.service), "finish", desk.id, visit)
        elif kind in ("recall", "start"):
            actions.append((now, kind, payload[0]))
        elif kind == "no_show":
            desk_id, visit = payload
            visit.status = "no_show"
            actions.append((now, "no_show", desk_id))
            at(now + rng.uniform(0.1, 0.5), "free", desk_id)
        elif kind in ("requeue", "transfer"):
            desk_id, visit = payload
            if kind == "transfer":
                visit.service = rng.choice([s for s in MIX if s != visit.service])
                actions.append((now, "transfer", desk_id, visit.service))
            else:
                actions.append((now, "requeue", desk_id))
            visit.status = "waiting"
            queue(visit, now)  # at its old place: ``queued`` (and ``due``) are kept
            at(now + rng.uniform(0.1, 0.5), "free", desk_id)
        elif kind == "finish":
            desk_id, visit = payload
            visit.status = "done"
            cases = None
            chance = rng.random()
            if chance < rates.extra_case[0]:
                other = rng.choice([s for s in MIX if s != visit.service])
                cases = {visit.service: 1, other: 1}
            elif chance < sum(rates.extra_case):
                cases = {visit.service: 2}
            actions.append((now, "finish", desk_id, cases))
            if rng.random() < rates.feedback:
                rating = None if rng.random() < 0.05 else pick(rng, RATINGS)
                district = rng.choice(DISTRICT_ANSWERS) if rng.random() < 0.8 else None
                at(now + rng.uniform(1, 15), "feedback", visit, rating, district)
            at(now + rng.uniform(0.2, 1.0), "free", desk_id)
        elif kind == "feedback":
            visit, rating, district = payload
            actions.append((now, "feedback", visit.key, rating, district))
        elif kind == "close_day":
            actions.append((now, "close_day"))
            for visit in d.waiting.values():
                visit.status = "cancelled"
            d.waiting.clear()
    return actions


def plan_year(rng, events, per_day: int, counters: int, rates: Rates = Rates()):  # noqa: B008
    """``[(date, actions)]``: per event, its preparation on the Friday before (the admin makes
    it the current pop-up and imports its bookings), then its office days."""
    codes: set[str] = set()
    walk_ins = per_day - round(per_day * BOOKED_SHARE * (1 - rates.missed))
    out = []
    for i, (fields, dates) in enumerate(events):
        prep = []
        if i:
            prep.append((18 * 60, "popup", fields))
        bookings = plan_bookings(rng, dates, per_day, counters, codes)
        prep.append((18 * 60 + 5, "import", bookings))
        out.append((dates[0] - datetime.timedelta(days=3), prep))
        for day in dates:
            mine = [b for b in bookings if b["day"] == day.isoformat()]
            out.append((day, simulate_day(rng, day, mine, walk_ins, counters, rates)))
    return out


# Writing: through the application, or the same rows in bulk --------------------------------


class StandingClock(Clock):
    """The venue's clock, standing at the moment the writer sets."""

    def __init__(self) -> None:
        super().__init__(TZ)
        self.at: datetime.datetime | None = None

    def now(self) -> datetime.datetime:
        return self.at


def set_up(store, counters: int, first_event: dict, at: datetime.datetime) -> None:
    """What the first start writes: the site file's services, counters and event; accounts."""
    site = Site(
        venue="Pop-Up-Bürgerbüro Düsseldorf",
        timezone=TZ,
        event=dict(first_event),
        services=list(SERVICES),
        counters=[CounterSpec(c, f"Schalter {c}", sorted(MIX)) for c in range(1, counters + 1)],
    )
    secret = PASSWORD_HASH
    with store.write() as tx:
        write_site(tx, site, at)
        tx.add_user("admin", secret, "admin", at, "Admin")
        for c in range(1, counters + 1):
            tx.add_user(f"clerk{c}", secret, "clerk", at, f"Sachbearbeitung {c}")


def accounts(store) -> tuple[Actor, dict[int, Actor]]:
    with store.read() as tx:
        users = {u.username: u.id for u in tx.users()}
    clerks = {int(name[5:]): Actor(uid, name) for name, uid in users.items() if name != "admin"}
    return Actor(users["admin"], "admin", "admin"), clerks


class OpsWriter:
    """Every action through ``Operations``, as kiosks, phones, clerks and the admin do."""

    def __init__(self, store) -> None:
        self.store = store
        self.clock = StandingClock()
        self.ops = Operations(store, self.clock)
        self.admin, self.clerks = accounts(store)
        self.tickets: dict[tuple, tuple[str, str]] = {}  # simulation key -> (number, token)

    def run(self, day: datetime.date, actions: list) -> None:
        ops, clerk = self.ops, self.clerks
        for minute, action, *args in actions:
            self.clock.at = local_utc(day, minute)
            if action == "issue":
                key, service, priority, lang = args
                t = ops.issue_ticket(service, lang=lang, priority=priority)
                self.tickets[key] = (t["number"], t["token"])
            elif action == "check_in":
                key, code, lang = args
                status, t = ops.check_in(code, lang)
                assert status == 201, (status, t)
                self.tickets[key] = (t["number"], t["token"])
            elif action == "call":
                counter, key = args
                called = ops.call_next(counter, clerk[counter])["ticket"]
                expected = self.tickets[key][0]
                if called is None or called["number"] != expected:
                    raise AssertionError(
                        f"{day} {minute:.2f}: counter {counter} called "
                        f"{called and called['number']}, the simulation expected {expected}"
                    )
            elif action == "without_ticket":
                counter, key, service = args
                t = ops.serve_without_ticket(counter, clerk[counter], service)["ticket"]
                with self.store.read() as tx:
                    self.tickets[key] = (t["number"], tx.ticket(t["id"]).token)
            elif action == "finish":
                counter, cases = args
                ops.finish(counter, clerk[counter], cases=cases)
            elif action == "transfer":
                counter, service = args
                ops.transfer(counter, clerk[counter], service)
            elif action in ("recall", "start", "no_show", "requeue", "release"):
                getattr(ops, action)(args[0], clerk[args[0]])
            elif action == "cancel":
                ops.cancel_by_visitor(self.tickets[args[0]][1])
            elif action == "feedback":
                key, rating, district = args
                ops.give_feedback(self.tickets[key][1], rating, district)
            elif action == "refused":
                ops._log_refused(*args)  # what issue_ticket logs when it refuses a ticket
            elif action == "close_day":
                ops.close_day(self.admin)
            elif action == "popup":
                ops.save_popup(self.admin, None, args[0], make_current=True)
            elif action == "import":
                ops.import_appointments(self.admin, list(enumerate(args[0], 2)))
            else:
                raise ValueError(action)

    def flush(self) -> None:
        pass


class BulkWriter:
    """The rows ``OpsWriter`` would write, inserted in bulk once per day.

    Each action is replayed as its use case does it (operations/*.py), on the domain's own
    ``Ticket`` transitions, keeping tickets, counters, appointments and numbers in memory;
    the check in ``verify_bulk_writer`` compares the result with ``OpsWriter``'s, row by row."""

    def __init__(self, store) -> None:
        self.store = store
        self.admin, self.clerks = accounts(store)
        with store.read() as tx:
            self.popup = tx.current_popup_id()
            self.seq = tx.seq
            top = lambda c: tx.conn.execute(select(func.max(c))).scalar() or 0  # noqa: E731
            self.ids = {
                "ticket": itertools.count(top(s.tickets.c.id) + 1),
                "event": itertools.count(top(s.events.c.id) + 1),
                "appointment": itertools.count(top(s.appointments.c.id) + 1),
                "popup": itertools.count(top(s.popups.c.id) + 1),
            }
            self.counters = {c.id: c for c in tx.counters()}
        self.appointments: dict[str, booking.Appointment] = {}  # by code
        self.by_start: list[tuple] = []  # a heap of (slot start, id, appointment)
        self.appointment_rows: dict[int, dict] = {}  # id -> created_at, popup_id
        self.tickets: dict[tuple, Ticket] = {}  # simulation key -> ticket
        self.day_tickets: dict[int, tuple[Ticket, int | None]] = {}  # id -> (ticket, popup)
        self.numbers: dict[tuple[str, str], int] = {}
        self.events: list[dict] = []
        self.cases: dict[int, dict[int, int]] = {}
        self.answers: list[dict] = []
        self.popups: list[dict] = []
        self.current_popup_changed = False
        self.last_day = ""

    # --- what Tx does ----------------------------------------------------------------------
    def log(self, tr: Transition, day: str, number: str | None = None) -> None:
        self.events.append(
            {
                "id": next(self.ids["event"]),
                "at": tr.at,
                "day": day,
                "kind": tr.kind,
                "ticket_id": tr.ticket_id,
                "number": number,
                "from_status": tr.from_status,
                "to_status": tr.to_status,
                "service_id": tr.service_id,
                "counter_id": tr.counter_id,
                "user_id": tr.user_id,
                "data": tr.data,
                "popup_id": self.popup,
            }
        )

    def next_number(self, day: str, prefix: str) -> int:
        n = self.numbers[(day, prefix)] = self.numbers.get((day, prefix), 0) + 1
        return n

    def add_ticket(self, key, now, day, service, lang, priority=0, prefix=None, appointment=None):
        """``VisitorOps._add_ticket``."""
        prefix = prefix or PREFIXES[service]
        number = f"{prefix}{self.next_number(day, prefix):03d}"
        due = None if appointment is None else booking.slot_start(day, appointment.slot, BERLIN)
        ticket = Ticket(
            id=next(self.ids["ticket"]),
            day=day,
            service_id=service,
            number=number,
            token=Operations.new_token(),
            status=Status.WAITING,
            issued_at=now,
            queued_at=now,
            priority=max(priority, 0),
            lang=lang,
            appointment_id=None if appointment is None else appointment.id,
            due_at=due,
        )
        self.tickets[key] = ticket
        self.day_tickets[ticket.id] = (ticket, self.popup)
        data = {"priority": ticket.priority, "lang": lang}
        if appointment is not None:
            data.update(appointment=appointment.id, due_at=iso(due))
        self.log(
            Transition("issued", ticket.id, now, None, "waiting", service_id=service, data=data),
            day,
            number,
        )
        return ticket

    def appointment_log(self, kind, a: booking.Appointment, now, day, actor=None) -> None:
        data = {"appointment": a.id, "day": a.day, "slot": a.slot, "status": a.status}
        user = actor.id if actor else None
        self.log(
            Transition(
                kind, a.ticket_id, now, None, None, service_id=a.service_id, user_id=user, data=data
            ),
            day,
        )

    # --- the counters' use cases (operations/counters.py) ----------------------------------
    def take(self, counter_id: int, now, day: str) -> None:
        counter, clerk = self.counters[counter_id], self.clerks[counter_id]
        if counter.held_by == clerk.id:
            return
        assert counter.held_by is None
        counter.held_by = clerk.id
        self.log(
            Transition("counter_taken", None, now, None, None, counter_id, user_id=clerk.id), day
        )

    def current(self, counter_id: int) -> Ticket:
        ticket_id = self.counters[counter_id].current_ticket_id
        return self.day_tickets[ticket_id][0]

    def apply(self, ticket: Ticket, tr: Transition) -> None:
        self.log(tr, ticket.day, ticket.number)

    def run(self, day_date: datetime.date, actions: list) -> None:
        self.last_day = day_date.isoformat()
        for minute, action, *args in actions:
            now = local_utc(day_date, minute)
            day = now.astimezone(BERLIN).date().isoformat()
            getattr(self, "do_" + action)(now, day, *args)

    def do_issue(self, now, day, key, service, priority, lang) -> None:
        self.seq += 1
        self.add_ticket(key, now, day, service, lang, priority)

    def do_call(self, now, day, counter_id, key) -> None:
        self.seq += 1
        self.take(counter_id, now, day)
        assert self.counters[counter_id].current_ticket_id is None
        ticket, clerk = self.tickets[key], self.clerks[counter_id]
        self.apply(ticket, ticket.call(counter_id, now, clerk.id))
        self.counters[counter_id].current_ticket_id = ticket.id

    def do_without_ticket(self, now, day, counter_id, key, service) -> None:
        self.seq += 1
        self.take(counter_id, now, day)
        clerk = self.clerks[counter_id]
        number = f"#{self.next_number(day, '#'):03d}"
        ticket = Ticket(
            next(self.ids["ticket"]),
            day,
            service,
            number,
            Operations.new_token(),
            Status.WAITING,
            now,
            now,
        )
        self.tickets[key] = ticket
        self.day_tickets[ticket.id] = (ticket, self.popup)
        self.apply(
            ticket,
            Transition(
                "issued",
                ticket.id,
                now,
                None,
                "waiting",
                service_id=service,
                user_id=clerk.id,
                data={"without_ticket": True},
            ),
        )
        ticket.call(counter_id, now, clerk.id)  # not logged: no call on the display
        self.apply(ticket, ticket.start(now, clerk.id))
        self.counters[counter_id].current_ticket_id = ticket.id

    def on_current(self, now, day, counter_id, action, *args, cases=None) -> None:
        self.seq += 1
        self.take(counter_id, now, day)
        ticket = self.current(counter_id)
        if cases:
            self.cases[ticket.id] = dict(cases)
        self.apply(ticket, getattr(ticket, action)(*args, now, self.clerks[counter_id].id))
        if not ticket.status.is_open_at_counter:
            self.counters[counter_id].current_ticket_id = None

    def do_recall(self, now, day, counter_id) -> None:
        self.on_current(now, day, counter_id, "recall")

    def do_start(self, now, day, counter_id) -> None:
        self.on_current(now, day, counter_id, "start")

    def do_finish(self, now, day, counter_id, cases) -> None:
        self.on_current(now, day, counter_id, "finish", cases=cases)

    def do_no_show(self, now, day, counter_id) -> None:
        self.on_current(now, day, counter_id, "no_show")

    def do_requeue(self, now, day, counter_id) -> None:
        self.on_current(now, day, counter_id, "requeue")

    def do_transfer(self, now, day, counter_id, service) -> None:
        self.on_current(now, day, counter_id, "transfer", service)

    def do_release(self, now, day, counter_id) -> None:
        self.seq += 1
        counter, clerk = self.counters[counter_id], self.clerks[counter_id]
        assert counter.held_by == clerk.id and counter.current_ticket_id is None
        counter.held_by, counter.paused = None, False
        self.log(
            Transition("counter_released", None, now, None, None, counter_id, user_id=clerk.id), day
        )

    # --- visitors (operations/visitors.py, appointments.py) --------------------------------
    def do_cancel(self, now, day, key) -> None:
        self.seq += 1
        ticket = self.tickets[key]
        self.log(ticket.cancel(now), ticket.day, ticket.number)

    def do_feedback(self, now, day, key, rating, district) -> None:
        ticket = self.tickets[key]
        assert ticket.status is Status.DONE
        self.answers.append(
            {
                "ticket_id": ticket.id,
                "day": ticket.day,
                "service_id": ticket.service_id,
                "rating": rating,
                "district": district,
                "at": now,
            }
        )

    def do_refused(self, now, day, service, availability) -> None:
        self.log(
            Transition(
                "refused",
                None,
                now,
                None,
                None,
                service_id=service,
                data={"availability": availability},
            ),
            day,
        )

    def do_check_in(self, now, day, key, code, lang) -> None:
        # (Missed bookings are marked by the admin's list, the statistics and the day's close,
        # not by a check-in: here at the close.)
        self.seq += 1
        a = self.appointments[code]
        assert a.day == day and a.ticket_id is None
        start = booking.slot_start(a.day, a.slot, BERLIN)
        opens, closes = booking.check_in_window(RULES, start)
        assert now >= opens
        if now <= closes:
            ticket = self.add_ticket(
                key, now, day, a.service_id, lang, prefix=RULES.prefix, appointment=a
            )
            a.status = booking.CHECKED_IN
        else:
            ticket = self.add_ticket(key, now, day, a.service_id, lang)
            a.status = booking.LATE
        a.ticket_id, a.checked_in_at = ticket.id, now
        self.appointment_log("appointment_checked_in", a, now, day)

    # --- the admin (operations/admin.py, appointments.py) ----------------------------------
    def do_close_day(self, now, day) -> None:
        self.seq += 1
        counts = {"cancelled": 0, "finished": 0, "counters_released": 0}
        counts.update(appointments_missed=0, names_deleted=0)
        assert not any(c.held_by or c.paused for c in self.counters.values())
        for ticket, _ in sorted(self.day_tickets.values(), key=lambda tp: tp[0].id):
            if ticket.day == day and not ticket.status.is_final:
                tr = ticket.close_day(now, self.admin.id)
                self.log(tr, ticket.day, ticket.number)
                counts[tr.kind] += 1
        booked = [
            a for a in self.appointments.values() if a.day == day and a.status == booking.BOOKED
        ]
        for a in sorted(booked, key=lambda a: (a.day, a.slot, a.id)):
            a.status = booking.NO_SHOW
            data = {"appointment": a.id, "day": a.day, "slot": a.slot, "status": a.status}
            self.log(
                Transition(
                    "appointment_no_show", None, now, None, None, service_id=a.service_id, data=data
                ),
                day,
            )
            counts["appointments_missed"] += 1
        for a in self.appointments.values():
            if a.day <= day and a.name is not None:
                a.name = None
                counts["names_deleted"] += 1
        self.log(
            Transition("day_closed", None, now, None, None, user_id=self.admin.id, data=counts), day
        )

    def do_popup(self, now, day, fields) -> None:
        self.seq += 1
        popup_id = next(self.ids["popup"])
        self.popups.append(
            {"id": popup_id, "created_at": now, "place": "", "address": "", **fields}
        )
        self.popup, self.current_popup_changed = popup_id, True
        data = {"event": popup_id, "created": True, "current": True}
        self.log(
            Transition("event_saved", None, now, None, None, user_id=self.admin.id, data=data), day
        )

    def do_import(self, now, day, bookings) -> None:
        self.seq += 1
        for fields in bookings:
            name = (fields.get("name") or "").strip() or None
            a = booking.Appointment(
                next(self.ids["appointment"]),
                fields["day"],
                fields["slot"],
                fields["service"],
                fields["code"],
                name=name,
            )
            self.appointments[a.code] = a
            start = booking.slot_start(a.day, a.slot, BERLIN)
            heapq.heappush(self.by_start, (start, a.id, a))
            self.appointment_rows[a.id] = {"created_at": now, "popup_id": self.popup}
            self.appointment_log("appointment_booked", a, now, day, self.admin)

    # --- the rows --------------------------------------------------------------------------
    def flush(self) -> None:
        """Insert the day's rows; tickets, cases and answers are final once the day is closed,
        and so are the rows of the appointments of the days up to it."""
        ticket_columns = [c.name for c in s.tickets.c if c.name not in ("popup_id", "status")]
        tickets = [
            {**{c: getattr(t, c) for c in ticket_columns}, "status": str(t.status), "popup_id": p}
            for t, p in self.day_tickets.values()
        ]
        cases = [
            {"ticket_id": t, "service_id": k, "count": n}
            for t, per_service in self.cases.items()
            for k, n in per_service.items()
        ]
        numbers = [{"day": d, "prefix": p, "last": n} for (d, p), n in self.numbers.items()]
        finished = [a for a in self.appointments.values() if a.day <= self.last_day]
        appointments = [
            {**{k: getattr(a, k) for k in APPOINTMENT_COLUMNS}, **self.appointment_rows.pop(a.id)}
            for a in finished
        ]
        with self.store.write(publish=False) as tx:
            conn = tx.conn
            if self.current_popup_changed:
                tx.set_current_popup(self.popup)
            for table, values in (
                (s.popups, self.popups),
                (s.tickets, tickets),
                (s.events, self.events),
                (s.visit_cases, cases),
                (s.feedback, self.answers),
                (s.number_counters, numbers),
                (s.appointments, appointments),
            ):
                if values:
                    conn.execute(insert(table), values)
            for c in self.counters.values():  # as save_counter leaves them after a release
                values = {"held_by": c.held_by, "current_ticket_id": c.current_ticket_id}
                conn.execute(
                    update(s.counters)
                    .where(s.counters.c.id == c.id)
                    .values(paused=c.paused, held_since=None, **values)
                )
            conn.execute(update(s.hub_state).where(s.hub_state.c.id == 1).values(seq=self.seq))
        for a in finished:
            del self.appointments[a.code]
        self.day_tickets.clear()
        self.tickets.clear()
        self.events, self.cases, self.answers, self.popups = [], {}, [], []
        self.numbers.clear()
        self.current_popup_changed = False


def write_year(store, writer_class, year: list) -> None:
    writer = writer_class(store)
    for day, actions in year:
        writer.run(day, actions)
        writer.flush()


def table_rows(store) -> dict[str, list[tuple]]:
    """Every row of every table, in key order; tickets without their (random) token."""
    out = {}
    with store.read() as tx:
        for table in s.metadata.sorted_tables:
            columns = [c for c in table.c if not (table is s.tickets and c.name == "token")]
            key = list(table.primary_key.columns) or columns
            out[table.name] = [tuple(r) for r in tx.conn.execute(select(*columns).order_by(*key))]
    return out


def verify_bulk_writer(base: Path, seed: int) -> tuple[float, int, int]:
    """Write two check events (each prepared, then one busy day with every kind of history)
    through ``Operations`` and with ``BulkWriter`` into two stores; raise unless every row of
    every table is the same. Returns (seconds, tickets, events) of the check."""
    start = time.perf_counter()
    # Two events of one day each: the second one's preparation switches the current pop-up.
    events = [(fields, dates[:1]) for fields, dates in plan_events(datetime.date(2026, 3, 30), 6)]
    results = []
    for name, writer in (("ops", OpsWriter), ("bulk", BulkWriter)):
        path = base / f"check-{name}.sqlite3"
        store = open_store(f"sqlite:///{path}")
        try:
            prep = events[0][1][0] - datetime.timedelta(days=3)
            set_up(store, 4, events[0][0], local_utc(prep, 17 * 60))
            year = plan_year(random.Random(seed), events, 90, 4, CHECK_RATES)
            write_year(store, writer, year)
            results.append(table_rows(store))
        finally:
            store.dispose()
    kinds = {a[1] for _, actions in year for a in actions}
    wanted = {
        "issue",
        "check_in",
        "call",
        "recall",
        "start",
        "finish",
        "no_show",
        "requeue",
        "transfer",
        "cancel",
        "without_ticket",
        "feedback",
        "refused",
        "release",
        "close_day",
        "import",
        "popup",
    }
    assert wanted <= kinds, f"the check day lacks {wanted - kinds}"
    ops, bulk = results
    for table in ops:
        if ops[table] != bulk[table]:
            diff = next(
                (i, a, b)
                for i, (a, b) in enumerate(itertools.zip_longest(ops[table], bulk[table]))
                if a != b
            )
            raise AssertionError(
                f"BulkWriter writes other rows than Operations in {table} ({len(ops[table])} vs "
                f"{len(bulk[table])} rows); first difference at row {diff[0]}:\n"
                f"  ops:  {diff[1]}\n  bulk: {diff[2]}"
            )
    return time.perf_counter() - start, len(ops["tickets"]), len(ops["events"])


# Measuring --------------------------------------------------------------------------------


def table_counts(path: Path) -> dict[str, int]:
    names = ("tickets", "events", "visit_cases", "feedback", "appointments", "day_aggregates")
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {n: db.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}  # noqa: S608


def file_size(store, path: Path) -> tuple[int, int, int]:
    """(file bytes, pages, free pages) once every connection is closed (which checkpoints the
    write-ahead log into the file and removes it)."""
    store.dispose()
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the WAL was not checkpointed"
    with contextlib.closing(sqlite3.connect(path)) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return size, pages, free


def differences(a, b, path: str = "") -> list[str]:
    """Where two JSON-like values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(a.keys() | b.keys(), key=str):
            if key not in a or key not in b:
                out.append(f"{path}.{key} (missing on one side)")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} vs {len(b)})"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]


def without_archived(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "archived_days"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=15, help="office days (5 per event; 15)")
    parser.add_argument("--per-day", type=int, default=350, help="tickets a day (about; 350)")
    parser.add_argument("--counters", type=int, help="counters (default: enough for --per-day)")
    parser.add_argument("--runs", type=int, default=5, help="runs per timed figure (median; 5)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the simulation")
    parser.add_argument(
        "--writer",
        choices=("bulk", "ops"),
        default="bulk",
        help="bulk: the rows of Operations, in bulk (checked against Operations first); "
        "ops: every action through Operations (slow)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()
    counters = args.counters or counters_for(args.per_day)

    base = Path(tempfile.mkdtemp(prefix="wartemarke-bench-stats-"))
    db_path = base / "wartemarke.sqlite3"
    now = datetime.datetime.now().astimezone()
    print(f"Wartemarke statistics benchmark, {now:%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.platform()}), "
        f"Python {platform.python_version()} ({sys.executable})"
    )
    print(f"data: {db_path}\n")
    began = time.perf_counter()
    failures: list[str] = []
    store = None
    try:
        if args.writer == "bulk":
            took, tickets, events = verify_bulk_writer(base, args.seed)
            row(
                "0. check: two check days written by Operations and by the bulk writer",
                "same rows",
                f"every table equal (tokens aside): {tickets} tickets, {events} events; "
                f"{took:.1f} s",
            )

        # 1. The year.
        clock = Clock(TZ)
        today = datetime.date.fromisoformat(clock.day())
        store = open_store(f"sqlite:///{db_path}")
        events = plan_events(today, args.days)
        prep = events[0][1][0] - datetime.timedelta(days=3)
        set_up(store, counters, events[0][0], local_utc(prep, 17 * 60))
        start = time.perf_counter()
        year = plan_year(random.Random(args.seed), events, args.per_day, counters)
        simulated = time.perf_counter() - start
        write_year(store, BulkWriter if args.writer == "bulk" else OpsWriter, year)
        built = time.perf_counter() - start
        counts = table_counts(db_path)
        days = [d.isoformat() for _, dates in events for d in dates]
        actions = sum(len(a) for _, a in year)
        row(
            f"1. simulate and write the year ({len(events)} event(s), {len(days)} days, "
            f"{counters} counters; writer {args.writer})",
            f"{built:.1f} s",
            f"{actions} actions, simulated in {simulated:.1f} s; "
            f"{built / counts['tickets'] * 1000:.2f} s per thousand tickets",
        )
        row(
            "1b. rows written",
            f"{counts['tickets']} tickets, {counts['events']} events",
            f"{counts['appointments']} appointments, {counts['visit_cases']} case rows, "
            f"{counts['feedback']} answers",
        )
        size_before, pages_before, free_before = file_size(store, db_path)
        row("1c. SQLite file", mib(size_before), f"{pages_before} pages, {free_before} free")

        # 2. The statistics and the report from the raw rows.
        first, last = (today - datetime.timedelta(days=364)).isoformat(), today.isoformat()
        first = min(first, (events[0][1][0] - datetime.timedelta(days=3)).isoformat())
        key = events[len(events) // 2][0]["key"]

        def year_figures():
            return stats.collect(store, first, last, clock.tz)

        def event_figures():
            return stats.collect(store, first, last, clock.tz, event=key)

        median, times, before = timed(year_figures, args.runs)
        row(
            f"2. stats.collect(), the whole year, raw ({first} to {last})",
            f"median {ms(median)}",
            f"({each(times)}); {before['issued']} issued, {before['served']} served",
        )
        median, times, event_before = timed(event_figures, args.runs)
        row(
            f"3. stats.collect(event='{key}'), raw",
            f"median {ms(median)}",
            f"({each(times)}); {event_before['issued']} issued",
        )
        generated = datetime.datetime(2026, 1, 1, 12, 0)
        median, times, html = timed(
            lambda: render(before, "Pop-Up-Bürgerbüro Düsseldorf", generated), args.runs
        )
        row(
            "4. report.render() of the year",
            f"median {ms(median)}",
            f"({each(times)}); {len(html.encode()) / 1024:.0f} KiB of HTML",
        )

        # 3. Retention: every day older than 1 day becomes day aggregates.
        start = time.perf_counter()
        result = retention.apply_retention(store, clock, 1)
        took = time.perf_counter() - start
        after_counts = table_counts(db_path)
        n = len(result["days"])
        row(
            "5. retention.apply_retention(days=1)",
            f"{took:.2f} s",
            f"{n} days archived ({took / max(1, n) * 1000:.0f} ms a day; {len(days)} office "
            f"days, {n - len(days)} preparation days); {result['aggregates']} aggregates stored",
        )
        row(
            "5b. rows deleted",
            f"{result['tickets']} tickets, {result['events']} events",
            f"{result['visit_cases']} case rows, {result['feedback']} answers, "
            f"{result['print_jobs']} print jobs; left: {after_counts['tickets']} tickets, "
            f"{after_counts['events']} events, {after_counts['appointments']} appointments",
        )
        size_after, pages_after, free_after = file_size(store, db_path)
        row(
            "5c. SQLite file after retention",
            mib(size_after),
            f"{pages_after} pages, {free_after} free (SQLite reuses freed pages; "
            "the file shrinks only by VACUUM)",
        )

        # 4. The same figures from the aggregates.
        median, times, after = timed(year_figures, args.runs)
        diff = differences(without_archived(before), without_archived(after))
        # Every office day is archived; so is a preparation day whose events count (bookings).
        archived = after["archived_days"]
        archived_ok = set(days) <= set(archived) <= set(result["days"]) and archived == sorted(
            archived
        )
        if diff or not archived_ok:
            failures.append(f"year: {diff[:5]}, archived_days {after['archived_days']}")
        row(
            "6. stats.collect(), the whole year, from aggregates",
            f"median {ms(median)}",
            f"({each(times)}); figures "
            + ("EQUAL to before" if not diff else f"DIFFER in {len(diff)} places")
            + (f", archived_days: {len(archived)} days" if archived_ok else ", archived WRONG"),
        )
        median, times, event_after = timed(event_figures, args.runs)
        diff = differences(without_archived(event_before), without_archived(event_after))
        if diff:
            failures.append(f"event: {diff[:5]}")
        row(
            f"7. stats.collect(event='{key}'), from aggregates",
            f"median {ms(median)}",
            f"({each(times)}); figures "
            + ("EQUAL to before" if not diff else f"DIFFER in {len(diff)} places"),
        )

        store.dispose()
        start = time.perf_counter()
        with contextlib.closing(sqlite3.connect(db_path)) as db:
            db.execute("VACUUM")
        row(
            "8. the file after VACUUM (which the application does not run)",
            mib(db_path.stat().st_size),
            f"VACUUM took {ms(time.perf_counter() - start)}",
        )
    finally:
        if store is not None:
            store.dispose()
        if args.keep:
            print(f"\nkept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    print_table(rows, now)
    wait, service = before["wait_min"], before["service_min"]
    print(
        f"\nThe simulated year: {before['issued']} tickets issued ({before['without_ticket']} "
        f"without a ticket), {before['served']} served, {before['no_show']} called and not "
        f"there, {before['cancelled']} cancelled, {before['turned_away']} turned away; "
        f"{before['cases']} cases; wait mean {wait['mean']} / median {wait['median']} / "
        f"p90 {wait['p90']} min; service mean {service['mean']} min; peak queue "
        f"{before['peak_queue']}; {before['satisfaction']['answers']} ratings, mean "
        f"{before['satisfaction']['mean']}."
    )
    booked = before.get("appointments")
    if isinstance(booked, dict):
        counts = [f"{k} {v}" for k, v in booked.items() if isinstance(v, int | float)]
        print(f"Appointments: {', '.join(counts)}.")
    print(f"(total run time {time.perf_counter() - began:.1f} s)")
    if failures:
        print("\nFAILED: the figures after retention differ from those before:")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

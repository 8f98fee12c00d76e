"""A pop-up day under load, time-compressed, against a real server process: the driver that the
tests in tests/load/ share (the script, the live clients, the clerks, the end-of-day checks).

The day is the load model's (``LOAD-MODEL.md``) scaled up to a busy site: six counters serving
several services each, over 300 tickets — 300 walk-ins arriving in bursts by the hourly shares
20/12/15/17/15/12/9 % with a queue at opening, at three kiosks, and 18 booked appointments (the
admin API) checked in there — in the service mix 35/35/20/10 %. A model hour lasts
``HOUR_SECONDS``; the server's clock starts at 10:00 of a fixed day (``WARTEMARKE_CLOCK_START``),
so a run never meets midnight and the booked slots are due.

What becomes of a ticket is a function of its number alone (``plan_for``): calls, recalls,
start, a transfer to another service or a return to the queue, the visitor giving up, 12 %
no-shows, and how the visit ends (``finish``, some with a second case, or the clerk's next
``next``). Six clerks play the plan of whichever ticket the server calls for them, so every
ticket's final state and event history are known whatever the order of calls under load: also
for a ticket issued just before a crash whose answer never reached the kiosk.

Live all day: 2 displays (/display) and 100 phones (/ticket), python-socketio AsyncClients in one
asyncio loop on a background thread (lighter than 102 threaded clients), reconnecting by
themselves. A display keeps its view as ``wartemarke/static/js/live.js`` and the display page do:
seq tracking, a snapshot requested on a gap, the last seq forgotten on a disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
import socketio

SEED = 20260620
DAY = "2026-06-20"
CLOCK_ENV, CLOCK_START = "WARTEMARKE_CLOCK_START", datetime.fromisoformat(f"{DAY}T10:00+02:00")
HOUR_SECONDS = 2.5  # one opening hour of the load model
MINUTE = 0.006  # one minute of a clerk's work
WALK_INS, AT_OPENING = 300, 15
HOURLY_SHARE = (20, 12, 15, 17, 15, 12, 9)  # % of the walk-ins by hour from 9:00
MIX = {1: 35, 2: 35, 3: 20, 4: 10}
SERVICE_MINUTES = {1: (10, 15, 30), 2: (10, 15, 30), 3: (5, 10, 20), 4: (5, 10, 20)}
SERVICES = {
    1: ("Personalausweis", "A"),
    2: ("Reisepass", "P"),
    3: ("Meldeangelegenheiten", "M"),
    4: ("Führungszeugnis und Sonstiges", "S"),
}
COUNTERS = {1: [1, 2], 2: [1, 2], 3: [1, 2, 3], 4: [1, 2, 4], 5: [3, 4], 6: [1, 3, 4]}
# Slots begun by 10:00 and still in their check-in grace: due at once. Six a slot, each service
# at most as often as counters serve it.
SLOTS, SLOT_SERVICES = ("09:50", "09:55", "10:00"), (1, 1, 2, 2, 3, 4)
PHONES, DISPLAYS, KIOSKS = 100, 2, 3
CANCEL, TRANSFER, REQUEUE, NO_SHOW = 0.03, 0.06, 0.03, 0.12
RECALL, START, BY_NEXT, EXTRA_CASE = 0.15, 0.7, 0.3, 0.15
GIVE_UP = 2  # people ahead that make a visitor who would give up do so at once
IDLE = 0.25  # seconds a clerk waits after a "next" that found nobody (each "next" is a write)

# Three expected minutes a visit, not the model's 10-30: the wait estimate of a queue of 150
# must not run past closing time, or the kiosk would refuse tickets ("full").
SITE = (
    '[venue]\nname = "Pop-Up Bürgerbüro unter Last"\n'
    + "".join(
        f'\n[[services]]\nid = {sid}\nname = "{name}"\nprefix = "{prefix}"\nminutes = 3\n'
        for sid, (name, prefix) in SERVICES.items()
    )
    + '\n[opening]\nhours = "09:00-16:00"\n\n[appointments]\nprefix = "T"\nslot_minutes = 5\n'
    + "".join(
        f'\n[[counters]]\nid = {c}\nname = "Schalter {c}"\nservices = {s}\n'
        for c, s in COUNTERS.items()
    )
)


def start_server(make_server):
    """The site's server with six clerks (clerkN / secret-N) and an admin (boss)."""
    env = {CLOCK_ENV: CLOCK_START.isoformat()}
    server = make_server(site=SITE, clerks=len(COUNTERS), extra=["--printer", "none"], env=env)
    server.add_user("boss", "secret-boss", "admin")
    return server


# --- the script --------------------------------------------------------------------------------

END_KIND = {"finish": "finished", "next": "finished", "no_show": "no_show"}
END_KIND |= {"transfer": "transferred", "requeue": "requeued"}
BY_CLERKS = ("called", "recalled", "serving", "finished", "no_show", "transferred", "requeued")


@dataclass(frozen=True)
class Visit:
    """One time at a counter: called, maybe recalled and started, then ``end``."""

    recalls: int = 0
    start: bool = False
    end: str = "finish"  # finish | next (the clerk's next "next") | no_show | transfer | requeue
    to: int | None = None  # the service a transfer sends the visitor to
    extra_case: int | None = None  # a second case, of this service, recorded at the finish


@dataclass(frozen=True)
class Plan:
    cancel: bool  # gives up their place at the sight of a queue, else leaves before the call
    visits: tuple[Visit, ...]

    def kinds(self, cancelled: bool) -> list[str]:
        """The ticket's history, as the event log must hold it."""
        if cancelled:
            return ["issued", "cancelled"]
        out = ["issued"]
        for v in self.visits:
            out += ["called"] + ["recalled"] * v.recalls + ["serving"] * v.start
            out.append(END_KIND[v.end])
        return out

    def final(self, cancelled: bool) -> str:
        if cancelled:
            return "cancelled"
        return "no_show" if self.visits[-1].end == "no_show" else "done"


def plan_for(number: str, service: int) -> Plan:
    """What becomes of ticket ``number``, issued for ``service``."""
    rng = random.Random(f"{SEED}:{number}")
    if rng.random() < CANCEL:  # called after all (no queue to give up for): gone by then
        return Plan(True, (Visit(2, False, "no_show"),))
    visits = []
    r = rng.random()
    if r < TRANSFER:
        to = rng.choice([s for s in SERVICES if s != service])
        visits.append(Visit(int(rng.random() < RECALL), rng.random() < START, "transfer", to))
    elif r < TRANSFER + REQUEUE:  # stepped away: back into the queue, in their place
        visits.append(Visit(int(rng.random() < RECALL), False, "requeue"))
    if rng.random() < NO_SHOW:  # called, recalled twice, then marked
        visits.append(Visit(2, False, "no_show"))
    else:
        end = "next" if rng.random() < BY_NEXT else "finish"
        extra = rng.choice(list(SERVICES)) if rng.random() < EXTRA_CASE else None
        extra = extra if end == "finish" else None
        recalls, start = int(rng.random() < RECALL), rng.random() < START
        visits.append(Visit(recalls, start, end, extra_case=extra))
    return Plan(False, tuple(visits))


def plan_of(ticket: dict) -> Plan:
    """The plan of a ticket row of the database."""
    return plan_for(ticket["number"], ticket["original_service_id"] or ticket["service_id"])


@dataclass
class Arrival:
    at: float  # model hours after opening
    service: int
    code: str | None = None  # a booking code: checks in instead of taking a ticket
    phone: bool = False


def arrivals(rng: random.Random, codes: list[str], walk_ins: int = WALK_INS) -> list[Arrival]:
    """The day's visitors in order: walk-ins in bursts by the hourly shares, the booked ones in
    the first half hour, and which of them follow their ticket on a phone."""
    out = [Arrival(0.0, 0) for _ in range(AT_OPENING)]
    for hour, share in enumerate(HOURLY_SHARE):
        n = round(walk_ins * share / 100) - (AT_OPENING if hour == 0 else 0)
        while n > 0:
            size = min(n, rng.choice((1, 1, 1, 2, 2, 3, 4, 6)))
            at = hour + rng.random()
            out += [Arrival(at, 0) for _ in range(size)]
            n -= size
    for a in out:
        a.service = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    out += [Arrival(rng.random() / 2, 0, code) for code in codes]
    out.sort(key=lambda a: a.at)
    for i in rng.sample(range(len(out)), PHONES):
        out[i].phone = True
    return out


# --- the live clients --------------------------------------------------------------------------


def new_client() -> socketio.AsyncClient:
    return socketio.AsyncClient(
        reconnection=True,
        reconnection_delay=0.1,
        reconnection_delay_max=0.5,
        randomization_factor=0.5,
        handle_sigint=False,
    )


def call_key(call: dict) -> tuple:
    """A call as a display lists it."""
    return call["number"], call["counter"], call["counter_name"], call["at"]


def view_of(state: dict) -> dict:
    """What a display shows of ``GET /api/state`` (or of a snapshot)."""
    keep = ("seq", "venue", "services")
    return {k: state[k] for k in keep} | {"calls": [call_key(c) for c in state["calls"]]}


def status_key(status: dict) -> tuple:
    """What a phone shows of its ticket."""
    keys = ("number", "status", "service", "position", "counter", "counter_name", "recalls")
    return tuple(status[k] for k in keys)


class Display:
    """A wall display on /display, its view built from the snapshot it gets on connect and
    the events after it. The server sends that snapshot before the client's "connect"."""

    def __init__(self, url: str) -> None:
        self.url, self.client = url, new_client()
        self.log: list[tuple[str, int | None, dict | None]] = []  # (kind, seq, call) received
        self.seq: int | None = None
        self.pending = False  # a snapshot asked for
        self.asked = 0  # snapshots asked for, after a gap in the seqs
        self.connected = False
        self.state: dict = {}
        self.at = 0.0  # when the view last changed or the display connected (monotonic)
        for name in ("connect", "disconnect", "snapshot", "queue", "call"):
            self.client.on(name, getattr(self, "_" + name), namespace="/display")

    async def connect(self) -> None:
        await self.client.connect(
            self.url, namespaces=["/display"], transports=["websocket"], wait_timeout=20
        )

    def view(self) -> dict:
        return {**self.state, "seq": self.seq, "calls": self.state.get("calls", [])[:10]}

    def _connect(self) -> None:
        self.connected, self.at = True, time.monotonic()
        self.log.append(("connect", None, None))

    def _disconnect(self, *_reason) -> None:
        self.connected, self.seq, self.pending = False, None, False
        self.log.append(("disconnect", None, None))

    async def _snapshot(self, state: dict) -> None:
        self.log.append(("snapshot", state["seq"], None))
        self.pending = False
        if self.seq is not None and state["seq"] < self.seq:
            return  # overtaken by a newer event
        self.seq, self.at = state["seq"], time.monotonic()
        self.state = {k: v for k, v in view_of(state).items() if k != "seq"}

    async def _queue(self, queue: dict) -> None:
        self.log.append(("queue", queue["seq"], None))
        if await self._advance(queue["seq"]):
            self.state["services"], self.at = queue["services"], time.monotonic()

    async def _call(self, call: dict) -> None:
        self.log.append(("call", call["seq"], call))
        if self.seq is None or call["seq"] >= self.seq:
            await self._advance(call["seq"])
        calls = [c for c in self.state.get("calls", []) if c[0] != call["number"]]
        self.state["calls"], self.at = [call_key(call), *calls][:40], time.monotonic()

    async def _advance(self, seq: int) -> bool:
        """False for a stale event; on a gap, asks for a snapshot (once until it comes)."""
        if self.seq is not None and seq < self.seq:
            return False
        gap = self.seq is None or seq > self.seq + 1
        self.seq = max(seq, self.seq or seq)
        if gap and not self.pending:
            self.pending, self.asked = True, self.asked + 1
            await self.client.emit("snapshot", namespace="/display")
        return True


class Phone:
    """A visitor's phone page on /ticket, following one ticket."""

    def __init__(self, url: str, number: str, token: str) -> None:
        self.url, self.number, self.token = url, number, token
        self.client = new_client()
        self.statuses: list[dict] = []
        self.connects = 0
        self.connected = False
        self.at = 0.0  # when the last status came or the phone connected (monotonic)
        self.client.on("connect", self._connect, namespace="/ticket")
        self.client.on("disconnect", self._disconnect, namespace="/ticket")
        self.client.on("status", self._status, namespace="/ticket")

    async def connect(self) -> None:
        await self.client.connect(
            self.url,
            namespaces=["/ticket"],
            transports=["websocket"],
            auth={"token": self.token},
            wait_timeout=20,
            retry=True,  # the server down just then: try again, as the page does
        )

    def _connect(self) -> None:
        self.connected, self.at = True, time.monotonic()
        self.connects += 1

    def _disconnect(self, *_reason) -> None:
        self.connected = False

    def _status(self, status: dict) -> None:
        self.statuses.append(status)
        self.at = time.monotonic()


class Live:
    """The day's Socket.IO clients, in one asyncio loop on a background thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live", daemon=True)
        self.thread.start()
        self.displays: list[Display] = []
        self.phones: dict[str, Phone] = {}
        self.pending: list = []

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def add_display(self) -> None:
        display = Display(self.url)
        self.run(display.connect())
        self.displays.append(display)

    def add_phone(self, number: str, token: str) -> None:
        """Connects in the background: the kiosk goes on at once."""
        phone = self.phones[number] = Phone(self.url, number, token)
        self.pending.append(asyncio.run_coroutine_threadsafe(phone.connect(), self.loop))

    def clients(self) -> list[Display | Phone]:
        return [*self.displays, *self.phones.values()]

    def close(self) -> None:
        async def disconnect():
            clients = [c.client for c in self.clients()]
            await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)

        try:
            self.run(disconnect(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


# --- the clerks --------------------------------------------------------------------------------


class Clerk:
    """One clerk at one counter, playing the plan of each ticket the server calls."""

    def __init__(self, day: LoadDay, counter: int) -> None:
        self.day, self.counter = day, counter
        self.session = day.server.login(f"clerk{counter}", f"secret-{counter}")
        self.rng = random.Random(f"{SEED}:clerk{counter}")  # timings only, never outcomes

    def work(self) -> None:
        day = self.day
        left_open = None  # a visit the next "next" finishes
        while True:
            got = self.act("next", before=left_open)["ticket"]
            if left_open is not None:
                day.record(left_open["number"], "finished", self.counter)
                left_open = None
            if got is None:
                if day.closing.is_set():
                    break
                time.sleep(IDLE)
                continue
            visit = day.take_visit(got)
            day.record(got["number"], "called", self.counter)
            ticket = got
            for _ in range(visit.recalls):
                self.work_for(1)
                ticket = self.act("recall", before=ticket)["ticket"]
                day.record(got["number"], "recalled", self.counter)
            if visit.start:
                self.work_for(1)
                ticket = self.act("start", before=ticket)["ticket"]
                day.record(got["number"], "serving", self.counter)
            low, mode, high = SERVICE_MINUTES[got["service"]]
            self.work_for(self.rng.triangular(low, high, mode))
            if visit.end == "next":
                left_open = ticket
                continue
            body = {"service": visit.to} if visit.to else {}
            if visit.extra_case:
                body = {"cases": [{"service": got["service"]}, {"service": visit.extra_case}]}
            self.act({"no_show": "no-show"}.get(visit.end, visit.end), body, before=ticket)
            day.record(got["number"], END_KIND[visit.end], self.counter)
            if visit.extra_case:
                day.extra_cases.append(got["number"])
        self.act("release")

    def work_for(self, minutes: float) -> None:
        time.sleep(minutes * MINUTE)

    def act(self, action: str, body: dict | None = None, before: dict | None = None) -> dict:
        """A counter action, done once: when the server could not be reached, the counter's
        state tells whether it happened (then that is the answer) or must be done again.
        ``before``: the counter's open ticket before the action."""
        path = f"/api/counters/{self.counter}"
        while True:
            r = self.day.post(self.session, f"{path}/{action}", body)
            if r is not None:
                assert r.status_code == 200, f"{path}/{action}: {r.status_code} {r.text}"
                return r.json()
            status = self.day.get(self.session, path)
            now = status["ticket"]
            if action == "next":
                took = now is not None and now["id"] != (before or {}).get("id")
                took = took or now is None and before is not None
            elif action == "recall":
                took = now["recalls"] > before["recalls"]
            elif action == "start":
                took = now["status"] == "serving"
            elif action == "release":
                took = not status["counter"]["held_by_me"]
            else:  # finish, no-show, transfer, requeue: the visitor left the counter
                took = now is None
            if took:
                self.day.tally("reconciled")
                return {"ticket": now}


# --- the day -----------------------------------------------------------------------------------


class LoadDay:
    """The day against ``server`` (from ``start_server``): ``run`` it, then ``check`` it."""

    def __init__(self, server, walk_ins: int = WALK_INS) -> None:
        self.server, self.url = server, server.url
        self.lock = threading.Lock()
        self.running = threading.Event()  # cleared: every actor holds before its next request
        self.running.set()
        self.abort = threading.Event()  # an actor failed: the others stop
        self.closing = threading.Event()  # every ticket is final: the clerks go home
        self.received: dict[str, dict] = {}  # number -> the answer the visitor got
        self.cancelled: set[str] = set()  # the numbers of visitors who gave up
        self.records: list[tuple[str, str, int]] = []  # (number, kind, counter) the clerks did
        self.extra_cases: list[str] = []
        self.visits: Counter = Counter()
        self.counts: Counter = Counter()
        self.errors: list[str] = []
        self.seconds = 0.0
        self.admin = server.login("boss", "secret-boss")
        self.kiosk = requests.Session()
        codes = [self.book(slot, service) for slot in SLOTS for service in SLOT_SERVICES]
        self.arrivals = arrivals(random.Random(SEED), codes, walk_ins)
        self.live = Live(self.url)
        for _ in range(DISPLAYS):
            self.live.add_display()
        self.clerks = [Clerk(self, c) for c in COUNTERS]

    def book(self, slot: str, service: int) -> str:
        body = {"day": DAY, "slot": slot, "service": service}
        r = self.admin.post(self.url + "/api/admin/appointments", json=body)
        assert r.status_code == 201, r.text
        return r.json()["code"]

    def tally(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def record(self, number: str, kind: str, counter: int) -> None:
        self.records.append((number, kind, counter))

    def take_visit(self, ticket: dict) -> Visit:
        """The plan's next visit of a ticket just called."""
        plan = plan_for(ticket["number"], ticket["transferred_from"] or ticket["service"])
        with self.lock:
            i = self.visits[ticket["number"]]
            self.visits[ticket["number"]] += 1
        assert i < len(plan.visits), f"{ticket['number']} called once more than planned"
        return plan.visits[i]

    # --- HTTP that survives a dead server ------------------------------------------------
    def gate(self) -> None:
        while not self.running.wait(0.1):
            if self.abort.is_set():
                raise RuntimeError("aborted")
        if self.abort.is_set():
            raise RuntimeError("aborted")

    def wait_for_server(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.gate()
            try:
                if requests.get(self.url + "/api/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not come back")

    def post(self, session, path: str, body: dict | None = None) -> requests.Response | None:
        """POST once; None when the server could not be reached (down, or killed while it
        answered): the caller finds out whether it happened before trying again."""
        self.gate()
        self.tally("in flight")
        try:
            return session.post(self.url + path, json=body or {}, timeout=30)
        except requests.RequestException:
            self.tally("failed requests")
            self.wait_for_server()
            return None
        finally:
            self.tally("in flight", -1)

    def get(self, session, path: str) -> dict:
        while True:
            self.gate()
            try:
                r = session.get(self.url + path, timeout=30)
            except requests.RequestException:
                self.wait_for_server()
                continue
            assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text}"
            return r.json()

    # --- the visitors ---------------------------------------------------------------------
    def visitors(self, kiosk: int, started: float) -> None:
        """One kiosk: its share of the visitors at their time, with their phones; those who
        would give up do so at the sight of a queue (the others leave before their call)."""
        session = requests.Session()
        for a in self.arrivals[kiosk::KIOSKS]:
            time.sleep(max(0.0, started + a.at * HOUR_SECONDS - time.monotonic()))
            ticket = self.issue(session, a)
            number = ticket["number"]
            self.received[number] = ticket
            if a.phone:
                self.live.add_phone(number, ticket["token"])
            if plan_for(number, ticket["service"]).cancel and ticket["position"] > GIVE_UP:
                self.give_up(session, number)

    def issue(self, session: requests.Session, a: Arrival) -> dict:
        path, body = "/api/tickets", {"service": a.service}
        if a.code:  # checking in again after a lost answer gives the same ticket (200)
            path, body = "/api/checkin", {"code": a.code}
        while True:
            r = self.post(session, path, body)
            if r is not None:
                assert r.status_code == 201 or a.code and r.status_code == 200, r.text
                return r.json()

    def give_up(self, session: requests.Session, number: str) -> None:
        path = f"/api/tickets/{self.received[number]['token']}"
        while True:
            r = self.post(session, path + "/cancel")
            if r is not None:
                assert r.status_code in (200, 409), r.text  # 409: called first
                if r.status_code == 200:
                    self.cancelled.add(number)
                return
            status = self.get(session, path)["status"]  # the answer was lost: did it happen?
            if status != "waiting":
                if status == "cancelled":
                    self.cancelled.add(number)
                return

    # --- running ------------------------------------------------------------------------------
    def guarded(self, name: str, fn, *args) -> threading.Thread:
        def run():
            try:
                fn(*args)
            except BaseException as exc:  # noqa: BLE001 - reported by LoadDay.run
                self.errors.append(f"{threading.current_thread().name}: {exc!r}")
                self.abort.set()

        return threading.Thread(target=run, name=name, daemon=True)

    def run(self, midday=None) -> None:
        """Play the day; ``midday(self)`` is called once half the visitors have their ticket."""
        started = time.monotonic()
        kiosks = [self.guarded(f"kiosk{k}", self.visitors, k, started) for k in range(KIOSKS)]
        threads = kiosks + [self.guarded(f"clerk{c.counter}", c.work) for c in self.clerks]
        for t in threads:
            t.start()
        try:
            if midday is not None:
                while len(self.received) < len(self.arrivals) // 2 and not self.abort.is_set():
                    time.sleep(0.01)
                if not self.abort.is_set():
                    midday(self)
            for t in kiosks:
                t.join(300)
            while self.open_tickets() and not self.abort.is_set():
                time.sleep(0.1)
        except BaseException:
            self.abort.set()
            raise
        finally:
            self.closing.set()
            self.running.set()
            for t in threads:
                t.join(120)
        assert not self.errors, self.errors
        assert not any(t.is_alive() for t in threads)
        for future in self.live.pending:
            future.result(60)
        self.seconds = time.monotonic() - started

    @contextlib.contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """The server's database, read-only, beside the running server."""
        path = self.server.data_dir / "wartemarke.sqlite3"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            yield db

    def open_tickets(self) -> int:
        with self.db() as db:
            query = "SELECT count(*) FROM tickets WHERE status IN ('waiting','called','serving')"
            return db.execute(query).fetchone()[0]

    def close(self) -> None:
        self.abort.set()
        self.running.set()
        self.live.close()

    # --- a crash ----------------------------------------------------------------------------
    def pause(self) -> None:
        self.running.clear()

    def resume(self) -> None:
        self.running.set()

    def restart(self) -> None:
        """Start the killed server again on its port and data dir, its clock going on from the
        last moment it wrote (a clock of ``WARTEMARKE_CLOCK_START`` starts at that moment)."""
        with self.db() as db:
            (last,) = db.execute("SELECT max(at) FROM events").fetchone()
        moment = datetime.fromisoformat(last).replace(tzinfo=UTC) + timedelta(seconds=1)
        self.server.env[CLOCK_ENV] = moment.isoformat()
        self.server.start()

    def wait_in_sync(self, since: float, timeout: float = 30) -> float:
        """Seconds from ``since`` until every client shows the server's state again, each on
        its own. The day must be paused: the state stands still meanwhile."""
        state = view_of(self.kiosk.get(self.url + "/api/state", timeout=10).json())
        truth = {
            n: status_key(self.kiosk.get(f"{self.url}/api/tickets/{p.token}", timeout=10).json())
            for n, p in self.live.phones.items()
        }
        deadline = time.monotonic() + timeout
        while True:
            late = [f"display {i}" for i, d in enumerate(self.live.displays) if d.view() != state]
            late += [
                f"phone {n}"
                for n, p in self.live.phones.items()
                if not p.connected or not p.statuses or status_key(p.statuses[-1]) != truth[n]
            ]
            if not late:
                return max(0.0, max(c.at for c in self.live.clients()) - since)
            assert time.monotonic() < deadline, f"out of sync: {late[:5]} ({len(late)})"
            time.sleep(0.02)

    # --- the end of the day ---------------------------------------------------------------
    def check(self, crashed: bool = False) -> dict:
        """Everything the day must have left behind; returns its figures for the report."""
        with self.db() as db:
            db.row_factory = sqlite3.Row
            tickets = {r["number"]: dict(r) for r in db.execute("SELECT * FROM tickets")}
            events = [dict(r) for r in db.execute("SELECT * FROM events ORDER BY id")]
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check_tickets(self, tickets, crashed)
        check_events(self, tickets, events)
        check_displays(self, events, crashed)
        check_phones(self, tickets)
        stats = check_stats(self, tickets, events)
        assert "Traceback" not in self.server.log()
        return {
            "tickets": len(tickets),
            "events": len(events),
            "calls": sum(e["kind"] in ("called", "recalled") for e in events),
            "cancelled": len(self.cancelled),
            "peak queue": stats["peak_queue"],
            "seconds": round(self.seconds, 1),
            "display messages": sum(len(d.log) for d in self.live.displays),
            "display gaps": sum(d.asked for d in self.live.displays),
            "phone messages": sum(len(p.statuses) for p in self.live.phones.values()),
            "phones waiting at connect": sum(
                p.statuses[0]["status"] == "waiting" for p in self.live.phones.values()
            ),
            "failed requests": self.counts["failed requests"],
            "reconciled": self.counts["reconciled"],
        }


def check_tickets(day: LoadDay, tickets: dict[str, dict], crashed: bool) -> None:
    """Every ticket a visitor got exists and ended as its plan says; the numbers of each prefix
    run without a gap or a repeat; only a crash may leave tickets nobody received (their answer
    was lost), at most one per request that failed."""
    assert set(day.received) <= set(tickets)
    ghosts = set(tickets) - set(day.received)
    assert not ghosts or crashed and len(ghosts) <= day.counts["failed requests"], ghosts
    for number, ticket in tickets.items():
        want = plan_of(ticket).final(number in day.cancelled)
        assert (ticket["day"], ticket["status"]) == (DAY, want), (number, ticket["status"], want)
    for number, got in day.received.items():
        assert tickets[number]["token"] == got["token"]
    for number, got in list(day.received.items())[::10]:  # and through the API
        r = day.kiosk.get(f"{day.url}/api/tickets/{got['token']}", timeout=10)
        assert r.status_code == 200 and r.json()["number"] == number, r.text
        assert r.json()["status"] == tickets[number]["status"]
    prefixes = {n[0] for n in tickets}
    assert prefixes == {"A", "P", "M", "S", "T"}, prefixes
    for prefix in prefixes:
        running = sorted(int(n[1:]) for n in tickets if n[0] == prefix)
        assert running == list(range(1, len(running) + 1)), prefix


def check_events(day: LoadDay, tickets: dict[str, dict], events: list[dict]) -> None:
    """The event log holds each ticket's history exactly as planned, every transition chained
    to the one before and the last one the ticket's status; each action of the clerks and the
    visitors is in it once; the clerks held their counters all day (sessions survived)."""
    history: dict[int, list[dict]] = {t["id"]: [] for t in tickets.values()}
    for e in events:
        assert e["day"] == DAY
        if e["ticket_id"] is not None and not e["kind"].startswith("appointment_"):
            history[e["ticket_id"]].append(e)
    for t in tickets.values():
        got = history[t["id"]]
        want = plan_of(t).kinds(t["number"] in day.cancelled)
        assert [e["kind"] for e in got] == want, (t["number"], [e["kind"] for e in got], want)
        assert got[0]["from_status"] is None and got[-1]["to_status"] == t["status"]
        assert all(a["to_status"] == b["from_status"] for a, b in zip(got, got[1:], strict=False))
    done = [(e["number"], e["kind"], e["counter_id"]) for e in events if e["kind"] in BY_CLERKS]
    assert Counter(done) == Counter(day.records)
    assert sorted(e["number"] for e in events if e["kind"] == "cancelled") == sorted(day.cancelled)
    for kind in ("counter_taken", "counter_released"):
        held = Counter(e["counter_id"] for e in events if e["kind"] == kind)
        assert held == Counter(list(COUNTERS)), (kind, held)


def at_of(value: str) -> datetime:
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def check_displays(day: LoadDay, events: list[dict], crashed: bool) -> None:
    """Each display got every call once, in the log's order and with increasing seq, made up
    each gap in the seqs with a snapshot, and shows what the server does. Across a crash it
    may miss one run of calls: those committed as the server died, before they went out."""
    calls = [
        (e["number"], e["counter_id"], at_of(e["at"]), e["kind"] == "recalled")
        for e in events
        if e["kind"] in ("called", "recalled")
    ]
    index = {c: i for i, c in enumerate(calls)}
    assert len(index) == len(calls)
    state = view_of(requests.get(day.url + "/api/state", timeout=10).json())
    for display in day.live.displays:
        got = [c for kind, _, c in display.log if kind == "call"]
        keys = [(c["number"], c["counter"], at_of(c["at"]), bool(c.get("recall"))) for c in got]
        positions = [index[k] for k in keys]  # KeyError: a call the server never made
        assert positions == sorted(set(positions)), "a call twice or out of order"
        assert [c["seq"] for c in got] == sorted({c["seq"] for c in got})
        missed = sorted(set(range(len(calls))) - set(positions))
        if crashed and missed:
            assert missed == list(range(missed[0], missed[-1] + 1)), missed
        else:
            assert not missed, [calls[i] for i in missed]
        check_seq(display.log)
        assert display.view() == state


def check_seq(log: list[tuple]) -> None:
    """Per connection: a snapshot first, seqs never going back, and after each gap a snapshot
    at least as new as the event that showed it."""
    owed = last = None
    for kind, seq, _ in log:
        if kind == "disconnect":
            assert owed is None, "a gap never made up"
            last = None
        elif kind == "snapshot":
            if owed is not None and seq >= owed:
                owed = None
            last = max(seq, last or seq)
        elif kind != "connect":
            assert last is not None and seq >= last, (kind, seq, last)
            if seq > last + 1 and owed is None:
                owed = seq
            last = seq
    assert owed is None, "a gap never made up"


def check_phones(day: LoadDay, tickets: dict[str, dict]) -> None:
    """Each phone heard of its own ticket only, saw it called (if it was waiting when the
    phone connected) and shows its final status."""
    assert len(day.live.phones) == PHONES
    for number, phone in day.live.phones.items():
        seen = phone.statuses
        assert seen and {s["number"] for s in seen} == {number}, number
        assert seen[-1]["status"] == tickets[number]["status"], (number, seen[-1])
        called = "called" in plan_of(tickets[number]).kinds(number in day.cancelled)
        if seen[0]["status"] == "waiting" and called:
            assert any(s["status"] == "called" for s in seen), number


def check_stats(day: LoadDay, tickets: dict[str, dict], events: list[dict]) -> dict:
    """GET /api/stats adds up, and agrees with the tickets and with what the clerks did."""
    r = day.admin.get(f"{day.url}/api/stats?from={DAY}&to={DAY}", timeout=30)
    assert r.status_code == 200, r.text
    s = r.json()
    outcome = Counter(t["status"] for t in tickets.values())
    assert s["issued"] == len(tickets) == s["served"] + s["no_show"] + s["cancelled"]
    got = (s["served"], s["no_show"], s["cancelled"], s["waiting_left"])
    assert got == (outcome["done"], outcome["no_show"], outcome["cancelled"], 0)
    assert (s["turned_away"], s["without_ticket"], s["persons"]) == (0, 0, s["served"])
    assert s["cases"] == s["served"] + len(day.extra_cases)
    for key in ("issued", "served", "no_show", "cancelled", "waiting_left", "cases"):
        assert sum(row[key] for row in s["by_service"]) == s[key], key
    for key in ("issued", "served"):
        assert sum(row[key] for row in s["by_hour"]) == s[key], key
    calls = sum(e["kind"] == "called" for e in events)
    assert sum(row["called"] for row in s["by_hour"]) == calls
    issued_for = Counter(t["original_service_id"] or t["service_id"] for t in tickets.values())
    served_in = Counter(t["service_id"] for t in tickets.values() if t["status"] == "done")
    for row in s["by_service"]:
        assert (row["issued"], row["served"]) == (issued_for[row["id"]], served_in[row["id"]])
    finished = Counter(c for _, kind, c in day.records if kind == "finished")
    assert {row["id"]: row["served"] for row in s["by_counter"]} == dict(finished)
    assert sum(row["served"] for row in s["by_counter"]) == s["served"]
    booked = len(SLOTS) * len(SLOT_SERVICES)
    assert (s["appointments"]["booked"], s["appointments"]["checked_in"]) == (booked, booked)
    return s

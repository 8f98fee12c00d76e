"""The appointments' rules in the domain core: booking codes, the slot grid, a slot's capacity,
the check-in window, and the call policy ``choose``, property by property and in simulated days
built from it.

The bound on a walk-in's wait (derived in ``test_walk_ins_are_never_starved``): with ``c``
counters serving the walk-in's service, visits of at most ``s`` minutes, ``k = walk_in_after``,
``L = walk_in_wait_limit`` and ``n`` walk-ins (of equal priority) already waiting when it arrived,
a walk-in is called within

    L + ceil((n + 1)(k + 1) / c) x s  minutes,

however many appointments are due; the first in line (n = 0) within
``s + max(L, (ceil((k + 1) / c) - 1) x s)``; with one counter ``L + (k + 1) x s`` at worst.
That holds while the streak counts the office's calls and every counter serves the same
services, or when each counter counts its own calls (bound ``L + ceil((n + 1) / c)(k + 1) x s``).
An office-wide streak with counters for different services starves walk-ins: see
``test_an_office_wide_streak_starves_a_walk_in_when_other_counters_call_walk_ins``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wartemarke.domain.appointments import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CODE_RE,
    Rules,
    capacity,
    check_in_window,
    choose,
    is_appointment,
    new_code,
    normalise_code,
    on_grid,
    slot_start,
)
from wartemarke.domain.model import Status, Ticket
from wartemarke.domain.policy import queue_order_key

T0 = datetime(2027, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 in Berlin
DAY = "2027-03-30"
BERLIN = ZoneInfo("Europe/Berlin")


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def walk_in(id: int, minute: float, priority: int = 0, service: int = 1) -> Ticket:
    q = at(minute)
    return Ticket(id, DAY, service, f"A{id:03d}", f"w{id}", Status.WAITING, q, q, priority)


def booked(id: int, due: float, checked_in: float | None = None, service: int = 1) -> Ticket:
    """A checked-in appointment's ticket, due at minute ``due`` (checked in 30 minutes early)."""
    q = at(due - 30 if checked_in is None else checked_in)
    return Ticket(
        id,
        DAY,
        service,
        f"T{id:03d}",
        f"t{id}",
        Status.WAITING,
        q,
        q,
        appointment_id=id,
        due_at=at(due),
    )


def ready_key(t: Ticket) -> tuple:
    return (t.due_at, t.queued_at, t.id)


# --- booking codes ----------------------------------------------------------------------------


def test_normalise_code_forgives_case_spaces_dashes_and_a_scanned_prefix():
    assert normalise_code("AB3D7K") == "AB3D7K"
    assert normalise_code("ab3 d-7k") == "AB3D7K"
    assert normalise_code("  ab3.d7k\n") == "AB3D7K"
    assert normalise_code("AB3_D7K") == "AB3D7K"
    assert normalise_code("WARTEMARKE:AB3D7K") == "AB3D7K"
    assert normalise_code("wartemarke: ab3-d7k") == "AB3D7K"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "AB3D7",  # too short
        "AB3D7KK",  # too long
        "AB0D7K",  # 0, O, 1, I and L are not in the alphabet (people mix them up)
        "ABOD7K",
        "AB1D7K",
        "ABID7K",
        "ABLD7K",
        "AB3D7K:",  # the code must follow the prefix
        "AB3D7Ä",
        "A" * 101,  # not even looked at
        "AB3D7K" + " " * 95,
    ],
)
def test_normalise_code_refuses_what_cannot_be_a_code(raw):
    assert normalise_code(raw) is None


@pytest.mark.parametrize("raw", [None, 123456, b"AB3D7K", ["AB3D7K"]])
def test_normalise_code_refuses_what_is_no_text(raw):
    assert normalise_code(raw) is None


codes = st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


@given(codes, st.lists(st.sampled_from([" ", "-", "_", ".", "/", "\t"]), max_size=CODE_LENGTH + 1))
def test_a_code_survives_noise_and_lower_case(code, noise):
    typed = "".join(c + (noise[i] if i < len(noise) else "") for i, c in enumerate(code.lower()))
    assert normalise_code(typed) == code
    assert normalise_code(f"{noise[0] if noise else ''}WARTEMARKE:{typed}") == code


@given(st.text(max_size=110))
def test_normalise_code_gives_a_valid_code_or_none(raw):
    result = normalise_code(raw)
    assert result is None or CODE_RE.match(result)
    if result is not None:
        assert normalise_code(result) == result  # idempotent


def test_new_codes_are_valid_and_differ():
    made = {new_code() for _ in range(200)}
    assert all(CODE_RE.match(c) for c in made)
    assert len(made) == 200


# --- the slot grid, capacity, the check-in window ----------------------------------------------


@pytest.mark.parametrize(
    "slot,opens,minutes,expected",
    [
        (time(9, 0), time(9, 0), 20, True),
        (time(9, 20), time(9, 0), 20, True),
        (time(9, 10), time(9, 0), 20, False),
        (time(8, 40), time(9, 0), 20, False),  # before opening, although "on the grid"
        (time(13, 0), time(13, 0), 15, True),  # the afternoon span has its own grid
        (time(13, 15), time(12, 30), 15, True),
        (time(13, 20), time(12, 30), 15, False),
        (time(10, 5), time(9, 30), 7, True),
        (time(23, 55), time(0, 0), 5, True),
    ],
)
def test_on_grid(slot, opens, minutes, expected):
    assert on_grid(slot, opens, minutes) is expected


@given(st.integers(0, 23 * 60 + 59), st.integers(0, 23 * 60 + 59), st.integers(5, 240))
def test_on_grid_means_whole_slots_after_opening(slot_min, opens_min, minutes):
    slot = time(slot_min // 60, slot_min % 60)
    opens = time(opens_min // 60, opens_min % 60)
    expected = slot_min >= opens_min and (slot_min - opens_min) % minutes == 0
    assert on_grid(slot, opens, minutes) is expected


def test_capacity_examples():
    assert capacity(Rules(), 3, 2) == capacity(Rules(counters=None), 3, 2)
    room = capacity(Rules(), 3, 2)
    assert (room.total, room.service) == (3, 2)  # default: every counter takes appointments
    room = capacity(Rules(counters=2), 3, 3)
    assert (room.total, room.service) == (2, 2)  # set aside: two at once, of any service
    room = capacity(Rules(counters=5), 3, 1)
    assert (room.total, room.service) == (3, 1)  # never more than there are counters
    room = capacity(Rules(counters=2), 0, 0)
    assert (room.total, room.service) == (0, 0)


@given(st.none() | st.integers(1, 100), st.integers(0, 30), st.integers(0, 30))
def test_capacity_properties(set_aside, total, for_service):
    for_service = min(for_service, total)
    room = capacity(Rules(counters=set_aside), total, for_service)
    assert 0 <= room.service <= room.total <= total
    assert room.service <= for_service
    assert room.total == (total if set_aside is None else min(set_aside, total))
    assert room.service == min(room.total, for_service)


def test_check_in_window():
    start = slot_start(DAY, "09:20", BERLIN)
    assert start == datetime(2027, 3, 30, 9, 20, tzinfo=BERLIN)
    opens, closes = check_in_window(Rules(early_minutes=60, grace_minutes=15), start)
    assert (opens, closes) == (start - timedelta(hours=1), start + timedelta(minutes=15))
    assert check_in_window(Rules(early_minutes=0, grace_minutes=0), start) == (start, start)


@pytest.mark.parametrize(
    "day,slot",
    [
        ("2027-03-28", "09:00"),  # clocks go forward at 02:00 that night
        ("2027-10-31", "09:00"),  # and back at 03:00
        ("2027-03-30", "09:00"),
    ],
)
def test_check_in_window_is_real_time_across_a_change_of_the_clocks(day, slot):
    rules = Rules(early_minutes=480, grace_minutes=240)
    start = slot_start(day, slot, BERLIN)
    opens, closes = check_in_window(rules, start)
    # Minutes that really pass, not what the clock on the wall shows.
    assert start.astimezone(UTC) - opens.astimezone(UTC) == timedelta(minutes=480)
    assert closes.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=240)


def test_is_appointment():
    assert is_appointment(booked(1, 20)) and not is_appointment(walk_in(2, 0))


# --- choose: properties of one call ------------------------------------------------------------


@dataclass
class Situation:
    due: list[Ticket]
    walk_ins: list[Ticket]
    now: datetime
    streak: int
    rules: Rules

    def choose(self) -> Ticket | None:
        return choose(self.due, self.walk_ins, self.now, self.streak, self.rules)

    @property
    def ready(self) -> list[Ticket]:
        return sorted((t for t in self.due if t.due_at <= self.now), key=ready_key)

    def overdue(self) -> list[Ticket]:
        limit = timedelta(minutes=self.rules.walk_in_wait_limit)
        return [t for t in self.walk_ins if self.now - t.queued_at >= limit]


@st.composite
def situations(draw) -> Situation:
    rules = Rules(
        walk_in_after=draw(st.integers(1, 4)), walk_in_wait_limit=draw(st.integers(0, 40))
    )
    now = draw(st.integers(0, 240))
    ids = iter(draw(st.permutations(range(1, 21))))
    walk_ins = [
        walk_in(next(ids), draw(st.integers(0, now)), draw(st.integers(0, 1)))
        for _ in range(draw(st.integers(0, 8)))
    ]
    due = []
    for _ in range(draw(st.integers(0, 8))):
        due_at = draw(st.integers(max(0, now - 60), now + 60))
        checked_in = draw(st.integers(max(0, due_at - 60), min(now, due_at + 15)))
        due.append(booked(next(ids), due_at, checked_in))
    # Seconds apart as well as exactly equal times (ties broken by the ticket id).
    now_at = at(now) + timedelta(seconds=draw(st.sampled_from([0, 0, 1, 59])))
    return Situation(due, walk_ins, now_at, draw(st.integers(0, 6)), rules)


@given(situations())
def test_a_due_appointment_goes_first_unless_the_streak_rule_applies(s):
    """(a) A due appointment is passed over by a walk-in only after ``walk_in_after``
    appointments in a row, and only for a walk-in who waited ``walk_in_wait_limit``."""
    chosen = s.choose()
    if not s.ready:
        return
    assert chosen is not None
    if chosen.due_at is None:
        assert s.streak >= s.rules.walk_in_after
        assert s.now - chosen.queued_at >= timedelta(minutes=s.rules.walk_in_wait_limit)
    else:
        assert chosen is s.ready[0]  # the earliest slot, then the earliest check-in
        # ... and the streak rule did not apply: nobody had waited long enough, or no streak.
        assert s.streak < s.rules.walk_in_after or not s.overdue()


@given(situations())
def test_an_appointment_is_never_called_before_its_time(s):
    """(b)"""
    chosen = s.choose()
    assert chosen is None or chosen.due_at is None or chosen.due_at <= s.now
    if chosen is None:  # nobody called although someone waits: only appointments not yet due
        assert not s.walk_ins and not s.ready


@given(situations())
def test_walk_ins_go_in_the_queue_order(s):
    """(d) The walk-in chosen is the first in ``policy.queue_order_key`` (priority, then the
    longest wait); after a streak, the first in that order of those who waited long enough."""
    chosen = s.choose()
    if chosen is None or chosen.due_at is not None:
        return
    if s.ready:  # only the streak rule lets a walk-in go before a due appointment
        assert chosen is min(s.overdue(), key=queue_order_key)
    else:
        assert chosen is min(s.walk_ins, key=queue_order_key)
    # Either way nobody of the same priority who has waited longer is passed over.
    assert not [
        t
        for t in s.walk_ins
        if t.priority == chosen.priority and queue_order_key(t) < queue_order_key(chosen)
    ]


@given(situations(), st.randoms(use_true_random=False))
def test_choose_is_deterministic_and_total(s, rnd):
    """(e) The same answer for the same tickets in any order, always one of those offered,
    and nothing only when nothing can be called."""
    chosen = s.choose()
    assert chosen is s.choose()
    for _ in range(3):
        due, walk_ins = s.due[:], s.walk_ins[:]
        rnd.shuffle(due)
        rnd.shuffle(walk_ins)
        assert choose(due, walk_ins, s.now, s.streak, s.rules) is chosen
    offered = [*s.due, *s.walk_ins]
    assert chosen is None or any(chosen is t for t in offered)
    assert (chosen is None) == (not s.walk_ins and not s.ready)


def test_choose_ignores_tickets_in_the_wrong_list():
    """An appointment's ticket among the walk-ins, or a walk-in among the due, is not called
    from there: each list holds only its kind."""
    now = at(60)
    stray_appointment, stray_walk_in = booked(1, 90), walk_in(2, 0)
    rules = Rules()
    assert choose([], [stray_appointment], now, 0, rules) is None
    assert choose([stray_walk_in], [], now, 0, rules) is None
    due_stray = booked(3, 30)
    assert choose([], [due_stray], now, 0, rules) is None


def test_choose_examples():
    rules = Rules(walk_in_after=2, walk_in_wait_limit=20)
    early, a, b = walk_in(1, 0), booked(2, 20), booked(3, 40)
    # 09:10: no appointment due yet: the walk-in.
    assert choose([a, b], [early], at(10), 0, rules) is early
    # 09:20: T002 is due and goes first, even before someone who waited 20 minutes ...
    assert choose([a, b], [early], at(20), 0, rules) is a
    assert choose([a, b], [early], at(20), 1, rules) is a
    # ... but not after two appointments in a row.
    assert choose([a, b], [early], at(20), 2, rules) is early
    # A streak helps only those who waited long enough.
    assert choose([a, b], [walk_in(4, 5)], at(20), 5, rules) is a
    # Due at the same time: the earlier check-in, then the lower id.
    c, d = booked(5, 20, checked_in=1), booked(6, 20, checked_in=0)
    assert choose([c, d], [], at(20), 0, rules) is d
    e, f = booked(8, 20, checked_in=0), booked(7, 20, checked_in=0)
    assert choose([e, f], [], at(20), 0, rules) is f
    # After the streak: the first in the queue's order among those who waited long enough,
    # even if a priority walk-in who came later is first in the queue itself.
    urgent = walk_in(9, 15, priority=1)
    assert choose([a], [urgent, early], at(20), 0, rules) is a
    assert choose([a], [urgent, early], at(20), 2, rules) is early
    assert choose([], [urgent, early], at(20), 2, rules) is urgent
    assert choose([], [], at(20), 9, rules) is None


# --- simulated days ------------------------------------------------------------------------


@dataclass
class Day:
    """Counters calling with ``choose`` minute by minute, as ``CounterOps.call_next`` does.

    ``scope``: how the streak is counted. "office": the office's last calls, as the store's
    ``appointment_streak`` does; "counter": the calling counter's own last calls.
    ``supply``: services whose due, checked-in appointments never run out (as many as there are
    counters at every moment)."""

    rules: Rules
    counters: list[frozenset[int]]
    durations: list[int]
    scope: str = "office"
    supply: frozenset[int] = frozenset()
    waiting: list[Ticket] = field(default_factory=list)
    calls: list[tuple[int, int, Ticket]] = field(default_factory=list)  # (minute, counter, t)
    called_at: dict[int, int] = field(default_factory=dict)  # ticket id -> minute
    ahead_at_arrival: dict[int, int] = field(default_factory=dict)  # walk-in id -> count
    _next_id: int = 100_000

    def streak(self, counter: int) -> int:
        mine = [t for _, c, t in self.calls if self.scope == "office" or c == counter]
        streak = 0
        for t in reversed(mine[-self.rules.walk_in_after :]):
            if t.due_at is None:
                break
            streak += 1
        return streak

    def arrive(self, ticket: Ticket) -> None:
        if ticket.due_at is None:
            self.ahead_at_arrival[ticket.id] = sum(
                1
                for t in self.waiting
                if t.due_at is None and queue_order_key(t) < queue_order_key(ticket)
            )
        self.waiting.append(ticket)

    def run(self, arrivals: list[Ticket], until: int, done=lambda day: False) -> Day:
        arrivals = sorted(arrivals, key=lambda t: (t.queued_at, t.id))
        free_at = [0] * len(self.counters)
        for minute in range(until + 1):
            now = at(minute)
            while arrivals and arrivals[0].queued_at <= now:
                self.arrive(arrivals.pop(0))
            for service in sorted(self.supply):
                ready = [
                    t
                    for t in self.waiting
                    if t.service_id == service and t.due_at is not None and t.due_at <= now
                ]
                for _ in range(len(self.counters) - len(ready)):
                    self._next_id += 1
                    self.arrive(booked(self._next_id, minute, checked_in=minute, service=service))
            for i, services in enumerate(self.counters):
                if free_at[i] > minute:
                    continue
                offered = [t for t in self.waiting if t.service_id in services]
                due = [t for t in offered if t.due_at is not None]
                walk_ins = [t for t in offered if t.due_at is None]
                ticket = choose(due, walk_ins, now, self.streak(i), self.rules)
                if ticket is None:
                    continue
                self.waiting.remove(ticket)
                self.calls.append((minute, i, ticket))
                self.called_at[ticket.id] = minute
                free_at[i] = minute + self.durations[len(self.calls) % len(self.durations)]
            if done(self):
                break
        return self

    def wait(self, t: Ticket) -> int:
        return self.called_at[t.id] - round((t.queued_at - T0).total_seconds() / 60)


def office_bound(rules: Rules, counters: int, ahead: int, longest: int) -> int:
    k, limit = rules.walk_in_after, rules.walk_in_wait_limit
    return limit + math.ceil((ahead + 1) * (k + 1) / counters) * longest


def counter_bound(rules: Rules, counters: int, ahead: int, longest: int) -> int:
    k, limit = rules.walk_in_after, rules.walk_in_wait_limit
    return limit + math.ceil((ahead + 1) / counters) * (k + 1) * longest


@given(
    counters=st.integers(1, 3),
    k=st.integers(1, 4),
    limit=st.integers(0, 45),
    scope=st.sampled_from(["office", "counter"]),
    arrivals=st.lists(st.integers(0, 90), min_size=1, max_size=10),
    durations=st.lists(st.integers(1, 20), min_size=1, max_size=12),
    later=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=6),
)
def test_walk_ins_are_never_starved(counters, k, limit, scope, arrivals, durations, later):
    """(c) A day where due appointments never run out: every walk-in is still called, within

        L + ceil((n + 1)(k + 1) / c) x s      (the streak counts the office's calls)
        L + ceil((n + 1) / c) x (k + 1) x s   (each counter counts its own calls)

    ``n``: walk-ins waiting when it came, ``s``: the longest visit, ``c`` counters. Why: after
    ``L`` minutes the walk-in and everybody ahead of it have waited long enough, so of any
    ``k + 1`` calls in a row (of the office, or of one counter) one calls the first of them (a
    walk-in behind it is never called first: while it waits, the streak rule takes the first
    who waited long enough, otherwise due appointments go first). It is called at the latest
    with the ``(n + 1)(k + 1)``-th call from then on, and each counter calls at least once
    every ``s`` minutes. The first in line (n = 0) waits less than
    ``s + max(L, (ceil((k + 1) / c) - 1) x s)``: before it waited ``L`` only appointments were
    called, so the streak is long enough by then or within ``k + 1`` calls."""
    rules = Rules(walk_in_after=k, walk_in_wait_limit=limit)
    longest = max(durations)
    arrivals = sorted(arrivals)  # ids in the order of arrival
    walkers = [walk_in(i + 1, m) for i, m in enumerate(arrivals)]
    # Appointments checked in for later (not yet due when the day starts), besides the supply.
    future = [booked(1000 + i, due + checked, checked) for i, (checked, due) in enumerate(later)]
    bound = office_bound if scope == "office" else counter_bound
    until = max(arrivals) + bound(rules, counters, len(arrivals), longest) + 1
    day = Day(rules, [frozenset({1})] * counters, durations, scope, supply=frozenset({1}))
    day.run([*walkers, *future], until, done=lambda d: all(w.id in d.called_at for w in walkers))

    for w in walkers:
        assert w.id in day.called_at, f"{w.number} was never called"
        ahead = day.ahead_at_arrival[w.id]
        assert day.wait(w) < bound(rules, counters, ahead, longest)
        if ahead == 0 and scope == "office":
            first_in_line = longest + max(limit, (math.ceil((k + 1) / counters) - 1) * longest)
            assert day.wait(w) < first_in_line
        if counters == 1:
            assert day.wait(w) < limit + (ahead + 1) * (k + 1) * longest
    # Walk-ins of equal priority go in the order they came; nobody is called twice.
    order = [t.id for _, _, t in day.calls if t.due_at is None]
    assert order == sorted(order) == [w.id for w in walkers][: len(order)]
    assert len({t.id for _, _, t in day.calls}) == len(day.calls)
    for minute, _, t in day.calls:  # (b) along the day as well
        assert t.due_at is None or t.due_at <= at(minute)


def test_the_bound_for_the_first_in_line_is_reached():
    """One counter, 15-minute visits, walk_in_after 2, limit 0: a walk-in arriving just after
    another walk-in was called waits for two appointments and the visit in progress, i.e.
    almost (k + 1) x s = 45 minutes: the bound cannot be much better."""
    rules = Rules(walk_in_after=2, walk_in_wait_limit=0)
    first, second = walk_in(1, 0), walk_in(2, 31)
    day = Day(rules, [frozenset({1})], [15], supply=frozenset({1}))
    day.run([first, second], 200, done=lambda d: second.id in d.called_at)
    assert day.called_at[first.id] == 30  # after two appointments (at 0 and 15)
    assert day.wait(second) == 44  # called at 75, after the appointments at 45 and 60
    assert day.wait(second) < office_bound(rules, 1, 0, 15) == 45


def test_default_rules_bound():
    """With the default rules (2 appointments, then who waited 20 minutes) and one counter with
    15-minute visits the first walk-in in line is called within 20 + 3 x 15 = 65 minutes."""
    rules = Rules()
    assert office_bound(rules, counters=1, ahead=0, longest=15) == 65
    worst = 0
    for arrival in range(0, 60):
        w = walk_in(1, arrival)
        day = Day(rules, [frozenset({1})], [15], supply=frozenset({1}))
        day.run([w], 400, done=lambda d, w=w: w.id in d.called_at)
        worst = max(worst, day.wait(w))
    assert 20 <= worst < 65


def test_an_office_wide_streak_starves_a_walk_in_when_other_counters_call_walk_ins():
    """The streak counts the office's last calls (``Tx.appointment_streak``). Counter 1 serves
    only service 1, whose appointments are always due; counter 2 serves service 2, with walk-ins
    all day. Each walk-in called at counter 2 ends the streak, so counter 1 never sees two
    appointments in a row and its walk-in waits all day. Counting each counter's own calls
    keeps the bound."""
    rules = Rules(walk_in_after=2, walk_in_wait_limit=20)
    starved = walk_in(1, 0, service=1)
    others = [walk_in(10 + i, i, service=2) for i in range(480)]
    counters = [frozenset({1}), frozenset({2})]

    office = Day(rules, counters, [10], "office", supply=frozenset({1}))
    office.run([starved, *others], 480)
    assert starved.id not in office.called_at  # 8 hours, and still waiting

    own = Day(rules, counters, [10], "counter", supply=frozenset({1}))
    own.run([starved, *others], 480, done=lambda d: starved.id in d.called_at)
    assert own.wait(starved) == 20 < counter_bound(rules, 1, 0, 10)


@given(
    k=st.integers(1, 3),
    limit=st.integers(0, 30),
    walkers=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 1)), min_size=1, max_size=8),
    appointments=st.lists(st.tuples(st.integers(0, 90), st.integers(0, 60)), max_size=10),
    durations=st.lists(st.integers(1, 15), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_a_day_calls_everyone_once_and_keeps_every_rule(
    k, limit, walkers, appointments, durations, seed
):
    """Without a steady supply, priorities mixed: every walk-in and appointment is called
    exactly once, and no appointment before its time."""
    rules = Rules(walk_in_after=k, walk_in_wait_limit=limit)
    ids = list(range(1, len(walkers) + len(appointments) + 1))
    random.Random(seed).shuffle(ids)  # ids are not the order of arrival
    tickets = [walk_in(ids.pop(), m, p) for m, p in walkers]
    tickets += [booked(ids.pop(), checked + early, checked) for checked, early in appointments]
    day = Day(rules, [frozenset({1}), frozenset({1})], durations)
    day.run([replace(t) for t in tickets], 2000, done=lambda d: len(d.calls) == len(tickets))
    assert sorted(t.id for _, _, t in day.calls) == sorted(t.id for t in tickets)
    for minute, _, t in day.calls:
        assert t.due_at is None or t.due_at <= at(minute)

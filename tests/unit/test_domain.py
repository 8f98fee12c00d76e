"""The domain core alone: state machine, call policy, wait estimates."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wartemarke.domain import estimate
from wartemarke.domain.model import Conflict, Counter, Service, Status, Ticket
from wartemarke.domain.policy import choose_next, position_of, waiting_in_order

T0 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def ticket(id: int, service: int = 1, minute: int = 0, priority: int = 0, status=Status.WAITING):
    at = T0 + timedelta(minutes=minute)
    return Ticket(id, "2026-03-30", service, f"A{id:03d}", f"tok{id}", status, at, at, priority)


def test_happy_path_and_timestamps():
    t = ticket(1)
    t.call(7, T0 + timedelta(minutes=5))
    t.start(T0 + timedelta(minutes=6))
    done = t.finish(T0 + timedelta(minutes=20))
    assert t.status is Status.DONE
    assert (done.from_status, done.to_status, done.counter_id) == ("serving", "done", 7)
    assert t.serving_at == T0 + timedelta(minutes=6)


def test_finish_right_after_call_counts_service_from_the_call():
    t = ticket(1)
    t.call(1, T0 + timedelta(minutes=1))
    t.finish(T0 + timedelta(minutes=11))
    assert t.serving_at == T0 + timedelta(minutes=1)


@pytest.mark.parametrize(
    "action,states",
    [
        ("call", {Status.WAITING}),
        ("recall", {Status.CALLED}),
        ("start", {Status.CALLED}),
        ("finish", {Status.CALLED, Status.SERVING}),
        ("no_show", {Status.CALLED}),
        ("cancel", {Status.WAITING}),
        ("requeue", {Status.CALLED, Status.SERVING}),
    ],
)
def test_transitions_only_from_allowed_states(action, states):
    for status in Status:
        t = ticket(1, status=status)
        args = (1, T0) if action == "call" else (T0,)
        if status in states:
            getattr(t, action)(*args)
        else:
            with pytest.raises(Conflict):
                getattr(t, action)(*args)
            assert t.status is status  # a refused transition changes nothing


def test_recall_counts_and_transfer_keeps_place():
    t = ticket(1, minute=3)
    t.call(2, T0 + timedelta(minutes=10))
    t.recall(T0 + timedelta(minutes=11))
    t.recall(T0 + timedelta(minutes=12))
    assert t.recalls == 2
    event = t.transfer(3, T0 + timedelta(minutes=13))
    assert t.status is Status.WAITING and t.service_id == 3 and t.original_service_id == 1
    assert t.queued_at == T0 + timedelta(minutes=3)
    assert event.data == {"from_service": 1, "to_service": 3}
    assert t.counter_id is None and t.recalls == 0


def test_final_states_are_final():
    for final in (Status.DONE, Status.NO_SHOW, Status.CANCELLED):
        t = ticket(1, status=final)
        for action in ("recall", "start", "finish", "no_show", "cancel", "requeue"):
            with pytest.raises(Conflict):
                getattr(t, action)(T0)
        with pytest.raises(Conflict):
            t.transfer(2, T0)


def test_longest_waiting_among_the_counters_services_goes_first():
    tickets = [ticket(1, 1, minute=5), ticket(2, 2, minute=1), ticket(3, 3, minute=0)]
    assert choose_next(tickets, [1, 2]).id == 2
    assert choose_next(tickets, [1]).id == 1
    assert choose_next(tickets, [4]) is None


def test_priority_goes_first():
    tickets = [ticket(1, minute=0), ticket(2, minute=9, priority=1), ticket(3, minute=1)]
    assert [t.id for t in waiting_in_order(tickets, [1])] == [2, 1, 3]
    assert position_of(tickets[0], tickets) == 1
    assert position_of(tickets[1], tickets) == 0


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(0, 300), st.integers(0, 1)),
        min_size=1,
        max_size=40,
    ),
    st.sets(st.integers(1, 3), min_size=1),
)
def test_policy_properties(specs, served):
    tickets = [ticket(i + 1, s, m, p) for i, (s, m, p) in enumerate(specs)]
    chosen = choose_next(tickets, served)
    candidates = [t for t in tickets if t.service_id in served]
    if not candidates:
        assert chosen is None
        return
    assert chosen.service_id in served
    # Nobody eligible has a higher priority, or the same priority and a longer wait.
    for t in candidates:
        assert (t.priority, -t.queued_at.timestamp()) <= (
            chosen.priority,
            -chosen.queued_at.timestamp(),
        )
    # Calling everyone in turn calls each ticket exactly once.
    order = []
    while (nxt := choose_next(tickets, served)) is not None:
        nxt.call(1, T0)
        order.append(nxt.id)
    assert sorted(order) == sorted(t.id for t in candidates)


def test_estimate_uses_expected_minutes_then_learns():
    service = Service(1, "Ausweis", "A", 15)
    assert estimate.average_service_minutes(service, []) == 15
    learned = estimate.average_service_minutes(service, [5] * 10)
    assert 5 < learned < 15
    assert estimate.estimated_wait_minutes(4, 15, 2) == 30
    assert estimate.estimated_wait_minutes(0, 15, 2) == 0


def test_estimate_counts_staffed_counters_and_breaks():
    service = Service(1, "Ausweis", "A", 15)
    c1, c2, c3 = Counter(1, "S1", [1]), Counter(2, "S2", [1]), Counter(3, "S3", [2])
    assert estimate.counters_for(service, [c1, c2, c3]) == 2  # nobody logged in yet
    c1.held_by = 5
    assert estimate.counters_for(service, [c1, c2, c3]) == 1
    c2.held_by = 6
    assert estimate.counters_for(service, [c1, c2, c3]) == 2
    c1.paused = c2.paused = True
    assert estimate.counters_for(service, [c1, c2, c3]) == 1  # all on a break: not infinite


def test_close_day_ends_every_open_ticket():
    at = T0 + timedelta(hours=8)
    waiting, called, serving = ticket(1), ticket(2), ticket(3)
    called.call(4, T0)
    serving.call(5, T0)
    serving.start(T0 + timedelta(minutes=1))
    w, c, s = (t.close_day(at, user_id=9) for t in (waiting, called, serving))
    assert (waiting.status, called.status, serving.status) == (
        Status.CANCELLED,
        Status.CANCELLED,
        Status.DONE,
    )
    assert (w.kind, w.from_status, w.data) == ("cancelled", "waiting", {"reason": "day_closed"})
    assert (c.kind, c.from_status, c.counter_id) == ("cancelled", "called", 4)
    assert (s.kind, s.to_status, s.data, s.user_id) == (
        "finished",
        "done",
        {"reason": "day_closed"},
        9,
    )
    assert serving.finished_at == at and serving.serving_at == T0 + timedelta(minutes=1)
    for final in (waiting, serving):
        with pytest.raises(Conflict):
            final.close_day(at)


# --- wait estimates with appointments ----------------------------------------------------------


def test_walk_in_wait_counts_the_appointments_that_come_first():
    # Two walk-ins ahead, 15 minutes each, one counter: 30 minutes without appointments.
    assert estimate.walk_in_wait_minutes(2, 15, 1) == 30
    assert estimate.walk_in_wait_minutes(2, 15, 1, [(31, 15)]) == 30  # starts after the turn
    assert estimate.walk_in_wait_minutes(2, 15, 1, [(30, 15)]) == 45  # starts at the turn
    # The window grows with the estimate: 10 → 45 minutes, then the one at 40 is inside too.
    assert estimate.walk_in_wait_minutes(2, 15, 1, [(10, 15), (40, 15)]) == 60
    assert estimate.walk_in_wait_minutes(2, 15, 1, [(10, 15), (40, 15), (61, 15)]) == 60
    # Due appointments go first even with nobody ahead; one not yet due does not.
    assert estimate.walk_in_wait_minutes(0, 15, 2, [(0, 20), (-5, 20)]) == 20
    assert estimate.walk_in_wait_minutes(0, 15, 2, [(5, 20)]) == 0
    # Shared over the counters, rounded up; the order given does not matter.
    assert estimate.walk_in_wait_minutes(3, 15, 2, [(50, 10), (20, 10)]) == 28  # 27.5
    assert estimate.walk_in_wait_minutes(1, 15, 0, [(0, 15)]) == 30  # no counter: as one


def fixed_point(ahead: int, average: float, counters: int, appointments) -> int:
    """The rule as written in the docstring, by plain iteration."""
    counters = max(1, counters)
    wait = ahead * average / counters
    while True:
        inside = sum(m for s, m in appointments if s <= wait)
        again = (ahead * average + inside) / counters
        if again == wait:
            return math.ceil(wait) if wait > 0 else 0
        wait = again


appointment_lists = st.lists(
    st.tuples(st.integers(-30, 300).map(float), st.sampled_from([5.0, 7.5, 10.0, 15.0, 20.0])),
    max_size=12,
)


@given(
    st.integers(0, 20),
    st.sampled_from([5.0, 10.0, 12.5, 15.0]),
    st.integers(0, 4),
    appointment_lists,
)
def test_walk_in_wait_is_the_least_fixed_point(ahead, average, counters, appointments):
    got = estimate.walk_in_wait_minutes(ahead, average, counters, appointments)
    assert got == fixed_point(ahead, average, counters, appointments)
    assert got == estimate.walk_in_wait_minutes(ahead, average, counters, appointments[::-1])
    plain = estimate.estimated_wait_minutes(ahead, average, counters)
    assert estimate.walk_in_wait_minutes(ahead, average, counters) == plain
    assert got >= plain
    # Counted ones only: never more than every appointment on top.
    total = ahead * average + sum(m for _, m in appointments)
    assert got <= math.ceil(total / max(1, counters))


@given(
    st.integers(0, 20),
    st.integers(1, 4),
    appointment_lists,
    st.tuples(st.integers(-30, 300).map(float), st.sampled_from([5.0, 15.0])),
)
def test_walk_in_wait_rises_with_bookings_and_falls_when_one_is_missed(
    ahead, counters, appointments, extra
):
    before = estimate.walk_in_wait_minutes(ahead, 15, counters, appointments)
    after = estimate.walk_in_wait_minutes(ahead, 15, counters, [*appointments, extra])
    assert after >= before  # one more booking never shortens the wait ...
    if extra[0] <= 0:
        assert after > before  # ... and a due one always lengthens it
    # A later slot never makes it longer.
    later = [(s + 30, m) for s, m in appointments]
    assert estimate.walk_in_wait_minutes(ahead, 15, counters, later) <= before


def test_appointment_share_follows_the_counters():
    c1, c2, c3 = Counter(1, "S1", [1, 2]), Counter(2, "S2", [2]), Counter(3, "S3", [3])
    counters = [c1, c2, c3]
    assert estimate.appointment_share(2, 2, counters) == 1
    assert estimate.appointment_share(2, 1, counters) == 0.5  # one of the two counters for 2
    assert estimate.appointment_share(1, 2, counters) == 1  # all counters for 1 also serve 2
    assert estimate.appointment_share(3, 1, counters) == 0
    assert estimate.appointment_share(4, 1, counters) == 0  # nobody serves 4
    c1.enabled = False
    assert estimate.appointment_share(2, 1, counters) == 0


def test_minutes_until_a_slot():
    assert estimate.minutes_until(T0 + timedelta(minutes=20), T0) == 20
    assert estimate.minutes_until(T0 + timedelta(minutes=19, seconds=1), T0) == 20
    assert estimate.minutes_until(T0, T0) == 0
    assert estimate.minutes_until(T0 - timedelta(minutes=5), T0) == 0

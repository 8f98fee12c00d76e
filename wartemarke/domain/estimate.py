"""Wait estimates per service.

estimate = people ahead x average service time / counters working on the service

* The average service time starts at the service's expected minutes and moves towards what the
  day has shown: the mean of the most recent finished services, weighted against the expected
  value as if it were ``PRIOR_WEIGHT`` observations. A single very long or very short visit
  therefore cannot swing the estimate.
* Counters working on the service are the staffed, unpaused counters that serve it. Before anyone
  has taken a counter (the morning queue) the enabled counters configured for it are assumed; when
  every staffed counter is on a break the estimate uses one counter, so the figure stays honest
  rather than infinite.
* Appointments take counter time from walk-ins (``walk_in_wait_minutes``): a due appointment is
  called before the walk-ins, so the booked visits whose slot starts before a walk-in would be
  served are added to the work ahead of it. An appointment ticket itself waits for its slot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .model import Counter, Service

PRIOR_WEIGHT = 3
RECENT = 10


def average_service_minutes(service: Service, recent_minutes: Sequence[float]) -> float:
    recent = list(recent_minutes)[-RECENT:]
    total = service.expected_minutes * PRIOR_WEIGHT + sum(recent)
    return total / (PRIOR_WEIGHT + len(recent))


def counters_for(service: Service, counters: Sequence[Counter]) -> int:
    serving = [c for c in counters if c.enabled and service.id in c.service_ids]
    staffed = [c for c in serving if c.staffed]
    if staffed:
        return len(staffed)
    if any(c.held_by is not None for c in serving):
        return 1  # everyone on a break
    return max(1, len(serving))


def estimated_wait_minutes(people_ahead: int, average_minutes: float, counters: int) -> int:
    if people_ahead <= 0:
        return 0
    return math.ceil(people_ahead * average_minutes / max(1, counters))


def walk_in_wait_minutes(
    walk_ins_ahead: int,
    average_minutes: float,
    counters: int,
    appointments: Iterable[tuple[float, float]] = (),
) -> int:
    """A walk-in's wait when appointments are still to come.

    ``appointments``: ``(starts_in, minutes)`` for each appointment still to come that the
    counters of this service may serve: minutes until its slot starts (0 or less: due now) and
    the counter minutes it takes (its service's average visit, times the share of its counters
    that also serve this service; see ``appointment_share``). Booked or checked in and not yet
    called; those already missed, cancelled or late (their visitor holds a walk-in ticket)
    are left out by the caller.

    The rule: ``W = (walk_ins_ahead x average + sum of the minutes of the appointments that
    start no later than W) / counters``, the least such ``W``, rounded up to whole minutes. An
    appointment that starts no later than the walk-in's turn is called first (due appointments
    go before walk-ins), so it adds its minutes, and the turn moves later, which may take in
    the next appointment: the window grows with the estimate until no further slot starts
    inside it (each appointment in order of its start, once). Appointments that start later do
    not delay this walk-in. Not modelled: the streak rule (after ``walk_in_after``
    appointments a walk-in who waited long enough goes first), so with the counters booked
    solid the figure errs on the long side. Without appointments: ``estimated_wait_minutes``.
    """
    counters = max(1, counters)
    work = max(0, walk_ins_ahead) * average_minutes
    for starts_in, minutes in sorted(appointments):
        if starts_in > work / counters:
            break  # this one and every later one start after the walk-in's turn
        work += minutes
    return math.ceil(work / counters) if work > 0 else 0


def appointment_share(
    appointment_service: int, walk_in_service: int, counters: Sequence[Counter]
) -> float:
    """How much of an appointment of ``appointment_service`` falls on the counters of
    ``walk_in_service``: the share of the enabled counters serving the former that also serve
    the latter (1 for the same service; 0 when no counter serves it at all)."""
    if appointment_service == walk_in_service:
        return 1.0
    serving = [c for c in counters if c.enabled and appointment_service in c.service_ids]
    if not serving:
        return 0.0
    return sum(1 for c in serving if walk_in_service in c.service_ids) / len(serving)


def minutes_until(moment, now) -> int:
    """An appointment ticket's wait: whole minutes until its slot starts (0 once it is due)."""
    return max(0, math.ceil((moment - now).total_seconds() / 60))

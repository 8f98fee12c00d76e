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
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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

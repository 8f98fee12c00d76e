"""The statistics of a range of days, computed from the event log: plain Python, no database.

``compute()`` takes the rows ``wartemarke.store.reports`` reads (ticket events in the order they
happened, recorded cases, visitors' answers) and returns one JSON-ready dict, used by
``GET /api/stats`` and the evaluation report (``wartemarke report``). ``collect()`` does both
steps for a store.

How each figure comes about (the report's "Methode" section says the same in German):

* Every ticket's history is replayed from its events. ``issued`` counts "issued" events (tickets
  served without a ticket included; ``without_ticket`` counts those alone), ``served`` the
  "finished" ones, ``no_show`` and ``cancelled`` theirs. ``waiting_left``: tickets whose last
  event leaves them waiting, called or being served — at the end of a past day they were left
  unserved; for today it is the queue at the moment of the query.
* ``wait_min``: from issuing to the *first* call, per ticket that was called (a ticket that left
  before its call has no wait; tickets served without a ticket never waited and are left out).
  ``service_min``: from the start of the service (the "serving" event, else the call that
  preceded the finish) to the finish, per served ticket. After a transfer or a return to the
  queue the last call counts, as the visit starts again.
* Summaries are ``{"mean","median","p90","n"}`` in minutes, rounded half-up to 1 decimal, null
  without data. Median and 90th percentile use linear interpolation between the closest ranks
  (Hyndman & Fan type 7: the default of numpy and of Excel's QUANTIL.INKL / PERCENTILE.INC).
* ``persons`` = served tickets; ``cases`` = the sum of the cases recorded for the served tickets,
  where a served ticket without recorded cases counts one case of the service it finished in.
* ``peak_queue``: the most tickets waiting at the same time, replaying the events in order per
  day: an event into "waiting" adds one (issued, transferred or returned from a counter), an event
  out of "waiting" takes one away (called, cancelled); a transfer while waiting changes nothing.
* ``turned_away``: "refused" events, written when a ticket was refused because the service was
  ``full`` or the office ``outside_hours``; ``refused`` also lists refusals of services closed by
  staff. ``left_unserved_share`` = (no_show + cancelled + waiting_left) / issued.
* Per service: ``issued`` and ``wait_min`` by the service the ticket was issued for; ``served``,
  ``service_min`` and ``waiting_left`` by the service it ended in; ``cases`` by the case's
  service. Per hour (local time of the venue): tickets issued, calls made, visits finished, and
  the mean wait of the tickets issued in that hour.
* ``satisfaction`` counts ratings 1–5 of the visitors who answered; ``districts`` counts served
  visitors by their Stadtbezirk ("1".."10", a quarter counts for its Bezirk, "outside" Düsseldorf,
  "unknown" without an answer).
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from .districts import OUTSIDE, STADTBEZIRKE, bezirk_of

MAX_DAYS = 400
TURNED_AWAY = ("full", "outside_hours")
PERCENTILE_METHOD = "linear interpolation between closest ranks (Hyndman & Fan type 7)"
UNKNOWN = "unknown"


def round_half_up(value: float | None, digits: int = 1) -> float | None:
    """Commercial rounding (2.25 → 2.3), not Python's round-half-even on binary floats."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def quantile(values: list[float], p: float) -> float | None:
    """The ``p``-quantile (0..1) of ``values`` by linear interpolation (type 7)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values: list[float]) -> dict:
    """``{"mean","median","p90","n"}`` of durations in minutes, 1 decimal, nulls without data."""
    if not values:
        return {"mean": None, "median": None, "p90": None, "n": 0}
    return {
        "mean": round_half_up(sum(values) / len(values)),
        "median": round_half_up(quantile(values, 0.5)),
        "p90": round_half_up(quantile(values, 0.9)),
        "n": len(values),
    }


def parse_range(first: str | None, last: str | None, today: str) -> tuple[str, str]:
    """Validate a ``from``/``to`` pair of local days (each defaults to ``today``)."""
    for given in (first, last):
        if given is not None and len(given) != 10:
            raise ValueError("'from' and 'to' must be dates as YYYY-MM-DD.")
    try:
        a = date.fromisoformat(first or today)
        b = date.fromisoformat(last or today)
    except (TypeError, ValueError):
        raise ValueError("'from' and 'to' must be dates as YYYY-MM-DD.") from None
    if a > b:
        raise ValueError("'from' must not be after 'to'.")
    if (b - a).days + 1 > MAX_DAYS:
        raise ValueError(f"The range may span at most {MAX_DAYS} days.")
    return a.isoformat(), b.isoformat()


def bezirk_key(district: str | None) -> str:
    """ "1".."10", "outside" or "unknown" for a stored answer (a quarter → its Bezirk)."""
    if not district:
        return UNKNOWN
    if district == OUTSIDE:
        return OUTSIDE
    bezirk = bezirk_of(district)
    return str(bezirk) if bezirk in STADTBEZIRKE else UNKNOWN


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


@dataclass
class Visit:
    """One ticket's history, replayed from its events."""

    ticket_id: int
    day: str
    issued_at: datetime | None = None
    issue_service: int | None = None
    service: int | None = None
    without_ticket: bool = False
    status: str | None = None
    first_call: datetime | None = None
    call: datetime | None = None  # the call of the current visit to a counter
    start: datetime | None = None  # its "serving" event
    finished: datetime | None = None
    counter: int | None = None
    service_min: float | None = None

    @property
    def wait_min(self) -> float | None:
        if self.without_ticket or self.issued_at is None or self.first_call is None:
            return None
        return _minutes(self.issued_at, self.first_call)


@dataclass
class _Day:
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    waiting_left: int = 0
    turned_away: int = 0
    waiting: int = 0
    peak_queue: int = 0
    waits: list[float] = field(default_factory=list)


def replay(events: Iterable[dict]) -> tuple[dict[int, Visit], dict[str, _Day]]:
    """Tickets' histories and the per-day queue from events in the order they happened."""
    visits: dict[int, Visit] = {}
    days: dict[str, _Day] = {}
    for ev in events:
        kind, at, day = ev["kind"], ev["at"], ev["day"]
        d = days.setdefault(day, _Day())
        if kind == "refused":
            if (ev.get("data") or {}).get("availability") in TURNED_AWAY:
                d.turned_away += 1
            continue
        tid = ev.get("ticket_id")
        if tid is None:
            continue
        v = visits.get(tid)
        if v is None:
            v = visits[tid] = Visit(tid, day, service=ev.get("service_id"))
        if kind == "issued":
            v.issued_at, v.issue_service = at, ev.get("service_id")
            v.without_ticket = bool((ev.get("data") or {}).get("without_ticket"))
            d.issued += 1
        elif kind == "called":
            v.first_call = v.first_call or at
            v.call, v.start = at, None
            v.counter = ev.get("counter_id")
        elif kind == "serving":
            v.start = at
            v.counter = ev.get("counter_id") or v.counter
        elif kind == "finished":
            begin = v.start or v.call
            v.finished = at
            v.counter = ev.get("counter_id") or v.counter
            v.service_min = None if begin is None else _minutes(begin, at)
            d.served += 1
        elif kind == "no_show":
            d.no_show += 1
        elif kind == "cancelled":
            d.cancelled += 1
        elif kind in ("transferred", "requeued"):
            v.call = v.start = None
        if ev.get("service_id") is not None:
            v.service = ev["service_id"]
        if ev.get("to_status") is not None:
            v.status = ev["to_status"]
        if not v.without_ticket:
            # The queue: into "waiting" adds one, out of it takes one away.
            d.waiting += (ev.get("to_status") == "waiting") - (ev.get("from_status") == "waiting")
            d.peak_queue = max(d.peak_queue, d.waiting)
    return visits, days


OPEN_STATUSES = ("waiting", "called", "serving")


def compute(
    first: str,
    last: str,
    events: Iterable[dict],
    cases: Iterable[dict] = (),
    feedback: Iterable[dict] = (),
    services: dict[int, str] | None = None,
    counters: dict[int, str] | None = None,
    tz: tzinfo = UTC,
) -> dict:
    """All figures of the days ``first``..``last`` (see the module's docstring for the method).

    ``events`` are dicts with ``at`` (aware datetime), ``day``, ``kind``, ``ticket_id``,
    ``from_status``, ``to_status``, ``service_id``, ``counter_id``, ``data``, in log order.
    """
    events = list(events)
    visits, days = replay(events)
    services = dict(services or {})
    counters = dict(counters or {})

    served = [v for v in visits.values() if v.finished is not None]
    waits = [w for v in visits.values() if (w := v.wait_min) is not None]
    service_mins = [v.service_min for v in served if v.service_min is not None]
    open_left = [v for v in visits.values() if v.status in OPEN_STATUSES]

    # Cases: recorded ones for served tickets, else one of the service the visit ended in.
    recorded: dict[int, dict[int, int]] = {}
    for row in cases:
        recorded.setdefault(row["ticket_id"], {})
        recorded[row["ticket_id"]][row["service_id"]] = (
            recorded[row["ticket_id"]].get(row["service_id"], 0) + row["count"]
        )
    case_tally: Tally = Tally()
    for v in served:
        for sid, n in (recorded.get(v.ticket_id) or {v.service: 1}).items():
            case_tally[sid] += n

    # Per service.
    refused: Tally = Tally()
    per_service: dict[int, dict] = {}

    def service_row(sid: int) -> dict:
        if sid not in per_service:
            per_service[sid] = {
                "id": sid,
                "name": services.get(sid, str(sid)),
                "issued": 0,
                "served": 0,
                "no_show": 0,
                "cancelled": 0,
                "waiting_left": 0,
                "turned_away": 0,
                "cases": 0,
                "_waits": [],
                "_service": [],
            }
        return per_service[sid]

    for sid in services:
        service_row(sid)
    for ev in events:
        sid = ev.get("service_id")
        if sid is None:
            continue
        if ev["kind"] == "refused":
            reason = (ev.get("data") or {}).get("availability", "unknown")
            refused[reason] += 1
            if reason in TURNED_AWAY:
                service_row(sid)["turned_away"] += 1
        elif ev["kind"] in ("no_show", "cancelled"):
            service_row(sid)[ev["kind"]] += 1
    for v in visits.values():
        if v.issued_at is not None and v.issue_service is not None:
            row = service_row(v.issue_service)
            row["issued"] += 1
            if v.wait_min is not None:
                row["_waits"].append(v.wait_min)
        if v.finished is not None and v.service is not None:
            row = service_row(v.service)
            row["served"] += 1
            if v.service_min is not None:
                row["_service"].append(v.service_min)
        if v.status in OPEN_STATUSES and v.service is not None:
            service_row(v.service)["waiting_left"] += 1
    for sid, n in case_tally.items():
        service_row(sid)["cases"] += n
    by_service = []
    for sid in sorted(per_service):
        row = per_service[sid]
        row["wait_min"] = summary(row.pop("_waits"))
        row["service_min"] = summary(row.pop("_service"))
        by_service.append(row)

    # Per counter.
    per_counter: dict[int, list[float]] = {}
    served_at: Tally = Tally()
    for v in served:
        if v.counter is None:
            continue
        served_at[v.counter] += 1
        if v.service_min is not None:
            per_counter.setdefault(v.counter, []).append(v.service_min)
    by_counter = [
        {
            "id": cid,
            "name": counters.get(cid, str(cid)),
            "served": served_at[cid],
            "service_min": summary(per_counter.get(cid, [])),
        }
        for cid in sorted(served_at)
    ]

    # Per hour of the day, in the venue's time zone.
    hours = [{"hour": h, "issued": 0, "called": 0, "served": 0, "_waits": []} for h in range(24)]
    per_hour = {"issued": "issued", "called": "called", "finished": "served"}
    for ev in events:
        if ev["kind"] in per_hour:
            hours[ev["at"].astimezone(tz).hour][per_hour[ev["kind"]]] += 1
    for v in visits.values():
        if v.wait_min is not None:
            hours[v.issued_at.astimezone(tz).hour]["_waits"].append(v.wait_min)
    for h in hours:
        w = h.pop("_waits")
        h["wait_mean"] = round_half_up(sum(w) / len(w)) if w else None

    # Per day with any activity.
    for v in open_left:
        days.setdefault(v.day, _Day()).waiting_left += 1
    for v in visits.values():
        if v.wait_min is not None:
            days.setdefault(v.day, _Day()).waits.append(v.wait_min)
    by_day = [
        {
            "day": day,
            "issued": d.issued,
            "served": d.served,
            "no_show": d.no_show,
            "cancelled": d.cancelled,
            "waiting_left": d.waiting_left,
            "turned_away": d.turned_away,
            "peak_queue": d.peak_queue,
            "wait_min": summary(d.waits),
        }
        for day, d in sorted(days.items())
    ]

    # The visitors' answers.
    ratings = Tally()
    district_of_ticket: dict[int, str] = {}
    for row in feedback:
        if row.get("rating") in range(1, 6):
            ratings[row["rating"]] += 1
        if row.get("district"):
            district_of_ticket[row["ticket_id"]] = row["district"]
    answers = sum(ratings.values())
    districts = {str(b): 0 for b in STADTBEZIRKE} | {OUTSIDE: 0, UNKNOWN: 0}
    for v in served:
        districts[bezirk_key(district_of_ticket.get(v.ticket_id))] += 1

    issued = sum(d.issued for d in days.values())
    no_show = sum(d.no_show for d in days.values())
    cancelled = sum(d.cancelled for d in days.values())
    unserved = no_show + cancelled + len(open_left)
    return {
        "from": first,
        "to": last,
        "days": [row["day"] for row in by_day],
        "issued": issued,
        "served": len(served),
        "no_show": no_show,
        "cancelled": cancelled,
        "without_ticket": sum(1 for v in visits.values() if v.without_ticket and v.issued_at),
        "waiting_left": len(open_left),
        "turned_away": sum(d.turned_away for d in days.values()),
        "refused": dict(sorted(refused.items())),
        "left_unserved_share": round_half_up(unserved / issued, 3) if issued else None,
        "persons": len(served),
        "cases": sum(case_tally.values()),
        "wait_min": summary(waits),
        "service_min": summary(service_mins),
        "peak_queue": max((d.peak_queue for d in days.values()), default=0),
        "by_service": by_service,
        "by_counter": by_counter,
        "by_hour": hours,
        "by_day": by_day,
        "satisfaction": {
            "answers": answers,
            "mean": (
                round_half_up(sum(r * n for r, n in ratings.items()) / answers, 2)
                if answers
                else None
            ),
            "counts": {str(r): ratings[r] for r in range(1, 6)},
        },
        "districts": districts,
        "method": {"percentile": PERCENTILE_METHOD, "rounding": "half up, minutes to 1 decimal"},
    }


def collect(store, first: str, last: str, tz: tzinfo = UTC) -> dict:
    """Read the days ``first``..``last`` from ``store`` in one snapshot and compute."""
    from .store import reports

    with store.read() as tx:
        events = reports.events(tx, first, last)
        cases = reports.cases(tx, first, last)
        answers = reports.feedback(tx, first, last)
        services, counters = reports.names(tx)
    return compute(first, last, events, cases, answers, services, counters, tz)

"""The statistics of a range of days, computed from the event log: plain Python, no database.

The computation has two steps, and every figure goes through both:

1. ``reduce_day()`` reduces the raw rows of ONE day and ONE pop-up event (its ticket events in
   log order, the cases recorded, the visitors' answers) to a **day aggregate**: an anonymous,
   JSON-serialisable dict of counts (per service, counter, local hour, outcome, refusal
   reason, rating, home district), the day's peak queue, and the durations as histograms of
   whole seconds ``{"seconds": count}`` (overall, per service, per counter, per hour). It holds
   no ticket ids and no timestamps of single tickets. ``reduce_days()`` splits rows of any
   range into such aggregates.
2. ``merge()`` combines any list of aggregates into the final figures (one JSON-ready dict):
   counts add up, histograms add up, and mean, median and 90th percentile come from the merged
   histograms.

Data retention (``wartemarke.retention``) stores the aggregates of old days in the table
``day_aggregates`` and deletes their raw rows. ``collect()`` merges the stored aggregates of a
range with the aggregates of its days still raw, so a figure is the same whether its days are
raw or archived. ``compute()`` is both steps over rows given by hand (the tests use it).

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
* **Durations are rounded to whole seconds** (half up) before anything else, so that a day
  aggregate can keep them as a histogram. Summaries are ``{"mean","median","p90","n"}`` in
  minutes, rounded half-up to 1 decimal, null without data. The mean is the sum of the seconds
  divided by their number. Median and 90th percentile use linear interpolation between the
  closest ranks (Hyndman & Fan type 7: the default of numpy and of Excel's QUANTIL.INKL /
  PERCENTILE.INC), read off the histogram: exactly the type-7 quantile of the whole seconds.
* ``persons`` = served tickets; ``cases`` = the sum of the cases recorded for the served tickets,
  where a served ticket without recorded cases counts one case of the service it finished in.
* ``peak_queue``: the most tickets waiting at the same time, replaying the events in order per
  day: an event into "waiting" adds one (issued, transferred or returned from a counter), an event
  out of "waiting" takes one away (called, cancelled); a transfer while waiting changes nothing.
  Each aggregate keeps the peak of the whole day (``day_peak_queue``, all pop-ups) and that of
  its own pop-up's tickets (``peak_queue``): ``by_day`` and the top level use the first, a
  range restricted to one pop-up event and ``by_event`` the second.
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
* **Pop-up events** (``by_event``, and the ``event`` filter): a ticket — with all its events,
  cases and answers — belongs to the pop-up of the ticket (``tickets.popup_id``, set at issue
  from the setting ``current_popup``); a refusal, which has no ticket, to the pop-up current
  when it was logged (``events.popup_id``). Each ``by_event`` row carries the pop-up's venue
  (name, place, address, its own ``district`` and that district's ``bezirk``), its configured
  ``first_day``/``last_day``, the ``days`` with data, and the figures of a ``by_day`` row plus
  ``service_min``, ``persons``, ``cases`` and ``districts`` (the visitors' home Stadtbezirke).
  Rows without a pop-up (imported from an installation that had none) have ``id`` null.
* **Appointments** (``appointments``; the rules are ``domain/appointments.py``) come from the
  appointments' own events (``APPOINTMENT_KINDS``) and the tickets' "issued" events, which
  name the appointment and its slot start (``data.appointment``, ``data.due_at``). Like every
  other event they count on the day they were logged, for the pop-up current then (a
  check-in: its ticket's): ``booked`` and ``cancelled`` are the bookings and cancellations
  *made* on the range's days (usually days before the appointment), ``no_show`` the
  appointments marked missed (at slot + grace when the list or a check-in looks, at the latest
  when the day is closed). ``checked_in``: check-ins in time, which got an appointment ticket;
  ``late``: check-ins after slot + grace, which got a walk-in ticket; ``early`` (before the slot
  start) + ``on_time`` (from the slot start up to slot + grace) = ``checked_in``. ``due`` =
  checked_in + late + no_show, the appointments whose slot came (not cancelled), and
  ``no_show_share`` = no_show / due. ``served``: checked-in appointments (late ones too) whose
  ticket was served. ``punctuality_min``: check-in minus slot start, of every check-in (late
  ones too), negative = early; signed whole seconds rounded half away from zero
  (``signed_seconds``); the summaries of negative minutes are rounded half away from zero too.
  ``wait_after_slot_min``: from the slot start, or the check-in if later, to the first call,
  per appointment ticket called. ``with_appointment``: the appointment tickets (issued, served,
  ``wait_min`` as above: from the check-in, so an early check-in's wait includes the time
  before its slot); ``walk_ins``: all other tickets, late arrivals and those served without a
  ticket included, so the two add up to ``issued``, ``served`` and ``wait_min``; days archived
  before appointments existed count wholly as walk-ins. ``walk_ins_turned_away`` =
  ``turned_away``: "refused" events are written for walk-in tickets only (a check-in logs none).
  ``by_service``: the same per service: the appointments' counts by the service booked,
  ``walk_ins`` and ``with_appointment`` as ``by_service`` (issued and wait by the service issued
  for, served by the one it ended in).
"""

from __future__ import annotations

import math
import re
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .districts import OUTSIDE, STADTBEZIRKE, bezirk_of
from .domain.appointments import LATE, parse_slot

MAX_DAYS = 400
TURNED_AWAY = ("full", "outside_hours")
# The appointments' own events (``operations/appointments.py``, the end of the day): the kind
# and what it counts. A check-in's ``data.status`` tells in time ("checked_in") from "late".
APPOINTMENT_KINDS = {
    "appointment_booked": "booked",
    "appointment_cancelled": "cancelled",
    "appointment_no_show": "no_show",
    "appointment_checked_in": "checked_in",
}
APPOINTMENT_COUNTS = ("booked", "cancelled", "checked_in", "late", "no_show", "served")
PERCENTILE_METHOD = "linear interpolation between closest ranks (Hyndman & Fan type 7)"
UNKNOWN = "unknown"
AGGREGATE_VERSION = 1
MEDIAN, P90 = Fraction(1, 2), Fraction(9, 10)
# An event filter: a pop-up's id, or its key (see config.EVENT_KEY_RE).
EVENT_REF_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def round_half_up(value: float | Fraction | None, digits: int = 1) -> float | None:
    """Commercial rounding (2.25 → 2.3), not Python's round-half-even on binary floats.

    Exact for a ``Fraction`` (the figures computed from whole seconds and counts are, so that
    1473/60 = 24.55 min becomes 24.6, which float arithmetic may miss); a float is taken as
    the decimal it prints as."""
    if value is None:
        return None
    if isinstance(value, float):
        quantum = Decimal(1).scaleb(-digits)
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    scaled = Fraction(value) * 10**digits
    rounded = math.floor(abs(scaled) + Fraction(1, 2)) * (1 if scaled >= 0 else -1)
    return float(Fraction(rounded, 10**digits))


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


# --- histograms of whole seconds ----------------------------------------------------------


def whole_seconds(a: datetime, b: datetime) -> int:
    """The duration from ``a`` to ``b`` in whole seconds, rounded half up."""
    return math.floor((b - a).total_seconds() + 0.5)


def signed_seconds(a: datetime, b: datetime) -> int:
    """The signed duration from ``a`` to ``b`` in whole seconds, exactly (microseconds as
    integers), rounded half away from zero: 90.5 s early is -91, as 90.5 s late is 91. For
    ``b >= a`` the same as ``whole_seconds``. For arrivals before a slot (punctuality)."""
    micro = (b - a) // timedelta(microseconds=1)
    whole = (abs(micro) + 500_000) // 1_000_000
    return whole if micro >= 0 else -whole


def hist_add(hist: dict[str, int], seconds: int) -> None:
    key = str(seconds)
    hist[key] = hist.get(key, 0) + 1


def hist_n(hist: dict[str, int]) -> int:
    return sum(hist.values())


def hist_minus(hist: dict[str, int], part: dict[str, int]) -> dict[str, int]:
    """The histogram ``hist`` without the entries of ``part`` (a part of it)."""
    out = {k: c - part.get(k, 0) for k, c in hist.items()}
    if any(c < 0 for c in out.values()) or any(c for k, c in part.items() if k not in hist):
        raise ValueError("not a part of the histogram")
    return {k: c for k, c in out.items() if c}


def hist_quantile(hist: dict[str, int], p: Fraction) -> Fraction | None:
    """The type-7 ``p``-quantile of the seconds a histogram holds, exactly: the value
    ``quantile()`` gives for the list of those seconds."""
    n = hist_n(hist)
    if n == 0:
        return None
    pos = (n - 1) * Fraction(p)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    at_lo = at_hi = None
    seen = 0
    for seconds, count in sorted((int(k), c) for k, c in hist.items() if c):
        if at_lo is None and lo < seen + count:
            at_lo = seconds
        if hi < seen + count:
            at_hi = seconds
            break
        seen += count
    return at_lo + (at_hi - at_lo) * (pos - lo)


def hist_mean_minutes(hist: dict[str, int]) -> Fraction | None:
    n = hist_n(hist)
    if n == 0:
        return None
    return Fraction(sum(int(k) * c for k, c in hist.items()), 60 * n)


def hist_summary(hist: dict[str, int]) -> dict:
    """``{"mean","median","p90","n"}`` in minutes (1 decimal) of a histogram of seconds."""
    n = hist_n(hist)
    if n == 0:
        return {"mean": None, "median": None, "p90": None, "n": 0}
    return {
        "mean": round_half_up(hist_mean_minutes(hist)),
        "median": round_half_up(hist_quantile(hist, MEDIAN) / 60),
        "p90": round_half_up(hist_quantile(hist, P90) / 60),
        "n": n,
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


def parse_event_ref(value) -> int | str:
    """An ``event`` filter as given (a pop-up's id or key): an int id, or the key; raises
    ``ValueError`` for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 2**31:
            raise ValueError("'event' must be a pop-up event's id or key.")
        return value
    if not isinstance(value, str) or not EVENT_REF_RE.match(value):
        raise ValueError("'event' must be a pop-up event's id or key (1 to 64 letters, "
                         "digits or . _ : -).")  # fmt: skip
    return value


def bezirk_key(district: str | None) -> str:
    """ "1".."10", "outside" or "unknown" for a stored answer (a quarter → its Bezirk)."""
    if not district:
        return UNKNOWN
    if district == OUTSIDE:
        return OUTSIDE
    bezirk = bezirk_of(district)
    return str(bezirk) if bezirk in STADTBEZIRKE else UNKNOWN


def _no_districts() -> dict[str, int]:
    return {str(b): 0 for b in STADTBEZIRKE} | {OUTSIDE: 0, UNKNOWN: 0}


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
    service_s: int | None = None  # whole seconds
    # An appointment's ticket (its "issued" event names the appointment), due at ``due_at``,
    # the slot's start.
    appointment: bool = False
    due_at: datetime | None = None

    @property
    def wait_s(self) -> int | None:
        if self.without_ticket or self.issued_at is None or self.first_call is None:
            return None
        return whole_seconds(self.issued_at, self.first_call)

    @property
    def wait_after_slot_s(self) -> int | None:
        """An appointment ticket's wait from its slot's start, or from the check-in if that
        was later, to the first call (signed: a clerk may call it before its slot by number)."""
        if not self.appointment or self.due_at is None or self.first_call is None:
            return None
        begin = self.due_at if self.issued_at is None else max(self.due_at, self.issued_at)
        return signed_seconds(begin, self.first_call)


def parse_time(value) -> datetime | None:
    """An ISO 8601 time with zone from an event's data (``"2026-03-30T07:20:00Z"``), or None."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def appointment_start(day, slot, tz: tzinfo) -> datetime | None:
    """The moment a slot (``"HH:MM"`` of the venue's local ``day``) starts, or None."""
    start = parse_slot(slot) if isinstance(slot, str) else None
    if start is None or not isinstance(day, str):
        return None
    try:
        return datetime.combine(date.fromisoformat(day), start, tz)
    except ValueError:
        return None


@dataclass
class _Day:
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    turned_away: int = 0
    waiting: int = 0
    peak_queue: int = 0


def replay(events: Iterable[dict]) -> tuple[dict[int, Visit], dict[str, _Day]]:
    """Tickets' histories and the per-day queue from events in the order they happened."""
    visits: dict[int, Visit] = {}
    days: dict[str, _Day] = {}
    for ev in events:
        kind, at, day = ev["kind"], ev["at"], ev["day"]
        if kind in APPOINTMENT_KINDS:
            continue  # the appointment's own events: see reduce_day
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
            data = ev.get("data") or {}
            v.issued_at, v.issue_service = at, ev.get("service_id")
            v.without_ticket = bool(data.get("without_ticket"))
            v.appointment = data.get("appointment") is not None or bool(data.get("due_at"))
            v.due_at = parse_time(data.get("due_at"))
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
            v.service_s = None if begin is None else whole_seconds(begin, at)
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


# --- step 1: the raw rows of one day and one pop-up → an anonymous day aggregate ----------


def _recorded_cases(cases: Iterable[dict]) -> dict[int, dict[int, int]]:
    recorded: dict[int, dict[int, int]] = {}
    for row in cases:
        per = recorded.setdefault(row["ticket_id"], {})
        per[row["service_id"]] = per.get(row["service_id"], 0) + row["count"]
    return recorded


def _service_entry() -> dict:
    return {
        "issued": 0,
        "served": 0,
        "no_show": 0,
        "cancelled": 0,
        "waiting_left": 0,
        "turned_away": 0,
        "cases": 0,
        "wait": {},
        "service": {},
    }


def _appointment_entry() -> dict:
    """The appointments' counts of an aggregate, overall or of one service: the appointments'
    own events (by the service booked) and the appointment tickets (``with_appointment``: issued
    and wait by the service issued for, served by the one finished in, as ``by_service``)."""
    return {name: 0 for name in APPOINTMENT_COUNTS} | {
        "with_appointment": {"issued": 0, "served": 0, "wait": {}}
    }


def reduce_day(
    day: str,
    popup_id: int | None,
    events: Iterable[dict],
    cases: Iterable[dict] = (),
    feedback: Iterable[dict] = (),
    tz: tzinfo = UTC,
) -> dict:
    """The day aggregate of one day and one pop-up event.

    ``events``: that day's ticket events of the pop-up's tickets and its refusals, in log order
    (dicts as ``store.reports.events`` returns them); ``cases``: recorded cases (rows of other
    tickets are ignored); ``feedback``: the answers of that pop-up's tickets of that day.
    ``day_peak_queue`` is this pop-up's own peak; ``reduce_days`` sets the whole day's."""
    events = list(events)
    visits, days = replay(events)
    recorded = _recorded_cases(cases)
    feedback = list(feedback)
    served = [v for v in visits.values() if v.finished is not None]

    per_service: dict[str, dict] = {}

    def service(sid) -> dict:
        return per_service.setdefault(str(sid), _service_entry())

    refused: Tally = Tally()
    for ev in events:
        sid = ev.get("service_id")
        if sid is None:
            continue
        if ev["kind"] == "refused":
            reason = (ev.get("data") or {}).get("availability", "unknown")
            refused[reason] += 1
            if reason in TURNED_AWAY:
                service(sid)["turned_away"] += 1
        elif ev["kind"] in ("no_show", "cancelled"):
            service(sid)[ev["kind"]] += 1

    wait: dict[str, int] = {}
    service_hist: dict[str, int] = {}
    per_counter: dict[str, dict] = {}
    hours: dict[str, dict] = {}

    def hour(at: datetime) -> dict:
        return hours.setdefault(
            str(at.astimezone(tz).hour), {"issued": 0, "called": 0, "served": 0, "wait": {}}
        )

    per_hour = {"issued": "issued", "called": "called", "finished": "served"}
    for ev in events:
        if ev["kind"] in per_hour:
            hour(ev["at"])[per_hour[ev["kind"]]] += 1

    # Appointments: their own events, and the tickets issued for them at check-in.
    appointments = _appointment_entry() | {
        "events": 0,
        "early": 0,
        "on_time": 0,
        "punctuality": {},
        "wait_after_slot": {},
        "by_service": {},
    }

    def booked_service(sid) -> dict:
        return appointments["by_service"].setdefault(str(sid), _appointment_entry())

    def count(name: str, sid) -> None:
        appointments[name] += 1
        if sid is not None:
            booked_service(sid)[name] += 1

    # An appointment marked missed whose visitor came after all (late, the same day) counts
    # once, as late: its arrival wins over the earlier no-show mark.
    arrived = {
        (ev.get("data") or {}).get("appointment")
        for ev in events
        if ev["kind"] == "appointment_checked_in"
    }
    for ev in events:
        name = APPOINTMENT_KINDS.get(ev["kind"])
        if name is None:
            continue
        if name == "no_show" and (ev.get("data") or {}).get("appointment") in arrived:
            continue
        appointments["events"] += 1
        data = ev.get("data") or {}
        sid = ev.get("service_id")
        if name == "checked_in":
            # In time (an appointment ticket) or late (a walk-in ticket instead): the status
            # says, as the check-in window was then. Punctuality: check-in minus slot start.
            name = "late" if data.get("status") == LATE else "checked_in"
            start = appointment_start(data.get("day"), data.get("slot"), tz)
            if start is not None:
                hist_add(appointments["punctuality"], signed_seconds(start, ev["at"]))
                if name == "checked_in":
                    appointments["early" if ev["at"] < start else "on_time"] += 1
            visit = visits.get(ev.get("ticket_id"))
            if visit is not None and visit.finished is not None:
                count("served", sid)
        count(name, sid)

    waiting_left = 0
    for v in visits.values():
        wait_s = v.wait_s
        if v.appointment and v.issued_at is not None:
            mine = appointments["with_appointment"]
            mine["issued"] += 1
            if wait_s is not None:
                hist_add(mine["wait"], wait_s)
            if v.issue_service is not None:
                per = booked_service(v.issue_service)["with_appointment"]
                per["issued"] += 1
                if wait_s is not None:
                    hist_add(per["wait"], wait_s)
            if v.finished is not None:
                mine["served"] += 1
                if v.service is not None:
                    booked_service(v.service)["with_appointment"]["served"] += 1
            if v.wait_after_slot_s is not None:
                hist_add(appointments["wait_after_slot"], v.wait_after_slot_s)
        if wait_s is not None:
            hist_add(wait, wait_s)
            hist_add(hour(v.issued_at)["wait"], wait_s)
        if v.issued_at is not None and v.issue_service is not None:
            row = service(v.issue_service)
            row["issued"] += 1
            if wait_s is not None:
                hist_add(row["wait"], wait_s)
        if v.finished is not None:
            if v.service is not None:
                row = service(v.service)
                row["served"] += 1
                if v.service_s is not None:
                    hist_add(row["service"], v.service_s)
            if v.service_s is not None:
                hist_add(service_hist, v.service_s)
            if v.counter is not None:
                entry = per_counter.setdefault(str(v.counter), {"served": 0, "service": {}})
                entry["served"] += 1
                if v.service_s is not None:
                    hist_add(entry["service"], v.service_s)
        if v.status in OPEN_STATUSES:
            waiting_left += 1
            if v.service is not None:
                service(v.service)["waiting_left"] += 1

    # Cases: recorded ones for served tickets, else one of the service the visit ended in.
    cases_total = 0
    for v in served:
        for sid, n in (recorded.get(v.ticket_id) or {v.service: 1}).items():
            if sid is not None:
                service(sid)["cases"] += n
            cases_total += n

    # The visitors' answers.
    ratings = {str(r): 0 for r in range(1, 6)}
    district_of_ticket: dict[int, str] = {}
    for row in feedback:
        if row.get("rating") in range(1, 6):
            ratings[str(row["rating"])] += 1
        if row.get("district"):
            district_of_ticket[row["ticket_id"]] = row["district"]
    districts = _no_districts()
    for v in served:
        districts[bezirk_key(district_of_ticket.get(v.ticket_id))] += 1

    peak = max((d.peak_queue for d in days.values()), default=0)
    return {
        "version": AGGREGATE_VERSION,
        "day": day,
        "popup_id": popup_id,
        # The tickets' events (and refusals): a day with these is a day of operation.
        "events": sum(1 for ev in events if ev["kind"] not in APPOINTMENT_KINDS),
        "issued": sum(d.issued for d in days.values()),
        "served": len(served),
        "no_show": sum(d.no_show for d in days.values()),
        "cancelled": sum(d.cancelled for d in days.values()),
        "waiting_left": waiting_left,
        "turned_away": sum(d.turned_away for d in days.values()),
        "without_ticket": sum(1 for v in visits.values() if v.without_ticket and v.issued_at),
        "refused": dict(sorted(refused.items())),
        "cases": cases_total,
        "peak_queue": peak,
        "day_peak_queue": peak,
        "wait": wait,
        "service": service_hist,
        "by_service": per_service,
        "by_counter": per_counter,
        "by_hour": hours,
        "ratings": ratings,
        "districts": districts,
        "appointments": appointments,
    }


def reduce_days(
    events: Iterable[dict],
    cases: Iterable[dict] = (),
    feedback: Iterable[dict] = (),
    tz: tzinfo = UTC,
) -> list[dict]:
    """The day aggregates of raw rows of any days: one per day and pop-up with data.

    A ticket event belongs to the pop-up of its ticket (``popup_id`` of the rows, which
    ``store.reports`` takes from the ticket); the first event seen of a ticket decides, so a
    ticket is never split. Each aggregate's ``day_peak_queue`` is the whole day's peak."""
    events = list(events)
    popup_of_ticket: dict[int, int | None] = {}
    groups: dict[tuple[str, int | None], list[dict]] = {}
    per_day: dict[str, list[dict]] = {}
    for ev in events:
        popup = ev.get("popup_id")
        tid = ev.get("ticket_id")
        if tid is not None:
            popup = popup_of_ticket.setdefault(tid, popup)
        groups.setdefault((ev["day"], popup), []).append(ev)
        per_day.setdefault(ev["day"], []).append(ev)
    answers: dict[tuple[str, int | None], list[dict]] = {}
    for row in feedback:
        popup = popup_of_ticket.get(row["ticket_id"], row.get("popup_id"))
        answers.setdefault((row["day"], popup), []).append(row)
    cases = list(cases)
    day_peaks = {
        day: max((d.peak_queue for d in replay(evs)[1].values()), default=0)
        for day, evs in per_day.items()
    }
    out = []
    for key in sorted(groups.keys() | answers.keys(), key=_group_order):
        day, popup = key
        agg = reduce_day(day, popup, groups.get(key, []), cases, answers.get(key, []), tz)
        agg["day_peak_queue"] = day_peaks.get(day, agg["peak_queue"])
        out.append(agg)
    return out


def _group_order(key: tuple[str, int | None]) -> tuple:
    day, popup = key
    return (day, popup is None, popup or 0)


# --- step 2: any list of aggregates → the figures -----------------------------------------

_IDENTITY = ("version", "day", "popup_id")
_MAXIMA = ("peak_queue", "day_peak_queue")


def _add_into(into: dict, other: dict) -> None:
    for key, value in other.items():
        if key in _IDENTITY:
            continue
        if isinstance(value, dict):
            _add_into(into.setdefault(key, {}), value)
        elif key in _MAXIMA:
            into[key] = max(into.get(key, 0), value)
        else:
            into[key] = into.get(key, 0) + value


def combine(aggregates: Iterable[dict], day: str | None = None, popup_id=None) -> dict:
    """Several aggregates as one (counts and histograms added, peaks the largest): for the
    figures of a range, and for a day archived again after new rows arrived for it."""
    total = {"version": AGGREGATE_VERSION, "day": day, "popup_id": popup_id}
    for agg in aggregates:
        _add_into(total, agg)
    for name in ("peak_queue", "day_peak_queue"):
        total.setdefault(name, 0)
    return total


def _count(agg: dict, key: str) -> int:
    return agg.get(key, 0)


def _popup_info(popup_id: int | None, popups: dict[int, dict]) -> dict:
    row = popups.get(popup_id) if popup_id is not None else None
    row = row or {}
    district = row.get("district")
    bezirk = bezirk_key(district) if district else None
    return {
        "id": popup_id,
        "key": row.get("key"),
        "name": row.get("name", str(popup_id) if popup_id is not None else None),
        "place": row.get("place", ""),
        "address": row.get("address", ""),
        "district": district,
        "bezirk": bezirk if bezirk in {str(b) for b in STADTBEZIRKE} else None,
        "first_day": row.get("first_day"),
        "last_day": row.get("last_day"),
    }


def _share(part: int, whole: int) -> float | None:
    return round_half_up(Fraction(part, whole), 3) if whole else None


def _groups(total: dict, mine: dict, wait: dict[str, int]) -> dict:
    """``walk_ins`` and ``with_appointment`` of a total (or a service's row) whose appointment
    tickets are ``mine``: walk-ins are all other tickets, so the two add up to the total (and
    an aggregate from before appointments existed counts all its tickets as walk-ins)."""
    mine_wait = mine.get("wait", {})
    return {
        "walk_ins": {
            "issued": total["issued"] - mine.get("issued", 0),
            "served": total["served"] - mine.get("served", 0),
            "wait_min": hist_summary(hist_minus(wait, mine_wait)),
        },
        "with_appointment": {
            "issued": mine.get("issued", 0),
            "served": mine.get("served", 0),
            "wait_min": hist_summary(mine_wait),
        },
    }


def _appointment_figures(total: dict, by_service: list[dict], services: dict[int, str]) -> dict:
    """The ``appointments`` object of the figures from a combined aggregate (see the module's
    docstring); ``by_service`` are the figures' rows per service, for the walk-ins per service."""
    agg = _appointment_entry() | total.get("appointments", {})
    counts = {name: agg[name] for name in APPOINTMENT_COUNTS}
    due = counts["checked_in"] + counts["late"] + counts["no_show"]
    rows = agg.get("by_service", {})
    totals = {row["id"]: row for row in by_service}
    per_service = []
    for sid in sorted(set(services) | set(totals) | {int(s) for s in rows}):
        r = _appointment_entry() | rows.get(str(sid), {})
        row = totals.get(sid) or {"issued": 0, "served": 0}
        wait = (total.get("by_service", {}).get(str(sid)) or {}).get("wait", {})
        per_service.append(
            {"id": sid, "name": services.get(sid, str(sid))}
            | {name: r[name] for name in APPOINTMENT_COUNTS}
            | _groups(row, r["with_appointment"], wait)
        )
    issued_served = {"issued": _count(total, "issued"), "served": _count(total, "served")}
    return {
        "booked": counts["booked"],
        "cancelled": counts["cancelled"],
        "due": due,
        "checked_in": counts["checked_in"],
        "early": agg.get("early", 0),
        "on_time": agg.get("on_time", 0),
        "late": counts["late"],
        "no_show": counts["no_show"],
        "no_show_share": _share(counts["no_show"], due),
        "served": counts["served"],
        "punctuality_min": hist_summary(agg.get("punctuality", {})),
        "wait_after_slot_min": hist_summary(agg.get("wait_after_slot", {})),
        **_groups(issued_served, agg["with_appointment"], total.get("wait", {})),
        "walk_ins_turned_away": _count(total, "turned_away"),
        "by_service": per_service,
    }


def _appointments_only(agg: dict) -> bool:
    """An aggregate of appointment bookkeeping alone (bookings, cancellations, no-shows logged
    on a day without tickets): not a day of operation, not a pop-up's row of its own."""
    return (
        not agg.get("events")
        and bool(agg.get("appointments", {}).get("events"))
        and not any(agg.get("ratings", {}).values())
    )


def merge(
    first: str,
    last: str,
    aggregates: Iterable[dict],
    services: dict[int, str] | None = None,
    counters: dict[int, str] | None = None,
    popups: dict[int, dict] | None = None,
    event: int | None = None,
) -> dict:
    """The figures of the days ``first``..``last`` from day aggregates (raw or archived).

    ``event``: only that pop-up's aggregates count (None: all). ``popups``: id → the pop-up's
    row, for the names in ``by_event``."""
    services = dict(services or {})
    counters = dict(counters or {})
    popups = dict(popups or {})
    aggs = [
        a
        for a in aggregates
        if first <= a["day"] <= last and (event is None or a.get("popup_id") == event)
    ]
    total = combine(aggs)
    peak_name = "day_peak_queue" if event is None else "peak_queue"

    # Per service: every known one, and any other the data names.
    rows = total.get("by_service", {})
    ids = sorted(set(services) | {int(sid) for sid in rows})
    by_service = []
    for sid in ids:
        r = rows.get(str(sid)) or _service_entry()
        by_service.append(
            {
                "id": sid,
                "name": services.get(sid, str(sid)),
                "issued": r["issued"],
                "served": r["served"],
                "no_show": r["no_show"],
                "cancelled": r["cancelled"],
                "waiting_left": r["waiting_left"],
                "turned_away": r["turned_away"],
                "cases": r["cases"],
                "wait_min": hist_summary(r["wait"]),
                "service_min": hist_summary(r["service"]),
            }
        )

    per_counter = total.get("by_counter", {})
    by_counter = [
        {
            "id": cid,
            "name": counters.get(cid, str(cid)),
            "served": per_counter[str(cid)]["served"],
            "service_min": hist_summary(per_counter[str(cid)]["service"]),
        }
        for cid in sorted(int(c) for c, e in per_counter.items() if e["served"])
    ]

    by_hour = []
    for h in range(24):
        e = total.get("by_hour", {}).get(str(h), {})
        mean = hist_mean_minutes(e.get("wait", {}))
        by_hour.append(
            {
                "hour": h,
                "issued": e.get("issued", 0),
                "called": e.get("called", 0),
                "served": e.get("served", 0),
                "wait_mean": round_half_up(mean),
            }
        )

    per_day: dict[str, list[dict]] = {}
    for a in aggs:
        per_day.setdefault(a["day"], []).append(a)
    by_day = []
    for day in sorted(per_day):
        d = combine(per_day[day])
        if not d.get("events"):
            continue  # answers only, no activity that day
        by_day.append(
            {
                "day": day,
                "issued": _count(d, "issued"),
                "served": _count(d, "served"),
                "no_show": _count(d, "no_show"),
                "cancelled": _count(d, "cancelled"),
                "waiting_left": _count(d, "waiting_left"),
                "turned_away": _count(d, "turned_away"),
                "peak_queue": d[peak_name],
                "wait_min": hist_summary(d.get("wait", {})),
            }
        )

    per_popup: dict[int | None, list[dict]] = {}
    for a in aggs:
        if not _appointments_only(a):
            per_popup.setdefault(a.get("popup_id"), []).append(a)
    by_event = []
    for popup_id, group in per_popup.items():
        e = combine(group)
        days = sorted({a["day"] for a in group if a.get("events")})
        served = _count(e, "served")
        by_event.append(
            _popup_info(popup_id, popups)
            | {
                "days": days,
                "issued": _count(e, "issued"),
                "served": served,
                "no_show": _count(e, "no_show"),
                "cancelled": _count(e, "cancelled"),
                "waiting_left": _count(e, "waiting_left"),
                "turned_away": _count(e, "turned_away"),
                "peak_queue": e["peak_queue"],
                "wait_min": hist_summary(e.get("wait", {})),
                "service_min": hist_summary(e.get("service", {})),
                "persons": served,
                "cases": _count(e, "cases"),
                "districts": _no_districts() | e.get("districts", {}),
            }
        )
    by_event.sort(key=lambda r: (r["id"] is None, r["days"][:1], r["id"] or 0))

    ratings = {r: total.get("ratings", {}).get(str(r), 0) for r in range(1, 6)}
    answers = sum(ratings.values())
    issued = _count(total, "issued")
    no_show = _count(total, "no_show")
    cancelled = _count(total, "cancelled")
    waiting_left = _count(total, "waiting_left")
    unserved = no_show + cancelled + waiting_left
    served = _count(total, "served")
    return {
        "from": first,
        "to": last,
        "event": None if event is None else _popup_info(event, popups),
        "days": [row["day"] for row in by_day],
        "issued": issued,
        "served": served,
        "no_show": no_show,
        "cancelled": cancelled,
        "without_ticket": _count(total, "without_ticket"),
        "waiting_left": waiting_left,
        "turned_away": _count(total, "turned_away"),
        "refused": dict(sorted(total.get("refused", {}).items())),
        "left_unserved_share": round_half_up(Fraction(unserved, issued), 3) if issued else None,
        "persons": served,
        "cases": _count(total, "cases"),
        "wait_min": hist_summary(total.get("wait", {})),
        "service_min": hist_summary(total.get("service", {})),
        "peak_queue": max((d["peak_queue"] for d in by_day), default=0),
        "by_service": by_service,
        "by_counter": by_counter,
        "by_hour": by_hour,
        "by_day": by_day,
        "by_event": by_event,
        "satisfaction": {
            "answers": answers,
            "mean": (
                round_half_up(Fraction(sum(r * n for r, n in ratings.items()), answers), 2)
                if answers
                else None
            ),
            "counts": {str(r): n for r, n in ratings.items()},
        },
        "districts": _no_districts() | total.get("districts", {}),
        "appointments": _appointment_figures(total, by_service, services),
        "method": {
            "percentile": PERCENTILE_METHOD,
            "rounding": "half up, minutes to 1 decimal",
            "durations": "whole seconds, rounded half up",
        },
    }


def compute(
    first: str,
    last: str,
    events: Iterable[dict],
    cases: Iterable[dict] = (),
    feedback: Iterable[dict] = (),
    services: dict[int, str] | None = None,
    counters: dict[int, str] | None = None,
    tz: tzinfo = UTC,
    popups: dict[int, dict] | None = None,
    event: int | None = None,
) -> dict:
    """All figures of the days ``first``..``last`` from raw rows (see the module's docstring).

    ``events`` are dicts with ``at`` (aware datetime), ``day``, ``kind``, ``ticket_id``,
    ``from_status``, ``to_status``, ``service_id``, ``counter_id``, ``data`` (and ``popup_id``),
    in log order. The same two steps as for archived days: ``reduce_days`` then ``merge``.
    """
    aggregates = reduce_days(events, cases, feedback, tz)
    return merge(first, last, aggregates, services, counters, popups, event)


def collect(store, first: str, last: str, tz: tzinfo = UTC, event=None) -> dict:
    """Read the days ``first``..``last`` from ``store`` in one snapshot and compute: the stored
    aggregates of archived days merged with those of the days still raw.

    ``event``: a pop-up's id or key to restrict every figure to; ``Invalid`` when malformed,
    ``NotFound`` when no such pop-up exists (both ``DomainError``: 400 and 404 in the API)."""
    from .domain.model import Invalid, NotFound
    from .store import reports

    ref = None
    if event is not None:
        try:
            ref = parse_event_ref(event)
        except ValueError as exc:
            raise Invalid(str(exc), field="event") from None
    with store.read() as tx:
        popup = None
        if ref is not None:
            popup = reports.find_popup(tx, ref)
            if popup is None:
                raise NotFound(f"Unknown pop-up event {event!r}.", event=event)
        archived = reports.aggregates(tx, first, last)
        events = reports.events(tx, first, last)
        cases = reports.cases(tx, first, last)
        answers = reports.feedback(tx, first, last)
        services, counters = reports.names(tx)
        popups = reports.popups(tx)
    aggregates = archived + reduce_days(events, cases, answers, tz)
    result = merge(
        first, last, aggregates, services, counters, popups, None if popup is None else popup["id"]
    )
    result["archived_days"] = sorted({a["day"] for a in archived})
    return result

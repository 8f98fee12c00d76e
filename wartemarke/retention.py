"""Data retention: old days keep their figures, not their rows.

``apply_retention(store, clock, days)`` archives every day older than ``days`` days (relative
to the venue's local today: with ``days = 30`` on 2026-05-01 the days up to 2026-03-31 are
archived, 2026-04-01 and later stay raw) that still has raw rows. For each such day, in ONE
write transaction of its own, it

1. reads the day's raw rows and reduces them to day aggregates, one per pop-up event
   (``stats.reduce_days``: anonymous counts and histograms of whole seconds, no ticket ids,
   no timestamps of single tickets), combined with an aggregate stored for that day before
   (rows that arrived later, e.g. by an import);
2. stores them in ``day_aggregates``;
3. deletes the day's raw rows: all events of that day (every kind, counter and admin events
   too), its tickets, and what refers to those tickets: cases (``visit_cases``), the visitors'
   answers (``feedback``), print jobs (``print_jobs``); the day's bookings (``appointments``);
   a counter still pointing at one of them (``counters.current_ticket_id``) lets go.

So a crash leaves each day either raw or archived, never both or neither. The statistics
(``stats.collect``) merge the stored aggregates with the aggregates of raw days, and the
figures of a range are exactly the same before and after (``tests/integration/
test_retention.py``). What an archived day no longer has: the event log itself (the CSV of
events, the JSON export for a central installation) and single tickets.

The setting is ``retention_days`` in the ``settings`` table (an int, or null/missing: keep
forever), written at start from the site file's ``[data] retention_days``. The server applies
it at start and after each end of day (``run_configured``); ``wartemarke retention [--days N]``
applies it by hand.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import delete, insert, select, union, update

from . import stats
from .clock import Clock
from .store import Store, reports
from .store import schema as s

log = logging.getLogger(__name__)

SETTING = "retention_days"
MIN_DAYS, MAX_DAYS = 1, 3650


def check_days(days) -> int:
    """``days`` as an int in 1..3650, else ``ValueError``."""
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"retention days must be a whole number from {MIN_DAYS} to {MAX_DAYS}")
    return days


def configured_days(store: Store) -> int | None:
    """The setting ``retention_days`` (None: keep everything)."""
    with store.read() as tx:
        value = tx.setting(SETTING)
    return None if value is None else check_days(value)


def cutoff_day(clock: Clock, days: int) -> str:
    """The first day kept raw: local today minus ``days``."""
    return (date.fromisoformat(clock.day()) - timedelta(days=check_days(days))).isoformat()


def raw_days_before(store: Store, cutoff: str) -> list[str]:
    """The days before ``cutoff`` that still have raw rows (events, tickets or bookings)."""
    e, t, b = s.events, s.tickets, s.appointments
    query = union(
        select(e.c.day).where(e.c.day < cutoff),
        select(t.c.day).where(t.c.day < cutoff),
        select(b.c.day).where(b.c.day < cutoff),
    )
    with store.read() as tx:
        return sorted({row[0] for row in tx.conn.execute(query)})


def archive_day(store: Store, day: str, clock: Clock) -> dict:
    """Aggregate, store and delete the raw rows of one day, in one write transaction. Returns
    the numbers of rows written and deleted."""
    a, t = s.day_aggregates, s.tickets
    with store.write(publish=False) as tx:
        conn = tx.conn
        events = reports.events(tx, day, day)
        cases = reports.cases(tx, day, day)
        answers = reports.feedback(tx, day, day)
        fresh = stats.reduce_days(events, cases, answers, clock.tz)
        stored = {agg["popup_id"]: agg for agg in reports.aggregates(tx, day, day)}
        now = clock.now()
        for agg in fresh:
            popup = agg["popup_id"]
            key = reports.NO_POPUP if popup is None else popup
            where = (a.c.day == day) & (a.c.popup_id == key)
            if popup in stored:
                # The day was archived before and new rows came in since (an import):
                # both count.
                data = stats.combine([stored[popup], agg], day, popup)
                conn.execute(update(a).where(where).values(data=data, created_at=now))
            else:
                conn.execute(insert(a).values(day=day, popup_id=key, data=agg, created_at=now))

        tickets = select(t.c.id).where(t.c.day == day)
        counts = {"aggregates": len(fresh)}
        for name, table in (
            ("visit_cases", s.visit_cases),
            ("feedback", s.feedback),
            ("print_jobs", s.print_jobs),
        ):
            counts[name] = conn.execute(
                delete(table).where(table.c.ticket_id.in_(tickets))
            ).rowcount
        # The day's bookings: their figures are in the event log's aggregate already.
        b = s.appointments
        counts["appointments"] = conn.execute(delete(b).where(b.c.day == day)).rowcount
        conn.execute(
            update(s.counters)
            .where(s.counters.c.current_ticket_id.in_(tickets))
            .values(current_ticket_id=None)
        )
        counts["events"] = conn.execute(delete(s.events).where(s.events.c.day == day)).rowcount
        counts["tickets"] = conn.execute(delete(t).where(t.c.day == day)).rowcount
    return counts


def apply_retention(store: Store, clock: Clock, days: int) -> dict:
    """Archive every day older than ``days`` days that still has raw rows (see the module's
    docstring). Returns ``{"cutoff", "days": [archived days], "aggregates", "tickets",
    "events", "visit_cases", "feedback", "print_jobs"}``."""
    cutoff = cutoff_day(clock, days)
    result = {
        "cutoff": cutoff,
        "days": [],
        "aggregates": 0,
        "tickets": 0,
        "events": 0,
        "visit_cases": 0,
        "feedback": 0,
        "print_jobs": 0,
        "appointments": 0,
    }
    for day in raw_days_before(store, cutoff):
        counts = archive_day(store, day, clock)
        result["days"].append(day)
        for name, n in counts.items():
            result[name] += n
    return result


def run_configured(store: Store, clock: Clock) -> dict | None:
    """At server start and after the end of a day: apply the configured retention, if any. A
    failure is logged, not raised: the day it failed on stays raw (its transaction rolled back)
    and the office carries on."""
    try:
        days = configured_days(store)
        result = None if days is None else apply_retention(store, clock, days)
    except Exception:
        log.exception("retention failed; the raw data is kept")
        return None
    if result and result["days"]:
        log.info(
            "retention: archived %d day(s) before %s: %d tickets, %d events deleted",
            len(result["days"]),
            result["cutoff"],
            result["tickets"],
            result["events"],
        )
    return result

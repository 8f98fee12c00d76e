"""Read-only queries for the statistics and the evaluation report (see ``wartemarke.stats``).

Each function takes the repository of one read transaction (``Store.read()``) and a range of
local days (``YYYY-MM-DD``, both ends included) and returns plain dicts: the computation itself
lives in ``wartemarke.stats`` and never touches the database.
"""

from __future__ import annotations

from sqlalchemy import select

from . import schema as s
from .repository import Tx

# The event kinds the statistics look at; the counter's own events (taken, paused, …) are not.
STATS_KINDS = (
    "issued",
    "called",
    "recalled",
    "serving",
    "finished",
    "no_show",
    "cancelled",
    "transferred",
    "requeued",
    "refused",
)


def events(tx: Tx, first: str, last: str) -> list[dict]:
    """The ticket events of the days ``first``..``last``, in the order they happened."""
    e = s.events
    rows = tx.conn.execute(
        select(
            e.c.id,
            e.c.at,
            e.c.day,
            e.c.kind,
            e.c.ticket_id,
            e.c.from_status,
            e.c.to_status,
            e.c.service_id,
            e.c.counter_id,
            e.c.data,
        )
        .where((e.c.day >= first) & (e.c.day <= last) & e.c.kind.in_(STATS_KINDS))
        .order_by(e.c.id)
    )
    return [dict(r._mapping) for r in rows]


def cases(tx: Tx, first: str, last: str) -> list[dict]:
    """The cases recorded for the visits of those days: ``{"ticket_id","service_id","count"}``."""
    v, t = s.visit_cases, s.tickets
    rows = tx.conn.execute(
        select(v.c.ticket_id, v.c.service_id, v.c.count)
        .select_from(v.join(t, t.c.id == v.c.ticket_id))
        .where((t.c.day >= first) & (t.c.day <= last))
    )
    return [dict(r._mapping) for r in rows]


def feedback(tx: Tx, first: str, last: str) -> list[dict]:
    """The visitors' answers of those days: ``{"ticket_id","day","service_id","rating",
    "district"}``."""
    f = s.feedback
    rows = tx.conn.execute(
        select(f.c.ticket_id, f.c.day, f.c.service_id, f.c.rating, f.c.district).where(
            (f.c.day >= first) & (f.c.day <= last)
        )
    )
    return [dict(r._mapping) for r in rows]


def names(tx: Tx) -> tuple[dict[int, str], dict[int, str]]:
    """Service and counter names by id (disabled ones too: old days may mention them)."""
    services = {r.id: r.name for r in tx.conn.execute(select(s.services.c.id, s.services.c.name))}
    counters = {r.id: r.name for r in tx.conn.execute(select(s.counters.c.id, s.counters.c.name))}
    return services, counters

"""Read-only queries for the statistics and the evaluation report (see ``wartemarke.stats``).

Each function takes the repository of one read transaction (``Store.read()``) and a range of
local days (``YYYY-MM-DD``, both ends included) and returns plain dicts: the computation itself
lives in ``wartemarke.stats`` and never touches the database.

Every row of a ticket carries ``popup_id``, the pop-up event the ticket belongs to
(``tickets.popup_id``; for a refusal, which has no ticket, and for a ticket without one, the
pop-up current when the event was written, ``events.popup_id``). ``aggregates()`` reads the
day aggregates of archived days (``wartemarke.retention``); a pop-up id of 0 there stands for
"no pop-up" (the primary key cannot hold null).
"""

from __future__ import annotations

from sqlalchemy import func, select

from . import schema as s
from .repository import Tx

# The event kinds the statistics look at; the counter's own events (taken, paused, …) are not.
# The appointments' events (``stats.APPOINTMENT_KINDS``) carry no ticket, or (a check-in) the
# ticket it gave, and no personal data: appointment id, day, slot, status. Being statistics,
# they go into the exchange file too (``exchange.export_data``), so a central installation
# counts the appointments of a laptop.
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
    "appointment_booked",
    "appointment_cancelled",
    "appointment_checked_in",
    "appointment_no_show",
)


def events(tx: Tx, first: str, last: str) -> list[dict]:
    """The ticket and appointment events of the days ``first``..``last`` (the day each was
    logged), in the order they happened, each with the ``popup_id`` of its ticket (of the event
    itself for refusals and the appointments' events without a ticket)."""
    e, t = s.events, s.tickets
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
            func.coalesce(t.c.popup_id, e.c.popup_id).label("popup_id"),
        )
        .select_from(e.outerjoin(t, t.c.id == e.c.ticket_id))
        .where((e.c.day >= first) & (e.c.day <= last) & e.c.kind.in_(STATS_KINDS))
        .order_by(e.c.id)
    )
    return [dict(r._mapping) for r in rows]


def cases(tx: Tx, first: str, last: str) -> list[dict]:
    """The cases recorded for the visits of those days:
    ``{"ticket_id","service_id","count","day","popup_id"}``."""
    v, t = s.visit_cases, s.tickets
    rows = tx.conn.execute(
        select(v.c.ticket_id, v.c.service_id, v.c.count, t.c.day, t.c.popup_id)
        .select_from(v.join(t, t.c.id == v.c.ticket_id))
        .where((t.c.day >= first) & (t.c.day <= last))
    )
    return [dict(r._mapping) for r in rows]


def feedback(tx: Tx, first: str, last: str) -> list[dict]:
    """The visitors' answers of those days: ``{"ticket_id","day","service_id","rating",
    "district","popup_id"}`` (the pop-up of the answer's ticket)."""
    f, t = s.feedback, s.tickets
    rows = tx.conn.execute(
        select(f.c.ticket_id, f.c.day, f.c.service_id, f.c.rating, f.c.district, t.c.popup_id)
        .select_from(f.outerjoin(t, t.c.id == f.c.ticket_id))
        .where((f.c.day >= first) & (f.c.day <= last))
    )
    return [dict(r._mapping) for r in rows]


def names(tx: Tx) -> tuple[dict[int, str], dict[int, str]]:
    """Service and counter names by id (disabled ones too: old days may mention them)."""
    services = {r.id: r.name for r in tx.conn.execute(select(s.services.c.id, s.services.c.name))}
    counters = {r.id: r.name for r in tx.conn.execute(select(s.counters.c.id, s.counters.c.name))}
    return services, counters


# Pop-up ids of ``day_aggregates``: 0 stands for "no pop-up" (a primary key holds no null).
NO_POPUP = 0


def aggregates(tx: Tx, first: str, last: str) -> list[dict]:
    """The stored day aggregates of archived days in ``first``..``last`` (see ``stats``)."""
    a = s.day_aggregates
    rows = tx.conn.execute(
        select(a.c.day, a.c.popup_id, a.c.data)
        .where((a.c.day >= first) & (a.c.day <= last))
        .order_by(a.c.day, a.c.popup_id)
    )
    return [
        {**r.data, "day": r.day, "popup_id": None if r.popup_id == NO_POPUP else r.popup_id}
        for r in rows
    ]


def popups(tx: Tx) -> dict[int, dict]:
    """Every pop-up event by id (name, place, address, district, configured days)."""
    return {row["id"]: row for row in tx.popups()}


def find_popup(tx: Tx, ref: int | str) -> dict | None:
    """A pop-up by id (an int, or a string of digits naming an existing id), else by key."""
    if isinstance(ref, int):
        return tx.popup(ref)
    if ref.isdigit() and int(ref) < 2**31:
        found = tx.popup(int(ref))
        if found is not None:
            return found
    return tx.popup_by_key(ref)

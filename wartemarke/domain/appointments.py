"""Appointments beside walk-ins: the rules, in plain Python.

Most visitors of a pop-up day have booked a time slot (by e-mail or phone); the rest walk in. Both
are served from one queue. The rules:

* **Slots.** A day is cut into slots of ``slot_minutes`` from the opening time. A slot takes at
  most ``counters`` appointments at once (the counters the office sets aside for them; default:
  all), and per service at most as many as there are counters serving that service. A booking
  beyond that is refused, naming the slot and why.
* **Check-in.** The visitor types the booking code at the kiosk (or scans the confirmation's QR
  code). From ``early_minutes`` before the slot until ``grace_minutes`` after its start they get
  a ticket with the appointments' own prefix (``T001``) that is *due* at the slot's start. Earlier:
  "come back at …". Later: a walk-in ticket instead, and the appointment counts as late. Checking in
  twice gives the same ticket.
* **Call order** (``choose``): a due appointment (slot start reached, checked in) goes before
  walk-ins, the earliest slot first; an appointment that is not yet due waits for its slot. So
  that walk-ins are never starved: after ``walk_in_after`` appointments called in a row at that
  counter, a walk-in who has waited ``walk_in_wait_limit`` minutes or longer goes first. Among
  walk-ins the usual order holds (priority, then the longest wait:
  ``policy.queue_order_key``), also for the one that goes first after a streak (the first in
  that order among those who waited long enough).
* **No-show.** An appointment nobody checked in for by slot start plus ``grace_minutes`` is a
  no-show; its counter time goes to the walk-ins (they are simply called).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .model import Ticket
from .policy import queue_order_key

# Booking codes: 6 characters without the ones people mix up (0/O, 1/I/L), ~730 million codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
# What a scanner or a person may add around a code: spaces, dashes, dots; and a prefix ending
# in ":" (e.g. "WARTEMARKE:K7P3QX") is dropped.
_CODE_NOISE = re.compile(r"[\s\-_.:/]+")

BOOKED, CHECKED_IN, LATE = "booked", "checked_in", "late"
NO_SHOW, CANCELLED = "no_show", "cancelled"
STATUSES = (BOOKED, CHECKED_IN, LATE, NO_SHOW, CANCELLED)
ACTIVE = (BOOKED, CHECKED_IN)  # what takes a place in its slot


@dataclass(frozen=True)
class Rules:
    prefix: str = "T"
    slot_minutes: int = 20
    counters: int | None = None  # appointments at the same time at most (None: every counter)
    early_minutes: int = 60
    grace_minutes: int = 15
    walk_in_after: int = 2
    walk_in_wait_limit: int = 20


@dataclass
class Appointment:
    id: int | None
    day: str
    slot: str  # "HH:MM", local time of the venue
    service_id: int
    code: str
    status: str = BOOKED
    name: str | None = None
    ticket_id: int | None = None
    checked_in_at: datetime | None = None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str | None:
    """What was typed or scanned → the stored form, or None when it cannot be a code.

    Lower case and noise are forgiven (``"ab3 d-7k"``); a scanned confirmation may carry a
    prefix such as ``WARTEMARKE:`` — the last 6 valid characters count."""
    if not isinstance(raw, str) or len(raw) > 100:
        return None
    text = raw.strip().upper()
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    cleaned = _CODE_NOISE.sub("", text)
    return cleaned if CODE_RE.match(cleaned) else None


def parse_slot(text: str) -> time | None:
    m = re.match(r"^\s*(\d{1,2})[:.](\d{2})\s*$", text or "")
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))


def slot_start(day: str, slot: str, tz) -> datetime:
    """The aware moment a slot starts (``tz``: the venue's zone)."""
    return datetime.combine(date.fromisoformat(day), parse_slot(slot), tz)


def on_grid(slot: time, opens: time, slot_minutes: int) -> bool:
    """Whether ``slot`` is one of the day's slot starts (every ``slot_minutes`` from opening)."""
    delta = (slot.hour * 60 + slot.minute) - (opens.hour * 60 + opens.minute)
    return delta >= 0 and delta % slot_minutes == 0


@dataclass(frozen=True)
class Capacity:
    """How many appointments one slot may take: in total, and for one service."""

    total: int
    service: int


def capacity(rules: Rules, counters_total: int, counters_for_service: int) -> Capacity:
    total = counters_total if rules.counters is None else min(rules.counters, counters_total)
    return Capacity(total=total, service=min(total, counters_for_service))


def check_in_window(rules: Rules, start: datetime) -> tuple[datetime, datetime]:
    """From when to when a check-in gives an appointment ticket (in ``start``'s zone).

    Counted in real minutes: arithmetic on an aware datetime moves the wall clock, which
    makes the window an hour shorter or longer on the nights the clocks change."""
    real = start.astimezone(UTC)
    return (
        (real - timedelta(minutes=rules.early_minutes)).astimezone(start.tzinfo),
        (real + timedelta(minutes=rules.grace_minutes)).astimezone(start.tzinfo),
    )


def is_appointment(ticket: Ticket) -> bool:
    return ticket.due_at is not None


def choose(
    due: Sequence[Ticket],
    walk_ins: Sequence[Ticket],
    now: datetime,
    streak: int,
    rules: Rules,
) -> Ticket | None:
    """The next ticket for a counter: ``due`` are checked-in appointment tickets of its services
    (any order; those not yet due are ignored), ``walk_ins`` the other waiting tickets, ``streak``
    how many appointments were called in a row just before."""
    ready = sorted(
        (t for t in due if t.due_at is not None and t.due_at <= now),
        key=lambda t: (t.due_at, t.queued_at, t.id or 0),
    )
    waiting = sorted((t for t in walk_ins if t.due_at is None), key=queue_order_key)
    if ready and waiting and streak >= rules.walk_in_after:
        limit = timedelta(minutes=rules.walk_in_wait_limit)
        overdue = [t for t in waiting if now - t.queued_at >= limit]
        if overdue:
            return overdue[0]
    if ready:
        return ready[0]
    return waiting[0] if waiting else None

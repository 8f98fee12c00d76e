"""What every use case shares: the acting clerk, the queue figures read once per transaction,
the change record for the live hub, and the JSON views of services, tickets and calls."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from ..clock import Clock
from ..domain import estimate
from ..domain.appointments import BOOKED, Rules, check_in_window, slot_start
from ..domain.hours import Availability, OpeningHours, availability
from ..domain.model import Counter, NotFound, Service, Status, Ticket
from ..domain.policy import queue_order_key, waiting_in_order
from ..store import Store
from ..store.repository import Tx

TOKEN_BYTES = 18  # 144 bits: not guessable, not enumerable


@dataclass(frozen=True)
class Actor:
    """A logged-in clerk or admin acting on a counter."""

    id: int
    name: str
    role: str = "clerk"


@dataclass
class QueueFigures:
    """What every view of the queue needs, read once per transaction."""

    services: dict[int, Service]
    counters: list[Counter]
    waiting: dict[int, int]  # every waiting ticket, appointments' included
    averages: dict[int, float]
    hours: OpeningHours
    local: datetime  # now, in the venue's time zone
    # Today's appointments still to come: the waiting tickets of those checked in, and
    # (service id, slot start, how many) of the booked ones whose visitor may still check in.
    appointment_tickets: list[Ticket] = field(default_factory=list)
    booked: list[tuple[int, datetime, int]] = field(default_factory=list)
    _upcoming: dict[int, list[tuple[float, float]]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, tx: Tx, clock: Clock, rules: Rules | None = None) -> QueueFigures:
        """``rules``: the appointments' (their grace time); the default rules without."""
        local = clock.local()
        day = local.date().isoformat()
        services = {s.id: s for s in tx.services()}
        recent = tx.recent_service_minutes(day)
        averages = {
            sid: estimate.average_service_minutes(s, recent.get(sid, ()))
            for sid, s in services.items()
        }
        hours = OpeningHours.from_json(tx.setting("opening"))
        # Two small queries: today's bookings nobody checked in for yet, and the waiting
        # appointment tickets (checked in, not yet called). A booking past its check-in time
        # is a no-show (marked lazily, see AppointmentOps.mark_no_shows): it takes no time.
        rules = rules or Rules()
        starts: dict[str, datetime | None] = {}  # slot -> its start, None once missed
        booked: dict[tuple[int, datetime], int] = {}
        for a in tx.appointments(day, status=BOOKED):
            if a.slot not in starts:
                start = slot_start(day, a.slot, clock.tz)
                starts[a.slot] = start if check_in_window(rules, start)[1] >= local else None
            if (start := starts[a.slot]) is not None:
                booked[a.service_id, start] = booked.get((a.service_id, start), 0) + 1
        return cls(
            services,
            tx.counters(day),
            tx.waiting_counts(day),
            averages,
            hours,
            local,
            tx.waiting(day, appointments=True),
            [(sid, start, n) for (sid, start), n in booked.items()],
        )

    def availability(self, service: Service) -> Availability:
        wait = self.wait_for(service.id, self.walk_ins_waiting(service.id))
        return availability(service, self.hours, self.local, wait)

    def walk_ins_waiting(self, service_id: int) -> int:
        """The service's waiting tickets that are not an appointment's."""
        booked = sum(1 for t in self.appointment_tickets if t.service_id == service_id)
        return max(0, self.waiting.get(service_id, 0) - booked)

    def appointments_ahead(self, ticket: Ticket) -> int:
        """Waiting appointment tickets of ``ticket``'s service that the store's people-ahead
        count puts before it (``queue_order_key``); their time is counted by their slot."""
        key = queue_order_key(ticket)
        return sum(
            1
            for t in self.appointment_tickets
            if t.service_id == ticket.service_id and t.id != ticket.id and queue_order_key(t) < key
        )

    def upcoming(self, service_id: int) -> list[tuple[float, float]]:
        """(minutes until the slot starts, counter minutes on this service's counters) of each
        appointment still to come (see ``estimate.walk_in_wait_minutes``)."""
        if service_id not in self._upcoming:
            fallback = self.averages.get(service_id, 0.0)
            minutes: dict[int, float] = {}  # per appointment service: its share's minutes
            out = []
            slots = [(t.service_id, t.due_at, 1) for t in self.appointment_tickets]
            for sid, start, n in slots + self.booked:
                if sid not in minutes:
                    share = estimate.appointment_share(sid, service_id, self.counters)
                    minutes[sid] = share * self.averages.get(sid, fallback)
                if minutes[sid] > 0:
                    out.append(((start - self.local).total_seconds() / 60, n * minutes[sid]))
            self._upcoming[service_id] = sorted(out)
        return self._upcoming[service_id]

    def wait_for(self, service_id: int, walk_ins_ahead: int) -> int:
        """A walk-in's estimated wait behind ``walk_ins_ahead`` walk-ins and the appointments
        that come first."""
        service = self.services[service_id]
        counters = estimate.counters_for(service, self.counters)
        return estimate.walk_in_wait_minutes(
            walk_ins_ahead, self.averages[service_id], counters, self.upcoming(service_id)
        )

    def wait_of(self, ticket: Ticket, people_ahead: int) -> int:
        """A waiting ticket's estimate: an appointment's is the time until its slot; a
        walk-in's counts the walk-ins among the ``people_ahead`` and the appointments."""
        if ticket.due_at is not None:
            return estimate.minutes_until(ticket.due_at, self.local)
        walk_ins = max(0, people_ahead - self.appointments_ahead(ticket))
        return self.wait_for(ticket.service_id, walk_ins)


@dataclass
class Change:
    """What one committed transaction changed, for the live hub to broadcast."""

    seq: int
    services: list[dict]
    calls: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    # Tokens of the changed tickets: their phones get an update. Never broadcast.
    tokens: list[str] = field(default_factory=list)
    counters_changed: bool = False
    # Something every screen shows changed (venue, names, hours): all get a fresh snapshot.
    resync: bool = False


def hhmm(at: time | None) -> str | None:
    return None if at is None else at.strftime("%H:%M")


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


class Base:
    """State and views shared by the use cases (see ``Operations``)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        publish: Callable[[Change], None] = lambda change: None,
        status_url: Callable[[str], str] = lambda token: f"/t/{token}",
    ) -> None:
        self.store = store
        self.clock = clock
        self.publish = publish
        self.status_url = status_url
        # Set by the application when a printer is configured (see printing.Spooler).
        self.spooler = None
        # The appointments' rules; the application points this at the site's (re-read, so an
        # applied site file takes effect at once).
        self.rules_source: Callable[[], Rules] = Rules

    @property
    def rules(self) -> Rules:
        return self.rules_source()

    def _figures(self, tx: Tx) -> QueueFigures:
        """The queue's figures now, with the site's appointment rules."""
        return QueueFigures.read(tx, self.clock, self.rules)

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)

    # --- views ----------------------------------------------------------------------------
    def _services_view(self, figures: QueueFigures) -> list[dict]:
        out = []
        for s in figures.services.values():
            if not s.enabled:
                continue
            waiting = figures.waiting.get(s.id, 0)
            available = figures.availability(s)
            out.append(
                {
                    "id": s.id,
                    "name": s.name,
                    "prefix": s.prefix,
                    "description": s.description,
                    # Other languages than German ({"en": …}); a screen falls back to the above.
                    "names": s.names,
                    "descriptions": s.descriptions,
                    "waiting": waiting,
                    "estimated_wait_min": figures.wait_for(s.id, figures.walk_ins_waiting(s.id)),
                    "open": available.open,
                    "availability": available.state,
                    "manual_open": s.manual_open,
                    "closes_at": hhmm(available.closes_at),
                    "counters_open": sum(
                        1 for c in figures.counters if c.staffed and s.id in c.service_ids
                    ),
                }
            )
        return out

    def _calls_view(self, tx: Tx, day: str, limit: int = 10) -> list[dict]:
        names = {c.id: c.name for c in tx.counters()}
        seen: set[str] = set()
        calls = []
        for call in tx.recent_calls(day, limit * 3):
            if call["number"] in seen:
                continue  # a recall repeats a number: the list shows where each one goes
            seen.add(call["number"])
            calls.append(self._call_view(call["number"], call["counter"], names, call["at"]))
            if len(calls) == limit:
                break
        return calls

    @staticmethod
    def _call_view(number: str, counter_id: int, names: dict, at: datetime, **extra) -> dict:
        return {
            "number": number,
            "counter": counter_id,
            "counter_name": names.get(counter_id, str(counter_id)),
            "at": iso(at),
            **extra,
        }

    def ticket_view(self, tx: Tx, t: Ticket, services: dict[int, Service] | None = None) -> dict:
        services = services or {s.id: s for s in tx.services()}
        service = services.get(t.service_id)
        return {
            "id": t.id,
            "number": t.number,
            "service": t.service_id,
            "service_name": service.name if service else "",
            "status": str(t.status),
            "priority": int(t.priority),
            "counter": t.counter_id,
            "issued_at": iso(t.issued_at),
            "called_at": iso(t.called_at),
            "recalls": t.recalls,
            "transferred_from": t.original_service_id,
            "appointment": self._ticket_appointment(t),
        }

    def _ticket_appointment(self, t: Ticket) -> dict | None:
        """An appointment ticket's slot, in the venue's time, and whether it is due (as of
        this view: a screen turns it due itself at ``due_at``); None for a walk-in."""
        if t.due_at is None:
            return None
        return {
            "slot": self.clock.local(t.due_at).strftime("%H:%M"),
            "due_at": iso(t.due_at),
            "due": t.due_at <= self.clock.now(),
        }

    def services(self) -> list[dict]:
        with self.store.read() as tx:
            return self._services_view(self._figures(tx))

    def counters(self, staff: bool = False) -> list[dict]:
        """The counters; for staff also who holds each (the public list names nobody)."""
        with self.store.read() as tx:
            names = {u.id: u.display_name for u in tx.users()} if staff else {}
            out = []
            for c in tx.counters(self.clock.day()):
                if not c.enabled:
                    continue
                view = {
                    "id": c.id,
                    "name": c.name,
                    "services": c.service_ids,
                    "staffed": c.held_by is not None,
                    "paused": c.paused,
                }
                if staff:
                    view["held_by"] = names.get(c.held_by)
                    view["held_by_id"] = c.held_by
                out.append(view)
            return out

    def state(self) -> dict:
        with self.store.read() as tx:
            return self._state(tx)

    def _state(self, tx: Tx) -> dict:
        figures = self._figures(tx)
        day = figures.local.date().isoformat()
        return {
            "seq": tx.seq,
            "day": day,
            "venue": self._venue_view(tx, figures),
            "services": self._services_view(figures),
            "calls": self._calls_view(tx, day),
        }

    def venue(self) -> dict:
        """The venue as stored: name, ticker, time zone (the site file or the admin sets it)."""
        with self.store.read() as tx:
            return tx.setting("venue") or {}

    def _venue_view(self, tx: Tx, figures: QueueFigures) -> dict:
        span = figures.hours.current_span(figures.local)
        venue = tx.setting("venue") or {}
        return {
            "name": venue.get("name", ""),
            "ticker": venue.get("ticker", ""),
            "open": span is not None,
            "opens_at": hhmm(None if span else figures.hours.next_opening(figures.local)),
            "closes_at": hhmm(None if figures.hours.always_open or not span else span[1]),
        }

    def ticket_status(self, token: str) -> dict:
        with self.store.read() as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise NotFound("Unknown ticket.")
            return self._status_view(tx, ticket, self._figures(tx))

    def ticket_status_url(self, token: str) -> str:
        with self.store.read() as tx:
            if tx.ticket_by_token(token) is None:
                raise NotFound("Unknown ticket.")
        return self.status_url(token)

    def _status_view(
        self, tx: Tx, ticket: Ticket, figures: QueueFigures, ahead: int | None = None
    ) -> dict:
        wait = 0
        if ticket.status is Status.WAITING:
            ahead = tx.people_ahead(ticket) if ahead is None else ahead
            wait = figures.wait_of(ticket, ahead)
        else:
            ahead = 0
        counter = next((c for c in figures.counters if c.id == ticket.counter_id), None)
        service = figures.services.get(ticket.service_id)
        return {
            "number": ticket.number,
            "status": str(ticket.status),
            "service": ticket.service_id,
            "service_name": service.name if service else "",
            "service_names": dict(service.names) if service else {},
            "position": ahead + 1 if ticket.status is Status.WAITING else 0,
            "people_ahead": ahead,
            "counter": ticket.counter_id if ticket.status.is_open_at_counter else None,
            "counter_name": counter.name if counter and ticket.status.is_open_at_counter else None,
            "estimated_wait_min": wait,
            "issued_at": iso(ticket.issued_at),
            "called_at": iso(ticket.called_at),
            "recalls": ticket.recalls,
            "day": ticket.day,
            "lang": ticket.lang,  # chosen at the kiosk: the phone page's fallback language
            **self._feedback_view(tx, ticket),
        }

    @staticmethod
    def _feedback_view(tx: Tx, ticket: Ticket) -> dict:
        if ticket.status is not Status.DONE:
            return {}
        row = tx.feedback(ticket.id)
        return {
            "feedback": {
                "rating": row.rating if row else None,
                "district": row.district if row else None,
            }
        }

    def visitor_statuses(self, changed: list[str], watched: set[str] | None) -> dict[str, dict]:
        """Statuses for the visitors' phones after a change: the ``changed`` tickets and every
        waiting ticket (whose place may have moved) that is ``watched`` (None: all of them).
        Two queries: the queue's order, and the tickets wanted."""
        if watched is not None and not watched and not changed:
            return {}
        with self.store.read() as tx:
            figures = self._figures(tx)
            day = figures.local.date().isoformat()
            ahead: dict[str, int] = {}
            per_service: dict[int, int] = {}
            for token, service_id in tx.waiting_tokens(day):  # in call order
                if watched is None or token in watched:
                    ahead[token] = per_service.get(service_id, 0)
                per_service[service_id] = per_service.get(service_id, 0) + 1
            tickets = tx.tickets_by_tokens(list(set(ahead) | set(changed)))
            return {
                token: self._status_view(tx, ticket, figures, ahead.get(token))
                for token, ticket in tickets.items()
            }

    def waiting_lists(self) -> dict[int, list[dict]]:
        with self.store.read() as tx:
            services = {s.id: s for s in tx.services()}
            tickets = waiting_in_order(tx.waiting(self.clock.day()), services)
            out: dict[int, list[dict]] = {}
            for t in tickets:
                out.setdefault(t.service_id, []).append(self.ticket_view(tx, t, services))
            return out

"""The use cases. Each runs in one store transaction and publishes its change after commit.

Routes and socket handlers call these and nothing below them, so the HTTP API, the screens and
the CLI all share one set of rules. Results are plain dicts, ready to be sent as JSON.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from .clock import Clock
from .domain import estimate
from .domain.hours import Availability, OpeningHours, availability
from .domain.model import Conflict, Counter, NotFound, Service, Status, Ticket, Transition
from .domain.policy import choose_next, waiting_in_order
from .store import Store
from .store.repository import Tx

TOKEN_BYTES = 18  # 144 bits: not guessable, not enumerable

CLOSED_MESSAGES = {
    "closed": "{service} is closed at the moment.",
    "outside_hours": "The office is closed at this time.",
    "full": "{service}: no more numbers today; the wait would run past closing time.",
}


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
    waiting: dict[int, int]
    averages: dict[int, float]
    hours: OpeningHours
    local: datetime  # now, in the venue's time zone

    @classmethod
    def read(cls, tx: Tx, clock: Clock) -> QueueFigures:
        local = clock.local()
        day = local.date().isoformat()
        services = {s.id: s for s in tx.services()}
        recent = tx.recent_service_minutes(day)
        averages = {
            sid: estimate.average_service_minutes(s, recent.get(sid, ()))
            for sid, s in services.items()
        }
        hours = OpeningHours.from_json(tx.setting("opening"))
        return cls(services, tx.counters(), tx.waiting_counts(day), averages, hours, local)

    def availability(self, service: Service) -> Availability:
        wait = self.wait_for(service.id, self.waiting.get(service.id, 0))
        return availability(service, self.hours, self.local, wait)

    def wait_for(self, service_id: int, people_ahead: int) -> int:
        service = self.services[service_id]
        counters = estimate.counters_for(service, self.counters)
        return estimate.estimated_wait_minutes(people_ahead, self.averages[service_id], counters)


@dataclass
class Change:
    """What one committed transaction changed, for the live hub to broadcast."""

    seq: int
    services: list[dict]
    calls: list[dict] = field(default_factory=list)
    tickets: list[dict] = field(default_factory=list)
    counters_changed: bool = False


def hhmm(at: time | None) -> str | None:
    return None if at is None else at.strftime("%H:%M")


def iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


class Operations:
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
                    "waiting": waiting,
                    "estimated_wait_min": figures.wait_for(s.id, waiting),
                    "open": available.open,
                    "availability": available.state,
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
        }

    def services(self) -> list[dict]:
        with self.store.read() as tx:
            return self._services_view(QueueFigures.read(tx, self.clock.day()))

    def counters(self) -> list[dict]:
        with self.store.read() as tx:
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "services": c.service_ids,
                    "staffed": c.held_by is not None,
                    "paused": c.paused,
                }
                for c in tx.counters()
                if c.enabled
            ]

    def state(self) -> dict:
        with self.store.read() as tx:
            return self._state(tx)

    def _state(self, tx: Tx) -> dict:
        figures = QueueFigures.read(tx, self.clock)
        day = figures.local.date().isoformat()
        return {
            "seq": tx.seq,
            "day": day,
            "venue": self._venue_view(tx, figures),
            "services": self._services_view(figures),
            "calls": self._calls_view(tx, day),
        }

    def _venue_view(self, tx: Tx, figures: QueueFigures) -> dict:
        span = figures.hours.current_span(figures.local)
        return {
            "name": (tx.setting("venue") or {}).get("name", ""),
            "open": span is not None,
            "opens_at": hhmm(None if span else figures.hours.next_opening(figures.local)),
            "closes_at": hhmm(None if figures.hours.always_open or not span else span[1]),
        }

    def ticket_status(self, token: str) -> dict:
        with self.store.read() as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise NotFound("Unknown ticket.")
            return self._status_view(tx, ticket, QueueFigures.read(tx, self.clock))

    def ticket_status_url(self, token: str) -> str:
        with self.store.read() as tx:
            if tx.ticket_by_token(token) is None:
                raise NotFound("Unknown ticket.")
        return self.status_url(token)

    def _status_view(self, tx: Tx, ticket: Ticket, figures: QueueFigures) -> dict:
        ahead = wait = 0
        if ticket.status is Status.WAITING:
            ahead = tx.people_ahead(ticket)
            wait = figures.wait_for(ticket.service_id, ahead)
        counter = next((c for c in figures.counters if c.id == ticket.counter_id), None)
        service = figures.services.get(ticket.service_id)
        return {
            "number": ticket.number,
            "status": str(ticket.status),
            "service": ticket.service_id,
            "service_name": service.name if service else "",
            "position": ahead + 1 if ticket.status is Status.WAITING else 0,
            "people_ahead": ahead,
            "counter": ticket.counter_id if ticket.status.is_open_at_counter else None,
            "counter_name": counter.name if counter and ticket.status.is_open_at_counter else None,
            "estimated_wait_min": wait,
            "issued_at": iso(ticket.issued_at),
            "day": ticket.day,
        }

    # --- visitors -------------------------------------------------------------------------
    def issue_ticket(self, service_id: int, lang: str = "de", priority: int = 0) -> dict:
        now = self.clock.now()
        day = self.clock.day(now)
        with self.store.write() as tx:
            service = tx.service(service_id)
            if service is None or not service.enabled:
                raise NotFound(f"Unknown service {service_id}.", service=service_id)
            available = QueueFigures.read(tx, self.clock).availability(service)
            if not available.open:
                raise Conflict(
                    CLOSED_MESSAGES[available.state].format(service=service.name),
                    service=service_id,
                    availability=available.state,
                )
            number = f"{service.prefix}{tx.next_number(day, service.prefix):03d}"
            ticket = Ticket(
                id=None,
                day=day,
                service_id=service.id,
                number=number,
                token=secrets.token_urlsafe(TOKEN_BYTES),
                status=Status.WAITING,
                issued_at=now,
                queued_at=now,
                priority=priority,
                lang=lang,
            )
            tx.insert_ticket(ticket)
            tx.log(
                Transition(
                    "issued",
                    ticket.id,
                    now,
                    None,
                    "waiting",
                    service_id=service.id,
                    data={"priority": priority, "lang": lang},
                ),
                day,
                number,
            )
            figures = QueueFigures.read(tx, self.clock)
            status = self._status_view(tx, ticket, figures)
            status_url = self.status_url(ticket.token)
            if self.spooler is not None:
                payload = {
                    "venue": (tx.setting("venue") or {}).get("name", ""),
                    "number": number,
                    "service": service.name,
                    "issued_at": iso(now),
                    "people_ahead": status["people_ahead"],
                    "estimated_wait_min": status["estimated_wait_min"],
                    "status_url": status_url,
                    "lang": lang,
                }
                tx.add_print_job(ticket, payload, now)
            change = Change(tx.seq, self._services_view(figures))
        self.publish(change)
        if self.spooler is None:
            printing = "disabled"
        else:
            self.spooler.notify()
            printing = "queued" if self.spooler.accepting else "printer_unavailable"
        return {
            "number": number,
            "service": service.id,
            "service_name": service.name,
            "token": ticket.token,
            "status_url": status_url,
            "status": "waiting",
            "position": status["position"],
            "people_ahead": status["people_ahead"],
            "estimated_wait_min": status["estimated_wait_min"],
            "issued_at": iso(now),
            "print": printing,
        }

    def reprint(self, number: str) -> dict:
        """Print today's ticket ``number`` again (paper jam, lost ticket, printer was down)."""
        if self.spooler is None:
            raise Conflict("No printer is configured.")
        now = self.clock.now()
        with self.store.write(publish=False) as tx:
            ticket = tx.ticket_by_number(self.clock.day(now), number)
            if ticket is None:
                raise NotFound(f"No ticket {number} today.", number=number)
            payload = tx.last_print_payload(ticket.id)
            if payload is None:
                raise Conflict(f"Ticket {number} was never sent to a printer.", number=number)
            tx.add_print_job(ticket, payload, now)
        self.spooler.notify()
        return {"number": number, "queued": True}

    def cancel_by_visitor(self, token: str) -> dict:
        now = self.clock.now()
        with self.store.write() as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise NotFound("Unknown ticket.")
            tx.log(ticket.cancel(now), ticket.day, ticket.number)
            tx.save_ticket(ticket)
            figures = QueueFigures.read(tx, self.clock)
            view = self._status_view(tx, ticket, figures)
            change = Change(tx.seq, self._services_view(figures))
        self.publish(change)
        return view

    # --- counters -------------------------------------------------------------------------
    def _take_counter(self, tx: Tx, counter_id: int, actor: Actor, now: datetime) -> Counter:
        counters = tx.counters()
        counter = next((c for c in counters if c.id == counter_id), None)
        if counter is None or not counter.enabled:
            raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
        if counter.held_by == actor.id:
            return counter
        if counter.held_by is not None:
            holder = tx.user(counter.held_by)
            name = holder.display_name if holder else str(counter.held_by)
            raise Conflict(f"{counter.name} is held by {name}.", counter=counter_id, held_by=name)
        for other in counters:
            if other.held_by == actor.id:
                if other.current_ticket_id is not None:
                    raise Conflict(
                        f"Finish the current visitor at {other.name} first.", counter=other.id
                    )
                other.held_by = None
                tx.save_counter(other)
                tx.log(
                    Transition(
                        "counter_released", None, now, None, None, other.id, user_id=actor.id
                    ),
                    self.clock.day(now),
                )
        counter.held_by = actor.id
        tx.save_counter(counter, held_since=now)
        tx.log(
            Transition("counter_taken", None, now, None, None, counter.id, user_id=actor.id),
            self.clock.day(now),
        )
        return counter

    def _current(self, tx: Tx, counter: Counter) -> Ticket | None:
        if counter.current_ticket_id is None:
            return None
        ticket = tx.ticket(counter.current_ticket_id)
        return ticket if ticket and ticket.status.is_open_at_counter else None

    def _counter_result(self, tx: Tx, counter: Counter, ticket: Ticket | None) -> dict:
        return {
            "ticket": None if ticket is None else self.ticket_view(tx, ticket),
            "counter": {
                "id": counter.id,
                "name": counter.name,
                "services": counter.service_ids,
                "paused": counter.paused,
            },
        }

    def _counter_op(
        self, counter_id: int, actor: Actor, body: Callable[[Tx, Counter, datetime], tuple]
    ) -> dict:
        """Run a counter action in one transaction, then publish what it changed."""
        now = self.clock.now()
        with self.store.write() as tx:
            counter = self._take_counter(tx, counter_id, actor, now)
            ticket, call = body(tx, counter, now)
            result = self._counter_result(tx, counter, ticket)
            calls = []
            if call is not None:
                names = {c.id: c.name for c in tx.counters()}
                calls.append(
                    self._call_view(
                        ticket.number,
                        counter.id,
                        names,
                        now,
                        recall=call == "recalled",
                        service=ticket.service_id,
                    )
                )
            change = Change(
                tx.seq,
                self._services_view(QueueFigures.read(tx, self.clock)),
                calls=calls,
                tickets=[result["ticket"]] if ticket else [],
                counters_changed=True,
            )
        for item in calls:
            item["seq"] = change.seq
        self.publish(change)
        return result

    def _apply(self, tx: Tx, ticket: Ticket, transition: Transition) -> None:
        tx.log(transition, ticket.day, ticket.number)
        tx.save_ticket(ticket)

    def call_next(self, counter_id: int, actor: Actor) -> dict:
        def body(tx: Tx, counter: Counter, now: datetime):
            if counter.paused:
                counter.paused = False  # pressing "next" ends the break
                tx.log(
                    Transition(
                        "counter_resumed", None, now, None, None, counter.id, user_id=actor.id
                    ),
                    self.clock.day(now),
                )
            current = self._current(tx, counter)
            if current is not None:
                self._apply(tx, current, current.finish(now, actor.id))
            candidates = tx.waiting(self.clock.day(now), counter.service_ids)
            ticket = choose_next(candidates, counter.service_ids)
            counter.current_ticket_id = None
            if ticket is not None:
                self._apply(tx, ticket, ticket.call(counter.id, now, actor.id))
                counter.current_ticket_id = ticket.id
            tx.save_counter(counter)
            return ticket, "called" if ticket else None

        return self._counter_op(counter_id, actor, body)

    def call_number(self, counter_id: int, actor: Actor, number: str) -> dict:
        """Call one particular waiting ticket (the visitor is standing at the counter)."""

        def body(tx: Tx, counter: Counter, now: datetime):
            ticket = tx.ticket_by_number(self.clock.day(now), number)
            if ticket is None:
                raise NotFound(f"No ticket {number} today.", number=number)
            if ticket.status is not Status.WAITING:
                raise Conflict(f"Ticket {number} is {ticket.status}.", number=number)
            counter.paused = False
            current = self._current(tx, counter)
            if current is not None:
                self._apply(tx, current, current.finish(now, actor.id))
            self._apply(tx, ticket, ticket.call(counter.id, now, actor.id))
            counter.current_ticket_id = ticket.id
            tx.save_counter(counter)
            return ticket, "called"

        return self._counter_op(counter_id, actor, body)

    def _on_current(self, counter_id: int, actor: Actor, action: str, *args) -> dict:
        """recall / start / finish / no_show / requeue / transfer on the counter's ticket."""

        def body(tx: Tx, counter: Counter, now: datetime):
            ticket = self._current(tx, counter)
            if ticket is None:
                raise Conflict(f"{counter.name} has no current visitor.", counter=counter.id)
            transition = getattr(ticket, action)(*args, now, actor.id)
            self._apply(tx, ticket, transition)
            if not ticket.status.is_open_at_counter:
                counter.current_ticket_id = None
                tx.save_counter(counter)
            return ticket, "recalled" if action == "recall" else None

        return self._counter_op(counter_id, actor, body)

    def recall(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "recall")

    def start(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "start")

    def finish(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "finish")

    def no_show(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "no_show")

    def requeue(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "requeue")

    def transfer(self, counter_id: int, actor: Actor, service_id: int) -> dict:
        with self.store.read() as tx:
            target = tx.service(service_id)
        if target is None or not target.enabled:
            raise NotFound(f"Unknown service {service_id}.", service=service_id)
        return self._on_current(counter_id, actor, "transfer", service_id)

    def _set_paused(self, counter_id: int, actor: Actor, paused: bool) -> dict:
        def body(tx: Tx, counter: Counter, now: datetime):
            if counter.paused != paused:
                counter.paused = paused
                tx.save_counter(counter)
                kind = "counter_paused" if paused else "counter_resumed"
                tx.log(
                    Transition(kind, None, now, None, None, counter.id, user_id=actor.id),
                    self.clock.day(now),
                )
            return self._current(tx, counter), None

        return self._counter_op(counter_id, actor, body)

    def pause(self, counter_id: int, actor: Actor) -> dict:
        return self._set_paused(counter_id, actor, True)

    def resume(self, counter_id: int, actor: Actor) -> dict:
        return self._set_paused(counter_id, actor, False)

    def release(self, counter_id: int, actor: Actor) -> dict:
        """Leave the counter. A visitor still open there goes back to the queue, in place."""
        now = self.clock.now()
        day = self.clock.day(now)
        with self.store.write() as tx:
            counter = tx.counter(counter_id)
            if counter is None:
                raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
            if counter.held_by != actor.id:
                raise Conflict(f"You do not hold {counter.name}.", counter=counter_id)
            current = self._current(tx, counter)
            if current is not None:
                if current.status is Status.SERVING:
                    self._apply(tx, current, current.finish(now, actor.id))
                else:
                    self._apply(tx, current, current.requeue(now, actor.id))
            counter.current_ticket_id = None
            counter.held_by = None
            counter.paused = False
            tx.save_counter(counter)
            tx.log(
                Transition("counter_released", None, now, None, None, counter.id, user_id=actor.id),
                day,
            )
            result = self._counter_result(tx, counter, None)
            change = Change(
                tx.seq,
                self._services_view(QueueFigures.read(tx, self.clock)),
                counters_changed=True,
            )
        self.publish(change)
        return result

    def release_all(self, actor: Actor) -> None:
        with self.store.read() as tx:
            held = [c.id for c in tx.counters() if c.held_by == actor.id]
        for counter_id in held:
            self.release(counter_id, actor)

    def counter_status(self, counter_id: int) -> dict:
        with self.store.read() as tx:
            counter = tx.counter(counter_id)
            if counter is None:
                raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
            return self._counter_result(tx, counter, self._current(tx, counter))

    def set_service_open(self, service_id: int, actor: Actor, manual_open: bool | None) -> dict:
        """Staff open (True) or close (False) a service by hand, or hand it back to the opening
        hours (None)."""
        now = self.clock.now()
        with self.store.write() as tx:
            service = tx.service(service_id)
            if service is None:
                raise NotFound(f"Unknown service {service_id}.", service=service_id)
            service.manual_open = manual_open
            tx.upsert_service(service)
            kind = {True: "service_opened", False: "service_closed", None: "service_auto"}
            transition = Transition(
                kind[manual_open], None, now, None, None, service_id=service_id, user_id=actor.id
            )
            tx.log(transition, self.clock.day(now))
            figures = QueueFigures.read(tx, self.clock)
            services = self._services_view(figures)
            change = Change(tx.seq, services)
        self.publish(change)
        return next(s for s in services if s["id"] == service_id)

    def waiting_lists(self) -> dict[int, list[dict]]:
        with self.store.read() as tx:
            services = {s.id: s for s in tx.services()}
            tickets = waiting_in_order(tx.waiting(self.clock.day()), services)
            out: dict[int, list[dict]] = {}
            for t in tickets:
                out.setdefault(t.service_id, []).append(self.ticket_view(tx, t, services))
            return out

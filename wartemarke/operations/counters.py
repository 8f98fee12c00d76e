"""The clerks' use cases at a counter: call, recall, serve, finish, transfer, pause.

Each action runs in one transaction through ``_counter_op``: take the counter (or refuse, 409,
when another clerk holds it), apply the action, then publish the calls and every ticket that
changed after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..domain.appointments import choose
from ..domain.model import Conflict, Counter, Invalid, NotFound, Status, Ticket, Transition
from ..store.repository import Tx
from .common import Actor, Base, Change

WITHOUT_TICKET_PREFIX = "#"  # never a service prefix (those are letters)
# The call policy looks at the front of the queue only; the store returns it in policy order.
QUEUE_FRONT = 50


@dataclass
class CounterAction:
    """One action's working set: the transaction, the counter, and what it changed."""

    tx: Tx
    counter: Counter
    actor: Actor
    now: datetime
    day: str
    changed: list[Ticket] = field(default_factory=list)
    called: Ticket | None = None
    recalled: bool = False

    def apply(self, ticket: Ticket, transition: Transition) -> None:
        self.tx.log(transition, ticket.day, ticket.number)
        self.tx.save_ticket(ticket)
        if ticket not in self.changed:
            self.changed.append(ticket)

    def log_counter(self, kind: str, **data) -> None:
        self.tx.log(
            Transition(
                kind,
                None,
                self.now,
                None,
                None,
                self.counter.id,
                user_id=self.actor.id,
                data=data or None,
            ),
            self.day,
        )

    def current(self) -> Ticket | None:
        if self.counter.current_ticket_id is None:
            return None
        ticket = self.tx.ticket(self.counter.current_ticket_id)
        return ticket if ticket and ticket.status.is_open_at_counter else None

    def close_current(self, cases: dict[int, int] | None = None) -> None:
        """Finish the visitor still open here ("next" while a ticket is open finishes it)."""
        current = self.current()
        if current is not None:
            if cases:
                self.tx.set_cases(current.id, cases)
            self.apply(current, current.finish(self.now, self.actor.id))
        self.counter.current_ticket_id = None

    def call(self, ticket: Ticket) -> None:
        self.apply(ticket, ticket.call(self.counter.id, self.now, self.actor.id))
        self.counter.current_ticket_id = ticket.id
        self.called = ticket

    def resume(self) -> None:
        if self.counter.paused:
            self.counter.paused = False  # calling someone ends the break
            self.log_counter("counter_resumed")


Body = Callable[[CounterAction], Ticket | None]


class CounterOps(Base):
    def _take_counter(self, tx: Tx, counter_id: int, actor: Actor, now: datetime) -> Counter:
        day = self.clock.day(now)
        counters = tx.counters(day)
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
                    day,
                )
        counter.held_by = actor.id
        tx.save_counter(counter, held_since=now)
        tx.log(
            Transition("counter_taken", None, now, None, None, counter.id, user_id=actor.id), day
        )
        return counter

    def _counter_result(
        self, tx: Tx, counter: Counter, ticket: Ticket | None, actor: Actor
    ) -> dict:
        return {
            "ticket": None if ticket is None else self.ticket_view(tx, ticket),
            "counter": {
                "id": counter.id,
                "name": counter.name,
                "services": counter.service_ids,
                "paused": counter.paused,
            },
            "me": tx.clerk_stats(actor.id, self.clock.day()),
        }

    def _counter_op(self, counter_id: int, actor: Actor, body: Body, take: bool = True) -> dict:
        """Run a counter action in one transaction, then publish what it changed.

        ``take``: a free counter becomes the clerk's; otherwise the clerk must already hold it."""
        now = self.clock.now()
        with self.store.write() as tx:
            if take:
                counter = self._take_counter(tx, counter_id, actor, now)
            else:
                counter = tx.counter(counter_id, self.clock.day(now))
                if counter is None:
                    raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
                if counter.held_by != actor.id:
                    raise Conflict(f"You do not hold {counter.name}.", counter=counter_id)
            action = CounterAction(tx, counter, actor, now, self.clock.day(now))
            shown = body(action)
            tx.save_counter(counter)
            result = self._counter_result(tx, counter, shown, actor)
            calls = []
            if action.called is not None:
                names = {c.id: c.name for c in tx.counters()}
                calls.append(
                    self._call_view(
                        action.called.number,
                        counter.id,
                        names,
                        now,
                        recall=action.recalled,
                        service=action.called.service_id,
                    )
                )
            services = {s.id: s for s in tx.services()}
            change = Change(
                tx.seq,
                self._services_view(self._figures(tx)),
                calls=calls,
                tickets=[self.ticket_view(tx, t, services) for t in action.changed],
                tokens=[t.token for t in action.changed],
                counters_changed=True,
            )
        for item in calls:
            item["seq"] = change.seq
        self.publish(change)
        return result

    # --- calling --------------------------------------------------------------------------
    def call_next(self, counter_id: int, actor: Actor, cases: dict | None = None) -> dict:
        def body(a: CounterAction):
            a.resume()
            a.close_current(cases)
            # Walk-ins in their order, checked-in appointments by slot (see appointments.choose).
            services = a.counter.service_ids
            walk_ins = a.tx.waiting(a.day, services, first=QUEUE_FRONT, appointments=False)
            booked = a.tx.waiting(a.day, services, first=QUEUE_FRONT, appointments=True)
            streak = a.tx.appointment_streak(a.day, a.counter.id, self.rules.walk_in_after)
            ticket = choose(booked, walk_ins, a.now, streak, self.rules)
            if ticket is not None:
                a.call(ticket)
            return ticket

        return self._counter_op(counter_id, actor, body)

    def call_number(self, counter_id: int, actor: Actor, number: str) -> dict:
        """Call one particular waiting ticket (the visitor is standing at the counter)."""

        def body(a: CounterAction):
            ticket = a.tx.ticket_by_number(a.day, number)
            if ticket is None:
                raise NotFound(f"No ticket {number} today.", number=number)
            if ticket.status is not Status.WAITING:
                raise Conflict(f"Ticket {number} is {ticket.status}.", number=number)
            a.resume()
            a.close_current()
            a.call(ticket)
            return ticket

        return self._counter_op(counter_id, actor, body)

    def serve_without_ticket(self, counter_id: int, actor: Actor, service_id: int) -> dict:
        """A visitor served without taking a ticket still counts, so the evaluation is complete."""

        def body(a: CounterAction):
            service = a.tx.service(service_id)
            if service is None or not service.enabled:
                raise NotFound(f"Unknown service {service_id}.", service=service_id)
            a.resume()
            a.close_current()
            number = f"{WITHOUT_TICKET_PREFIX}{a.tx.next_number(a.day, WITHOUT_TICKET_PREFIX):03d}"
            ticket = Ticket(
                None, a.day, service.id, number, self.new_token(), Status.WAITING, a.now, a.now
            )
            a.tx.insert_ticket(ticket)
            issued = Transition(
                "issued",
                ticket.id,
                a.now,
                None,
                "waiting",
                service_id=service.id,
                user_id=actor.id,
                data={"without_ticket": True},
            )
            a.apply(ticket, issued)
            ticket.call(a.counter.id, a.now, actor.id)  # no call on the display: they are here
            a.apply(ticket, ticket.start(a.now, actor.id))
            a.counter.current_ticket_id = ticket.id
            return ticket

        return self._counter_op(counter_id, actor, body)

    # --- the current visitor --------------------------------------------------------------
    def _on_current(self, counter_id: int, actor: Actor, action: str, *args, cases=None) -> dict:
        """recall / start / finish / no_show / requeue / transfer on the counter's ticket."""

        def body(a: CounterAction):
            ticket = a.current()
            if ticket is None:
                raise Conflict(f"{a.counter.name} has no current visitor.", counter=a.counter.id)
            if cases:
                a.tx.set_cases(ticket.id, cases)
            a.apply(ticket, getattr(ticket, action)(*args, a.now, actor.id))
            if action == "recall":
                a.called, a.recalled = ticket, True
            if not ticket.status.is_open_at_counter:
                a.counter.current_ticket_id = None
            return ticket

        return self._counter_op(counter_id, actor, body)

    def recall(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "recall")

    def start(self, counter_id: int, actor: Actor) -> dict:
        return self._on_current(counter_id, actor, "start")

    def finish(self, counter_id: int, actor: Actor, cases: dict | None = None) -> dict:
        return self._on_current(counter_id, actor, "finish", cases=cases)

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

    def record_cases(self, counter_id: int, actor: Actor, cases: dict[int, int]) -> dict:
        """The concerns handled in the current visit, e.g. {passport: 2, registration: 1}."""

        def body(a: CounterAction):
            ticket = a.current()
            if ticket is None:
                raise Conflict(f"{a.counter.name} has no current visitor.", counter=a.counter.id)
            self._check_services(a.tx, list(cases))
            a.tx.set_cases(ticket.id, cases)
            a.log_counter(
                "cases", ticket=ticket.number, cases={str(k): v for k, v in cases.items()}
            )
            return ticket

        return self._counter_op(counter_id, actor, body)

    # --- the counter itself ---------------------------------------------------------------
    def _set_paused(self, counter_id: int, actor: Actor, paused: bool) -> dict:
        def body(a: CounterAction):
            if a.counter.paused != paused:
                a.counter.paused = paused
                a.log_counter("counter_paused" if paused else "counter_resumed")
            return a.current()

        return self._counter_op(counter_id, actor, body)

    def pause(self, counter_id: int, actor: Actor) -> dict:
        return self._set_paused(counter_id, actor, True)

    def resume(self, counter_id: int, actor: Actor) -> dict:
        return self._set_paused(counter_id, actor, False)

    def set_counter_services(self, counter_id: int, actor: Actor, service_ids: list[int]) -> dict:
        """The clerk changes what this counter serves, for today only."""

        def body(a: CounterAction):
            self._check_services(a.tx, service_ids)
            if not service_ids:
                raise Invalid("A counter must serve at least one service.", field="services")
            base = a.tx.counter(a.counter.id)
            if sorted(set(service_ids)) == sorted(base.service_ids):
                a.tx.clear_day_services(a.counter.id, a.day)
            else:
                a.tx.set_day_services(a.counter.id, a.day, sorted(set(service_ids)))
            a.counter.service_ids = sorted(set(service_ids))
            a.log_counter("counter_services", services=a.counter.service_ids)
            return a.current()

        return self._counter_op(counter_id, actor, body)

    @staticmethod
    def _check_services(tx: Tx, service_ids: list[int]) -> None:
        known = {s.id for s in tx.services() if s.enabled}
        unknown = [sid for sid in service_ids if sid not in known]
        if unknown:
            raise NotFound(f"Unknown services {unknown}.", services=unknown)

    def release(self, counter_id: int, actor: Actor) -> dict:
        """Leave the counter. A visitor still open there goes back to the queue, in place."""

        def body(a: CounterAction):
            current = a.current()
            if current is not None:
                if current.status is Status.SERVING:
                    a.apply(current, current.finish(a.now, actor.id))
                else:
                    a.apply(current, current.requeue(a.now, actor.id))
            a.counter.current_ticket_id = None
            a.counter.held_by = None
            a.counter.paused = False
            a.log_counter("counter_released")
            return None

        return self._counter_op(counter_id, actor, body, take=False)

    def release_all(self, actor: Actor) -> None:
        with self.store.read() as tx:
            held = [c.id for c in tx.counters() if c.held_by == actor.id]
        for counter_id in held:
            self.release(counter_id, actor)

    def counter_status(self, counter_id: int, actor: Actor) -> dict:
        with self.store.read() as tx:
            counter = tx.counter(counter_id, self.clock.day())
            if counter is None:
                raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
            current = None
            if counter.current_ticket_id is not None:
                ticket = tx.ticket(counter.current_ticket_id)
                current = ticket if ticket and ticket.status.is_open_at_counter else None
            result = self._counter_result(tx, counter, current, actor)
            if current is not None:
                result["cases"] = {str(k): v for k, v in tx.cases(current.id).items()}
            holder = tx.user(counter.held_by) if counter.held_by else None
            result["counter"]["held_by"] = holder.display_name if holder else None
            result["counter"]["held_by_id"] = counter.held_by
            result["counter"]["held_by_me"] = counter.held_by == actor.id
            return result

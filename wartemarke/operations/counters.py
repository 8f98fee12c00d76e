"""The clerks' use cases at a counter: call, recall, serve, finish, transfer, pause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..domain.model import Conflict, Counter, NotFound, Status, Ticket, Transition
from ..domain.policy import choose_next
from ..store.repository import Tx
from .common import Actor, Base, Change, QueueFigures


class CounterOps(Base):
    # --- counters -------------------------------------------------------------------------
    def _take_counter(self, tx: Tx, counter_id: int, actor: Actor, now: datetime) -> Counter:
        counters = tx.counters(self.clock.day(now))
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
            counter = tx.counter(counter_id, day)
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
            counter = tx.counter(counter_id, self.clock.day())
            if counter is None:
                raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
            return self._counter_result(tx, counter, self._current(tx, counter))

"""Services, counters and tickets, and the ticket's state machine.

Every transition is a method on :class:`Ticket` that checks the current state, changes it and
returns a :class:`Transition` record; the store appends that record to the event log in the same
transaction, so the log is a complete history of every ticket.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class DomainError(Exception):
    """A request that the domain refuses; the API maps it to a 4xx answer."""

    status = 409

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class Invalid(DomainError):
    status = 400


class Conflict(DomainError):
    status = 409


class Status(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def is_open_at_counter(self) -> bool:
        return self in (Status.CALLED, Status.SERVING)

    @property
    def is_final(self) -> bool:
        return self in (Status.DONE, Status.NO_SHOW, Status.CANCELLED)


class Priority(enum.IntEnum):
    """Higher goes first. Appointments and people who need priority are called before others."""

    NORMAL = 0
    PRIORITY = 1


@dataclass
class Service:
    id: int
    name: str
    prefix: str
    expected_minutes: float
    description: str = ""
    enabled: bool = True
    # None: follows opening hours; True/False: opened or closed by hand.
    manual_open: bool | None = None
    sort: int = 0
    # Name and description in other languages than German, by language code: {"en": "ID card"}.
    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    # Its tickets' priority (0 or 1): 1 calls them before other services' at a shared counter.
    priority: int = 0


@dataclass
class Counter:
    id: int
    name: str
    service_ids: list[int] = field(default_factory=list)
    enabled: bool = True
    paused: bool = False
    held_by: int | None = None
    current_ticket_id: int | None = None

    @property
    def staffed(self) -> bool:
        return self.enabled and self.held_by is not None and not self.paused


@dataclass(frozen=True)
class Transition:
    """One entry of the append-only event log."""

    kind: str
    ticket_id: int | None
    at: datetime
    from_status: str | None
    to_status: str | None
    counter_id: int | None = None
    service_id: int | None = None
    user_id: int | None = None
    data: dict | None = None


@dataclass
class Ticket:
    id: int | None
    day: str
    service_id: int
    number: str
    token: str
    status: Status
    issued_at: datetime
    # The place in the queue: kept across a transfer or a return to the queue.
    queued_at: datetime
    priority: int = Priority.NORMAL
    lang: str = "de"
    original_service_id: int | None = None
    counter_id: int | None = None
    called_at: datetime | None = None
    serving_at: datetime | None = None
    finished_at: datetime | None = None
    recalls: int = 0
    # An appointment's ticket: due at the slot's start (see domain/appointments.py).
    appointment_id: int | None = None
    due_at: datetime | None = None

    def _move(
        self,
        kind: str,
        to: Status,
        at: datetime,
        counter_id: int | None,
        user_id: int | None,
        **data,
    ) -> Transition:
        before = self.status
        self.status = to
        return Transition(
            kind=kind,
            ticket_id=self.id,
            at=at,
            from_status=str(before),
            to_status=str(to),
            counter_id=counter_id,
            service_id=self.service_id,
            user_id=user_id,
            data=data or None,
        )

    def _require(self, action: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise Conflict(
                f"Ticket {self.number} is {self.status}; cannot {action}.",
                ticket=self.number,
                status=str(self.status),
            )

    def call(self, counter_id: int, at: datetime, user_id: int | None = None) -> Transition:
        self._require("call it", Status.WAITING)
        self.counter_id = counter_id
        self.called_at = at
        self.recalls = 0
        return self._move("called", Status.CALLED, at, counter_id, user_id)

    def recall(self, at: datetime, user_id: int | None = None) -> Transition:
        self._require("recall it", Status.CALLED)
        self.recalls += 1
        return self._move(
            "recalled", Status.CALLED, at, self.counter_id, user_id, recalls=self.recalls
        )

    def start(self, at: datetime, user_id: int | None = None) -> Transition:
        self._require("start serving", Status.CALLED)
        self.serving_at = at
        return self._move("serving", Status.SERVING, at, self.counter_id, user_id)

    def finish(self, at: datetime, user_id: int | None = None) -> Transition:
        self._require("finish it", Status.CALLED, Status.SERVING)
        if self.serving_at is None:
            # Finished straight after the call: the service began when the person was called.
            self.serving_at = self.called_at
        self.finished_at = at
        return self._move("finished", Status.DONE, at, self.counter_id, user_id)

    def no_show(self, at: datetime, user_id: int | None = None) -> Transition:
        self._require("mark it as no-show", Status.CALLED)
        self.finished_at = at
        return self._move("no_show", Status.NO_SHOW, at, self.counter_id, user_id)

    def cancel(
        self, at: datetime, user_id: int | None = None, reason: str = "visitor"
    ) -> Transition:
        self._require("cancel it", Status.WAITING)
        self.finished_at = at
        return self._move("cancelled", Status.CANCELLED, at, None, user_id, reason=reason)

    def close_day(self, at: datetime, user_id: int | None = None) -> Transition:
        """End of the day: a visitor still being served is finished; one still waiting or
        called is cancelled with the reason "day_closed". Logged under the usual kinds
        ("finished", "cancelled"), so the statistics count these tickets like any other."""
        self._require("close the day for it", Status.WAITING, Status.CALLED, Status.SERVING)
        self.finished_at = at
        counter_id = self.counter_id
        if self.status is Status.SERVING:
            return self._move("finished", Status.DONE, at, counter_id, user_id, reason="day_closed")
        return self._move(
            "cancelled", Status.CANCELLED, at, counter_id, user_id, reason="day_closed"
        )

    def requeue(self, at: datetime, user_id: int | None = None) -> Transition:
        """Back into the queue at the ticket's original place (the visitor stepped away)."""
        self._require("return it to the queue", Status.CALLED, Status.SERVING)
        counter_id = self.counter_id
        self._release()
        return self._move("requeued", Status.WAITING, at, counter_id, user_id)

    def transfer(self, service_id: int, at: datetime, user_id: int | None = None) -> Transition:
        """Send the visitor on to another service; they keep their original place in line."""
        self._require("transfer it", Status.WAITING, Status.CALLED, Status.SERVING)
        if service_id == self.service_id and self.status is Status.WAITING:
            raise Conflict(f"Ticket {self.number} is already queued for that service.")
        counter_id = self.counter_id
        from_service = self.service_id
        if self.original_service_id is None:
            self.original_service_id = from_service
        self.service_id = service_id
        self._release()
        return self._move(
            "transferred",
            Status.WAITING,
            at,
            counter_id,
            user_id,
            from_service=from_service,
            to_service=service_id,
        )

    def _release(self) -> None:
        self.counter_id = None
        self.called_at = None
        self.serving_at = None
        self.recalls = 0

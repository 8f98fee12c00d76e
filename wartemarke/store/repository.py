"""Reading and writing domain objects inside one transaction (see ``Store.write``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from ..domain.appointments import Appointment
from ..domain.model import Counter, Service, Status, Ticket, Transition
from . import schema as s


def _service(row) -> Service:
    return Service(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        expected_minutes=row.expected_minutes,
        description=row.description,
        enabled=row.enabled,
        manual_open=row.manual_open,
        sort=row.sort,
        names=row.names or {},
        descriptions=row.descriptions or {},
        priority=row.priority,
    )


def _ticket(row) -> Ticket:
    return Ticket(
        id=row.id,
        day=row.day,
        service_id=row.service_id,
        number=row.number,
        token=row.token,
        status=Status(row.status),
        issued_at=row.issued_at,
        queued_at=row.queued_at,
        priority=row.priority,
        lang=row.lang,
        original_service_id=row.original_service_id,
        counter_id=row.counter_id,
        called_at=row.called_at,
        serving_at=row.serving_at,
        finished_at=row.finished_at,
        recalls=row.recalls,
        appointment_id=row.appointment_id,
        due_at=row.due_at,
    )


_TICKET_MUTABLE = (
    "service_id",
    "original_service_id",
    "status",
    "priority",
    "queued_at",
    "called_at",
    "serving_at",
    "finished_at",
    "counter_id",
    "recalls",
    "appointment_id",
    "due_at",
)


_UNREAD = object()

_APPOINTMENT_FIELDS = (
    "day",
    "slot",
    "service_id",
    "code",
    "status",
    "name",
    "ticket_id",
    "checked_in_at",
)


def _appointment(row) -> Appointment:
    return Appointment(**{k: getattr(row, k) for k in ("id", *_APPOINTMENT_FIELDS)})


POPUP_FIELDS = ("key", "name", "place", "address", "district", "first_day", "last_day")


class Tx:
    """The repository of one transaction. ``seq`` is the change's sequence number."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.seq = 0
        self._popup_id: int | None | object = _UNREAD

    # --- settings -------------------------------------------------------------------------
    def setting(self, key: str, default=None):
        value = self.conn.execute(select(s.settings.c.value).where(s.settings.c.key == key))
        row = value.first()
        return default if row is None else row[0]

    def set_setting(self, key: str, value) -> None:
        if (
            self.conn.execute(
                update(s.settings).where(s.settings.c.key == key).values(value=value)
            ).rowcount
            == 0
        ):
            self.conn.execute(insert(s.settings).values(key=key, value=value))

    # --- pop-up events --------------------------------------------------------------------
    def popups(self) -> list[dict]:
        rows = self.conn.execute(select(s.popups).order_by(s.popups.c.id))
        return [dict(r._mapping) for r in rows]

    def popup(self, popup_id: int) -> dict | None:
        row = self.conn.execute(select(s.popups).where(s.popups.c.id == popup_id)).first()
        return None if row is None else dict(row._mapping)

    def popup_by_key(self, key: str) -> dict | None:
        row = self.conn.execute(select(s.popups).where(s.popups.c.key == key)).first()
        return None if row is None else dict(row._mapping)

    def save_popup(self, popup_id: int | None, values: dict, now: datetime) -> int:
        """Insert (``popup_id`` None) or update a pop-up; returns its id."""
        values = {k: v for k, v in values.items() if k in POPUP_FIELDS}
        if popup_id is None:
            return self.conn.execute(
                insert(s.popups).values(created_at=now, **values).returning(s.popups.c.id)
            ).scalar_one()
        if values:
            self.conn.execute(update(s.popups).where(s.popups.c.id == popup_id).values(**values))
        return popup_id

    def current_popup_id(self) -> int | None:
        """The pop-up new tickets belong to (read once per transaction)."""
        if self._popup_id is _UNREAD:
            self._popup_id = self.setting("current_popup")
        return self._popup_id

    def set_current_popup(self, popup_id: int) -> None:
        self.set_setting("current_popup", popup_id)
        self._popup_id = popup_id

    # --- services and counters ------------------------------------------------------------
    def services(self) -> list[Service]:
        rows = self.conn.execute(select(s.services).order_by(s.services.c.sort, s.services.c.id))
        return [_service(r) for r in rows]

    def service(self, service_id: int) -> Service | None:
        row = self.conn.execute(select(s.services).where(s.services.c.id == service_id)).first()
        return None if row is None else _service(row)

    def upsert_service(self, service: Service) -> None:
        values = {
            "name": service.name,
            "prefix": service.prefix,
            "expected_minutes": service.expected_minutes,
            "description": service.description,
            "enabled": service.enabled,
            "manual_open": service.manual_open,
            "sort": service.sort,
            "names": service.names or None,
            "descriptions": service.descriptions or None,
            "priority": service.priority,
        }
        done = self.conn.execute(
            update(s.services).where(s.services.c.id == service.id).values(**values)
        ).rowcount
        if not done:
            self.conn.execute(insert(s.services).values(id=service.id, **values))

    def counters(self, day: str | None = None) -> list[Counter]:
        """All counters; with ``day``, serving the services a clerk chose for that day."""
        links: dict[int, list[int]] = {}
        for cid, sid in self.conn.execute(
            select(s.counter_services.c.counter_id, s.counter_services.c.service_id).order_by(
                s.counter_services.c.service_id
            )
        ):
            links.setdefault(cid, []).append(sid)
        if day is not None:
            d = s.counter_day_services
            for cid, ids in self.conn.execute(
                select(d.c.counter_id, d.c.service_ids).where(d.c.day == day)
            ):
                links[cid] = sorted(ids)
        rows = self.conn.execute(select(s.counters).order_by(s.counters.c.id))
        return [
            Counter(
                id=r.id,
                name=r.name,
                service_ids=links.get(r.id, []),
                enabled=r.enabled,
                paused=r.paused,
                held_by=r.held_by,
                current_ticket_id=r.current_ticket_id,
            )
            for r in rows
        ]

    def counter(self, counter_id: int, day: str | None = None) -> Counter | None:
        return next((c for c in self.counters(day) if c.id == counter_id), None)

    def save_counter(self, counter: Counter, held_since: datetime | None = None) -> None:
        values = {
            "name": counter.name,
            "enabled": counter.enabled,
            "paused": counter.paused,
            "held_by": counter.held_by,
            "current_ticket_id": counter.current_ticket_id,
        }
        if held_since is not None or counter.held_by is None:
            values["held_since"] = held_since
        done = self.conn.execute(
            update(s.counters).where(s.counters.c.id == counter.id).values(**values)
        ).rowcount
        if not done:
            self.conn.execute(insert(s.counters).values(id=counter.id, **values))

    def set_counter_services(self, counter_id: int, service_ids: list[int]) -> None:
        current = {
            r[0]
            for r in self.conn.execute(
                select(s.counter_services.c.service_id).where(
                    s.counter_services.c.counter_id == counter_id
                )
            )
        }
        wanted = set(service_ids)
        if current == wanted:
            return
        self.conn.execute(
            delete(s.counter_services).where(s.counter_services.c.counter_id == counter_id)
        )
        if wanted:
            self.conn.execute(
                insert(s.counter_services),
                [{"counter_id": counter_id, "service_id": sid} for sid in sorted(wanted)],
            )

    def set_day_services(self, counter_id: int, day: str, service_ids: list[int]) -> None:
        d = s.counter_day_services
        key = (d.c.counter_id == counter_id) & (d.c.day == day)
        self.conn.execute(delete(d).where(key))
        self.conn.execute(
            insert(d).values(counter_id=counter_id, day=day, service_ids=sorted(service_ids))
        )

    def clear_day_services(self, counter_id: int, day: str) -> None:
        d = s.counter_day_services
        self.conn.execute(delete(d).where((d.c.counter_id == counter_id) & (d.c.day == day)))

    def set_cases(self, ticket_id: int, cases: dict[int, int]) -> None:
        v = s.visit_cases
        self.conn.execute(delete(v).where(v.c.ticket_id == ticket_id))
        if cases:
            self.conn.execute(
                insert(v),
                [{"ticket_id": ticket_id, "service_id": k, "count": n} for k, n in cases.items()],
            )

    def cases(self, ticket_id: int) -> dict[int, int]:
        v = s.visit_cases
        rows = self.conn.execute(
            select(v.c.service_id, v.c.count).where(v.c.ticket_id == ticket_id)
        )
        return dict(rows.all())

    def clerk_stats(self, user_id: int, day: str) -> dict:
        """Visits this clerk finished today, and their mean service time in minutes."""
        e, t = s.events, s.tickets
        rows = self.conn.execute(
            select(t.c.serving_at, t.c.finished_at)
            .select_from(e.join(t, t.c.id == e.c.ticket_id))
            .where((e.c.day == day) & (e.c.kind == "finished") & (e.c.user_id == user_id))
        ).all()
        minutes = [(b - a).total_seconds() / 60 for a, b in rows if a and b]
        return {
            "served_today": len(rows),
            "avg_service_min": round(sum(minutes) / len(minutes), 1) if minutes else None,
        }

    def held_since(self, counter_id: int) -> datetime | None:
        return self.conn.execute(
            select(s.counters.c.held_since).where(s.counters.c.id == counter_id)
        ).scalar_one_or_none()

    # --- tickets --------------------------------------------------------------------------
    def next_number(self, day: str, prefix: str) -> int:
        table = s.number_counters
        key = (table.c.day == day) & (table.c.prefix == prefix)
        last = self.conn.execute(
            update(table).where(key).values(last=table.c.last + 1).returning(table.c.last)
        ).scalar_one_or_none()
        if last is None:
            last = 1
            self.conn.execute(insert(table).values(day=day, prefix=prefix, last=last))
        return last

    def insert_ticket(self, ticket: Ticket) -> int:
        values = {name: getattr(ticket, name) for name in _TICKET_MUTABLE}
        values["status"] = str(ticket.status)
        ticket.id = self.conn.execute(
            insert(s.tickets)
            .values(
                day=ticket.day,
                number=ticket.number,
                token=ticket.token,
                issued_at=ticket.issued_at,
                lang=ticket.lang,
                popup_id=self.current_popup_id(),
                **values,
            )
            .returning(s.tickets.c.id)
        ).scalar_one()
        return ticket.id

    def save_ticket(self, ticket: Ticket) -> None:
        values = {name: getattr(ticket, name) for name in _TICKET_MUTABLE}
        values["status"] = str(ticket.status)
        self.conn.execute(update(s.tickets).where(s.tickets.c.id == ticket.id).values(**values))

    def ticket(self, ticket_id: int) -> Ticket | None:
        row = self.conn.execute(select(s.tickets).where(s.tickets.c.id == ticket_id)).first()
        return None if row is None else _ticket(row)

    def ticket_by_token(self, token: str) -> Ticket | None:
        row = self.conn.execute(select(s.tickets).where(s.tickets.c.token == token)).first()
        return None if row is None else _ticket(row)

    def tickets_by_tokens(self, tokens: list[str]) -> dict[str, Ticket]:
        rows = self.conn.execute(select(s.tickets).where(s.tickets.c.token.in_(tokens)))
        return {r.token: _ticket(r) for r in rows}

    def ticket_by_number(self, day: str, number: str) -> Ticket | None:
        row = self.conn.execute(
            select(s.tickets).where((s.tickets.c.day == day) & (s.tickets.c.number == number))
        ).first()
        return None if row is None else _ticket(row)

    def waiting(
        self,
        day: str,
        service_ids: list[int] | None = None,
        first: int | None = None,
        appointments: bool | None = None,
    ) -> list[Ticket]:
        """Today's waiting tickets in call order (``domain.policy.queue_order_key``, mirrored
        in SQL); with ``first``, only the front of the queue. ``appointments`` False: walk-ins
        only; True: appointment tickets only, by the time they are due."""
        t = s.tickets
        order = (t.c.priority.desc(), t.c.queued_at, t.c.id)
        if appointments:
            order = (t.c.due_at, t.c.queued_at, t.c.id)
        query = (
            select(t).where((t.c.day == day) & (t.c.status == str(Status.WAITING))).order_by(*order)
        )
        if appointments is not None:
            query = query.where(t.c.due_at.isnot(None) if appointments else t.c.due_at.is_(None))
        if service_ids is not None:
            query = query.where(t.c.service_id.in_(service_ids))
        if first is not None:
            query = query.limit(first)
        return [_ticket(r) for r in self.conn.execute(query)]

    def open_tickets(self, day: str) -> list[Ticket]:
        """The day's tickets not yet final: waiting, called or being served."""
        t = s.tickets
        open_states = [str(Status.WAITING), str(Status.CALLED), str(Status.SERVING)]
        rows = self.conn.execute(
            select(t).where((t.c.day == day) & t.c.status.in_(open_states)).order_by(t.c.id)
        )
        return [_ticket(r) for r in rows]

    def open_tickets_before(self, day: str) -> list[Ticket]:
        """Tickets of days before ``day`` that were never finished (nobody closed that day)."""
        t = s.tickets
        open_states = [str(Status.WAITING), str(Status.CALLED), str(Status.SERVING)]
        rows = self.conn.execute(
            select(t).where((t.c.day < day) & t.c.status.in_(open_states)).order_by(t.c.id)
        )
        return [_ticket(r) for r in rows]

    def waiting_tokens(self, day: str) -> list[tuple[str, int]]:
        """(token, service id) of today's waiting tickets in call order: a light ``waiting``."""
        t = s.tickets
        return self.conn.execute(
            select(t.c.token, t.c.service_id)
            .where((t.c.day == day) & (t.c.status == str(Status.WAITING)))
            .order_by(t.c.priority.desc(), t.c.queued_at, t.c.id)
        ).all()

    def people_ahead(self, ticket: Ticket) -> int:
        """Waiting tickets of the same service that the call policy puts before ``ticket``
        (the order of ``domain.policy.queue_order_key``), counted in the database."""
        t = s.tickets
        p, q = int(ticket.priority), ticket.queued_at
        before = (t.c.priority > p) | (
            (t.c.priority == p)
            & ((t.c.queued_at < q) | ((t.c.queued_at == q) & (t.c.id < ticket.id)))
        )
        return self.conn.execute(
            select(func.count()).where(
                (t.c.day == ticket.day)
                & (t.c.status == str(Status.WAITING))
                & (t.c.service_id == ticket.service_id)
                & (t.c.id != ticket.id)
                & before
            )
        ).scalar_one()

    def waiting_counts(self, day: str) -> dict[int, int]:
        rows = self.conn.execute(
            select(s.tickets.c.service_id, func.count())
            .where((s.tickets.c.day == day) & (s.tickets.c.status == str(Status.WAITING)))
            .group_by(s.tickets.c.service_id)
        )
        return {sid: n for sid, n in rows}

    def recent_service_minutes(self, day: str, limit: int = 10) -> dict[int, list[float]]:
        """Durations (minutes) of the most recently finished visits per service, oldest first."""
        t = s.tickets
        rows = self.conn.execute(
            select(t.c.service_id, t.c.serving_at, t.c.finished_at)
            .where(
                (t.c.day == day) & (t.c.status == str(Status.DONE)) & t.c.serving_at.is_not(None)
            )
            .order_by(t.c.finished_at.desc())
            .limit(limit * 20)
        )
        out: dict[int, list[float]] = {}
        for sid, start, end in rows:
            minutes = out.setdefault(sid, [])
            if len(minutes) < limit:
                minutes.append((end - start).total_seconds() / 60)
        return {sid: list(reversed(m)) for sid, m in out.items()}

    # --- event log ------------------------------------------------------------------------
    def log(self, transition: Transition, day: str, number: str | None = None) -> None:
        self.conn.execute(
            insert(s.events).values(
                at=transition.at,
                day=day,
                kind=transition.kind,
                ticket_id=transition.ticket_id,
                number=number,
                from_status=transition.from_status,
                to_status=transition.to_status,
                service_id=transition.service_id,
                counter_id=transition.counter_id,
                user_id=transition.user_id,
                data=transition.data,
                popup_id=self.current_popup_id(),
            )
        )

    def recent_calls(self, day: str, limit: int = 10) -> list[dict]:
        e = s.events
        rows = self.conn.execute(
            select(e.c.number, e.c.counter_id, e.c.at, e.c.kind)
            .where((e.c.day == day) & e.c.kind.in_(("called", "recalled")))
            .order_by(e.c.id.desc())
            .limit(limit)
        )
        return [
            {"number": r.number, "counter": r.counter_id, "at": r.at, "kind": r.kind} for r in rows
        ]

    # --- users ----------------------------------------------------------------------------
    def user_by_name(self, username: str):
        return self.conn.execute(select(s.users).where(s.users.c.username == username)).first()

    def user(self, user_id: int):
        return self.conn.execute(select(s.users).where(s.users.c.id == user_id)).first()

    def users(self):
        return list(self.conn.execute(select(s.users).order_by(s.users.c.id)))

    def add_user(
        self, username: str, password_hash: str, role: str, now: datetime, display_name: str = ""
    ) -> int:
        return self.conn.execute(
            insert(s.users)
            .values(
                username=username,
                display_name=display_name or username,
                password_hash=password_hash,
                role=role,
                active=True,
                created_at=now,
            )
            .returning(s.users.c.id)
        ).scalar_one()

    def update_user(self, user_id: int, **values) -> None:
        """Change some of display_name, role, active, password_hash."""
        self.conn.execute(update(s.users).where(s.users.c.id == user_id).values(**values))

    def set_password(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(
            update(s.users).where(s.users.c.id == user_id).values(password_hash=password_hash)
        )

    # --- print queue ----------------------------------------------------------------------
    def add_print_job(self, ticket: Ticket, payload: dict, now: datetime) -> int:
        return self.conn.execute(
            insert(s.print_jobs)
            .values(
                ticket_id=ticket.id,
                number=ticket.number,
                status="pending",
                payload=payload,
                created_at=now,
                attempts=0,
            )
            .returning(s.print_jobs.c.id)
        ).scalar_one()

    def print_jobs(self, statuses: tuple[str, ...], ticket_id: int | None = None) -> list:
        j = s.print_jobs
        query = select(j).where(j.c.status.in_(statuses)).order_by(j.c.id)
        if ticket_id is not None:
            query = query.where(j.c.ticket_id == ticket_id)
        return list(self.conn.execute(query))

    def last_print_payload(self, ticket_id: int) -> dict | None:
        j = s.print_jobs
        return self.conn.execute(
            select(j.c.payload).where(j.c.ticket_id == ticket_id).order_by(j.c.id.desc()).limit(1)
        ).scalar_one_or_none()

    def move_print_job(self, job_id: int, from_status: str, to_status: str, **values) -> bool:
        """Compare-and-set on the job's status: False if someone else moved it first."""
        j = s.print_jobs
        return bool(
            self.conn.execute(
                update(j)
                .where((j.c.id == job_id) & (j.c.status == from_status))
                .values(status=to_status, **values)
            ).rowcount
        )

    # --- feedback -------------------------------------------------------------------------
    def feedback(self, ticket_id: int):
        f = s.feedback
        return self.conn.execute(select(f).where(f.c.ticket_id == ticket_id)).first()

    def save_feedback(self, ticket: Ticket, now: datetime, **answers) -> None:
        """Insert or update one visit's answers; only the keys given change."""
        f = s.feedback
        if self.feedback(ticket.id) is None:
            self.conn.execute(
                insert(f).values(
                    ticket_id=ticket.id,
                    day=ticket.day,
                    service_id=ticket.service_id,
                    at=now,
                    **answers,
                )
            )
        else:
            self.conn.execute(update(f).where(f.c.ticket_id == ticket.id).values(at=now, **answers))

    # --- appointments -----------------------------------------------------------------------
    def appointments(
        self, day: str | None = None, slot: str | None = None, status: str | None = None
    ) -> list[Appointment]:
        a = s.appointments
        query = select(a).order_by(a.c.day, a.c.slot, a.c.id)
        if day is not None:
            query = query.where(a.c.day == day)
        if status is not None:
            query = query.where(a.c.status == status)
        if slot is not None:
            query = query.where(a.c.slot == slot)
        return [_appointment(r) for r in self.conn.execute(query)]

    def appointment(self, appointment_id: int) -> Appointment | None:
        a = s.appointments
        row = self.conn.execute(select(a).where(a.c.id == appointment_id)).first()
        return None if row is None else _appointment(row)

    def appointment_by_code(self, code: str) -> Appointment | None:
        a = s.appointments
        row = self.conn.execute(select(a).where(a.c.code == code)).first()
        return None if row is None else _appointment(row)

    def code_taken(self, codes: list[str]) -> set[str]:
        a = s.appointments
        return set(self.conn.execute(select(a.c.code).where(a.c.code.in_(codes))).scalars())

    def insert_appointment(self, appointment: Appointment, now: datetime) -> int:
        values = {k: getattr(appointment, k) for k in _APPOINTMENT_FIELDS}
        appointment.id = self.conn.execute(
            insert(s.appointments)
            .values(created_at=now, popup_id=self.current_popup_id(), **values)
            .returning(s.appointments.c.id)
        ).scalar_one()
        return appointment.id

    def save_appointment(self, appointment: Appointment) -> None:
        values = {k: getattr(appointment, k) for k in _APPOINTMENT_FIELDS}
        a = s.appointments
        self.conn.execute(update(a).where(a.c.id == appointment.id).values(**values))

    def names_kept(self, day: str) -> int:
        """How many bookings up to ``day`` still hold a name."""
        a = s.appointments
        return self.conn.execute(
            select(func.count()).where((a.c.day <= day) & a.c.name.isnot(None))
        ).scalar_one()

    def forget_names(self, day: str) -> int:
        """The only personal item of a booking goes when its day is closed (GDPR)."""
        a = s.appointments
        return self.conn.execute(
            update(a).where((a.c.day <= day) & a.c.name.isnot(None)).values(name=None)
        ).rowcount

    def appointment_streak(self, day: str, counter_id: int, limit: int) -> int:
        """How many of the counter's last calls today, counted back from the newest, were
        appointments. (Per counter: another counter's walk-in calls must not keep resetting it,
        or walk-ins waiting for this counter's services could wait without end.)"""
        e, t = s.events, s.tickets
        rows = self.conn.execute(
            select(t.c.due_at)
            .select_from(e.join(t, t.c.id == e.c.ticket_id))
            .where((e.c.day == day) & (e.c.kind == "called") & (e.c.counter_id == counter_id))
            .order_by(e.c.id.desc())
            .limit(limit)
        ).scalars()
        streak = 0
        for due_at in rows:
            if due_at is None:
                break
            streak += 1
        return streak

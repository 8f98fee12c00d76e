"""The appointments' use cases: book, cancel, list and import bookings (staff), check in at the
kiosk (visitors), and the no-shows of missed slots. The rules are ``domain/appointments.py``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain.appointments import (
    ACTIVE,
    BOOKED,
    CANCELLED,
    CHECKED_IN,
    LATE,
    NO_SHOW,
    Appointment,
    capacity,
    check_in_window,
    new_code,
    normalise_code,
    on_grid,
    parse_slot,
    slot_start,
)
from ..domain.hours import OpeningHours
from ..domain.model import Conflict, DomainError, Invalid, NotFound, Transition
from ..store.repository import Tx
from .common import Actor, iso
from .visitors import CLOSED_MESSAGES, VisitorOps

MAX_NAME = 128


class BadRows(Invalid):
    """An import with rows that cannot be booked: nothing of it was saved."""

    def __init__(self, rows: list[dict]) -> None:
        first = rows[0]
        super().__init__(
            f"{len(rows)} row(s) cannot be booked, e.g. line {first['line']}: {first['message']}",
            error="bad_rows",
            rows=rows,
        )


def service_of(value, services) -> int:
    """A service named in an import: by id, prefix or name (any case)."""
    text = str(value if value is not None else "").strip()
    for s in services:
        if text.isdigit() and int(text) == s.id:
            return s.id
    for s in services:
        if text.upper() == s.prefix or text.casefold() == s.name.casefold():
            return s.id
    raise Invalid(f"Unknown service '{text}' (give its number, letter or name).", field="service")


class AppointmentOps(VisitorOps):
    # --- views ----------------------------------------------------------------------------
    def _appointment_view(self, tx: Tx, a: Appointment, names: dict[int, str]) -> dict:
        ticket = tx.ticket(a.ticket_id) if a.ticket_id else None
        return {
            "id": a.id,
            "day": a.day,
            "slot": a.slot,
            "service": a.service_id,
            "service_name": names.get(a.service_id, ""),
            "code": a.code,
            "name": a.name,
            "status": a.status,
            "ticket": ticket.number if ticket else None,
            "checked_in_at": iso(a.checked_in_at),
        }

    def appointments_view(self, day: str) -> dict:
        with self.store.read() as tx:
            names = {s.id: s.name for s in tx.services()}
            rows = tx.appointments(day)
            return {
                "day": day,
                "rules": self._rules_view(),
                "appointments": [self._appointment_view(tx, a, names) for a in rows],
            }

    def _rules_view(self) -> dict:
        r = self.rules
        return {
            "prefix": r.prefix,
            "slot_minutes": r.slot_minutes,
            "counters": r.counters,
            "early_minutes": r.early_minutes,
            "grace_minutes": r.grace_minutes,
        }

    # --- booking --------------------------------------------------------------------------
    def _check_booking(self, tx: Tx, a: Appointment, pending: list[Appointment] = ()) -> None:
        """Raise ``DomainError`` unless ``a`` fits its day's opening hours and its slot's room
        (``pending``: bookings of the same import, not yet written)."""
        try:
            day = date.fromisoformat(a.day)
        except ValueError:
            raise Invalid(f"'{a.day}' is not a date (YYYY-MM-DD).", field="day") from None
        slot = parse_slot(a.slot)
        if slot is None:
            raise Invalid(f"'{a.slot}' is not a time (HH:MM).", field="slot")
        service = tx.service(a.service_id)
        if service is None or not service.enabled:
            raise NotFound(f"Unknown service {a.service_id}.", field="service")
        hours = OpeningHours.from_json(tx.setting("opening"))
        span = next((s for s in hours.spans_on(day) if s[0] <= slot < s[1]), None)
        if span is None:
            raise Conflict(f"{a.day} {a.slot}: the office is closed then.", field="slot")
        ends = (slot.hour * 60 + slot.minute + self.rules.slot_minutes) - (
            span[1].hour * 60 + span[1].minute
        )
        if ends > 0:
            raise Conflict(
                f"{a.day} {a.slot}: the slot would end after closing ({span[1]:%H:%M}).",
                field="slot",
            )
        if not on_grid(slot, span[0], self.rules.slot_minutes):
            raise Invalid(
                f"{a.slot} is no slot start: slots are {self.rules.slot_minutes} minutes from "
                f"{span[0].strftime('%H:%M')}.",
                field="slot",
            )
        counters = [c for c in tx.counters() if c.enabled]
        room = capacity(
            self.rules, len(counters), sum(1 for c in counters if a.service_id in c.service_ids)
        )
        taken = [
            b
            for b in [*tx.appointments(a.day, a.slot), *pending]
            if b.status in ACTIVE and b.day == a.day and b.slot == a.slot and b.id != a.id
        ]
        same = [b for b in taken if b.service_id == a.service_id]
        if len(taken) >= room.total:
            raise Conflict(
                f"{a.day} {a.slot} is fully booked ({len(taken)} of {room.total} appointments).",
                error="slot_full",
                field="slot",
            )
        if len(same) >= room.service:
            raise Conflict(
                f"{a.day} {a.slot}: {service.name} is fully booked ({len(same)} of "
                f"{room.service}: counters serving it).",
                error="slot_full",
                field="slot",
            )

    def _new_appointment(self, tx: Tx, fields: dict, taken_codes: set[str]) -> Appointment:
        code = fields.get("code")
        if code:
            code = normalise_code(code)
            if code is None:
                raise Invalid("The booking code is not valid (6 letters and digits).", field="code")
            if code in taken_codes or tx.appointment_by_code(code) is not None:
                raise Conflict(f"The booking code {code} is used already.", field="code")
        else:
            code = new_code()
            while code in taken_codes or tx.appointment_by_code(code) is not None:
                code = new_code()
        name = (fields.get("name") or "").strip() or None
        if name is not None and len(name) > MAX_NAME:
            raise Invalid(f"The name is longer than {MAX_NAME} characters.", field="name")
        return Appointment(
            id=None,
            day=fields["day"],
            slot=fields["slot"],
            service_id=fields["service"],
            code=code,
            name=name,
        )

    def book(self, actor: Actor, fields: dict) -> dict:
        """One booking: ``{"day","slot","service",["name","code"]}``."""
        now = self.clock.now()
        with self.store.write() as tx:
            a = self._new_appointment(tx, fields, set())
            if a.day < self.clock.day(now):
                raise Invalid("That day is over.", field="day")
            self._check_booking(tx, a)
            tx.insert_appointment(a, now)
            self._appointment_log(tx, "appointment_booked", a, now, actor)
            names = {s.id: s.name for s in tx.services()}
            return self._appointment_view(tx, a, names)

    def import_appointments(self, actor: Actor, rows: list[tuple[int, dict]]) -> dict:
        """Book many at once, all or nothing: ``rows`` are (line number, fields). Every bad
        row is reported with its line (``BadRows``); then nothing is saved."""
        now = self.clock.now()
        today = self.clock.day(now)
        problems: list[dict] = []
        with self.store.write() as tx:
            booked: list[Appointment] = []
            codes: set[str] = set()
            services = tx.services()
            for line, fields in rows:
                try:
                    fields = {**fields, "service": service_of(fields.get("service"), services)}
                    a = self._new_appointment(tx, fields, codes)
                    if a.day < today:
                        raise Invalid("That day is over.", field="day")
                    self._check_booking(tx, a, booked)
                except DomainError as exc:
                    field = exc.details.get("field")
                    problems.append({"line": line, "field": field, "message": exc.message})
                    continue
                codes.add(a.code)
                booked.append(a)
            if problems:
                raise BadRows(problems)  # the transaction rolls back: nothing half-imported
            for a in booked:
                tx.insert_appointment(a, now)
                self._appointment_log(tx, "appointment_booked", a, now, actor)
        days = sorted({a.day for a in booked})
        return {"imported": len(booked), "days": days}

    def cancel_appointment(self, actor: Actor, appointment_id: int) -> dict:
        now = self.clock.now()
        with self.store.write() as tx:
            a = tx.appointment(appointment_id)
            if a is None:
                raise NotFound("No such appointment.", appointment=appointment_id)
            if a.status != BOOKED:
                raise Conflict(f"The appointment is {a.status}; only a booked one can go.")
            a.status = CANCELLED
            tx.save_appointment(a)
            self._appointment_log(tx, "appointment_cancelled", a, now, actor)
            names = {s.id: s.name for s in tx.services()}
            return self._appointment_view(tx, a, names)

    def _appointment_log(
        self, tx: Tx, kind: str, a: Appointment, now: datetime, actor: Actor | None = None
    ) -> None:
        tx.log(
            Transition(
                kind,
                a.ticket_id,
                now,
                None,
                None,
                service_id=a.service_id,
                user_id=actor.id if actor else None,
                data={"appointment": a.id, "day": a.day, "slot": a.slot, "status": a.status},
            ),
            self.clock.day(now),
        )

    # --- check-in at the kiosk --------------------------------------------------------------
    def check_in(self, raw_code, lang: str = "de") -> tuple[int, dict]:
        """(HTTP status, body): 201 with a new ticket (the body of ``issue_ticket``, plus
        ``appointment``), 200 with the same ticket again for a repeated check-in."""
        code = normalise_code(raw_code) if isinstance(raw_code, str) else None
        if code is None:
            raise Invalid("A booking code has 6 letters and digits.", field="code")
        now = self.clock.now()
        today = self.clock.day(now)
        with self.store.write() as tx:
            a = tx.appointment_by_code(code)
            if a is None:
                raise NotFound("Unknown booking code.", error="unknown_code")
            if a.status == CANCELLED:
                raise Conflict("This appointment was cancelled.", error="cancelled")
            if a.day != today:
                raise Conflict(
                    f"This appointment is on {a.day}, not today.", error="wrong_day", day=a.day
                )
            if a.ticket_id is not None:  # checked in before: the same ticket again
                ticket = tx.ticket(a.ticket_id)
                body = self._status_view(tx, ticket, self._figures(tx))
                return 200, {
                    **self._ticket_body(tx, ticket),
                    **{k: body[k] for k in ("position", "people_ahead", "estimated_wait_min")},
                    "status": str(ticket.status),
                    "print": "not_again",
                    "appointment": self._checkin_view(a),
                }
            if a.status == LATE:  # came too late before, when walk-ins were closed already
                raise Conflict(
                    "Your appointment time has passed and no more numbers are given out today.",
                    error="late_and_closed",
                    slot=a.slot,
                )
            start = slot_start(a.day, a.slot, self.clock.tz)
            opens, closes = check_in_window(self.rules, start)
            if now < opens:
                raise Conflict(
                    f"Too early: check-in from {opens.astimezone(self.clock.tz):%H:%M}.",
                    error="too_early",
                    check_in_from=opens.astimezone(self.clock.tz).strftime("%H:%M"),
                    slot=a.slot,
                )
            service = tx.service(a.service_id)
            if service is None or not service.enabled:
                raise Conflict(
                    "This service is not offered today; please ask our staff.",
                    error="service_unavailable",
                )
            refused = None
            if now > closes:
                # Too late for the slot: a walk-in ticket, if walk-ins can still get one.
                available = self._figures(tx).availability(service)
                if not available.open:
                    refused = Conflict(
                        CLOSED_MESSAGES[available.state].format(service=service.name),
                        error="late_and_closed",
                        availability=available.state,
                        slot=a.slot,
                    )
            if refused is not None:
                # They came, late, and walk-ins are closed: counted as late and turned away.
                a.status, a.checked_in_at = LATE, now
                tx.save_appointment(a)
                self._appointment_log(tx, "appointment_checked_in", a, now)
                tx.log(
                    Transition(
                        "refused",
                        None,
                        now,
                        None,
                        None,
                        service_id=service.id,
                        data={"availability": refused.details["availability"]},
                    ),
                    today,
                )
            elif now <= closes:
                issued = self._add_ticket(
                    tx,
                    service,
                    now,
                    lang,
                    prefix=self.rules.prefix,
                    appointment_id=a.id,
                    due_at=start,
                )
                a.status = CHECKED_IN
            else:  # too late for the slot: a walk-in ticket instead, so nobody is sent away
                issued = self._add_ticket(tx, service, now, lang)
                a.status = LATE
            if refused is None:
                a.ticket_id = tx.ticket_by_token(issued.body["token"]).id
                a.checked_in_at = now
                tx.save_appointment(a)
                self._appointment_log(tx, "appointment_checked_in", a, now)
                issued.body["appointment"] = self._checkin_view(a)
        if refused is not None:
            raise refused
        return 201, self._announce(issued)

    def _checkin_view(self, a: Appointment) -> dict:
        return {"slot": a.slot, "code": a.code, "late": a.status == LATE}

    def _ticket_body(self, tx: Tx, ticket) -> dict:
        service = tx.service(ticket.service_id)
        return {
            "number": ticket.number,
            "service": ticket.service_id,
            "service_name": service.name if service else "",
            "token": ticket.token,
            "status_url": self.status_url(ticket.token),
            "issued_at": iso(ticket.issued_at),
        }

    # --- missed slots ---------------------------------------------------------------------
    def mark_no_shows(self) -> int:
        """Booked appointments whose check-in time has run out become no-shows; the names of
        past days' bookings go, even if nobody closed those days."""
        now = self.clock.now()
        today = self.clock.day(now)
        yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        grace = timedelta(minutes=self.rules.grace_minutes)
        # Read first: this runs on every statistics query and admin list, and a write
        # transaction would take the store's write lock each time for nothing.
        with self.store.read() as tx:
            names_kept = tx.names_kept(yesterday)
            due = [
                a.id
                for a in tx.appointments(status=BOOKED)
                if a.day < today or slot_start(a.day, a.slot, self.clock.tz) + grace < now
            ]
        if not due and not names_kept:
            return 0
        with self.store.write(publish=False) as tx:
            tx.forget_names(yesterday)
            for appointment_id in due:
                a = tx.appointment(appointment_id)
                if a is None or a.status != BOOKED:
                    continue
                a.status = NO_SHOW
                tx.save_appointment(a)
                self._appointment_log(tx, "appointment_no_show", a, now)
        return len(due)

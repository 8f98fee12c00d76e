"""The visitors' use cases: take a ticket, follow it, give it up; and printing it again."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..domain.model import Conflict, NotFound, Status, Ticket, Transition
from ..printers.ticket import ticket_lines
from .common import Actor, Base, Change, iso

log = logging.getLogger(__name__)

CLOSED_MESSAGES = {
    "closed": "{service} is closed at the moment.",
    "outside_hours": "The office is closed at this time.",
    "full": "{service}: no more numbers today; the wait would run past closing time.",
}


@dataclass
class Issued:
    """A ticket written in a transaction: its answer (without "print") and its change."""

    body: dict
    change: Change


class VisitorOps(Base):
    # --- visitors -------------------------------------------------------------------------
    def issue_ticket(self, service_id: int, lang: str = "de", priority: int = 0) -> dict:
        try:
            return self._issue_ticket(service_id, lang, priority)
        except Conflict as refused:
            if "availability" in refused.details:
                try:
                    self._log_refused(service_id, str(refused.details["availability"]))
                except Exception:  # the visitor still gets the 409, not a 500
                    log.exception("could not log the refused ticket")
            raise

    def _log_refused(self, service_id: int, availability: str) -> None:
        """A ticket refused because the service was closed, full or outside the opening hours:
        a "refused" event in a transaction of its own (the evaluation counts people turned
        away). Nothing visible changed, so nothing is published."""
        now = self.clock.now()
        with self.store.write(publish=False) as tx:
            tx.log(
                Transition(
                    "refused",
                    None,
                    now,
                    None,
                    None,
                    service_id=service_id,
                    data={"availability": availability},
                ),
                self.clock.day(now),
            )

    def _issue_ticket(self, service_id: int, lang: str, priority: int) -> dict:
        now = self.clock.now()
        with self.store.write() as tx:
            service = tx.service(service_id)
            if service is None or not service.enabled:
                raise NotFound(f"Unknown service {service_id}.", service=service_id)
            available = self._figures(tx).availability(service)
            if not available.open:
                raise Conflict(
                    CLOSED_MESSAGES[available.state].format(service=service.name),
                    service=service_id,
                    availability=available.state,
                )
            issued = self._add_ticket(tx, service, now, lang, priority)
        return self._announce(issued)

    def _add_ticket(
        self,
        tx,
        service,
        now,
        lang: str,
        priority: int = 0,
        prefix: str | None = None,
        appointment_id: int | None = None,
        due_at=None,
    ) -> Issued:
        """A new waiting ticket inside the caller's transaction: numbered, logged, queued for
        the printer. ``prefix``/``appointment_id``/``due_at``: an appointment's ticket."""
        day = self.clock.day(now)
        prefix = prefix or service.prefix
        number = f"{prefix}{tx.next_number(day, prefix):03d}"
        ticket = Ticket(
            id=None,
            day=day,
            service_id=service.id,
            number=number,
            token=self.new_token(),
            status=Status.WAITING,
            issued_at=now,
            queued_at=now,
            # A priority service's tickets go ahead of other services' at shared counters.
            priority=max(priority, service.priority),
            lang=lang,
            appointment_id=appointment_id,
            due_at=due_at,
        )
        tx.insert_ticket(ticket)
        data = {"priority": ticket.priority, "lang": lang}
        if appointment_id is not None:
            data.update(appointment=appointment_id, due_at=iso(due_at))
        tx.log(
            Transition("issued", ticket.id, now, None, "waiting", service_id=service.id, data=data),
            day,
            number,
        )
        figures = self._figures(tx)
        status = self._status_view(tx, ticket, figures)
        status_url = self.status_url(ticket.token)
        if self.spooler is not None:
            venue = tx.setting("venue") or {}
            payload = {
                "venue": venue.get("name", ""),
                "number": number,
                # In the visitor's language where the service has a name in it.
                "service": service.names.get(lang) or service.name,
                "issued_at": iso(now),
                "people_ahead": status["people_ahead"],
                "estimated_wait_min": status["estimated_wait_min"],
                "status_url": status_url,
                "lang": lang,
                # The venue's text for the foot of the ticket; absent: the printer's default.
                "lines": ticket_lines(venue.get("ticket_text")),
                # An appointment's slot, in the venue's time.
                "appointment": due_at and self.clock.local(due_at).strftime("%H:%M"),
            }
            tx.add_print_job(ticket, payload, now)
        change = Change(
            tx.seq,
            self._services_view(figures),
            tickets=[self.ticket_view(tx, ticket, figures.services)],
        )
        body = {
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
        }
        return Issued(body, change)

    def _announce(self, issued: Issued) -> dict:
        """After the commit: the screens learn of the ticket, the printer gets to work."""
        self.publish(issued.change)
        if self.spooler is None:
            printing = "disabled"
        else:
            self.spooler.notify()
            printing = "queued" if self.spooler.accepting else "printer_unavailable"
        return {**issued.body, "print": printing}

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
            for job in tx.print_jobs(("failed",), ticket.id):
                tx.move_print_job(job.id, "failed", "reprinted")
            # A job still waiting for the printer prints anyway: never queue the ticket twice.
            if not tx.print_jobs(("pending", "printing"), ticket.id):
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
            figures = self._figures(tx)
            view = self._status_view(tx, ticket, figures)
            change = Change(
                tx.seq,
                self._services_view(figures),
                tickets=[self.ticket_view(tx, ticket, figures.services)],
                tokens=[token],
            )
        self.publish(change)
        return view

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
            figures = self._figures(tx)
            services = self._services_view(figures)
            change = Change(tx.seq, services)
        self.publish(change)
        return next(s for s in services if s["id"] == service_id)

    def give_feedback(self, token: str, rating: int | None, district: str | None) -> dict:
        """After the visit: a rating (1-5) and/or the home district, each optional."""
        answers = {}
        if rating is not None:
            answers["rating"] = rating
        if district is not None:
            answers["district"] = district
        with self.store.write(publish=False) as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise NotFound("Unknown ticket.")
            if ticket.status is not Status.DONE:
                raise Conflict("Feedback is possible once the visit is finished.")
            tx.save_feedback(ticket, self.clock.now(), **answers)
            row = tx.feedback(ticket.id)
        return {"rating": row.rating, "district": row.district}

    def record_district(self, token: str, district: str) -> dict:
        """The kiosk's optional question right after issuing: only the home district is kept,
        in the ticket's feedback row (answering again overwrites it). Possible at any status."""
        with self.store.write(publish=False) as tx:
            ticket = tx.ticket_by_token(token)
            if ticket is None:
                raise NotFound("Unknown ticket.")
            tx.save_feedback(ticket, self.clock.now(), district=district)
        return {"district": district}

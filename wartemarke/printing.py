"""The print spooler: every ticket reaches the printer in the background, exactly once.

Issuing a ticket never waits for paper. The ticket's transaction also inserts a print job; after
commit the spooler (one greenlet per server process) is woken. Before sending it asks the
printer for its status where the transport can tell (network, USB, serial): with paper out, the
cover open or the printer offline the job stays queued, staff see an alert, and it prints by
itself once the printer is back.

Exactly once: a job is claimed (pending → printing) in a transaction before its bytes go out, so
two spoolers (two server processes) never send the same job. One rule for a job that may or may
not have come out: it is marked failed and shown to staff for a reprint rather than printed twice.
That is a job found "printing" at start-up (interrupted mid-send) and a job whose bytes went out
but the printer did not confirm them (DeliveryUnconfirmedError: a network printer pulled mid-job).
Any other failed send returns the job to pending; for a network printer that means nothing went
out (the printer was unreachable).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import gevent
from gevent.event import Event

from .clock import Clock
from .printers import PrinterError, PrinterStatus, TicketPrint, open_transport, render_escpos
from .printers.errors import DeliveryUnconfirmedError
from .store import Store
from .store.database import StorageError

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
POLL_SECONDS = 5.0  # how soon staff learn of paper out while nothing prints
INTERRUPTED = "interrupted while printing: it may not have come out; reprint if needed"
UNCONFIRMED = "the printer did not confirm it: it may not have come out; reprint if needed"


class Spooler:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        printer_url: str,
        data_dir,
        on_change: Callable[[dict], None] = lambda state: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.transport = open_transport(printer_url, data_dir)
        self.on_change = on_change
        self.status = PrinterStatus(online=None)
        self.last_error: str | None = None
        self._wake = Event()
        self._greenlet: gevent.Greenlet | None = None
        self._published: dict | None = None

    # --- used by the application ---------------------------------------------------------
    def start(self) -> None:
        with self.store.write(publish=False) as tx:
            for job in tx.print_jobs(("printing",)):
                tx.move_print_job(job.id, "printing", "failed", last_error=INTERRUPTED)
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)

    def notify(self) -> None:
        """A job was committed: print it now rather than at the next poll."""
        self._wake.set()

    @property
    def accepting(self) -> bool:
        """False when the printer is known to be unable to print (the kiosk says so)."""
        return self.status.ready

    def state(self) -> dict:
        with self.store.read() as tx:
            pending = [j.number for j in tx.print_jobs(("pending", "printing"))]
            failed = [j.number for j in tx.print_jobs(("failed",)) if self._today(j)]
        return {
            "url": self.transport.url,
            "online": self.status.online,
            "paper": self.status.paper,
            "cover_open": self.status.cover_open,
            "pending": pending,
            "failed": failed,
            "last_error": self.last_error,
        }

    def print_test_page(self) -> dict:
        """Send the printer test page now (past the queue) and return the fresh state.

        Raises PrinterError or OSError when the printer cannot take the job; the state then
        shows the printer offline with the error until the next status check.
        """
        from .printers import test_page_bytes

        job = test_page_bytes(self.transport.profile, self.transport.paper_mm)
        try:
            self._blocking(self.transport.send, job)
        except (PrinterError, OSError) as exc:
            self.last_error = f"test page: {exc}"
            self.status = PrinterStatus(online=False, error=str(exc))
            self._publish()
            raise
        self.status = self._blocking(self.transport.status)
        if self.status.ready:
            self.last_error = None
        self._publish()
        self._wake.set()  # a job held back while the printer seemed offline may go now
        return self.state()

    # --- the loop --------------------------------------------------------------------------
    def _run(self) -> None:
        storage = None  # the storage trouble last logged: a full disk logs once, not each round
        while True:
            try:
                busy = self._cycle()
                storage = None
            except StorageError as exc:  # disk full, database locked: the jobs stay queued
                if storage != exc.kind:
                    log.error("print spooler waits for the database (%s); it tries again", exc)
                storage, busy = exc.kind, True
            except Exception:  # the spooler must outlive any surprise; the jobs stay queued
                log.exception("print spooler cycle failed")
                busy = True
            self._wake.wait(timeout=RETRY_SECONDS if busy else POLL_SECONDS)
            self._wake.clear()

    def _blocking(self, fn, *args):
        """USB and serial calls block in C: run them on a native thread, not the event loop."""
        return gevent.get_hub().threadpool.apply(fn, args)

    def _today(self, job) -> bool:
        return self.clock.day(job.created_at) == self.clock.day()

    def _cycle(self) -> bool:
        """Print what is pending; True while jobs remain."""
        with self.store.write(publish=False) as tx:
            jobs = []
            for job in tx.print_jobs(("pending",)):
                if self._today(job):
                    jobs.append(job)
                else:  # yesterday's ticket is worthless today: never print it now
                    tx.move_print_job(job.id, "pending", "expired")
        self.status = self._blocking(self.transport.status)
        if self.status.error and not self.status.ready:
            self.last_error = self.status.error
        send_failed = False  # then check the printer again soon, even with nothing pending
        for job in jobs:
            if not self.status.ready:
                break
            with self.store.write(publish=False) as tx:
                claimed = tx.move_print_job(job.id, "pending", "printing")
            if not claimed:
                continue  # another server process took it
            try:
                ticket = self._ticket(job.payload)
                self._blocking(
                    self.transport.send, render_escpos(ticket, self.transport.profile), ticket
                )
            except (PrinterError, OSError, ValueError) as exc:
                self.last_error = f"{job.number}: {exc}"
                unconfirmed = isinstance(exc, DeliveryUnconfirmedError)
                log.warning("printing %s failed: %s", job.number, exc)
                with self.store.write(publish=False) as tx:
                    tx.move_print_job(
                        job.id,
                        "printing",
                        "failed" if unconfirmed else "pending",
                        attempts=job.attempts + 1,
                        last_error=f"{UNCONFIRMED} ({exc})" if unconfirmed else str(exc),
                    )
                self.status = PrinterStatus(online=False, error=str(exc))
                send_failed = True
                break
            with self.store.write(publish=False) as tx:
                tx.move_print_job(
                    job.id,
                    "printing",
                    "printed",
                    printed_at=self.clock.now(),
                    attempts=job.attempts + 1,
                )
            if self.status.ready:
                self.last_error = None
        self._publish()
        with self.store.read() as tx:
            return send_failed or bool(tx.print_jobs(("pending",)))

    def _ticket(self, payload: dict) -> TicketPrint:
        issued = datetime.fromisoformat(payload["issued_at"].replace("Z", "+00:00"))
        return TicketPrint(
            venue=payload["venue"],
            number=payload["number"],
            service=payload["service"],
            issued_at=self.clock.local(issued),
            people_ahead=payload["people_ahead"],
            estimated_wait_min=payload["estimated_wait_min"],
            status_url=payload["status_url"],
            paper_mm=self.transport.paper_mm,
            **({"lines": payload["lines"]} if payload.get("lines") else {}),
            appointment=payload.get("appointment"),
            # The visitor's language; jobs queued before tickets had one print in German.
            lang=payload.get("lang") or "de",
        )

    def _publish(self) -> None:
        state = self.state()
        if state != self._published:
            self._published = state
            self.on_change(state)

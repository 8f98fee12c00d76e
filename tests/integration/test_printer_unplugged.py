"""The kiosk's network printer is unplugged in the middle of a busy stretch and plugged back in.

Built on tests/integration/test_printing.py, which already proves one ticket printed once after a
printer that was never reachable comes up (test_unreachable_printer_...) and a paper-out alert
with one held ticket (test_paper_out_...). New here: a printer that was printing goes away
while ~30 tickets stream in (online → unreachable → online on the same port), and

* issuing never fails meanwhile; once staff were alerted, each ticket tells the kiosk that it
  will not be printed now (``print: printer_unavailable``: the kiosk asks the visitor to note
  the number on screen);
* staff are alerted on /staff (a ``printer`` event that is not ok) and GET /api/printer says so,
  with exactly the tickets held back, in order;
* after plugging back, the held tickets and the ones issued while they drain all come out,
  each exactly once, in issue order (none overtakes the backlog), and the alert clears.

There the plug is pulled between two tickets, when the printer has received every job sent so
far. Pulled while a job is on the wire, raw TCP alone gives no receipt (the bytes sit in a socket
buffer), so the transport asks for the printer's status after each job on the same connection.
``test_printer_pulled_mid_job_...`` kills the printer mid-job (connection dropped, or silent like
a pulled cable): that ticket is not counted as printed but failed, staff are alerted, it prints
again only when staff reprint it, and no ticket is printed twice. A printer that never answers
status queries cannot confirm anything: its tickets still print and count as printed.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import time
from contextlib import closing

import pytest

from tests.conftest import site_with_counters
from tests.integration.test_flow import Listener
from tests.integration.test_printing import wait_until
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import VirtualPrinter

SERVICES = (1, 2, 3)  # A, P and M numbers, interleaved
NUMBER = re.compile(r"\b[APM]\d{3}\b")


def wait_for_printer_event(staff: Listener, matches, timeout: float = 15.0) -> dict:
    """The next ``printer`` event on /staff that matches (earlier ones are skipped)."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        try:
            state = staff.next("printer", timeout=max(0.05, left))
        except queue.Empty:
            raise AssertionError(f"no matching printer event; seen: {seen}") from None
        if matches(state):
            return state
        seen.append(state)


def printer_state(server, session) -> dict:
    answer = session.get(server.url + "/api/printer", timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def job_states(server) -> dict[str, list[str]]:
    """Each ticket's print jobs by status, oldest first, as the database has them."""
    path = server.data_dir / "wartemarke.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        rows = db.execute("SELECT number, status FROM print_jobs ORDER BY id").fetchall()
    states: dict[str, list[str]] = {}
    for number, status in rows:
        states.setdefault(number, []).append(status)
    return states


def printed_numbers(jobs: list[bytes]) -> list[str]:
    """The ticket number of each job, in the order received; exactly one per job."""
    numbers = []
    for job in jobs:
        found = set(NUMBER.findall(decode(job).text))
        assert len(found) == 1, found
        numbers.append(found.pop())
    return numbers


def test_printer_unplugged_mid_stream_prints_everything_once_in_order(make_server):
    printer = VirtualPrinter().start()
    port = printer.port
    again = None
    try:
        server = make_server(site=site_with_counters(1), clerks=1, extra=["--printer", printer.url])
        clerk = server.login("clerk1", "secret-1")
        cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
        staff = Listener(server.url, "/staff", headers={"Cookie": cookie})
        issued: list[dict] = []

        def issue(count: int, pause: float = 0.1) -> list[dict]:
            tickets = []
            for _ in range(count):
                ticket = server.issue(SERVICES[len(issued) % len(SERVICES)])  # asserts 201
                assert NUMBER.fullmatch(ticket["number"]) and ticket["status"] == "waiting"
                issued.append(ticket)
                tickets.append(ticket)
                time.sleep(pause)  # a busy kiosk: a ticket every tenth of a second
            return tickets

        try:
            before = issue(10)
            assert all(t["print"] == "queued" for t in before)
            printer.wait_for_jobs(10, timeout=15)  # nothing on the wire when the plug is pulled

            printer.stop()  # unplugged
            first_away = issue(1)[0]
            alert = wait_for_printer_event(staff, lambda s: s["online"] is False and s["pending"])
            assert alert["pending"] == [first_away["number"]]
            away = [first_away, *issue(9)]
            # Staff know, the kiosk knows: the visitor is told to note the number.
            assert all(t["print"] == "printer_unavailable" for t in away[1:])
            held = [t["number"] for t in away]
            state = wait_until(lambda: (s := printer_state(server, clerk))["pending"] == held and s)
            assert state["online"] is False
            assert "unreachable" in state["last_error"]
            assert state["failed"] == []
            assert len(printer.jobs) == 10  # the unplugged printer got nothing

            again = VirtualPrinter(port=port).start()  # plugged back, same address
            issue(10)  # while the backlog drains
            cleared = wait_for_printer_event(
                staff, lambda s: s["online"] is True and not s["pending"] and not s["last_error"]
            )
            assert cleared["failed"] == []
            wait_until(
                lambda: (
                    (s := printer_state(server, clerk))["online"] is True
                    and s["pending"] == []
                    and not s["last_error"]
                )
            )

            # One more after the queue drained: it is sent after any job still due, so once it
            # is out, a ticket sent twice would be out too.
            last = issue(1, pause=0)[0]
            assert last["print"] == "queued"
            jobs = printer.jobs + again.wait_for_jobs(21, timeout=20)
        finally:
            staff.close()
        numbers = printed_numbers(jobs)
        assert numbers == [t["number"] for t in issued]  # each once, in issue order
        assert len(numbers) == 31
    finally:
        printer.stop()
        if again is not None:
            again.stop()


@pytest.mark.parametrize("how", ["reset", "hang"])
def test_printer_pulled_mid_job_fails_that_ticket_for_a_reprint_and_prints_none_twice(
    make_server, how
):
    # reset: switched off mid-job, the connection drops; hang: cable pulled, no answer at all
    # (the spooler gives up after the job timeout, 1 s here).
    with VirtualPrinter() as printer:
        server = make_server(
            site=site_with_counters(1), clerks=1, extra=["--printer", printer.url + "?timeout=1"]
        )
        clerk = server.login("clerk1", "secret-1")
        cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
        staff = Listener(server.url, "/staff", headers={"Cookie": cookie})
        try:
            first = server.issue(1)["number"]
            printer.wait_for_jobs(1, timeout=15)

            struck = printer.fail_next_job(how)
            lost = server.issue(2)["number"]
            assert struck.wait(15)
            alert = wait_for_printer_event(staff, lambda s: s["failed"] == [lost])
            assert alert["last_error"].startswith(f"{lost}: ")
            assert "did not confirm" in alert["last_error"]
            assert len(printer.jobs) == 1  # it never came out, and is not counted as printed
            assert job_states(server)[lost] == ["failed"]

            after = server.issue(3)["number"]  # the printer is back: new tickets just print
            printer.wait_for_jobs(2, timeout=15)
            state = wait_until(
                lambda: (s := printer_state(server, clerk))["pending"] == [] and s, timeout=15
            )
            assert state["failed"] == [lost]  # still waiting for staff, not resent on its own
            assert len(printer.jobs) == 2

            answer = clerk.post(f"{server.url}/api/tickets/{lost}/reprint", timeout=5)
            assert answer.status_code == 202, answer.text
            printer.wait_for_jobs(3, timeout=15)
            wait_for_printer_event(staff, lambda s: s["failed"] == [] and not s["pending"])

            # Sent after anything still due: once it is out, a ticket sent twice would be too.
            last = server.issue(1)["number"]
            jobs = printer.wait_for_jobs(4, timeout=15)
        finally:
            staff.close()
        assert printed_numbers(jobs) == [first, after, lost, last]
        wait_until(
            lambda: (
                job_states(server)
                == {
                    first: ["printed"],
                    lost: ["reprinted", "printed"],
                    after: ["printed"],
                    last: ["printed"],
                }
            )
        )
        assert len(printer.jobs) == 4


def test_printer_without_status_replies_gets_every_ticket_marked_printed(make_server):
    with VirtualPrinter(state="silent") as printer:
        server = make_server(
            site=site_with_counters(1),
            clerks=1,
            extra=["--printer", printer.url + "?status_timeout=0.3"],
        )
        clerk = server.login("clerk1", "secret-1")
        tickets = [server.issue(service) for service in SERVICES]
        assert all(t["print"] == "queued" for t in tickets)  # unknown status is no alarm
        numbers = [t["number"] for t in tickets]
        # Sorted: without a receipt the virtual printer may store two quick jobs either way.
        assert sorted(printed_numbers(printer.wait_for_jobs(3, timeout=15))) == sorted(numbers)
        wait_until(lambda: job_states(server) == {n: ["printed"] for n in numbers}, timeout=15)
        state = printer_state(server, clerk)
        assert (state["online"], state["pending"], state["failed"]) == (None, [], [])
        assert len(printer.jobs) == 3

"""A network printer confirms each job (DLE EOT after it), so a job lost on the wire is known.

Raw TCP's ``sendall`` succeeds once the bytes sit in the local socket buffer; only the
printer's answer to the status request that follows the job proves it read the whole job.
"""

from __future__ import annotations

import pytest

from wartemarke.printers import PrinterUnavailableError, open_transport, render_escpos
from wartemarke.printers.decode import decode
from wartemarke.printers.errors import DeliveryUnconfirmedError
from wartemarke.printers.virtual_tcp import VirtualPrinter


def test_answering_printer_confirms_each_job_and_prints_it_unchanged(
    make_ticket, virtual_printer, data_dir
):
    transport = open_transport(virtual_printer.url, data_dir)
    job = render_escpos(make_ticket(), transport.profile)
    assert transport.answers_status is None
    assert transport.status().ready
    assert transport.answers_status is True

    transport.send(job)
    transport.send(job)

    # The receipt request went over the wire (the printer answered it) but is not printed:
    # the jobs decode exactly as the rendered ticket, ending with the cut.
    assert virtual_printer.wait_for_jobs(2) == [job, job]
    assert decode(virtual_printer.jobs[0]).commands[-1].name == "cut"


@pytest.mark.parametrize("how", ["reset", "hang"])
def test_printer_pulled_mid_job_leaves_the_job_unconfirmed(
    make_ticket, virtual_printer, data_dir, how
):
    # reset: the printer is switched off (connection dropped); hang: the cable is pulled
    # (no reply, no close) and the wait ends after the job timeout.
    transport = open_transport(virtual_printer.url + "?timeout=1&status_timeout=1", data_dir)
    job = render_escpos(make_ticket(), transport.profile)
    assert transport.status().ready
    struck = virtual_printer.fail_next_job(how)

    with pytest.raises(DeliveryUnconfirmedError, match="did not confirm") as caught:
        transport.send(job)
    assert isinstance(caught.value, PrinterUnavailableError)  # callers handling that still work
    assert struck.is_set()
    assert virtual_printer.jobs == []  # the printer never got it whole

    transport.send(job)  # back (the fault hits one job): confirmed again
    assert virtual_printer.wait_for_jobs(1) == [job]


def test_printer_that_stops_answering_after_the_job_is_unconfirmed(virtual_printer, data_dir):
    # It answered before, so its silence now means the job may be lost (e.g. a print server
    # whose printer just went away), even though these bytes did arrive here.
    transport = open_transport(virtual_printer.url + "?timeout=1&status_timeout=1", data_dir)
    assert transport.status().ready
    virtual_printer.state = "silent"
    with pytest.raises(DeliveryUnconfirmedError, match="no reply"):
        transport.send(b"\x1b@maybe\n")


def test_printer_without_status_replies_prints_without_a_receipt(virtual_printer, data_dir):
    virtual_printer.state = "silent"
    transport = open_transport(virtual_printer.url + "?status_timeout=0.3&timeout=0.3", data_dir)
    assert transport.status().online is None
    assert transport.answers_status is False
    for n in range(3):  # no confirmation to wait for: each job counts as sent
        transport.send(b"\x1b@job %d\n" % n)
    # Sorted: without a receipt send() returns before the printer has read the job, and the
    # virtual printer serves each connection on its own thread.
    jobs = sorted(virtual_printer.wait_for_jobs(3))
    assert jobs == [b"\x1b@job %d\n" % n for n in range(3)]


def test_unreachable_printer_got_nothing_so_the_job_may_be_sent_again(data_dir):
    server = VirtualPrinter().start()
    transport = open_transport(server.url, data_dir)
    assert transport.status().ready
    server.stop()
    with pytest.raises(PrinterUnavailableError, match="unreachable") as caught:
        transport.send(b"\x1b@")
    assert not isinstance(caught.value, DeliveryUnconfirmedError)

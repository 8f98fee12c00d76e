"""The serial transport against a printer emulated on a pseudo-terminal."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Iterator

import pytest

from wartemarke.printers import open_transport, render_escpos
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import JobStream, status_reply

pytest.importorskip("serial", reason="the serial transport needs pyserial")


class PtyPrinter:
    """A printer on the master side of a pty; the transport opens the slave device."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.state = "online"
        self.stream = JobStream(lambda n: status_reply(self.state, n))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if reply := self.stream.feed(chunk):
                os.write(self.master, reply)

    def wait_for_cut(self, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if decode(self.stream.data).cut:
                return self.stream.data
            time.sleep(0.02)
        raise TimeoutError("no complete job arrived")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    printer = PtyPrinter()
    yield printer
    printer.close()


def test_serial_ticket_and_status(pty_printer, make_ticket, data_dir):
    url = f"serial://{pty_printer.path}?baudrate=19200&flow=none&status_timeout=0.5"
    transport = open_transport(url, data_dir)
    assert transport.status().online is True

    ticket = make_ticket()
    transport.send(render_escpos(ticket, transport.profile), ticket)
    job = decode(pty_printer.wait_for_cut())
    assert "A017" in job.text and "Bürgerbüro" in job.text
    assert job.qr_payloads == [ticket.status_url]

    pty_printer.state = "paper_out"
    status = transport.status()
    assert (status.online, status.paper) == (False, "out")
    pty_printer.state = "silent"
    assert transport.status().online is None


def test_missing_serial_device_is_offline(data_dir):
    transport = open_transport("serial:///dev/ttyWARTEMARKE-none", data_dir)
    status = transport.status()
    assert status.online is False and "ttyWARTEMARKE-none" in status.error

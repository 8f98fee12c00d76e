"""Status over TCP with DLE EOT, and quick failures when the printer is gone."""

from __future__ import annotations

import time

import pytest

from wartemarke.printers import PrinterUnavailableError, open_transport
from wartemarke.printers.virtual_tcp import VirtualPrinter


@pytest.mark.parametrize(
    ("state", "online", "paper", "cover_open", "error"),
    [
        ("online", True, "ok", False, None),
        ("near_end", True, "near_end", False, None),
        ("paper_out", False, "out", False, "paper out"),
        ("cover_open", False, "ok", True, "cover open"),
        ("cutter_error", False, "ok", False, "autocutter error"),
    ],
)
def test_status_reports_the_printers_state(
    virtual_printer, data_dir, state, online, paper, cover_open, error
):
    virtual_printer.state = state
    status = open_transport(virtual_printer.url, data_dir).status()
    assert (status.online, status.paper, status.cover_open, status.error) == (
        online,
        paper,
        cover_open,
        error,
    )
    assert status.ready is (state in ("online", "near_end"))
    assert virtual_printer.jobs == []  # status queries are no print jobs


def test_printer_that_hangs_up_is_offline(virtual_printer, data_dir):
    virtual_printer.state = "offline"
    status = open_transport(virtual_printer.url, data_dir).status()
    assert status.online is False
    assert "closed" in status.error


def test_printer_without_status_replies_is_unknown(virtual_printer, data_dir):
    virtual_printer.state = "silent"
    transport = open_transport(virtual_printer.url + "?status_timeout=0.3", data_dir)
    started = time.monotonic()
    status = transport.status()
    assert time.monotonic() - started < 1.5
    assert status.online is None and status.paper == "unknown"
    assert "no reply" in status.error
    transport.send(b"\x1b@still prints\n")
    assert virtual_printer.wait_for_jobs(1)[0] == b"\x1b@still prints\n"


def test_stopped_printer_is_offline_and_send_fails_fast(data_dir):
    server = VirtualPrinter().start()
    transport = open_transport(server.url, data_dir)
    assert transport.status().online is True
    server.stop()

    started = time.monotonic()
    status = transport.status()
    assert time.monotonic() - started < 1.0
    assert status.online is False
    assert "refused" in status.error.lower()

    started = time.monotonic()
    with pytest.raises(PrinterUnavailableError, match="unreachable.*refused"):
        transport.send(b"\x1b@")
    assert time.monotonic() - started < 1.0


def test_status_byte_parsing_ignores_non_status_data():
    from wartemarke.printers.status import pick_status_byte, status_from_replies

    assert pick_status_byte(b"") is None
    assert pick_status_byte(b"\x14\x00\x00\x0f") is None  # Automatic Status Back block
    assert pick_status_byte(b"\x14\x00\x00\x0f\x12") == 0x12
    assert status_from_replies(0x1A, None, None).error == "printer offline"

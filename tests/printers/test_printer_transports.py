"""URL parsing and the transports that need no printer: virtual and file."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from wartemarke.printers import (
    PrinterConfigError,
    PrinterUnavailableError,
    open_transport,
    render_escpos,
    ticket_files,
)
from wartemarke.printers.transports import (
    FileTransport,
    TcpTransport,
    UsbTransport,
    VirtualTransport,
)


def test_virtual_transport_keeps_png_and_bin_per_ticket(make_ticket, data_dir):
    ticket = make_ticket()
    job = render_escpos(ticket)
    transport = open_transport(None, data_dir)
    assert isinstance(transport, VirtualTransport)
    transport.send(job, ticket)

    png, raw = ticket_files(data_dir, ticket)
    assert png == data_dir / "tickets" / "2025-03-04_A017.png"
    assert raw.read_bytes() == job
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width == 384
    assert sorted(os.listdir(data_dir / "tickets")) == [
        "2025-03-04_A017.bin",
        "2025-03-04_A017.png",
    ]
    status = transport.status()
    assert (status.online, status.paper) == (True, "ok")


def test_virtual_transport_stores_jobs_without_ticket(data_dir):
    open_transport("virtual://?paper=58", data_dir).send(b"\x1b@test")
    (name,) = os.listdir(data_dir / "tickets")
    assert name.endswith("_job.bin")
    assert (data_dir / "tickets" / name).read_bytes() == b"\x1b@test"


def test_file_transport_appends(tmp_path, data_dir):
    target = tmp_path / "printer.bin"
    transport = open_transport(f"file://{target}", data_dir)
    assert isinstance(transport, FileTransport)
    assert transport.status().online is True
    transport.send(b"first job\n")
    transport.send(b"second job\n")
    assert target.read_bytes() == b"first job\nsecond job\n"
    assert transport.status().paper == "ok"


def test_file_transport_never_creates_device_nodes(data_dir):
    transport = open_transport("file:///dev/wartemarke-test-no-such-lp", data_dir)
    assert transport.status().online is False
    with pytest.raises(PrinterUnavailableError, match="cannot open"):
        transport.send(b"x")
    assert not os.path.exists("/dev/wartemarke-test-no-such-lp")


def test_tcp_url_options(data_dir):
    transport = open_transport(
        "tcp://printer.local?paper=58&profile=TM-T20II&timeout=2&status_timeout=0.5", data_dir
    )
    assert isinstance(transport, TcpTransport)
    assert (transport.host, transport.port, transport.timeout) == ("printer.local", 9100, 2.0)
    assert transport.status_timeout == 0.5
    assert transport.paper_mm == 58 and transport.profile.model == "TM-T20II"
    assert open_transport("tcp://[::1]:9101", data_dir).port == 9101


def test_default_network_timeout_is_short(data_dir):
    transport = open_transport("tcp://192.0.2.1", data_dir)
    assert transport.timeout <= 5 and transport.status_timeout <= 2


@pytest.mark.parametrize(
    "url",
    [
        "tcp://",
        "tcp://host:notaport",
        "tcp://host:70000",
        "tcp://host:9100/path",
        "tcp://host?bogus=1",
        "tcp://host?timeout=soon",
        "tcp://host?timeout=600",
        "tcp://host?paper=76",
        "tcp://host?paper=58&paper=80",
        "tcp://host?profile=NoSuchPrinter",
        "tcp://host?cut=sideways",
        "tcp://host#frag",
        "usb://04b8",
        "usb://zzzz:0e15",
        "usb://04b8:0e15:1",
        "serial://dev/ttyUSB0",
        "serial:",
        "cups://",
        "cups://two words",
        "file://relative/path",
        "file:",
        "virtual://somewhere",
        "http://printer:9100",
        "printer.local:9100",
        "lpt1",
    ],
)
def test_bad_urls_raise_config_errors(url, data_dir):
    with pytest.raises(PrinterConfigError, match=r"printer URL|option|profile|paper|must be|cut"):
        open_transport(url, data_dir)


def test_config_error_is_also_a_value_error(data_dir):
    with pytest.raises(ValueError):
        open_transport("bogus://x", data_dir)


def test_usb_transport_or_a_clear_reason_why_not(data_dir):
    url = "usb://ffff:fffe?in_ep=0x81&out_ep=0x02&timeout=2"
    try:
        transport = open_transport(url, data_dir)
    except PrinterConfigError as exc:  # pyusb or libusb missing on this machine
        assert "pip install pyusb" in str(exc) or "apt-get install libusb" in str(exc)
        return
    assert isinstance(transport, UsbTransport)
    assert (transport.vendor, transport.product) == (0xFFFF, 0xFFFE)
    assert (transport.in_ep, transport.out_ep) == (0x81, 0x02)
    status = transport.status()  # no such device here
    assert status.online is False and "not available" in status.error
    with pytest.raises(PrinterUnavailableError):
        transport.send(b"\x1b@")

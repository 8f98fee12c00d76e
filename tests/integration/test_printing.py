"""Issued tickets reach a printer over raw TCP, exactly once, even across a printer outage."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import site_with_counters
from tests.integration.test_flow import Listener
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import VirtualPrinter


@pytest.fixture
def printer():
    with VirtualPrinter() as p:
        yield p


@pytest.fixture
def printed_server(make_server, printer):
    return make_server(site=site_with_counters(2), clerks=1, extra=["--printer", printer.url])


def wait_until(condition, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_issued_ticket_arrives_as_escpos(printed_server, printer):
    ticket = printed_server.issue(3)
    assert ticket["print"] == "queued"
    job = decode(printer.wait_for_jobs(1)[0])
    assert "M001" in job.text
    assert "Meldeangelegenheiten" in job.text
    assert "Pop-Up Bürgerbüro Test" in job.text  # umlauts survive the CP858 round trip
    assert job.qr_payloads == [ticket["status_url"]]
    assert job.cut
    raw = printer.jobs[0]
    assert b"\x1bt\x13" in raw and "ü".encode("cp858") in raw and "ü".encode() not in raw


def test_paper_out_queues_alerts_and_prints_exactly_once_when_back(printed_server, printer):
    clerk = printed_server.login("clerk1", "secret-1")
    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
    staff = Listener(printed_server.url, "/staff", headers={"Cookie": cookie})
    try:
        printer.state = "paper_out"
        wait_until(lambda: clerk.get(printed_server.url + "/api/printer").json()["paper"] == "out")
        started = time.monotonic()
        ticket = printed_server.issue(1)
        assert time.monotonic() - started < 1.0  # issuing never waits for the printer
        assert ticket["print"] == "printer_unavailable"

        state = wait_until(
            lambda: (s := clerk.get(printed_server.url + "/api/printer").json())["pending"] and s
        )
        assert state["pending"] == [ticket["number"]]
        assert state["paper"] == "out"  # an Epson printer also reports itself offline then
        assert state["url"] == printer.url
        alert = staff.next("printer", timeout=15)
        while alert["pending"] != [ticket["number"]]:
            alert = staff.next("printer", timeout=15)
        time.sleep(1)
        assert printer.jobs == []  # nothing sent while the paper is out

        printer.state = "online"
        job = decode(printer.wait_for_jobs(1, timeout=15)[0])
        assert ticket["number"] in job.text
        wait_until(lambda: clerk.get(printed_server.url + "/api/printer").json()["pending"] == [])
        time.sleep(2.5)  # another spooler round: still exactly one job
        assert len(printer.jobs) == 1

        r = clerk.post(f"{printed_server.url}/api/tickets/{ticket['number']}/reprint")
        assert r.status_code == 202
        assert ticket["number"] in decode(printer.wait_for_jobs(2)[1]).text
    finally:
        staff.close()


def test_unreachable_printer_keeps_the_ticket_and_prints_after_recovery(make_server):
    printer = VirtualPrinter().start()
    url, port = printer.url, printer.port
    printer.stop()  # nothing listens: connection refused
    server = make_server(site=site_with_counters(1), clerks=1, extra=["--printer", url])
    clerk = server.login("clerk1", "secret-1")
    started = time.monotonic()
    ticket = server.issue(2)
    assert time.monotonic() - started < 1.0
    status = requests.get(f"{server.url}/api/tickets/{ticket['token']}").json()
    assert status["status"] == "waiting"
    state = wait_until(
        lambda: (s := clerk.get(server.url + "/api/printer").json())["online"] is False and s
    )
    assert state["pending"] == [ticket["number"]] and state["last_error"]

    again = VirtualPrinter(port=port).start()
    try:
        job = decode(again.wait_for_jobs(1, timeout=20)[0])
        assert ticket["number"] in job.text
        time.sleep(2.5)
        assert len(again.jobs) == 1
    finally:
        again.stop()


def test_printer_endpoints_need_staff(printed_server):
    assert requests.get(printed_server.url + "/api/printer").status_code == 401
    r = requests.post(printed_server.url + "/api/tickets/A001/reprint")
    assert r.status_code in (401, 403)
    clerk = printed_server.login("clerk1", "secret-1")
    assert clerk.post(printed_server.url + "/api/tickets/Z999/reprint").status_code == 404


def test_qr_code_of_a_ticket(printed_server):
    ticket = printed_server.issue(1)
    r = requests.get(f"{printed_server.url}/api/tickets/{ticket['token']}/qr.svg")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in r.content
    assert requests.get(f"{printed_server.url}/api/tickets/{'x' * 24}/qr.svg").status_code == 404


def test_virtual_printer_renders_png_under_the_data_dir(make_server):
    server = make_server(site=site_with_counters(1))
    ticket = server.issue(1)
    png = wait_until(lambda: list((server.data_dir / "tickets").glob(f"*_{ticket['number']}.png")))
    assert png[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reprint_never_queues_a_ticket_twice(printed_server, printer):
    clerk = printed_server.login("clerk1", "secret-1")
    printer.state = "cover_open"
    paper = lambda: clerk.get(printed_server.url + "/api/printer").json()  # noqa: E731
    wait_until(lambda: paper()["cover_open"] is True, timeout=15)
    ticket = printed_server.issue(1)
    wait_until(lambda: paper()["pending"] == [ticket["number"]])
    url = f"{printed_server.url}/api/tickets/{ticket['number']}/reprint"
    assert clerk.post(url).status_code == 202  # still pending: nothing added
    assert paper()["pending"] == [ticket["number"]]
    printer.state = "online"
    printer.wait_for_jobs(1, timeout=15)
    time.sleep(2.5)
    assert len(printer.jobs) == 1

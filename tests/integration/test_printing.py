"""Issued tickets reach a printer over raw TCP, exactly once, even across a printer outage."""

from __future__ import annotations

import sqlite3
import time

import pytest
import requests
from PIL import Image

from tests.conftest import site_with_counters
from tests.integration.test_flow import Listener
from tests.printers.receipts import contains_strip, ink, label, missing_glyphs, printed_as, strip
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


# --- the ticket in the visitor's language ---------------------------------------------------
LANG_SITE = (
    site_with_counters(1)
    + """
[[services]]
id = 4
name = "Meldebescheinigung"
prefix = "B"
minutes = 10
names = {tr = "İkamet belgesi", ar = "شهادة التسجيل", ja = "住民票の写し", el = "Βεβαίωση"}
"""
).replace("services = [1, 2, 3]", "services = [1, 2, 3, 4]")
SERVICE = {
    "de": "Meldebescheinigung",
    "tr": "İkamet belgesi",
    "ar": "شهادة التسجيل",
    "ja": "住民票の写し",
}


def labels_of(ticket: dict, lang: str) -> list[str]:
    return [
        label("ahead", lang, n=ticket["people_ahead"]),
        label("wait", lang, min=ticket["estimated_wait_min"]),
        label("scan_hint", lang),
        label("default_line", lang),
    ]


def jobs_by_number(printer, tickets: dict) -> dict:
    """{lang: decoded job} once every ticket has printed (matched by the printed number)."""
    raw = printer.wait_for_jobs(len(tickets), timeout=20)
    jobs = [decode(job) for job in raw]
    return {
        lang: next(job for job in jobs if ticket["number"] in job.text.split("\n"))
        for lang, ticket in tickets.items()
    }


def test_ticket_prints_in_the_visitors_language(make_server, printer):
    server = make_server(site=LANG_SITE, extra=["--printer", printer.url])
    tickets = {lang: server.issue(4, lang=lang) for lang in ("de", "tr", "ar", "ja")}
    jobs = jobs_by_number(printer, tickets)

    german = jobs["de"]
    for text in [*labels_of(tickets["de"], "de"), SERVICE["de"]]:
        assert printed_as(german, text, 80) == "text"
    assert not german.images() and "Please wait" not in german.text

    turkish = jobs["tr"]
    ways = {text: printed_as(turkish, text, 80, "tr") for text in labels_of(tickets["tr"], "tr")}
    assert "image" in ways.values()  # ğ ş ı are not in CP858
    assert printed_as(turkish, SERVICE["tr"], 80, "tr", bold=True, height=2) == "image"
    flat = " ".join(line.text for line in turkish.lines)
    assert "Personen vor Ihnen" not in flat and "Bitte warten" not in flat and "?" not in flat

    for lang in ("ar", "ja"):
        job = jobs[lang]
        texts = [*labels_of(tickets[lang], lang), SERVICE[lang]]
        for text in texts:
            bold = text == SERVICE[lang]
            how = printed_as(job, text, 80, lang, bold=bold, height=2 if bold else 1)
            assert how == "image", text
            assert missing_glyphs(text, 22, bold, lang) == [], text
        assert len(job.images()) >= len(texts)
        assert all(0.02 < ink(image) < 0.5 for image in job.images())
        assert job.qr_payloads == [tickets[lang]["status_url"]]


def test_job_queued_before_tickets_had_a_language_prints_german(make_server, printer):
    server = make_server(site=LANG_SITE, clerks=1, extra=["--printer", printer.url])
    clerk = server.login("clerk1", "secret-1")
    state = lambda: clerk.get(server.url + "/api/printer").json()  # noqa: E731
    printer.state = "paper_out"
    wait_until(lambda: state()["paper"] == "out", timeout=15)
    ticket = server.issue(4, lang="tr")
    wait_until(lambda: state()["pending"] == [ticket["number"]])
    # Make the queued job look like one from before this change: no "lang", German name. The
    # server is stopped meanwhile, so its spooler cannot hold the job as it was in memory.
    server.stop()
    with sqlite3.connect(server.data_dir / "wartemarke.sqlite3", timeout=10) as db:
        changed = db.execute(
            "UPDATE print_jobs SET payload = json_remove(json_set(payload, '$.service', ?), "
            "'$.lang') WHERE number = ? AND status = 'pending'",
            (SERVICE["de"], ticket["number"]),
        ).rowcount
    assert changed == 1
    printer.state = "online"
    server.start()  # an upgraded server finds the old job queued
    job = decode(printer.wait_for_jobs(1, timeout=20)[0])
    for text in [*labels_of(ticket, "de"), SERVICE["de"]]:
        assert printed_as(job, text, 80) == "text"
    assert not job.images()


def test_virtual_printer_png_is_in_the_visitors_language(make_server, output_dir):
    server = make_server(site=LANG_SITE)
    tickets = {lang: server.issue(4, lang=lang) for lang in ("ar", "ja", "tr")}
    for lang, ticket in tickets.items():
        pngs = wait_until(
            lambda t=ticket: list((server.data_dir / "tickets").glob(f"*_{t['number']}.png"))
        )
        with Image.open(pngs[0]) as png:
            image = png.convert("L")
        image.save(output_dir / f"ticket-virtual-{lang}.png")
        for text in labels_of(ticket, lang):
            assert contains_strip(image, strip(text, 80, lang)), text
        service = strip(SERVICE[lang], 80, lang, bold=True, height=2)
        assert contains_strip(image, service)

"""The clerk's page with appointments, in a real Chromium against a real server whose clock the
test moves: the queue marks booked visitors ("ab 09:40" before their slot, "Termin 09:40" once
due), and a visitor called at the slot carries a "Termin 09:20" badge beside the number.

Screenshot for review: test-output/counter-appointment.png.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.test_counter import LAPTOP, chips, counter_page, expect_current, log_in, pick
from tests.conftest import site_with_counters
from wartemarke.clock import write_clock_file

BERLIN = ZoneInfo("Europe/Berlin")
# Far ahead of the real date: the page turns an appointment "due" by its own clock as well,
# and that clock runs in the present.
DAY = "2040-03-27"
SITE = (
    site_with_counters(2)
    + """
[opening]
hours = "09:00-16:00"

[appointments]
slot_minutes = 20
early_minutes = 60
grace_minutes = 15
walk_in_after = 2
walk_in_wait_limit = 20
"""
)


def clock_at(path, hhmm: str) -> None:
    h, m = map(int, hhmm.split(":"))
    y, mo, d = map(int, DAY.split("-"))
    write_clock_file(path, datetime(y, mo, d, h, m, tzinfo=BERLIN))


@pytest.fixture
def office(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    clock_at(clock_file, "09:00")
    server = make_server(site=SITE, clerks=1, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    server.clock_file = clock_file
    return server


def book(boss, server, slot: str, service: int) -> str:
    r = boss.post(
        server.url + "/api/admin/appointments", json={"day": DAY, "slot": slot, "service": service}
    )
    assert r.status_code == 201, r.text
    return r.json()["code"]


def check_in(server, code: str) -> str:
    r = requests.post(server.url + "/api/checkin", json={"code": code}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["number"]


def chip(page, number: str):
    return page.locator(".c-chip", has=page.locator(".c-chip-number", has_text=number))


def test_an_appointment_called_at_its_slot_shows_its_badge(office, open_page, output_dir):
    boss = office.login("boss", "secret-boss")
    first = book(boss, office, "09:20", 1)
    second = book(boss, office, "09:40", 2)
    clock_at(office.clock_file, "09:05")
    assert check_in(office, first) == "T001"
    assert check_in(office, second) == "T002"
    walk_in = office.issue(1)["number"]

    page = counter_page(open_page, office, viewport=LAPTOP)
    log_in(page, "clerk1", "secret-1")
    pick(page, "Schalter 1")

    # Before their slots the appointments wait, marked "ab …"; the walk-in is next.
    assert chips(page) == ["T001", walk_in, "T002"]
    expect(chip(page, "T001").locator(".c-chip-slot")).to_have_text("ab 09:20")
    expect(chip(page, "T002").locator(".c-chip-slot")).to_have_text("ab 09:40")
    expect(chip(page, "T001").locator(".c-chip-wait")).to_be_hidden()
    expect(chip(page, "T001")).to_have_class(re.compile(r"\bis-later\b"))
    expect(chip(page, "T001")).to_have_attribute(
        "aria-label", "T001, ab 09:20 – Termin noch nicht an der Reihe – aufrufen"
    )
    expect(chip(page, walk_in).locator(".c-chip-slot")).to_be_hidden()
    expect(chip(page, walk_in)).to_have_class(re.compile(r"\bis-next\b"))
    expect(page.locator("#next-sub")).to_have_text(f"als Nächstes: {walk_in}")

    # 09:20: T001's slot has begun; "next" calls it before the walk-in.
    clock_at(office.clock_file, "09:20")
    with page.expect_response(lambda r: r.url.endswith("/counters/1/next")):
        page.locator("#next-btn").click()
    expect_current(page, "T001")
    badge = page.locator("#ticket-appointment")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("Termin 09:20")
    expect(page.locator("#ticket-service")).to_have_text("Personalausweis")
    assert chips(page) == [walk_in, "T002"]
    # The badge sits beside the number, on the same line, and reads well.
    number_box = page.locator("#ticket-number").bounding_box()
    badge_box = badge.bounding_box()
    assert badge_box["x"] > number_box["x"] + number_box["width"]
    assert badge_box["y"] < number_box["y"] + number_box["height"]
    size = badge.evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 18
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "counter-appointment.png")

    # A walk-in carries no badge.
    page.locator("#act-finish").click()
    expect(page.locator("#last-outcome")).to_have_text("T001 abgeschlossen")
    page.wait_for_timeout(1300)  # past the guard against a second call right after a call
    page.locator("#next-btn").click()
    expect_current(page, walk_in)
    expect(page.locator("#ticket-appointment")).to_be_hidden()
    page.locator("#act-finish").click()
    expect(page.locator("#last-outcome")).to_have_text(f"{walk_in} abgeschlossen")

    # 09:41, a fresh page: T002 is due, marked "Termin 09:40", and next.
    clock_at(office.clock_file, "09:41")
    page.reload()
    expect(page.locator("#screen-work")).to_be_visible()
    expect(chip(page, "T002").locator(".c-chip-slot")).to_have_text("Termin 09:40")
    expect(chip(page, "T002")).not_to_have_class(re.compile(r"\bis-later\b"))
    expect(chip(page, "T002")).to_have_class(re.compile(r"\bis-next\b"))
    expect(chip(page, "T002")).to_have_attribute("aria-label", "T002, Termin 09:40 – aufrufen")
    expect(page.locator("#empty-hint")).to_have_text(
        "1 Person wartet · als Nächstes: T002 (Reisepass)"
    )
    page.screenshot(path=output_dir / "counter-appointment-queue.png")

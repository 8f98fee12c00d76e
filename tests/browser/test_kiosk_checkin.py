"""Booked visitors check in at the kiosk, in a real Chromium against a real server whose clock
the test sets (WARTEMARKE_CLOCK_FILE): the on-screen keypad, a keyboard, a barcode scanner (a
USB keyboard that types fast, then Enter), and every answer of POST /api/checkin in words.

Screenshots for review go to test-output/kiosk-checkin-*.png.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from wartemarke.clock import write_clock_file
from wartemarke.domain.appointments import CODE_ALPHABET
from wartemarke.i18n import fill, texts
from wartemarke.kiosk.texts import TEXTS

BERLIN = ZoneInfo("Europe/Berlin")
DAY, TOMORROW = "2027-03-30", "2027-03-31"
SITE = """
[venue]
name = "Pop-Up-Bürgerbüro im Museum Kunstpalast"

[opening]
hours = "09:00-16:00"

[appointments]
prefix = "T"
slot_minutes = 20
early_minutes = 60
grace_minutes = 15

[kiosk]
burst = 30              # the tests check in faster than visitors do

[[services]]
id = 1
name = "Personalausweis"
prefix = "A"
minutes = 15
names = {en = "ID card"}

[[services]]
id = 2
name = "Reisepass"
prefix = "P"
minutes = 15

[[services]]
id = 3
name = "Meldeangelegenheiten"
prefix = "M"
minutes = 10

[[counters]]
id = 1
name = "Schalter 1"
services = [1, 2, 3]

[[counters]]
id = 2
name = "Schalter 2"
services = [1, 2, 3]
"""

START = "#services .k-service"
BUTTON = "#appointment-open"
CHECKIN = "#screen-checkin"
MESSAGE = "#checkin-message"
NUMBER = "#ticket-number"
SLOT_LINE = "#ticket-appointment"


class Venue:
    """The server, its clock and an admin who books appointments."""

    def __init__(self, server, clock_file) -> None:
        self.server, self.clock_file, self.url = server, clock_file, server.url
        self.boss = server.login("boss", "secret-boss")

    def at(self, hhmm: str) -> None:
        h, m = map(int, hhmm.split(":"))
        write_clock_file(self.clock_file, datetime(2027, 3, 30, h, m, tzinfo=BERLIN))

    def book(self, slot: str, code: str, service: int = 1, day: str = DAY) -> dict:
        r = self.boss.post(
            self.url + "/api/admin/appointments",
            json={"day": day, "slot": slot, "service": service, "code": code},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def cancel(self, appointment: dict) -> None:
        r = self.boss.post(f"{self.url}/api/admin/appointments/{appointment['id']}/cancel")
        assert r.status_code == 200, r.text

    def waiting(self) -> int:
        state = requests.get(self.url + "/api/state", timeout=5).json()
        return sum(s["waiting"] for s in state["services"])

    def kiosk(self, **params) -> str:
        # A scanner's keys at most 250 ms apart on average (the kiosk's default is 50 ms): this
        # machine's browser, busy with the other tests, can deliver them that late.
        params = {"scan_gap_ms": SCAN_GAP_MS, **params}
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{self.url}/kiosk/" + (f"?{query}" if query else "")


@pytest.fixture
def venue(make_server, tmp_path):
    clock_file = tmp_path / "clock"
    write_clock_file(clock_file, datetime(2027, 3, 30, 9, 5, tzinfo=BERLIN))
    server = make_server(site=SITE, env={"WARTEMARKE_CLOCK_FILE": str(clock_file)})
    server.add_users([("boss", "secret-boss", "admin")])
    return Venue(server, clock_file)


def checkins(guard) -> list[str]:
    return [u for u in guard.requests if u.endswith("/api/checkin")]


def tap_code(page, code: str) -> None:
    for key in code:
        page.locator(f'.k-key[data-key="{key}"]').tap()


SCAN_GAP_MS = 250
HUMAN_DELAY_MS = 400  # a person types slower than the scan gap


def scan(page, text: str) -> None:
    """What a USB barcode scanner does: the characters within milliseconds, then Enter."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def boxes(page) -> str:
    return "".join(page.locator("#checkin-code .k-code-box").all_inner_texts())


def keypad_is_big(page) -> None:
    """Exactly the code's characters, each key a big touch target, all on the screen."""
    keys = page.locator(".k-key")
    expect(keys).to_have_count(31)
    assert "".join(keys.all_inner_texts()) == CODE_ALPHABET
    viewport = page.viewport_size
    for key in keys.all():
        box = key.bounding_box()
        assert box["height"] >= 64 and box["width"] >= 64, (key.inner_text(), box)
        assert box["y"] + box["height"] <= viewport["height"], (key.inner_text(), box)
        font = float(key.evaluate("k => getComputedStyle(k).fontSize").removesuffix("px"))
        assert font >= 28, font
    for name in ("#checkin-delete", "#checkin-cancel", "#checkin-submit"):
        box = page.locator(name).bounding_box()
        assert box["height"] >= 90, (name, box)
        assert box["y"] + box["height"] <= viewport["height"], (name, box)
    main = page.locator(".k-main")
    assert main.evaluate("m => m.scrollHeight <= m.clientHeight + 1"), viewport


# --- the keypad ------------------------------------------------------------------------------


def test_keypad_check_in_then_again(venue, open_page, output_dir, guard):
    venue.book("09:20", "K7P3QX")
    page = open_page(venue.kiosk(), viewport=PORTRAIT, ready=START)

    # A separate, large button under the services.
    button = page.locator(BUTTON)
    expect(button).to_be_visible()
    expect(button).to_contain_text("Ich habe einen Termin")
    assert button.bounding_box()["height"] >= 90
    last_service = page.locator(START).last.bounding_box()
    assert button.bounding_box()["y"] > last_service["y"] + last_service["height"]
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-start.png")

    button.tap()
    screen = page.locator(CHECKIN)
    expect(screen).to_be_visible()
    expect(page.locator("#screen-start")).to_be_hidden()
    expect(page.locator("#checkin-title")).to_have_text("Einchecken mit Termin")
    expect(screen).to_contain_text(
        "Geben Sie Ihren Buchungscode ein oder halten Sie den QR-Code der Bestätigung an den "
        "Scanner"
    )
    assert page.evaluate("document.activeElement.id") == "checkin-title"
    keypad_is_big(page)
    submit = page.locator("#checkin-submit")
    expect(submit).to_have_text("Einchecken")
    expect(submit).to_be_disabled()
    expect(page.locator("#checkin-delete")).to_be_disabled()

    tap_code(page, "K7P3Q")
    assert boxes(page) == "K7P3Q"
    expect(submit).to_be_disabled()
    expect(page.locator("#checkin-live")).to_have_text(
        "Ihr Buchungscode: K 7 P 3 Q (5 von 6 Zeichen)"
    )
    tap_code(page, "A")  # a wrong key …
    page.get_by_role("button", name="Löschen").tap()  # … taken back
    tap_code(page, "X")
    tap_code(page, "B")  # six are all a code has
    assert boxes(page) == "K7P3QX"
    expect(submit).to_be_enabled()
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-keypad.png")

    with page.expect_request(lambda r: r.url.endswith("/api/checkin")) as sent:
        submit.tap()
    assert json.loads(sent.value.post_data) == {"code": "K7P3QX", "lang": "de"}
    expect(page.locator(NUMBER)).to_have_text("T001")
    expect(page.locator("#ticket-service")).to_have_text("Personalausweis")
    expect(page.locator(SLOT_LINE)).to_have_text(
        "Ihr Termin: 09:20 Uhr – Sie werden zu Ihrer Zeit aufgerufen"
    )
    expect(page.locator(SLOT_LINE)).to_have_attribute("data-kind", "slot")
    expect(page.locator("#ticket-again")).to_be_hidden()
    # Called at its time, not in turn: no "ahead of you" or wait estimate to mislead.
    expect(page.locator("#ticket-ahead")).to_be_hidden()
    expect(page.locator("#ticket-wait")).to_be_hidden()
    expect(page.locator("#ticket-print-text")).to_have_text("Ihr Ticket wird gedruckt")
    expect(page.locator(CHECKIN)).to_be_hidden()
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-ticket.png")

    # The same visitor again, on a keyboard this time (slowly, as a person types): the same
    # ticket, and it says so; nothing is printed again.
    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    page.wait_for_timeout(900)  # past the guard against a quick second tap
    button.tap()
    expect(screen).to_be_visible()
    page.keyboard.type("k7p3", delay=HUMAN_DELAY_MS)
    page.keyboard.type("qx", delay=HUMAN_DELAY_MS)
    assert boxes(page) == "K7P3QX"
    page.keyboard.press("Backspace")
    page.keyboard.type("x", delay=HUMAN_DELAY_MS)
    with page.expect_response(lambda r: r.url.endswith("/api/checkin")) as answered:
        page.keyboard.press("Enter")
    assert answered.value.status == 200
    expect(page.locator(NUMBER)).to_have_text("T001")
    expect(page.locator("#ticket-again")).to_have_text(
        "Sie sind bereits eingecheckt – es wird kein neues Ticket gedruckt."
    )
    expect(page.locator(SLOT_LINE)).to_contain_text("Ihr Termin: 09:20 Uhr")
    expect(page.locator("#ticket-print")).to_be_hidden()
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / "kiosk-checkin-again.png")
    assert venue.waiting() == 1
    assert len(checkins(guard)) == 2
    assert not [u for u in guard.requests if u.endswith("/api/tickets")]


# --- the barcode scanner ---------------------------------------------------------------------


def test_scanner_on_the_start_screen_checks_in_at_once(venue, open_page, output_dir, guard):
    venue.book("09:40", "H4N8RW", service=2)
    page = open_page(venue.kiosk(), viewport=PORTRAIT, ready=START)
    expect(page.locator(BUTTON)).to_be_visible()
    # A service button has the focus (the last visitor tapped it): the scanner's Enter must not
    # press it and take a walk-in number.
    page.locator(START).first.focus()

    # A person typing on the start screen is no scanner: nothing happens.
    page.keyboard.type("H4N8RW", delay=HUMAN_DELAY_MS)
    page.wait_for_timeout(4 * SCAN_GAP_MS + 200)  # then the kiosk forgets those keys
    expect(page.locator("#screen-start")).to_be_visible()

    page.locator(START).first.focus()
    with page.expect_request(lambda r: r.url.endswith("/api/checkin")) as sent:
        scan(page, "WARTEMARKE:h4n8rw")  # the confirmation's QR code, lower case and all
    assert json.loads(sent.value.post_data) == {"code": "WARTEMARKE:h4n8rw", "lang": "de"}
    expect(page.locator(NUMBER)).to_have_text("T001")
    expect(page.locator("#ticket-service")).to_have_text("Reisepass")
    expect(page.locator(SLOT_LINE)).to_have_text(
        "Ihr Termin: 09:40 Uhr – Sie werden zu Ihrer Zeit aufgerufen"
    )
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / "kiosk-checkin-scanned.png")
    page.wait_for_timeout(300)
    assert len(checkins(guard)) == 1
    assert not [u for u in guard.requests if u.endswith("/api/tickets")]
    assert venue.waiting() == 1


def test_no_button_and_no_keys_taken_without_bookings_today(venue, open_page, guard):
    venue.book("09:00", "W6Y2DE", day=TOMORROW)
    page = open_page(venue.kiosk(), viewport=PORTRAIT, ready=START)
    expect(page.locator(BUTTON)).to_have_count(0)
    expect(page.locator(CHECKIN)).to_have_count(0)
    expect(page.get_by_text("Ich habe einen Termin")).to_have_count(0)
    page.evaluate(
        """() => { window.__prevented = [];
                   document.addEventListener("keydown",
                     e => window.__prevented.push(e.defaultPrevented)); }"""
    )
    scan(page, "W6Y2DE")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__prevented") == [False] * 7  # six keys and Enter, untouched
    assert not checkins(guard)
    expect(page.locator("#screen-start")).to_be_visible()


# --- the answers -----------------------------------------------------------------------------


def test_unknown_early_wrong_day_cancelled_and_back_to_start(venue, open_page, output_dir, guard):
    venue.book("11:00", "M5T9VZ")
    venue.book("09:00", "W6Y2DE", day=TOMORROW)
    venue.cancel(venue.book("09:20", "C3J5UA", service=2))
    page = open_page(venue.kiosk(confirm_seconds=3), viewport=PORTRAIT, ready=START)
    page.locator(BUTTON).tap()
    message = page.locator(MESSAGE)

    tap_code(page, "ZZZZZZ")
    page.locator("#checkin-submit").tap()
    expect(message).to_have_text(
        "Diesen Buchungscode kennen wir nicht. Bitte prüfen Sie die Eingabe."
    )
    expect(message).to_have_attribute("role", "alert")
    assert boxes(page) == "ZZZZZZ"  # left to correct
    font = float(message.evaluate("m => getComputedStyle(m).fontSize").removesuffix("px"))
    assert font >= 28
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-unknown.png")

    for _ in range(6):
        page.locator("#checkin-delete").tap()
    expect(message).to_be_hidden()  # typing again clears it
    page.keyboard.type("M5T9VZ", delay=HUMAN_DELAY_MS)
    page.keyboard.press("Enter")
    expect(message).to_have_text(
        "Sie sind zu früh: Ihr Termin ist um 11:00 Uhr. Einchecken können Sie ab 10:00 Uhr."
    )
    page.screenshot(path=output_dir / "kiosk-checkin-too-early.png")

    scan(page, "W6Y2-DE")  # the scanner works on the check-in screen too, whatever was typed
    expect(message).to_have_text(
        "Ihr Termin ist am 31.03.2027. Bitte kommen Sie an diesem Tag wieder."
    )
    assert boxes(page) == "W6Y2DE"
    page.screenshot(path=output_dir / "kiosk-checkin-wrong-day.png")

    scan(page, "C3J5UA")
    expect(message).to_have_text(
        "Dieser Termin wurde abgesagt. Bitte wenden Sie sich an unser Personal."
    )
    scan(page, "4006381333931")  # some other barcode
    expect(message).to_have_text(
        "Das ist kein gültiger Buchungscode. Bitte prüfen Sie die Eingabe."
    )
    assert len(checkins(guard)) == 5
    assert venue.waiting() == 0

    # Nobody there any more: back to the start after the usual time.
    expect(page.locator("#screen-start")).to_be_visible(timeout=6000)
    expect(page.locator(CHECKIN)).to_be_hidden()

    # "Abbrechen" goes back at once; the focus returns to the button.
    page.wait_for_timeout(900)
    page.locator(BUTTON).tap()
    tap_code(page, "AB")
    page.get_by_role("button", name="Abbrechen").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "appointment-open"
    page.locator(BUTTON).tap()
    assert boxes(page) == ""  # a fresh start for the next visitor


def test_late_visitor_gets_a_walk_in_number(venue, open_page, output_dir):
    venue.book("09:00", "D4F6GH")
    venue.at("09:20")  # the slot's grace of 15 minutes is over
    page = open_page(venue.kiosk(), viewport=PORTRAIT, ready=START)
    scan(page, "D4F6GH")
    expect(page.locator(NUMBER)).to_have_text("A001")
    line = page.locator(SLOT_LINE)
    expect(line).to_have_text(
        "Ihr Termin um 09:00 ist verstrichen – Sie erhalten eine normale Wartenummer"
    )
    expect(line).to_have_attribute("data-kind", "late")
    expect(page.locator("#ticket-ahead")).to_have_text("Sie sind als Nächstes dran")
    expect(page.locator("#ticket-wait")).to_be_visible()
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-late.png")


# --- English, landscape, other screen sizes ---------------------------------------------------


def test_english_in_landscape(venue, open_page, output_dir):
    # The translators' current wording (wartemarke/translations/en); English, not German.
    en, de = texts(TEXTS, "en"), texts(TEXTS, "de")
    assert not [
        k for k in ("checkin_hint", "checkin_unknown", "appointment_slot") if en[k] == de[k]
    ]
    venue.book("09:20", "K7P3QX")
    venue.book("09:00", "W6Y2DE", day=TOMORROW)
    page = open_page(venue.kiosk(), viewport=LANDSCAPE, ready=START)
    page.locator(".k-lang-button[data-lang=en]").tap()
    button = page.locator(BUTTON)
    expect(button).to_contain_text("I have an appointment")
    page.screenshot(path=output_dir / "kiosk-checkin-english-start.png")
    button.tap()
    expect(page.locator("#checkin-title")).to_have_text(en["checkin_title"])
    expect(page.locator(CHECKIN)).to_contain_text(en["checkin_hint"])
    expect(page.get_by_role("button", name=en["checkin_delete"])).to_be_visible()
    expect(page.get_by_role("button", name=en["checkin_cancel"])).to_be_visible()
    expect(page.locator("#checkin-submit")).to_have_text(en["checkin_submit"])
    keypad_is_big(page)
    # Keypad to the right of the code in landscape.
    key = page.locator(".k-key").first.bounding_box()
    assert key["x"] > page.locator("#checkin-code").bounding_box()["x"] + 300

    tap_code(page, "ZZZZZZ")
    page.locator("#checkin-submit").tap()
    expect(page.locator(MESSAGE)).to_have_text(en["checkin_unknown"])
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-checkin-english-landscape.png")
    scan(page, "W6Y2DE")
    expect(page.locator(MESSAGE)).to_have_text(fill(en["checkin_wrong_day"], date="31 March 2027"))

    with page.expect_request(lambda r: r.url.endswith("/api/checkin")) as sent:
        scan(page, "K7P3QX")
    assert json.loads(sent.value.post_data)["lang"] == "en"
    expect(page.locator(NUMBER)).to_have_text("T001")
    expect(page.locator("#ticket-label")).to_have_text(en["your_number"])
    expect(page.locator("#ticket-service")).to_have_text("ID card")
    expect(page.locator(SLOT_LINE)).to_have_text(fill(en["appointment_slot"], time="09:20"))
    done = page.locator("#ticket-done").bounding_box()
    assert done["y"] + done["height"] <= LANDSCAPE["height"]
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / "kiosk-checkin-english-ticket.png")


def test_check_in_screen_fits_other_screens(venue, open_page, output_dir):
    venue.book("09:20", "K7P3QX")
    for viewport in ({"width": 800, "height": 1280}, {"width": 1280, "height": 800}):
        page = open_page(venue.kiosk(), viewport=viewport, ready=START)
        page.locator(BUTTON).tap()
        tap_code(page, "K7P")
        keypad_is_big(page)
        name = f"kiosk-checkin-{viewport['width']}x{viewport['height']}.png"
        page.screenshot(path=output_dir / name)
        page.context.close()

"""The clerk's page (/counter/) in a real Chromium against real server processes.

Screenshots for review go to test-output/counter-*.png.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from wartemarke.printers.virtual_tcp import VirtualPrinter

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1280, "height": 800}

VENUE = "Pop-Up-Bürgerbüro in der Zentralbibliothek"
SITE = f"""
[venue]
name = "{VENUE}"

[[services]]
id = 1
name = "Personalausweis"
prefix = "A"
minutes = 15

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

[[services]]
id = 4
name = "Abholung von Dokumenten"
prefix = "B"
minutes = 5

[[counters]]
id = 1
name = "Schalter 1"
services = [1, 2, 3]

[[counters]]
id = 2
name = "Schalter 2"
services = [1, 2, 3, 4]
"""

READY = "#screen-login:not([hidden]), #screen-pick:not([hidden]), #screen-work:not([hidden])"


@pytest.fixture
def office(make_server):
    """Four services, two counters, clerks clerk1/secret-1 and clerk2/secret-2; two failed
    logins per minute and address, then 429."""
    return make_server(site=SITE, clerks=2, env={"WARTEMARKE_LOGIN_LIMIT": "2 per minute"})


def counter_page(open_page, server, viewport=LAPTOP):
    page = open_page(server.url + "/counter/", viewport=viewport, ready=READY)
    expect(page.locator("#screen-login")).to_be_visible()
    return page


def log_in(page, name: str, password: str) -> None:
    page.locator("#login-user").fill(name)
    page.locator("#login-password").fill(password)
    page.locator("#login-password").press("Enter")
    expect(page.locator("#screen-pick")).to_be_visible()


def pick(page, counter: str) -> None:
    page.locator(".c-counter-card", has_text=counter).click()
    expect(page.locator("#screen-work")).to_be_visible()
    expect(page.locator("#header-counter")).to_have_text(counter)
    # Live: the waiting lists came with the snapshot, the actions are unlocked.
    expect(page.locator("#next-btn")).to_have_attribute("aria-disabled", "false")


def expect_current(page, number: str) -> None:
    expect(page.locator("#current-ticket")).to_be_visible()
    expect(page.locator("#ticket-number")).to_have_text(number)


def chips(page) -> list[str]:
    return page.locator(".c-chip-number").all_inner_texts()


def posted(guard, action: str) -> list[str]:
    return [u for u in guard.requests if u.endswith(f"/{action}")]


def issue(server, service: int) -> str:
    return server.issue(service)["number"]


def counter_state(server, counter_id: int) -> dict:
    counters = requests.get(server.url + "/api/counters", timeout=5).json()
    return next(c for c in counters if c["id"] == counter_id)


def service_state(server, service_id: int) -> dict:
    services = requests.get(server.url + "/api/services", timeout=5).json()
    return next(s for s in services if s["id"] == service_id)


# --- the main path --------------------------------------------------------------------------


def test_clerk_calls_recalls_and_finishes_by_keyboard(office, open_page, output_dir, guard):
    server = office
    for service in (1, 2, 3, 1):
        issue(server, service)
    page = counter_page(open_page, server)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    page.screenshot(path=output_dir / "counter-login.png")

    log_in(page, "clerk1", "secret-1")
    expect(page.locator(".c-counter-card")).to_have_count(2)
    page.screenshot(path=output_dir / "counter-pick.png")
    pick(page, "Schalter 1")

    expect(page.locator("#take-hint")).to_contain_text("Schalter 1 ist frei")
    expect(page.locator("#queue-total")).to_have_text("4 warten")
    assert chips(page) == ["A001", "A002", "P001", "M001"]
    expect(page.locator("#next-sub")).to_have_text("als Nächstes: A001")
    expect(page.locator("#next-btn kbd")).to_have_text("Leertaste")
    page.screenshot(path=output_dir / "counter-idle.png")
    colours_meet_wcag_aa(page)
    targets_are_big(page)

    # Space calls the next person (focus on no control). A held key calls only once.
    page.locator("#current-title").focus()
    with page.expect_response(lambda r: r.url.endswith("/counters/1/next")) as answer:
        page.keyboard.down(" ")
        page.keyboard.down(" ")  # auto-repeat of the held key
        page.keyboard.up(" ")
    request = answer.value.request
    assert request.headers.get("x-csrftoken")
    expect_current(page, "A001")
    expect(page.locator("#ticket-service")).to_have_text("Personalausweis")
    expect(page.locator("#current-status")).to_have_text("Aufgerufen")
    expect(page.locator("#ticket-called")).to_contain_text("Aufgerufen um")
    expect(page.locator("#take-hint")).to_be_hidden()
    page.wait_for_timeout(300)
    assert len(posted(guard, "next")) == 1
    assert chips(page) == ["A002", "P001", "M001"]  # the ticket event removed it
    size = page.locator("#ticket-number").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 72  # very big
    page.screenshot(path=output_dir / "counter-called.png")

    # R recalls (the shortcut is shown on the button); twice → "no-show" is offered first.
    expect(page.locator("#act-recall kbd")).to_have_text("R")
    page.keyboard.press("r")
    expect(page.locator("#ticket-recalls")).to_have_text("1× erneut aufgerufen")
    expect(page.locator("#act-noshow")).not_to_have_class(re.compile(r"\bis-suggested\b"))
    page.keyboard.press("r")
    expect(page.locator("#ticket-recalls")).to_have_text(
        "2× erneut aufgerufen – niemand gekommen? Dann „Nicht erschienen“."
    )
    expect(page.locator("#act-noshow")).to_have_class(re.compile(r"\bis-suggested\b"))
    page.screenshot(path=output_dir / "counter-recalled.png")

    # The visitor came after all: serving begins; cases are counted (2× passport, 1× ID card).
    page.keyboard.press("b")
    expect(page.locator("#current-status")).to_have_text("In Bedienung")
    expect(page.locator("#act-recall")).to_be_hidden()
    expect(page.locator("#cases-state")).to_have_text("ohne Eingabe: 1× Personalausweis")
    passport = page.locator(".c-case", has_text="Reisepass")
    with page.expect_request(lambda r: r.url.endswith("/counters/1/cases")) as saved:
        passport.locator(".c-step-plus").click()
        passport.locator(".c-step-plus").click()
        expect(passport.locator(".c-case-count")).to_have_text("2")
    assert json.loads(saved.value.post_data) == {
        "cases": [{"service": 1, "count": 1}, {"service": 2, "count": 2}]
    }  # saved once, a moment after the last tap
    expect(page.locator("#cases-state")).to_have_text("3 Anliegen")
    page.screenshot(path=output_dir / "counter-serving.png")

    # F finishes; the cases go with it.
    page.locator("#current-title").focus()
    with page.expect_request(lambda r: r.url.endswith("/counters/1/finish")) as finish:
        page.keyboard.press("f")
    cases = json.loads(finish.value.post_data)["cases"]
    assert sorted((c["service"], c["count"]) for c in cases) == [(1, 1), (2, 2)]
    expect(page.locator("#last-outcome")).to_have_text("A001 abgeschlossen")
    expect(page.locator("#empty-title")).to_have_text("Niemand am Schalter")
    expect(page.locator("#announce")).to_have_text("A001 ist abgeschlossen.")
    expect(page.locator("#my-stats")).to_contain_text("Heute: 1 bedient")
    page.screenshot(path=output_dir / "counter-finished.png")
    status = server.login("clerk1", "secret-1").get(server.url + "/api/counters/1").json()
    assert status["ticket"] is None and status["me"]["served_today"] == 1

    # P pauses: a clear break state; "next" ends the break.
    page.keyboard.press("p")
    expect(page.locator("#current-paused")).to_be_visible()
    expect(page.locator("#pause-btn")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#next-sub")).to_have_text("beendet die Pause")
    page.screenshot(path=output_dir / "counter-paused.png")
    assert counter_state(server, 1)["paused"] is True
    page.keyboard.press("Enter")
    expect_current(page, "P001")
    expect(page.locator("#current-paused")).to_be_hidden()
    assert counter_state(server, 1)["paused"] is False

    # Z: back to the queue at the same place; then W transfers it to another service.
    page.keyboard.press("z")
    expect(page.locator("#last-outcome")).to_have_text("P001 zurück in der Warteschlange")
    assert chips(page) == ["A002", "P001", "M001"]
    page.wait_for_timeout(1300)  # past the guard against a second call right after a call
    page.keyboard.press(" ")
    expect_current(page, "P001")
    page.keyboard.press("w")
    dialog = page.locator("#dlg-choose")
    expect(dialog).to_be_visible()
    expect(page.locator("#choose-title")).to_have_text("P001 weiterleiten")
    dialog.locator(".c-choice", has_text="Meldeangelegenheiten").click()
    page.screenshot(path=output_dir / "counter-transfer.png")
    page.locator("#choose-ok").click()
    expect(page.locator("#last-outcome")).to_have_text("P001 weitergeleitet")
    group = page.locator(".c-group", has_text="Meldeangelegenheiten")
    expect(group.locator(".c-chip-number")).to_have_text(["P001", "M001"])  # kept its place

    # A number called by hand; "no-show" by hand asks first.
    page.locator(".c-chip", has_text="M001").click()
    expect(page.locator("#confirm-title")).to_have_text("M001 jetzt aufrufen?")
    page.keyboard.press("Enter")
    expect_current(page, "M001")
    page.keyboard.press("n")
    expect(page.locator("#confirm-title")).to_have_text("M001 als „nicht erschienen“ vermerken?")
    page.screenshot(path=output_dir / "counter-no-show-confirm.png")
    page.locator("#confirm-ok").click()
    expect(page.locator("#last-outcome")).to_have_text("M001 als „nicht erschienen“ vermerkt")

    # A visitor without a ticket.
    page.locator("#serve-btn").click()
    page.locator("#dlg-choose .c-choice", has_text="Reisepass").click()
    page.locator("#choose-ok").click()
    expect_current(page, "#001")
    expect(page.locator("#ticket-service")).to_have_text("Reisepass · ohne Wartenummer")
    expect(page.locator("#current-status")).to_have_text("In Bedienung")
    page.keyboard.press("f")
    expect(page.locator("#last-outcome")).to_have_text("#001 abgeschlossen")

    # The side panel: this counter's services for today, and open/close for everybody.
    page.locator("#services-btn").click()
    panel = page.locator("#dlg-services")
    expect(panel).to_be_visible()
    expect(page.locator("#my-services-title")).to_have_text("Schalter 1 bearbeitet heute")
    panel.locator(".c-check", has_text="Personalausweis").click()
    passports = panel.locator(".c-open-row", has_text="Reisepass")
    passports.locator(".c-segment", has_text="Geschlossen").click()
    expect(passports.locator(".c-open-status")).to_have_text("geschlossen")
    page.screenshot(path=output_dir / "counter-services.png")
    assert service_state(server, 2)["open"] is False
    passports.locator(".c-segment", has_text="Automatisch").click()
    expect(passports.locator(".c-open-status")).to_have_text("geöffnet")
    page.locator("#my-services-save").click()
    expect(panel).to_be_hidden()
    expect(page.locator(".c-group-name")).to_have_text(["Reisepass", "Meldeangelegenheiten"])
    assert counter_state(server, 1)["services"] == [2, 3]

    # Sign out; wrong passwords are told apart from throttling.
    page.locator("#logout-btn").click()
    expect(page.locator("#screen-login")).to_be_visible()
    assert counter_state(server, 1)["staffed"] is False
    page.locator("#login-user").fill("clerk1")
    page.locator("#login-password").fill("wrong")
    page.locator("#login-submit").click()
    error = page.locator("#login-error")
    expect(error).to_have_text(
        "Benutzername oder Passwort ist falsch. Bitte versuchen Sie es noch einmal."
    )
    page.locator("#login-password").fill("wrong again")
    with page.expect_response(lambda r: r.url.endswith("/api/login")) as second_try:
        page.locator("#login-password").press("Enter")
    assert second_try.value.status == 401
    expect(page.locator("#login-password")).to_have_value("")  # cleared for the next try
    page.locator("#login-password").fill("secret-1")  # right, but too many failures before
    page.locator("#login-password").press("Enter")
    expect(error).to_contain_text("Zu viele Fehlversuche")
    page.screenshot(path=output_dir / "counter-login-throttled.png")
    assert not guard.external, guard.external  # nothing left 127.0.0.1 (checked again at teardown)


def test_second_clerk_sees_changes_live_and_held_counter(office, open_page, output_dir, guard):
    server = office
    for service in (1, 3):
        issue(server, service)
    first = counter_page(open_page, server)
    log_in(first, "clerk1", "secret-1")
    pick(first, "Schalter 1")
    second = counter_page(open_page, server, viewport=TABLET)  # another clerk, another device
    # English comes from the same kind of table.
    second.locator("#login-form .c-link-btn[data-lang=en]").click()
    expect(second.locator("label[for=login-user]")).to_have_text("User name")
    expect(second.locator("html")).to_have_attribute("lang", "en")
    second.locator("#login-form .c-link-btn[data-lang=de]").click()
    expect(second.locator("label[for=login-user]")).to_have_text("Benutzername")
    log_in(second, "clerk2", "secret-2")
    pick(second, "Schalter 2")
    assert chips(second) == ["A001", "M001"]

    first.locator("#next-btn").dblclick()  # a nervous double click calls one person
    expect_current(first, "A001")
    first.wait_for_timeout(300)
    assert len(posted(guard, "next")) == 1
    # Without reload the other clerk's list loses the called number and gains new ones.
    expect(second.locator(".c-chip-number")).to_have_text(["M001"])
    issue(server, 4)
    expect(second.locator(".c-chip-number")).to_have_text(["M001", "B001"])
    expect(first.locator(".c-chip-number")).to_have_text(["M001"])  # B is not served at 1

    # The second clerk calls M001 by its number.
    second.locator(".c-chip", has_text="M001").click()
    expect(second.locator("#confirm-title")).to_have_text("M001 jetzt aufrufen?")
    second.locator("#confirm-ok").click()
    expect_current(second, "M001")
    expect(first.locator(".c-chip-number")).to_have_count(0)
    expect(first.locator("#queue-empty")).to_be_visible()
    second.screenshot(path=output_dir / "counter-tablet.png")

    # The second clerk switches to counter 1, which clerk1 holds: told who holds it.
    second.locator("#act-finish").click()
    expect(second.locator("#last-outcome")).to_have_text("M001 abgeschlossen")
    second.locator("#switch-btn").click()
    expect(second.locator("#screen-pick")).to_be_visible()
    second.locator(".c-counter-card", has_text="Schalter 1").click()
    expect(second.locator("#pick-message")).to_have_text(
        "Schalter 1 ist belegt von clerk1. Bitte wählen Sie einen anderen Schalter."
    )
    second.screenshot(path=output_dir / "counter-held.png")

    # A reload at the first desk: still logged in, straight back to the counter and its visitor.
    first.reload()
    expect(first.locator("#screen-work")).to_be_visible()
    expect(first.locator("#header-counter")).to_have_text("Schalter 1")
    expect_current(first, "A001")


def test_reconnects_after_server_restart(make_server, open_page, output_dir):
    printer = VirtualPrinter(state="paper_out").start()
    try:
        server = make_server(site=SITE, clerks=2, extra=["--printer", printer.url])
        page = counter_page(open_page, server)
        log_in(page, "clerk1", "secret-1")
        pick(page, "Schalter 1")
        issue(server, 1)
        issue(server, 2)
        banner = page.locator("#printer-banner")
        expect(banner).to_contain_text("Drucker: Papier leer – 2 Tickets warten auf den Druck")
        page.keyboard.press(" ")
        expect_current(page, "A001")
        expect(page.locator(".c-chip-number")).to_have_text(["P001"])

        server.kill()
        indicator = page.locator("#connection")
        expect(indicator).to_be_visible(timeout=8000)
        expect(indicator).to_have_text("Verbindung unterbrochen – wird wiederhergestellt …")
        expect(page.locator("#next-btn")).to_have_attribute("aria-disabled", "true")
        expect(page.locator("#act-finish")).to_have_attribute("aria-disabled", "true")
        page.keyboard.press(" ")  # locked: nothing happens
        page.screenshot(path=output_dir / "counter-offline.png")

        # The spooler was sending P001 when the power went: it comes back as "failed".
        with sqlite3.connect(server.data_dir / "wartemarke.sqlite3") as db:
            db.execute("UPDATE print_jobs SET status = 'printing' WHERE number = 'P001'")
        server.start()  # same port and data; the page is not reloaded
        clerk = server.login("clerk1", "secret-1")  # the same clerk at another window
        assert clerk.post(server.url + "/api/counters/1/recall").status_code == 200

        expect(indicator).to_be_hidden(timeout=10000)
        expect_current(page, "A001")
        expect(page.locator("#ticket-recalls")).to_have_text("1× erneut aufgerufen")
        expect(page.locator("#next-btn")).to_have_attribute("aria-disabled", "false")
        expect(banner).to_contain_text("Papier leer")
        expect(page.locator("#printer-failed")).to_contain_text("Nicht gedruckt:")
        reprint = page.locator(".c-reprint", has_text="P001 neu drucken")
        expect(reprint).to_be_visible()
        page.screenshot(path=output_dir / "counter-printer.png")

        printer.state = "online"
        with page.expect_response(lambda r: r.url.endswith("/tickets/P001/reprint")) as sent:
            reprint.click()
        assert sent.value.status == 202
        expect(page.locator("#notice")).to_contain_text("P001 wird neu gedruckt.")
        printer.wait_for_jobs(2, timeout=15)  # A001 (pending) and the reprint of P001
        expect(banner).to_be_hidden(timeout=10000)
        assert requests.get(server.url + "/api/health", timeout=5).ok
    finally:
        printer.stop()


# --- helpers ---------------------------------------------------------------------------------


def targets_are_big(page) -> None:
    """Every visible button at least 44 CSS px high and wide (touch)."""
    for button in page.locator("button:visible").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (button.inner_text(), box)


def test_a_mute_wall_display_is_shown_to_the_clerk(office, open_page, output_dir):
    import socketio

    page = counter_page(open_page, office)
    log_in(page, "clerk1", "secret-1")
    pick(page, "Schalter 1")
    expect(page.locator("#devices-banner")).to_be_hidden()
    wall = socketio.Client(reconnection=False)
    wall.connect(
        office.url,
        namespaces=["/display"],
        transports=["websocket"],
        auth={"device": "foyer-links", "kind": "display"},
        wait_timeout=5,
    )
    try:
        wall.emit("display_status", {"sound": "blocked"}, namespace="/display")
        expect(page.locator("#devices-banner")).to_be_visible()
        expect(page.locator("#devices-text")).to_contain_text("foyer-links")
        expect(page.locator("#devices-text")).to_contain_text("stumm")
        page.screenshot(path=str(output_dir / "counter-display-muted.png"))
        wall.emit("display_status", {"sound": "ok"}, namespace="/display")
        expect(page.locator("#devices-banner")).to_be_hidden()
    finally:
        wall.disconnect()
    expect(page.locator("#devices-text")).to_contain_text("nicht verbunden")

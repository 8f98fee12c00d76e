"""The kiosk page in a real Chromium against real server processes.

Screenshots for review go to test-output/kiosk-*.png; the measured tap → confirmation time is
printed and written to test-output/kiosk-timing.json.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.checks import colours_meet_wcag_aa
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from wartemarke.i18n import KIOSK_LANGUAGES, LANGUAGES

VENUE = "Pop-Up-Bürgerbüro im Museum Kunstpalast"
SITE = f"""
[venue]
name = "{VENUE}"

[[services]]
id = 1
name = "Personalausweis"
prefix = "A"
minutes = 15
description = "Beantragen, Verlust melden, vorläufiger Ausweis"
names = {{en = "ID card"}}
descriptions = {{en = "Apply, report a loss, temporary ID card"}}

[[services]]
id = 2
name = "Reisepass"
prefix = "P"
minutes = 15
description = "Reisepass und Kinderreisepass beantragen"

[[services]]
id = 3
name = "Meldeangelegenheiten"
prefix = "M"
minutes = 10
description = "Anmelden, Ummelden, Meldebescheinigung"

[[services]]
id = 4
name = "Abholung von Dokumenten"
prefix = "B"
minutes = 5
description = "Fertigen Ausweis oder Pass abholen"

[[counters]]
id = 1
name = "Schalter 1"
services = [1, 2, 3, 4]

[[counters]]
id = 2
name = "Schalter 2"
services = [1, 2, 3]
"""

SIX_SERVICES = (
    SITE
    + """
[[services]]
id = 5
name = "Führungszeugnis"
prefix = "F"
minutes = 10
description = "Führungszeugnis beantragen"

[[services]]
id = 6
name = "Beglaubigungen"
prefix = "G"
minutes = 8
description = "Kopien und Unterschriften beglaubigen"
"""
)

READY = "#services .k-service"
NUMBER = "#ticket-number"


def card(page, name: str):
    return page.locator(".k-service", has_text=name)


def waiting(server, service_id: int) -> int:
    state = requests.get(server.url + "/api/state", timeout=5).json()
    return next(s["waiting"] for s in state["services"] if s["id"] == service_id)


def issued_today(server) -> int:
    state = requests.get(server.url + "/api/state", timeout=5).json()
    return sum(s["waiting"] for s in state["services"])


def kiosk(server, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{server.url}/kiosk/" + (f"?{query}" if query else "")


def local_now() -> datetime:
    return datetime.now(ZoneInfo("Europe/Berlin"))


@pytest.fixture(scope="module", autouse=True)
def warm_servers(server_pool):
    server_pool.warm(SITE)
    server_pool.warm(SIX_SERVICES)
    server_pool.warm(ASK_DISTRICT)


# --- the main path --------------------------------------------------------------------------


def test_tap_shows_the_number_big(kiosk_server, open_page, output_dir, guard):
    server = kiosk_server
    page = open_page(kiosk(server), viewport=PORTRAIT, ready=READY)
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(card(page, "Personalausweis")).to_contain_text("Niemand wartet")
    touch_targets_are_big(page)
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-portrait-start.png")

    # Time from the finger touching the button to the frame that shows the number.
    page.evaluate(
        """() => {
          window.__tapAt = null; window.__shownAt = null;
          document.addEventListener("pointerdown", () => { window.__tapAt = performance.now(); },
                                    {capture: true, once: true});
          const number = document.getElementById("ticket-number");
          new MutationObserver(() => {
            if (window.__shownAt === null && number.textContent) {
              requestAnimationFrame(() => { window.__shownAt = performance.now(); });
            }
          }).observe(number, {childList: true, characterData: true, subtree: true});
        }"""
    )
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        started = time.perf_counter()
        card(page, "Personalausweis").tap()
    number = page.locator(NUMBER)
    expect(number).to_have_text("A001")
    wall_ms = (time.perf_counter() - started) * 1000
    page.wait_for_function("() => window.__shownAt !== null")
    in_page_ms = page.evaluate("window.__shownAt - window.__tapAt")
    timing = {"tap_to_number_in_page_ms": round(in_page_ms, 1), "wall_ms": round(wall_ms, 1)}
    print(f"\nkiosk tap → confirmation: {timing}")
    (output_dir / "kiosk-timing.json").write_text(json.dumps(timing, indent=2))

    request = sent.value
    assert json.loads(request.post_data) == {"service": 1, "lang": "de"}
    device = request.headers.get("x-wartemarke-device", "")
    assert len(device) >= 16

    # Big and clear: the number dominates the screen.
    box = number.bounding_box()
    assert box["height"] >= 150, box
    font_px = float(number.evaluate("n => getComputedStyle(n).fontSize").removesuffix("px"))
    assert font_px >= 150
    expect(page.locator("#screen-start")).to_be_hidden()
    expect(page.locator("#ticket-service")).to_have_text("Personalausweis")
    expect(page.locator("#ticket-ahead")).to_have_text("Sie sind als Nächstes dran")
    expect(page.locator("#ticket-print-text")).to_have_text("Ihr Ticket wird gedruckt")
    expect(page.locator("#ticket-countdown")).to_contain_text("Zurück zum Start in")
    colours_meet_wcag_aa(page)
    expect(page.locator("#ticket-qr")).to_be_visible()  # served by this server as SVG
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / "kiosk-portrait-ticket.png")

    # "Fertig" returns at once; the same device id is used for every ticket of this kiosk.
    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    expect(card(page, "Personalausweis")).to_contain_text("1 Person wartet")
    page.wait_for_timeout(900)  # past the guard against a quick second tap on "Fertig"
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as again:
        card(page, "Reisepass").tap()
    expect(number).to_have_text("P001")
    assert again.value.headers.get("x-wartemarke-device") == device
    assert issued_today(server) == 2


def touch_targets_are_big(page) -> None:
    """Every control ≥ 90 CSS px high (15 mm), the footer's language tiles and modes ≥ 56 px;
    those in the lower half, the services mostly below the top third (reachable from a
    wheelchair)."""
    height = page.viewport_size["height"]
    services = page.locator(READY).all()
    for button in page.locator("button:visible").all():
        box = button.bounding_box()
        in_footer = button.evaluate("b => Boolean(b.closest('.k-footer'))")
        assert box["height"] >= (56 if in_footer else 90), (button.inner_text(), box)
        if in_footer:
            assert box["width"] >= 56 and box["y"] > height / 2, (button.inner_text(), box)
    centres = [b["y"] + b["height"] / 2 for b in map(lambda s: s.bounding_box(), services)]
    below = [c for c in centres if c > height / 3]
    assert len(below) >= len(centres) / 2, centres  # mostly below the top third


def test_waiting_count_updates_live(kiosk_server, open_page, guard):
    server = kiosk_server
    page = open_page(kiosk(server), ready=READY)
    passport = card(page, "Reisepass")
    expect(passport).to_contain_text("Niemand wartet")
    expect(passport).to_contain_text("kaum Wartezeit")

    server.issue(2)  # another kiosk, or a city system, issues tickets
    expect(passport).to_contain_text("1 Person wartet")
    server.issue(2)
    server.issue(2)
    expect(passport).to_contain_text("3 Personen warten")
    expect(passport.locator(".k-wait-text")).to_contain_text("Min.")
    expect(card(page, "Personalausweis")).to_contain_text("Niemand wartet")

    # Live over the websocket: the list was fetched once, never polled.
    fetched = [u for u in guard.requests if u.endswith("/api/services")]
    assert len(fetched) == 1, fetched
    # The kiosk names itself to the server, so staff see it among the venue's screens.
    device = page.evaluate("() => localStorage.getItem('wartemarke.kiosk.device')")
    hello = [f for f in guard.ws_sent if f.startswith("40/display,")]
    assert hello and json.loads(hello[0].split(",", 1)[1]) == {"device": device, "kind": "kiosk"}


def test_double_tap_issues_one_ticket(kiosk_server, open_page):
    server = kiosk_server
    page = open_page(kiosk(server), ready=READY)
    button = card(page, "Meldeangelegenheiten")
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    button.dblclick()  # two quick taps while the first request is in flight
    expect(page.locator(NUMBER)).to_have_text("M001")
    assert waiting(server, 3) == 1

    # Tapping where the button was, while the confirmation is up, changes nothing.
    page.mouse.click(x, y)
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(300)
    expect(page.locator(NUMBER)).to_have_text("M001")

    # Two clicks in the same event-loop turn: the lock is synchronous.
    page.locator("#ticket-done").tap()
    page.wait_for_timeout(900)
    page.evaluate(
        """() => { const b = document.querySelector('[data-service-id="3"]');
                   b.click(); b.click(); b.click(); }"""
    )
    expect(page.locator(NUMBER)).to_have_text("M002")
    page.wait_for_timeout(300)
    assert waiting(server, 3) == 2

    # A quick second tap on "Fertig" lands on the start screen but takes no ticket.
    page.locator("#ticket-done").dblclick()
    page.wait_for_timeout(400)
    assert waiting(server, 3) == 2
    expect(page.locator("#screen-start")).to_be_visible()


def test_language_switch(kiosk_server, open_page, output_dir):
    server = kiosk_server
    page = open_page(kiosk(server, confirm_seconds=2), ready=READY)
    html = page.locator("html")
    english = page.locator(".k-lang-button[data-lang=en]")
    # Every language of the site (by default all of them), each by its own name.
    expect(page.locator(".k-lang-button")).to_have_text(
        [LANGUAGES[code].name for code in KIOSK_LANGUAGES]
    )
    expect(english).to_have_text("English")
    expect(english).to_have_attribute("aria-pressed", "false")

    english.tap()
    expect(html).to_have_attribute("lang", "en")
    expect(english).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#start-title")).to_have_text("Please choose what you need")
    expect(card(page, "Reisepass")).to_contain_text("Nobody waiting")
    # A service's own English name and description; one without keeps its German name.
    id_card = page.locator('[data-service-id="1"]')
    expect(id_card).to_contain_text("ID card")
    expect(id_card).to_contain_text("Apply, report a loss")
    expect(id_card).not_to_contain_text("Personalausweis")
    expect(page.locator(".k-lang-label")).to_contain_text("Language")
    assert page.title().startswith("Take a queue number")
    page.screenshot(path=output_dir / "kiosk-english.png")

    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        card(page, "Reisepass").tap()
    assert json.loads(sent.value.post_data)["lang"] == "en"
    expect(page.locator("#ticket-label")).to_have_text("Your number")
    expect(page.locator("#ticket-ahead")).to_have_text("You are next")
    expect(page.locator("#ticket-done")).to_contain_text("Done")

    # After the configured 2 s the kiosk is back at the start, in German for the next person.
    expect(page.locator("#screen-start")).to_be_visible(timeout=5000)
    expect(html).to_have_attribute("lang", "de")
    expect(page.locator("#start-title")).to_have_text("Bitte wählen Sie Ihr Anliegen")
    expect(card(page, "Reisepass")).to_contain_text("1 Person wartet")
    expect(page.locator('[data-service-id="1"]')).to_contain_text("Personalausweis")


def test_recovers_after_server_restart(kiosk_server, open_page, output_dir):
    server = kiosk_server
    page = open_page(kiosk(server), ready=READY)
    indicator = page.locator("#connection")
    expect(indicator).to_be_hidden()

    server.kill()
    expect(indicator).to_be_visible(timeout=8000)
    expect(indicator).to_have_text("Verbindung wird wiederhergestellt")

    card(page, "Personalausweis").tap()  # the server is away: no number, a plain message
    message = page.locator("#start-message")
    expect(message).to_contain_text("Verbindung zum Server wird hergestellt …")
    expect(page.locator("#screen-ticket")).to_be_hidden()
    page.screenshot(path=output_dir / "kiosk-offline.png")

    server.start()  # same port, same data; the page is not reloaded
    expect(indicator).to_be_hidden(timeout=10000)
    expect(message).to_be_hidden()
    server.issue(1)  # live updates flow again
    expect(card(page, "Personalausweis")).to_contain_text("1 Person wartet")

    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A002")
    assert waiting(server, 1) == 2


def test_landscape(kiosk_server, open_page, output_dir):
    server = kiosk_server
    for _ in range(4):
        server.issue(1)
    server.issue(3)
    page = open_page(kiosk(server), viewport=LANDSCAPE, ready=READY)
    expect(card(page, "Personalausweis")).to_contain_text("4 Personen warten")
    touch_targets_are_big(page)
    boxes = [b.bounding_box() for b in page.locator(READY).all()]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]  # two columns
    assert all(b["y"] + b["height"] <= LANDSCAPE["height"] for b in boxes)  # no scrolling
    page.screenshot(path=output_dir / "kiosk-landscape-start.png")

    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A005")
    expect(page.locator("#ticket-ahead")).to_have_text("4 Personen")
    done = page.locator("#ticket-done").bounding_box()
    assert done["y"] + done["height"] <= LANDSCAPE["height"]
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    page.screenshot(path=output_dir / "kiosk-landscape-ticket.png")


def test_six_services_fit_on_one_screen(server_pool, open_page, output_dir):
    server = server_pool.take(SIX_SERVICES)
    sizes = [PORTRAIT, LANDSCAPE, {"width": 800, "height": 1280}, {"width": 1280, "height": 800}]
    for viewport in sizes:
        page = open_page(kiosk(server), viewport=viewport, ready=READY)
        expect(page.locator(READY)).to_have_count(6)
        main = page.locator(".k-main")
        assert main.evaluate("m => m.scrollHeight <= m.clientHeight + 1"), viewport
        touch_targets_are_big(page)
        name = f"kiosk-six-{viewport['width']}x{viewport['height']}.png"
        page.screenshot(path=output_dir / name)
        page.context.close()


# --- services that are not open ---------------------------------------------------------------


def hours_site(opening: str) -> str:
    return SITE + f"\n[opening]\n{opening}\n"


def test_closed_and_full_services(make_server, open_page, output_dir):
    # Open until a few minutes from now: a queue that would run past closing is "full".
    now = local_now()
    start = max(now - timedelta(hours=2), now.replace(hour=0, minute=0))
    end = now + timedelta(minutes=12)
    until = "24:00" if end.date() != now.date() else f"{end:%H:%M}"
    server = make_server(site=hours_site(f'hours = "{start:%H:%M}-{until}"'), clerks=1)
    for _ in range(10):  # fill Personalausweis until no number is left today
        r = requests.post(server.url + "/api/tickets", json={"service": 1}, timeout=5)
        if r.status_code == 409:
            break
        assert r.status_code == 201, r.text
    else:
        pytest.fail("Personalausweis never became full")
    clerk = server.login("clerk1", "secret-1")
    r = clerk.post(server.url + "/api/services/2/open", json={"open": False})
    assert r.status_code == 200, r.text

    page = open_page(kiosk(server), ready=READY)
    full, closed = card(page, "Personalausweis"), card(page, "Reisepass")
    expect(full).to_be_disabled()
    expect(full).to_contain_text(
        "Heute keine Wartenummern mehr – die Wartezeit reicht bis nach Dienstschluss"
    )
    expect(closed).to_be_disabled()
    expect(closed).to_contain_text("Zurzeit geschlossen")
    expect(card(page, "Meldeangelegenheiten")).to_be_enabled()
    if until != "24:00":
        expect(page.locator("#venue-hours")).to_have_text(f"Heute geöffnet bis {until} Uhr")
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-unavailable.png")

    closed.tap(force=True)  # a disabled button does nothing
    page.wait_for_timeout(300)
    expect(page.locator("#screen-ticket")).to_be_hidden()

    # Staff open it again: the kiosk follows live.
    r = clerk.post(server.url + "/api/services/2/open", json={"open": None})
    assert r.status_code == 200, r.text
    expect(closed).to_be_enabled()
    expect(closed).to_contain_text("Niemand wartet")


def test_closed_screen_outside_opening_hours(make_server, open_page, output_dir):
    now = local_now()
    if now.hour < 21:
        opens = now + timedelta(hours=2)
        opening = f'hours = "{opens:%H:%M}-{opens + timedelta(minutes=30):%H:%M}"'
        expected = f"Wir öffnen wieder um {opens:%H:%M} Uhr."
    else:  # late in the evening: today's hours are over
        opening = 'hours = "06:00-07:00"'
        expected = "Bitte kommen Sie zu unseren Öffnungszeiten wieder."
    server = make_server(site=hours_site(opening))
    page = open_page(kiosk(server), ready="#screen-closed:not([hidden])")
    expect(page.locator("#closed-title")).to_have_text("Das Pop-Up-Bürgerbüro ist geschlossen")
    expect(page.locator("#closed-opens")).to_have_text(expected)
    expect(page.locator("#screen-start")).to_be_hidden()
    expect(page.locator(".k-lang-button")).to_have_count(10)  # still readable in English
    page.screenshot(path=output_dir / "kiosk-closed.png")
    page.locator(".k-lang-button[data-lang=en]").tap()
    expect(page.locator("#closed-title")).to_have_text("The Pop-Up Citizens' Office is closed")


# --- answers other than 201 (forced through the browser's router) ----------------------------


def test_slowed_down_then_retried_once(kiosk_server, open_page, output_dir):
    server = kiosk_server
    page = open_page(kiosk(server), ready=READY)
    answers = []

    def slow_down_first(route):
        if not answers:
            answers.append(429)
            body = {"error": "too_many_requests", "message": "wait", "retry_after": 1}
            route.fulfill(status=429, json=body, headers={"Retry-After": "1"})
        else:
            answers.append("passed")
            route.continue_()

    page.route("**/api/tickets", slow_down_first)
    card(page, "Personalausweis").tap()
    expect(page.locator("#start-message")).to_contain_text("Einen Moment bitte …")
    expect(page.locator(".k-service-item.is-pending")).to_contain_text("Einen Moment bitte")
    page.screenshot(path=output_dir / "kiosk-slow-down.png")
    expect(page.locator(NUMBER)).to_have_text("A001", timeout=5000)
    assert answers == [429, "passed"]
    assert waiting(server, 1) == 1


def test_conflict_network_error_and_broken_printer(kiosk_server, open_page, output_dir, guard):
    server = kiosk_server
    page = open_page(kiosk(server), ready=READY)
    message = page.locator("#start-message")

    # 409: the service closed a moment ago. A friendly message and a fresh list.
    page.route(
        "**/api/tickets",
        lambda route: route.fulfill(status=409, json={"error": "conflict", "message": "closed"}),
    )
    before = len([u for u in guard.requests if u.endswith("/api/services")])
    card(page, "Reisepass").tap()
    expect(message).to_contain_text("Für dieses Anliegen gibt es gerade keine Wartenummern")
    page.wait_for_timeout(200)
    assert len([u for u in guard.requests if u.endswith("/api/services")]) == before + 1
    page.unroute("**/api/tickets")

    # The request never gets an answer: the connection message, and the screen keeps working.
    page.route("**/api/tickets", lambda route: route.abort("connectionreset"))
    card(page, "Reisepass").tap()
    expect(message).to_contain_text("Verbindung zum Server wird hergestellt …")
    page.unroute("**/api/tickets")

    # The printer is out: the visitor is told to remember the number; no QR code from the server.
    def printer_down(route):
        answer = route.fetch()
        ticket = answer.json()
        ticket["print"] = "printer_unavailable"
        route.fulfill(response=answer, json=ticket)

    page.route("**/api/tickets", printer_down)
    page.route("**/qr.svg", lambda route: route.fulfill(status=404, json={"error": "not_found"}))
    card(page, "Reisepass").tap()
    expect(page.locator(NUMBER)).to_have_text("P001")
    expect(message).to_be_hidden()
    expect(page.locator("#ticket-print")).to_have_text(
        "Der Drucker ist gestört: Bitte merken Sie sich die Nummer oder fotografieren Sie den "
        "QR-Code."
    )
    expect(page.locator("#ticket-qr-box")).to_be_hidden()
    page.screenshot(path=output_dir / "kiosk-printer-down.png")
    assert waiting(server, 2) == 1


def test_phone_join_takes_a_number_and_opens_its_status_page(server, open_page):
    """The wall display's QR code opens /join: a number taken there leads to its status page."""
    page = open_page(server.url + "/join", viewport={"width": 390, "height": 844}, ready=READY)
    page.locator(".k-service").first.click()
    page.wait_for_url("**/t/*", timeout=10_000)
    assert "A001" in page.content()


# --- the optional district question (site file [kiosk] ask_district) ------------------------

ASK_DISTRICT = SITE + "\n[kiosk]\nask_district = true\n"


def test_district_question_counts_in_the_stats(server_pool, open_page, output_dir, guard):
    server = server_pool.take(ASK_DISTRICT)
    server.add_users([("boss", "secret-boss", "admin"), ("clerk1", "secret-1", "clerk")])
    page = open_page(kiosk(server), viewport=PORTRAIT, ready=READY)
    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A001")
    question = page.locator("#ticket-district")
    expect(question).to_be_visible()
    expect(question).to_contain_text("In welchem Stadtbezirk wohnen Sie?")
    buttons = question.locator("button")
    expect(buttons).to_have_count(12)  # 10 Bezirke, outside, no answer
    bezirk3 = question.locator("button[data-district='3']")
    expect(bezirk3).to_contain_text("Bezirk 3")
    expect(bezirk3).to_contain_text("Bilk")
    expect(question.get_by_role("button", name="außerhalb Düsseldorfs")).to_be_visible()
    expect(question.get_by_role("button", name="keine Angabe")).to_be_visible()
    for button in buttons.all():
        assert button.bounding_box()["height"] >= 90
    colours_meet_wcag_aa(page)
    page.screenshot(path=output_dir / "kiosk-district-question.png")

    with page.expect_response(lambda r: r.url.endswith("/district")) as answered:
        bezirk3.tap()
    assert answered.value.status == 200
    assert json.loads(answered.value.request.post_data) == {"district": "3"}
    expect(page.locator("#district-thanks")).to_be_visible()
    expect(page.locator("#district-buttons")).to_be_hidden()
    page.screenshot(path=output_dir / "kiosk-district-thanks.png")

    # The visit is served; the statistics count one visitor from Bezirk 3.
    clerk = server.login("clerk1", "secret-1")
    assert clerk.post(server.url + "/api/counters/1/next").status_code == 200
    assert clerk.post(server.url + "/api/counters/1/finish").status_code == 200
    stats = server.login("boss", "secret-boss").get(server.url + "/api/stats").json()
    assert stats["districts"]["3"] == 1
    assert sum(stats["districts"].values()) == 1

    # The next visitor says nothing: "keine Angabe" sends nothing at all.
    page.locator("#ticket-done").tap()
    page.wait_for_timeout(900)
    card(page, "Reisepass").tap()
    expect(page.locator(NUMBER)).to_have_text("P001")
    expect(page.locator("#district-buttons")).to_be_visible()
    question.get_by_role("button", name="keine Angabe").tap()
    expect(page.locator("#district-thanks")).to_be_visible()
    page.wait_for_timeout(300)
    assert len([u for u in guard.requests if u.endswith("/district")]) == 1


def test_no_district_question_by_default(kiosk_server, open_page):
    page = open_page(kiosk(kiosk_server), viewport=PORTRAIT, ready=READY)
    card(page, "Personalausweis").tap()
    expect(page.locator(NUMBER)).to_have_text("A001")
    expect(page.locator("#ticket-district")).to_have_count(0)
    expect(page.get_by_text("In welchem Stadtbezirk")).to_have_count(0)

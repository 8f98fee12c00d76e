"""axe-core's WCAG 2.0/2.1/2.2 A and AA rules on every state of the visitor and clerk screens,
and keyboard use of the kiosk and the phone's rating, in a real Chromium against real servers.

Each screen is opened and driven the way its own browser tests do it (their helpers are imported);
serious and critical findings fail, the lesser ones go to test-output/a11y-<state>.json.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser import test_counter as counter
from tests.browser import test_display as display
from tests.browser import test_kiosk as kiosk
from tests.browser import test_kiosk_checkin as checkin
from tests.browser import test_phone as phone
from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LANDSCAPE, PORTRAIT

# The check-in tests' fixture: a server whose clock the test sets, and an admin who books.
from tests.browser.test_kiosk_checkin import venue  # noqa: F401
from tests.conftest import site_with_counters


@pytest.fixture(scope="module", autouse=True)
def warm_servers(server_pool):
    server_pool.warm(kiosk.SITE)


# --- the kiosk -------------------------------------------------------------------------------


def test_kiosk_start_ticket_and_english(server_pool, open_page):
    server = server_pool.take(kiosk.SITE)
    page = open_page(kiosk.kiosk(server), viewport=PORTRAIT, ready=kiosk.READY)
    expect(kiosk.card(page, "Personalausweis")).to_contain_text("Niemand wartet")
    assert_accessible(page, "kiosk-start")

    kiosk.card(page, "Reisepass").tap()
    expect(page.locator(kiosk.NUMBER)).to_have_text("P001")
    page.wait_for_function("() => document.getElementById('ticket-qr').naturalWidth > 0")
    assert_accessible(page, "kiosk-ticket")

    page.locator("#ticket-done").tap()
    expect(page.locator("#screen-start")).to_be_visible()
    page.locator(".k-lang-button[data-lang=en]").tap()
    expect(page.locator("#start-title")).to_have_text("Please choose what you need")
    assert_accessible(page, "kiosk-english")


def test_kiosk_check_in_keypad_and_closed(request, open_page):
    booked = request.getfixturevalue("venue")
    booked.book("09:20", "K7P3QX")
    page = open_page(booked.kiosk(), viewport=PORTRAIT, ready=checkin.START)
    page.locator(checkin.BUTTON).tap()
    expect(page.locator(checkin.CHECKIN)).to_be_visible()
    checkin.tap_code(page, "K7P3")
    assert checkin.boxes(page) == "K7P3"
    assert_accessible(page, "kiosk-checkin-keypad")

    booked.at("20:00")  # after the 09:00-16:00 opening hours
    closed = open_page(booked.kiosk(), viewport=PORTRAIT, ready="#screen-closed:not([hidden])")
    expect(closed.locator("#closed-opens")).to_have_text(
        "Bitte kommen Sie zu unseren Öffnungszeiten wieder."
    )
    assert_accessible(closed, "kiosk-closed")


def focus_ring(page) -> dict:
    """The focused element and how its focus shows (the base.css ring: outline + box-shadow)."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          return {
            service: el.getAttribute("data-service-id"), lang: el.getAttribute("data-lang"),
            tag: el.tagName, id: el.id, visible: el.matches(":focus-visible"),
            outline: parseFloat(style.outlineWidth) * (style.outlineStyle === "none" ? 0 : 1),
            shadow: style.boxShadow,
          };
        }"""
    )


def test_kiosk_by_keyboard(server_pool, open_page, guard):
    server = server_pool.take(kiosk.SITE)
    page = open_page(kiosk.kiosk(server), viewport=PORTRAIT, ready=kiosk.READY)
    expect(page.locator(kiosk.READY)).to_have_count(4)
    services = page.locator(kiosk.READY).evaluate_all(
        "bs => bs.map(b => b.getAttribute('data-service-id'))"
    )
    langs = page.locator(".k-lang-button").evaluate_all(
        "bs => bs.map(b => b.getAttribute('data-lang'))"
    )

    # Tab walks the services top to bottom, then the language switch; every stop shows a ring.
    stops = []
    for _ in range(len(services) + len(langs)):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        assert ring["visible"], ring
        assert ring["outline"] >= 2 or ring["shadow"] != "none", ring
        stops.append(ring["service"] or ring["lang"])
    assert stops == services + langs

    # Enter on a focused service takes a number; so does Space.
    for _ in langs:
        page.keyboard.press("Shift+Tab")
    assert focus_ring(page)["service"] == services[-1]
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        page.keyboard.press("Enter")
    assert json.loads(sent.value.post_data)["service"] == int(services[-1])
    expect(page.locator(kiosk.NUMBER)).to_have_text("B001")

    page.locator("#ticket-done").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#screen-start")).to_be_visible()
    page.wait_for_timeout(900)  # past the guard against a quick second tap on "Fertig"
    page.locator(kiosk.READY).first.focus()
    with page.expect_request(lambda r: r.url.endswith("/api/tickets")) as sent:
        page.keyboard.press(" ")
    assert json.loads(sent.value.post_data)["service"] == int(services[0])
    expect(page.locator(kiosk.NUMBER)).to_have_text("A001")
    assert len([u for u in guard.requests if u.endswith("/api/tickets")]) == 2


# --- the phone -------------------------------------------------------------------------------


def test_phone_waiting_called_finished_and_unknown(make_server, open_page):
    server = make_server(site=site_with_counters(1), clerks=1)
    server.issue(1)
    mine = server.issue(1)
    page = phone.phone_page(open_page, server, mine)
    expect(page.locator("#headline")).to_have_text("Noch 1 Person vor Ihnen")
    assert_accessible(page, "phone-waiting")
    page.locator("#cancel").click()
    expect(page.locator("#confirm")).to_be_visible()
    assert_accessible(page, "phone-cancel-confirm")
    page.locator("#confirm-no").click()
    expect(page.locator("#confirm")).to_be_hidden()

    clerk = server.login("clerk1", "secret-1")
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    clerk.post(server.url + "/api/counters/1/finish").raise_for_status()
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    expect(page.locator("#called")).to_be_visible()
    page.wait_for_timeout(400)  # past the panel's entry animation (contrast is measured)
    assert_accessible(page, "phone-called")

    clerk.post(server.url + "/api/counters/1/finish").raise_for_status()
    expect(page.locator("#feedback")).to_contain_text("Wie zufrieden waren Sie heute?")
    assert_accessible(page, "phone-rating")

    # The stars by keyboard: Tab reaches each with a visible ring; Enter gives the rating.
    page.locator("#headline").evaluate("h => { h.tabIndex = -1; h.focus(); }")
    ratings = []
    for _ in range(12):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => ({rating: document.activeElement.getAttribute("data-rating"),
                       label: document.activeElement.getAttribute("aria-label"),
                       visible: document.activeElement.matches(":focus-visible")})"""
        )
        if ring["rating"]:
            assert ring["visible"] and ring["label"], ring
            ratings.append(ring["rating"])
        if ratings == ["1", "2", "3", "4"]:
            break
    assert ratings == ["1", "2", "3", "4"]
    expect(page.locator(".p-star[data-rating='4']")).to_be_focused()
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as rated:
        page.keyboard.press("Enter")
    assert json.loads(rated.value.post_data) == {"rating": 4}
    expect(page.locator("#districts button")).to_have_count(11)
    expect(page.locator("#step-rating")).to_be_hidden()  # answered, not in flight any more
    assert_accessible(page, "phone-district")

    unknown = open_page(f"{server.url}/t/{secrets.token_urlsafe(18)}", viewport=phone.PHONE)
    expect(unknown.locator("h1")).to_have_text("Diese Wartenummer kennen wir nicht")
    assert_accessible(unknown, "phone-unknown")


def test_join_on_a_phone(make_server, open_page):
    server = make_server(site=site_with_counters(1))
    page = open_page(server.url + "/join", viewport=phone.PHONE, ready=kiosk.READY)
    expect(page.locator(kiosk.READY)).to_have_count(3)
    assert_accessible(page, "join")

    # The check itself finds what it must: a nameless button and pale text fail it, by name.
    page.evaluate(
        """() => {
          const main = document.querySelector("main");
          main.prepend(document.createElement("button"));
          const pale = document.createElement("p");
          pale.textContent = "kaum lesbar";
          pale.className = "a11y-selftest";
          main.prepend(pale);
          pale.style.color = "#bbbbbb";  // a CSSOM write, which the CSP allows
        }"""
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "join-broken")
    message = str(failed.value)
    assert "button-name (critical)" in message and "color-contrast (serious)" in message
    assert "p.a11y-selftest" in message or ".a11y-selftest" in message


# --- the counter -----------------------------------------------------------------------------


def test_counter_login_choice_work_and_transfer(make_server, open_page):
    server = make_server(site=counter.SITE, clerks=1)
    for service in (1, 2, 3):
        server.issue(service)
    page = counter.counter_page(open_page, server)
    assert_accessible(page, "counter-login")

    counter.log_in(page, "clerk1", "secret-1")
    expect(page.locator(".c-counter-card")).to_have_count(2)
    assert_accessible(page, "counter-choice")

    counter.pick(page, "Schalter 1")
    page.locator("#next-btn").click()
    counter.expect_current(page, "A001")
    assert_accessible(page, "counter-called")

    page.locator("#current-title").focus()
    page.keyboard.press("w")
    expect(page.locator("#dlg-choose")).to_be_visible()
    expect(page.locator("#choose-title")).to_have_text("A001 weiterleiten")
    assert_accessible(page, "counter-transfer")

    page.keyboard.press("Escape")
    expect(page.locator("#dlg-choose")).to_be_hidden()
    page.locator("#services-btn").click()
    expect(page.locator("#dlg-services")).to_be_visible()
    assert_accessible(page, "counter-services")


# --- the wall display ------------------------------------------------------------------------


def test_display_idle_and_calling(make_server, open_page):
    server = make_server(site=display.SITE, clerks=1)
    server.issue(1)
    page = open_page(
        display.display_url(server, spot_seconds=2), viewport=LANDSCAPE, ready=display.READY
    )
    display.quick_sounds(page)
    expect(page.locator("#calls-empty")).to_be_visible()
    assert_accessible(page, "display-idle")

    server.login("clerk1", "secret-1").post(server.url + "/api/counters/1/next")
    expect(page.locator("#spot-number")).to_have_text("A001")
    page.wait_for_timeout(400)  # past the entry animations (contrast is measured)
    assert_accessible(page, "display-spotlight")
    expect(page.locator("#spotlight")).to_be_hidden(timeout=15000)
    expect(page.locator("#current .d-call").first).to_have_class(re.compile(r"\bis-fresh\b"))
    assert_accessible(page, "display-call")

"""The visitor's phone page (/t/<token>) in a real Chromium against real server processes.

Screenshots (390×844, and 360×640 for the smallest phones) go to test-output/phone-*.png.
"""

from __future__ import annotations

import json
import secrets

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import site_with_counters

PHONE = {"width": 390, "height": 844}
SMALL = {"width": 360, "height": 640}
READY = "#headline"

# Records vibration and sound: a phone page may only try, the test checks that it did.
SPY = """
window.__vibrations = [];
Object.defineProperty(navigator, "vibrate", {
  value: (pattern) => { window.__vibrations.push(pattern); return true; }, configurable: true,
});
window.__played = [];
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.__played.push(this.currentSrc || this.src);
  return realPlay.apply(this, arguments);
};
"""


@pytest.fixture
def phone_server(make_server):
    return make_server(site=site_with_counters(1), clerks=1)


def phone_page(open_page, server, ticket, viewport=PHONE, **options):
    page = open_page(f"{server.url}/t/{ticket['token']}", viewport=viewport, **options)
    page.add_init_script(SPY)
    page.reload()
    page.locator(READY).wait_for()
    expect(page.locator("#updated")).to_have_attribute("data-connection", "online")
    return page


def status(server, ticket) -> dict:
    return requests.get(f"{server.url}/api/tickets/{ticket['token']}", timeout=5).json()


def fits_width(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_place_in_line_then_called(phone_server, open_page, output_dir, browser):
    server = phone_server
    tickets = [server.issue(1) for _ in range(3)]
    mine = tickets[2]

    # Rendered by the server: readable before (and without) JavaScript.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="de-DE")
    try:
        plain = context.new_page()
        plain.goto(f"{server.url}/t/{mine['token']}")
        expect(plain.locator("#number")).to_have_text("A003")
        expect(plain.locator("#headline")).to_have_text("Noch 2 Personen vor Ihnen")
        expect(plain.locator("#sub")).to_have_text("etwa 30 Minuten")
        expect(plain.locator("#service")).to_have_text("Personalausweis")
        assert plain.locator("noscript meta[http-equiv=refresh]").count() == 1
    finally:
        context.close()

    page = phone_page(open_page, server, mine)
    expect(page.locator("#headline")).to_have_text("Noch 2 Personen vor Ihnen")  # same text
    expect(page.locator("#sub")).to_have_text("etwa 30 Minuten")
    expect(page.locator("#updated-text")).to_contain_text("Live · Stand")
    expect(page.locator("#cancel")).to_be_visible()
    fits_width(page)
    page.screenshot(path=output_dir / "phone-waiting-390.png", full_page=True)

    clerk = server.login("clerk1", "secret-1")
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    expect(page.locator("#headline")).to_have_text("Noch 1 Person vor Ihnen")
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    expect(page.locator("#headline")).to_have_text("Sie sind als Nächstes dran")
    expect(page.locator("#called")).to_be_hidden()

    # "Ton und Vibration einschalten": the tap that lets the phone ring later.
    page.locator("#notify-button").click()
    expect(page.locator("#notify-on")).to_be_visible()
    assert page.evaluate("window.__vibrations.length") == 1

    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    called = page.locator("#called")
    expect(called).to_be_visible()
    expect(page.locator("#called-counter")).to_have_text("Schalter\u00a01")
    expect(page.locator("#called-number")).to_have_text("A003")
    vibrations = page.evaluate("window.__vibrations")
    assert len(vibrations) == 2 and len(vibrations[1]) >= 3, vibrations
    assert all(u.endswith("/display/static/sounds/chime.wav") for u in page.evaluate("__played"))
    assert len(page.evaluate("window.__played")) == 2  # the test tap, and the call
    box = page.locator("#called-counter").bounding_box()
    assert box["height"] >= 44
    fits_width(page)
    page.wait_for_timeout(400)  # past the panel's entry animation
    page.screenshot(path=output_dir / "phone-called-full-390.png")

    # Dismissed, the page still says where to go; a recall brings the full screen back.
    page.locator("#called-ok").click()
    expect(called).to_be_hidden()
    expect(page.locator("#headline")).to_have_text("Bitte zu Schalter\u00a01")
    expect(page.locator("#cancel")).to_be_hidden()
    page.screenshot(path=output_dir / "phone-called-dismissed-390.png", full_page=True)
    page.reload()
    expect(page.locator("#headline")).to_have_text("Bitte zu Schalter\u00a01")
    expect(called).to_be_hidden()  # dismissed stays dismissed
    clerk.post(server.url + "/api/counters/1/recall").raise_for_status()
    expect(called).to_be_visible()

    clerk.post(server.url + "/api/counters/1/start").raise_for_status()
    expect(page.locator("#headline")).to_have_text("Sie werden gerade bedient")
    expect(called).to_be_hidden()


def test_cancel_after_confirmation(phone_server, open_page, output_dir, guard):
    server = phone_server
    server.issue(1)
    mine = server.issue(1)
    page = phone_page(open_page, server, mine, viewport=SMALL)
    fits_width(page)
    page.screenshot(path=output_dir / "phone-waiting-360.png", full_page=True)

    page.locator("#cancel").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Nummer wirklich zurückgeben?")
    page.screenshot(path=output_dir / "phone-cancel-confirm-360.png")
    page.locator("#confirm-no").click()  # changed their mind: nothing happens
    expect(dialog).to_be_hidden()
    assert status(server, mine)["status"] == "waiting"
    assert not [u for u in guard.requests if u.endswith("/cancel")]

    page.locator("#cancel").click()
    with page.expect_request(lambda r: r.url.endswith("/cancel")) as sent:
        page.locator("#confirm-yes").click()
    assert sent.value.method == "POST"
    expect(page.locator("#headline")).to_have_text("Sie haben Ihre Nummer zurückgegeben")
    expect(page.locator("#cancel")).to_be_hidden()
    assert status(server, mine)["status"] == "cancelled"
    # The place is freed at once for everybody else.
    assert requests.get(server.url + "/api/services", timeout=5).json()[0]["waiting"] == 1


def test_feedback_after_the_visit(phone_server, open_page, output_dir, guard):
    server = phone_server
    mine = server.issue(1)
    other = server.issue(1)
    page = phone_page(open_page, server, mine)
    expect(page.locator("#feedback")).to_be_hidden()

    clerk = server.login("clerk1", "secret-1")
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    expect(page.locator("#called")).to_be_visible()
    clerk.post(server.url + "/api/counters/1/finish").raise_for_status()
    expect(page.locator("#headline")).to_have_text("Vielen Dank für Ihren Besuch!")
    expect(page.locator("#called")).to_be_hidden()
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text("Wie zufrieden waren Sie heute?")
    page.screenshot(path=output_dir / "phone-rating-390.png", full_page=True)

    with page.expect_request(lambda r: r.url.endswith("/feedback")) as rated:
        page.locator(".p-star[data-rating='4']").click()
    assert json.loads(rated.value.post_data) == {"rating": 4}
    expect(feedback).to_contain_text("In welchem Stadtbezirk wohnen Sie?")
    districts = page.locator("#districts button")
    expect(districts).to_have_count(11)  # ten Stadtbezirke and "outside"
    expect(districts.nth(2)).to_contain_text("Bilk")
    page.screenshot(path=output_dir / "phone-district-390.png", full_page=True)
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as placed:
        page.locator("#districts button[data-district='3']").click()
    assert json.loads(placed.value.post_data) == {"district": "3"}
    expect(feedback).to_contain_text("Danke für Ihre Antwort!")
    page.screenshot(path=output_dir / "phone-thanks-390.png", full_page=True)

    page.reload()  # answered once is enough
    expect(page.locator("#headline")).to_have_text("Vielen Dank für Ihren Besuch!")
    expect(feedback).to_contain_text("Danke für Ihre Antwort!")
    expect(page.locator(".p-star")).to_have_count(5)
    expect(page.locator(".p-star").first).to_be_hidden()

    # Both questions can be skipped.
    clerk.post(server.url + "/api/counters/1/next").raise_for_status()
    clerk.post(server.url + "/api/counters/1/finish").raise_for_status()
    second = phone_page(open_page, server, other)
    expect(second.locator("#feedback")).to_contain_text("Wie zufrieden")
    second.locator("#skip-rating").click()
    expect(second.locator("#feedback")).to_contain_text("In welchem Stadtbezirk")
    second.locator("#skip-district").click()
    expect(second.locator("#feedback")).to_contain_text("Danke")
    posted = [u for u in guard.requests if u.endswith("/feedback")]
    assert len(posted) == 2  # only the first visitor's two answers


def test_the_visitor_picks_a_language_and_the_phone_keeps_it(phone_server, open_page, output_dir):
    server = phone_server
    server.issue(1)
    mine = server.issue(1)
    page = phone_page(open_page, server, mine)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.locator(".p-lang").click()
    expect(page.locator(".p-lang-link")).to_have_count(9)
    english = page.locator('.p-lang-link[lang="en"]')
    expect(english).to_have_text("English")
    english.click()
    expect(page).to_have_url(f"{server.url}/t/{mine['token']}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#headline")).to_have_text("1 person ahead of you")
    expect(page.locator("#sub")).to_have_text("about 15 minutes")
    expect(page.locator("#cancel")).to_have_text("I no longer need this number")
    page.screenshot(path=output_dir / "phone-english-390.png", full_page=True)
    page.goto(f"{server.url}/t/{mine['token']}")  # remembered on this phone
    expect(page.locator("#headline")).to_have_text("1 person ahead of you")
    expect(page.locator('.p-lang-link[aria-current="true"]')).to_have_text("English")


def test_the_page_follows_the_phones_language(phone_server, open_page, output_dir, browser):
    server = phone_server
    server.issue(1)
    mine = server.issue(1, lang="tr")
    page = phone_page(open_page, server, mine, locale="uk-UA")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#headline")).to_have_text("Перед Вами ще 1 людина")
    # A phone language no catalogue has: the language chosen at the kiosk, not German.
    page = phone_page(open_page, server, mine, locale="fa-IR")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    # Arabic reads right to left, and the page still fits the phone.
    page = phone_page(open_page, server, mine, locale="ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#number")).to_have_text(mine["number"])
    fits_width(page)
    page.screenshot(path=output_dir / "phone-arabic-390.png", full_page=True)
    # Without JavaScript the language links work the same.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="de-DE")
    try:
        plain = context.new_page()
        plain.goto(f"{server.url}/t/{mine['token']}?lang=pl")
        expect(plain.locator("html")).to_have_attribute("lang", "pl")
        plain.locator(".p-lang").click()
        plain.locator('.p-lang-link[lang="el"]').click()
        expect(plain.locator("html")).to_have_attribute("lang", "el")
    finally:
        context.close()


def test_unknown_ticket_is_a_friendly_404(phone_server, open_page, output_dir, guard):
    server = phone_server
    server.issue(1)
    for token in (secrets.token_urlsafe(18), "not-a-token!"):
        answer = requests.get(f"{server.url}/t/{token}", timeout=5)
        assert answer.status_code == 404
        assert "Diese Wartenummer kennen wir nicht" in answer.text
        assert "A001" not in answer.text and "Personalausweis" not in answer.text
        assert "<script" not in answer.text
    answer = requests.get(f"{server.url}/t/{secrets.token_urlsafe(18)}?lang=en", timeout=5)
    assert answer.status_code == 404 and "We do not recognise this queue number" in answer.text
    page = open_page(f"{server.url}/t/{secrets.token_urlsafe(18)}", viewport=PHONE)
    expect(page.locator("h1")).to_have_text("Diese Wartenummer kennen wir nicht")
    fits_width(page)
    page.screenshot(path=output_dir / "phone-unknown-390.png", full_page=True)

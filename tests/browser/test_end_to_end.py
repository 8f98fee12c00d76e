"""One visit through every screen, each in its own browser context, as on the venue's devices:
kiosk → counter → wall display and phone → finished → satisfaction given. Screenshots of each
screen are kept under test-output/."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.conftest import site_with_counters


def test_a_visit_through_every_screen(make_server, open_page, output_dir, guard):
    server = make_server(site=site_with_counters(2), clerks=1)
    display = open_page(server.url + "/display/", viewport=LANDSCAPE, ready="#services .d-service")

    kiosk = open_page(server.url + "/kiosk/", viewport=PORTRAIT, ready="#services .k-service")
    kiosk.locator(".k-service").first.click()
    expect(kiosk.locator("#ticket-number")).to_have_text("A001")
    kiosk.screenshot(path=str(output_dir / "e2e-1-kiosk.png"))
    qr = kiosk.locator("img[src*='/qr.svg']").first.get_attribute("src")
    token = qr.split("/api/tickets/")[1].split("/")[0]

    phone = open_page(
        f"{server.url}/t/{token}", viewport={"width": 390, "height": 844}, ready="#headline"
    )
    expect(phone.locator("#number")).to_have_text("A001")

    counter = open_page(
        server.url + "/counter/",
        viewport={"width": 1366, "height": 768},
        ready="#screen-login:not([hidden])",
    )
    counter.locator("#login-user").fill("clerk1")
    counter.locator("#login-password").fill("secret-1")
    counter.locator("#login-password").press("Enter")
    counter.locator(".c-counter-card", has_text="Schalter 1").click()
    expect(counter.locator("#next-btn")).to_have_attribute("aria-disabled", "false")
    expect(counter.locator(".c-chip-number")).to_have_text(["A001"])  # the queue, live
    counter.keyboard.press("Space")
    expect(counter.locator("#ticket-number")).to_have_text("A001")
    counter.screenshot(path=str(output_dir / "e2e-2-counter.png"))

    # The call reaches the wall and the visitor's phone at once, and the wall announces it.
    expect(display.locator("#spot-number")).to_have_text("A001")
    expect(display.locator("#spot-counter")).to_contain_text("Schalter 1")
    display.screenshot(path=str(output_dir / "e2e-3-display.png"))
    expect(phone.locator("#headline")).to_contain_text("Schalter 1")
    phone.screenshot(path=str(output_dir / "e2e-4-phone-called.png"))
    announced = [u for u in guard.requests if "/display/announce.wav" in u]
    assert any("number=A001" in u and "counter=1" in u for u in announced), announced

    counter.keyboard.press("f")  # finished
    stars = phone.locator(".p-star")
    expect(stars.first).to_be_visible()
    stars.nth(4).click()  # five stars
    phone.screenshot(path=str(output_dir / "e2e-5-phone-feedback.png"))

    status = requests.get(f"{server.url}/api/tickets/{token}").json()
    assert status["status"] == "done"
    # The answer reached the server: the status of a finished visit carries it.
    expect_rating = None
    for _ in range(50):
        expect_rating = requests.get(f"{server.url}/api/tickets/{token}").json()["feedback"]
        if expect_rating["rating"] == 5:
            break
        phone.wait_for_timeout(100)
    assert expect_rating["rating"] == 5

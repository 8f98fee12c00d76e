"""The admin page in a real Chromium against a real server: log in, create a service that a
kiosk (another browser context) shows live, use the tabs, close the day after confirming.

Screenshots for review go to test-output/admin-*.png.
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE
from tests.conftest import site_with_counters

SITE = site_with_counters(2)


@pytest.fixture(scope="module", autouse=True)
def warm_servers(server_pool):
    server_pool.warm(SITE)


@pytest.fixture
def admin_server(server_pool):
    server = server_pool.take(SITE)
    server.add_users([("boss", "secret-boss", "admin"), ("clerk1", "secret-1", "clerk")])
    yield server
    server.stop()


def log_in(page, user="boss", password="secret-boss"):
    page.locator("#login-user").fill(user)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()


def test_admin_creates_a_service_the_kiosk_shows_live(admin_server, open_page, output_dir):
    server = admin_server
    server.issue(1)
    kiosk = open_page(server.url + "/kiosk/", ready="#services .k-service")
    expect(kiosk.locator(".k-service")).to_have_count(3)

    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    page.screenshot(path=str(output_dir / "admin-login.png"))
    log_in(page)
    expect(page.locator("#screen-work")).to_be_visible()
    expect(page.locator("#ov-queue tr")).to_have_count(3)
    expect(page.locator("#ov-queue tr").first).to_contain_text("Personalausweis")
    expect(page.locator("#ov-counters tr")).to_have_count(2)
    page.screenshot(path=str(output_dir / "admin-overview.png"))

    page.get_by_role("tab", name="Dienste").click()
    expect(page.locator("#sv-list tr")).to_have_count(3)
    form = page.locator("#sv-form")
    form.get_by_label("Name", exact=True).fill("Führungszeugnis")
    form.get_by_label("Kürzel (1–3 Buchstaben)").fill("f")
    form.get_by_label("Minuten je Besuch").fill("10")
    form.get_by_label("Beschreibung (auf dem Kiosk)").fill("Führungszeugnis beantragen")
    form.get_by_role("button", name="Dienst anlegen").click()
    expect(page.locator("#notice")).to_contain_text("Führungszeugnis")
    expect(page.locator("#sv-list tr")).to_have_count(4)
    page.screenshot(path=str(output_dir / "admin-services.png"))

    # The kiosk in the other context shows it without reloading.
    expect(kiosk.locator(".k-service", has_text="Führungszeugnis")).to_be_visible()
    expect(page.locator("#ov-queue tr")).to_have_count(4)

    # A prefix already taken: a clear German message, nothing saved.
    form.get_by_label("Name", exact=True).fill("Doppelt")
    form.get_by_label("Kürzel (1–3 Buchstaben)").fill("A")
    form.get_by_label("Minuten je Besuch").fill("5")
    form.get_by_role("button", name="Dienst anlegen").click()
    expect(page.locator("#sv-error")).to_have_text(
        "Das Kürzel wird schon von einem anderen Dienst verwendet."
    )

    # Counters: the new service is offered; edit counter 2 to serve only it.
    page.get_by_role("tab", name="Schalter").click()
    page.get_by_role("button", name="Schalter 2 bearbeiten").click()
    counter_form = page.locator("#ct-form")
    for label in ("A · Personalausweis", "P · Reisepass", "M · Meldeangelegenheiten"):
        counter_form.get_by_label(label).uncheck()
    counter_form.get_by_label("F · Führungszeugnis").check()
    counter_form.get_by_role("button", name="Änderungen speichern").click()
    expect(page.locator("#ct-list tr").nth(1)).to_contain_text("F Führungszeugnis")
    counters = requests.get(server.url + "/api/counters", timeout=5).json()
    assert counters[1]["services"] == [4]
    page.screenshot(path=str(output_dir / "admin-counters.png"))

    # Users: create a clerk, who can log in.
    page.get_by_role("tab", name="Benutzer").click()
    user_form = page.locator("#us-form")
    user_form.get_by_label("Benutzername").fill("neu")
    user_form.get_by_label("Angezeigter Name").fill("Frau Neu")
    user_form.get_by_label("Passwort (mindestens 6 Zeichen)").fill("geheim-neu")
    user_form.get_by_role("button", name="Konto anlegen").click()
    expect(page.locator("#us-list tr", has_text="Frau Neu")).to_be_visible()
    server.login("neu", "geheim-neu")
    page.screenshot(path=str(output_dir / "admin-users.png"))

    # Venue and opening hours.
    page.get_by_role("tab", name="Ort & Öffnungszeiten").click()
    page.get_by_label("Name des Veranstaltungsorts").fill("Bürgerbüro im Rathaus")
    page.get_by_label("Sonntag").fill("10:00-14:00")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.locator("#notice")).to_contain_text("gespeichert")
    venue = requests.get(server.url + "/api/state", timeout=5).json()["venue"]
    assert venue["name"] == "Bürgerbüro im Rathaus"
    page.get_by_label("Öffnungszeiten (alle Tage)", exact=False).fill("9 bis 5")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.locator("#vn-error")).to_contain_text("09:00-16:00")
    page.screenshot(path=str(output_dir / "admin-venue.png"))

    # End of day, after the confirmation.
    page.get_by_role("tab", name="Tagesabschluss").click()
    page.get_by_role("button", name="Tag abschließen …").click()
    dialog = page.locator("#dlg-day")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("zurzeit 1 wartend")
    page.screenshot(path=str(output_dir / "admin-day-confirm.png"))
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(dialog).to_be_hidden()
    assert requests.get(server.url + "/api/state", timeout=5).json()["services"][0]["waiting"] == 1
    page.get_by_role("button", name="Tag abschließen …").click()
    dialog.get_by_role("button", name="Ja, Tag abschließen").click()
    expect(page.locator("#day-result")).to_contain_text("1 storniert")
    assert requests.get(server.url + "/api/state", timeout=5).json()["services"][0]["waiting"] == 0
    page.screenshot(path=str(output_dir / "admin-day-done.png"))


def test_clerk_is_refused(admin_server, open_page):
    page = open_page(admin_server.url + "/admin/", ready="#login-form")
    log_in(page, "clerk1", "secret-1")
    expect(page.locator("#login-error")).to_have_text("Dieses Konto hat keine Verwaltungsrechte.")
    expect(page.locator("#screen-work")).to_be_hidden()

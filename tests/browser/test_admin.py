"""The admin page in a real Chromium against a real server: log in, create a service that a
kiosk (another browser context) shows live, use the tabs, close the day after confirming.

Screenshots for review go to test-output/admin-*.png.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE
from tests.conftest import site_with_counters

SITE = site_with_counters(2)


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
    page.get_by_role("tab", name="Einsatz & Öffnungszeiten").click()
    page.get_by_label("Titel auf Kiosk und Anzeige").fill("Bürgerbüro im Rathaus")
    page.get_by_label("Sonntag").fill("10:00-14:00")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.locator("#notice")).to_have_text("Einstellungen gespeichert.")
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


def test_statistics_tab_and_printable_report(admin_server, open_page, output_dir, guard):
    """Auswertung: today's key figures from /api/stats; the report opens in a new tab with the
    same numbers, its inline styles allowed by its own CSP (no scripts at all)."""
    server = admin_server
    for service in (1, 1, 2, 3, 1):
        server.issue(service)
    clerk = server.login("clerk1", "secret-1")
    for _ in range(3):  # three visits finished, one no-show, one still waiting
        assert clerk.post(server.url + "/api/counters/1/next").status_code == 200
        assert clerk.post(server.url + "/api/counters/1/finish").status_code == 200
    assert clerk.post(server.url + "/api/counters/1/next").status_code == 200
    assert clerk.post(server.url + "/api/counters/1/no-show").status_code == 200

    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    log_in(page)
    expect(page.locator("#screen-work")).to_be_visible()
    page.get_by_role("tab", name="Auswertung").click()
    panel = page.locator("#panel-stats")
    expect(panel).to_be_visible()
    today = page.locator("#st-from").input_value()
    assert len(today) == 10 and page.locator("#st-to").input_value() == today

    def fig(key):
        return page.locator(f"#st-figures [data-key={key}] dd")

    expect(fig("issued")).to_have_text("5")
    expect(fig("served")).to_have_text("3")
    expect(fig("cases")).to_have_text("3")
    expect(fig("no_show")).to_have_text("1")
    expect(fig("waiting_left")).to_have_text("1")
    expect(fig("left_unserved")).to_have_text("40 %")
    expect(page.locator("#st-services tr")).to_have_count(3)
    expect(page.locator("#st-services tr").first).to_contain_text("Personalausweis")
    expect(page.locator("#st-districts tr[data-district=unknown]")).to_contain_text("3")
    report_link = page.get_by_role("link", name="Bericht öffnen / drucken")
    expect(report_link).to_have_attribute("href", f"report?from={today}&to={today}")
    # The charts: server-rendered SVG images, each loaded (naturalWidth) and described.
    charts = page.locator("#st-result img[data-chart]")
    expect(charts).to_have_count(4)
    for i in range(4):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("src", re.compile(rf"from={today}&to={today}$"))
        assert chart.get_attribute("alt").startswith("Balkendiagramm")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
    page.screenshot(path=str(output_dir / "admin-stats.png"), full_page=True)

    # The report in a new tab, with the right numbers, styled (CSP allows its inline CSS).
    with page.context.expect_page() as opened:
        report_link.click()
    report = opened.value
    violations = []
    report.on("console", lambda m: violations.append(m.text) if "Content" in m.text else None)
    report.wait_for_load_state()
    assert report.url == f"{server.url}/admin/report?from={today}&to={today}"
    kpi = report.locator(".kpi b")
    expect(kpi.nth(0)).to_have_text("5")
    expect(kpi.nth(1)).to_have_text("3")
    expect(report.locator("tr", has_text="nicht erschienen").first).to_contain_text("1")
    expect(report.locator("svg.chart").first).to_be_visible()
    assert report.locator(".kpi").evaluate("n => getComputedStyle(n).display") == "grid"
    assert not violations, violations
    report.screenshot(path=str(output_dir / "admin-report.png"), full_page=True)

    # Admins only, and the range is checked.
    assert requests.get(server.url + "/admin/report", timeout=5).status_code == 401
    assert clerk.get(server.url + "/admin/report").status_code == 403
    boss = server.login("boss", "secret-boss")
    ok = boss.get(server.url + "/admin/report")
    assert ok.status_code == 200 and "Auswertung" in ok.text
    assert "style-src 'unsafe-inline'" in ok.headers["Content-Security-Policy"]
    assert "script" not in ok.headers["Content-Security-Policy"]
    bad = boss.get(server.url + "/admin/report", params={"from": "2024-02-01", "to": "2024-01-01"})
    assert bad.status_code == 400

    # Another range: a past day without activity shows zeros.
    page.locator("#st-from").fill("2024-01-02")
    page.locator("#st-to").fill("2024-01-02")
    page.get_by_role("button", name="Anzeigen").click()
    expect(fig("issued")).to_have_text("0")
    expect(report_link).to_have_attribute("href", "report?from=2024-01-02&to=2024-01-02")

    # A second pop-up event from now on (in Garath, Stadtbezirk 10): figures per event, and
    # the statistics and the report of one event alone.
    r = boss.post(
        server.url + "/api/admin/events",
        json={"name": "Pop-Up Garath", "place": "Bücherei", "district": "Garath"},
    )
    assert r.status_code == 201, r.text
    garath = r.json()["id"]
    server.issue(2)
    choice = page.locator("#st-event")
    expect(choice.locator("option", has_text="Pop-Up Garath")).to_have_count(1)  # live
    page.locator("#st-from").fill(today)
    page.locator("#st-to").fill(today)
    page.get_by_role("button", name="Anzeigen").click()
    expect(fig("issued")).to_have_text("6")
    events = page.locator("#st-events tr")
    expect(events).to_have_count(2)
    expect(events.filter(has_text="Pop-Up Garath")).to_contain_text("1")
    choice.select_option(label="Pop-Up Garath")
    page.get_by_role("button", name="Anzeigen").click()
    expect(fig("issued")).to_have_text("1")
    expect(events).to_have_count(1)
    expect(report_link).to_have_attribute("href", f"report?from={today}&to={today}&event={garath}")
    page.screenshot(path=str(output_dir / "admin-stats-event.png"), full_page=True)
    with page.context.expect_page() as opened:
        report_link.click()
    report = opened.value
    report.wait_for_load_state()
    expect(report.locator("h1")).to_contain_text("Pop-Up Garath")
    expect(report.locator(".kpi b").nth(0)).to_have_text("1")
    report.screenshot(path=str(output_dir / "admin-report-event.png"), full_page=True)
    missing = boss.get(server.url + "/admin/report", params={"event": "999"})
    assert missing.status_code == 404 and "Kein solcher Einsatz" in missing.text
    svg = boss.get(server.url + f"/admin/stats/chart/hours.svg?from={today}&to={today}")
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and "<rect" in svg.text
    assert boss.get(server.url + "/admin/stats/chart/nope.svg").status_code == 404
    assert clerk.get(server.url + "/admin/stats/chart/hours.svg").status_code == 403

    # /admin/stats: the admin page, opened at the statistics.
    direct = open_page(server.url + "/admin/stats", viewport=LANDSCAPE, ready="#login-form")
    log_in(direct)
    expect(direct.locator("#panel-stats")).to_be_visible()
    expect(direct.locator("#st-figures [data-key=issued] dd")).to_have_text("6")


def test_printer_card_test_page_and_ticket_images(admin_server, open_page, output_dir, guard):
    """Drucker: address and state, "Testseite drucken" with its message, and the virtual
    printer's last tickets as images (newest first), one more appearing live."""
    server = admin_server
    first, second = server.issue(1), server.issue(2)
    boss = server.login("boss", "secret-boss")
    for _ in range(100):  # both printed before the page asks
        if len(boss.get(server.url + "/api/admin/printer/tickets").json()) == 2:
            break
        time.sleep(0.05)

    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    log_in(page)
    card = page.locator("section.a-printer")
    expect(card.locator("#ov-printer-url")).to_have_text("virtual")
    expect(card.locator("#ov-printer-state")).to_have_text("Bereit")
    strip = card.get_by_role("list", name="Zuletzt gedruckte Marken (virtueller Drucker)")
    images = strip.get_by_role("img")
    expect(images).to_have_count(2)
    expect(strip.locator("figcaption")).to_have_text([second["number"], first["number"]])
    alt = re.compile(rf"^Wartemarke {second['number']} vom \d{{4}}-\d{{2}}-\d{{2}}$")
    expect(images.first).to_have_attribute("alt", alt)
    # The images really loaded (the admin's session cookie, same origin, CSP img-src 'self').
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ov-tickets-list img')]"
        ".every(i => i.complete && i.naturalWidth > 100)"
    )

    card.get_by_role("button", name="Testseite drucken").click()
    result = card.locator("#ov-printer-test-result")
    expect(result).to_have_text(
        "Testseite an den virtuellen Drucker gesendet (als .bin-Datei im Ordner tickets/)."
    )
    expect(result).to_have_attribute("data-ok", "1")

    # A ticket issued now shows up by itself.
    third = server.issue(3)
    expect(images).to_have_count(3)
    expect(strip.locator("figcaption").first).to_have_text(third["number"])
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ov-tickets-list img')]"
        ".every(i => i.complete && i.naturalWidth > 100)"
    )
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "admin-printer.png"))
    card.screenshot(path=str(output_dir / "admin-printer-card.png"))


def test_pop_up_events_and_the_site_file(admin_server, open_page, output_dir, guard):
    server = admin_server
    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    log_in(page)
    page.get_by_role("tab", name="Einsatz & Öffnungszeiten").click()
    rows = page.locator("#ev-list tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("aktuell")

    # A new pop-up event; user-supplied text is shown as text, never as markup.
    form = page.locator("#ev-form")
    form.get_by_label("Name, z. B.", exact=False).fill("Pop-Up Sommer <b>2027</b>")
    form.get_by_label("Ort (Gebäude)").fill("Zentralbibliothek")
    form.get_by_label("Adresse").fill("Konrad-Adenauer-Platz 1")
    form.get_by_label("Stadtbezirk des Ortes", exact=False).select_option("Stadtmitte")
    form.get_by_label("Erster Tag").fill("2027-07-05")
    form.get_by_label("Letzter Tag").fill("2027-07-09")
    form.get_by_role("button", name="Einsatz anlegen").click()
    expect(page.locator("#notice")).to_contain_text("Pop-Up Sommer <b>2027</b>")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Pop-Up Sommer <b>2027</b>")
    expect(rows.first).to_contain_text("05.07.2027 – 09.07.2027")
    expect(rows.first).to_contain_text("aktuell")
    assert page.locator("#ev-list b").count() == 0
    page.screenshot(path=str(output_dir / "admin-events.png"), full_page=True)

    # The first one back as current, from its row.
    rows.nth(1).get_by_role("button", name="zum aktuellen Einsatz machen").click()
    expect(page.locator("#notice")).to_contain_text("Neue Wartenummern gehören jetzt zu")
    expect(rows.nth(1)).to_contain_text("aktuell")
    expect(rows.first.get_by_role("button", name="zum aktuellen Einsatz machen")).to_be_visible()

    # Bad dates: a German message in the form.
    rows.first.get_by_role("button", name="Pop-Up Sommer <b>2027</b> bearbeiten").click()
    form.get_by_label("Letzter Tag").fill("2027-07-01")
    form.get_by_role("button", name="Änderungen speichern").click()
    expect(page.locator("#ev-error")).to_have_text(
        "Der letzte Tag muss ein Datum sein und darf nicht vor dem ersten liegen."
    )

    # The site file: shown, edited in the page, applied, and the kiosk follows.
    kiosk = open_page(server.url + "/kiosk/", ready="#services .k-service")
    page.get_by_role("tab", name="Standortdatei").click()
    text = page.locator("#sf-text")
    expect(text).to_have_value(re.compile(r'\[\[services\]\]\nid = 1\nname = "Personalausweis"'))
    expect(page.locator("#sf-path")).to_contain_text("site.toml")
    page.screenshot(path=str(output_dir / "admin-site-file.png"), full_page=True)
    text.fill(text.input_value().replace('"Reisepass"', '"Reisepass & Kinderreisepass"'))
    page.get_by_role("button", name="Prüfen und übernehmen").click()
    expect(page.locator("#sf-result")).to_contain_text("Übernommen und gespeichert")
    expect(kiosk.locator(".k-service", has_text="Reisepass & Kinderreisepass")).to_be_visible()

    text.fill("[venue\nname = 1")
    page.get_by_role("button", name="Prüfen und übernehmen").click()
    expect(page.locator("#sf-error")).to_contain_text("Die Standortdatei wurde nicht übernommen")
    expect(page.locator("#sf-error")).to_contain_text("line 1")  # where the mistake is
    page.get_by_role("button", name="Aktuelle Einrichtung laden").click()
    expect(text).to_have_value(re.compile("Reisepass & Kinderreisepass"))

"""Hostile text on every screen, in a real Chromium against one real server: the names an admin
or a site file can give (venue, ticker, ticket text, services in two languages, counters, staff
display names, pop-up events, appointments) carry HTML, script, template and link payloads, and
every screen must show them verbatim as text and run none of them.

A CSP alone would already block inline scripts, so "no alert" proves little: each screen is also
searched for the elements and attributes the payloads would create (``inert``), and the guard
fixture fails on any CSP violation or JavaScript error.

The tests share the module's server; each issues and calls its own tickets (each screen's calls at
its own counter), so they pass in any order and on any xdist worker.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from datetime import date, timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.test_counter import LAPTOP
from tests.browser.test_display import PHONE, quick_sounds
from tests.conftest import Server

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'
TITLE = "</title><script>window.__xss=1</script>"
TEMPLATE = "{{7*7}} ${7*7}"
JS_URL = "javascript:window.__xss=1"
ENTITIES = "&amp; &lt;b&gt; 'einfach' \"doppelt\""
UNICODE = "שלום مرحبا 🎫👩‍💻"
FORMULA = '=HYPERLINK("https://example.invalid/?x=1","Klick")'  # for spreadsheets

VENUE = f"{TITLE} Bürgerbüro {TEMPLATE}"
TICKER = f"{IMG} Hinweis {ENTITIES} {UNICODE}"
TICKET_TEXT = f"{SCRIPT} Danke {TEMPLATE}"
SERVICES = {
    1: f"{IMG} Ausweis",
    2: f"{SVG} Pass {ENTITIES}",
    3: f"{TEMPLATE} {UNICODE} Melde",
    4: f"{TITLE} Beglaubigung {JS_URL}",  # given by the admin API, not the site file
}
DESCRIPTIONS = {1: f"{SCRIPT} Beschreibung {ENTITIES}", 4: JS_URL}
ENGLISH = {1: f"{SVG} ID card"}
ENGLISH_DESCRIPTIONS = {1: f"{TEMPLATE} Apply {UNICODE}"}
COUNTERS = {
    1: f"{SCRIPT}Schalter",
    2: f"{IMG}Tresen",
    3: f"{JS_URL} {ENTITIES}",  # given by the admin API
}
CLERK_NAME = f"{SVG} Frau O'Neil {UNICODE}"
EVENT = {"name": f"{SCRIPT} Pop-Up {TEMPLATE}", "place": f"{FORMULA} {IMG}", "address": JS_URL}
APPOINTMENT_NAME = f"{IMG} Müller {ENTITIES}"
DAY = date.today() + timedelta(days=14)


def toml(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def service_toml(sid: int, prefix: str) -> str:
    text = f'\n[[services]]\nid = {sid}\nprefix = "{prefix}"\nminutes = 10\n'
    if sid == 4:  # named by the admin API
        return text + 'name = "Beglaubigung"\n'
    text += f"name = {toml(SERVICES[sid])}\n"
    if sid in DESCRIPTIONS:
        text += f"description = {toml(DESCRIPTIONS[sid])}\n"
    if sid in ENGLISH:
        text += f"names = {{en = {toml(ENGLISH[sid])}}}\n"
        text += f"descriptions = {{en = {toml(ENGLISH_DESCRIPTIONS[sid])}}}\n"
    return text


SITE = (
    f"""
[venue]
name = {toml(VENUE)}
ticker = {toml(TICKER)}
ticket_text = {toml(TICKET_TEXT)}

[kiosk]
burst = 50

[appointments]
slot_minutes = 30
"""
    + "".join(service_toml(sid, prefix) for sid, prefix in zip(SERVICES, "APMB", strict=True))
    + "".join(
        f"\n[[counters]]\nid = {cid}\nservices = [1, 2, 3, 4]\n"
        f"name = {toml(COUNTERS[cid] if cid < 3 else 'Schalter 3')}\n"
        for cid in COUNTERS
    )
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One server for the module, named with payloads by its site file and by an admin."""
    data_dir = tmp_path_factory.mktemp("xss")
    (data_dir / "site.toml").write_text(SITE, encoding="utf-8")
    server = Server(data_dir, extra=["--config", str(data_dir / "site.toml")])
    server.add_users(
        [
            ("boss", "secret-boss", "admin"),
            ("caller1", "secret-c1", "clerk"),
            ("caller3", "secret-c3", "clerk"),
        ]
    )
    server.start()
    try:
        boss = server.login("boss", "secret-boss")
        url = server.url + "/api/admin"
        ok = boss.put(url + "/services/4", json={"name": SERVICES[4], "description": JS_URL})
        assert ok.status_code == 200, ok.text
        ok = boss.put(url + "/counters/3", json={"name": COUNTERS[3]})
        assert ok.status_code == 200, ok.text
        ok = boss.post(
            url + "/users",
            json={
                "username": "frau",
                "password": "secret-frau",
                "role": "clerk",
                "name": CLERK_NAME,
            },
        )
        assert ok.status_code == 201, ok.text
        ok = boss.post(url + "/events", json={**EVENT, "district": "Garath"})
        assert ok.status_code == 201, ok.text
        ok = boss.post(
            url + "/appointments",
            json={"day": DAY.isoformat(), "slot": "10:00", "service": 1, "name": APPOINTMENT_NAME},
        )
        assert ok.status_code == 201, ok.text
        # Some history for the statistics: one visit of every service, served by the clerk
        # with the hostile name, who keeps counter 2 (shown as held by her).
        clerk = server.login("frau", "secret-frau")
        for sid in SERVICES:
            number = server.issue(sid)["number"]
            called = clerk.post(server.url + "/api/counters/2/call", json={"number": number})
            assert called.status_code == 200, called.text
            done = clerk.post(server.url + "/api/counters/2/finish", json={})
            assert done.status_code == 200, done.text
        yield server
    finally:
        server.stop()


# Every element and attribute a payload above would create if it were parsed as markup, and any
# link a value could turn into. The page's own markup has no inline handlers (its CSP forbids
# them) and no script of its own mentions __xss.
INJECTED = """() => {
  const found = [];
  if (window.__xss !== undefined) found.push("window.__xss = " + window.__xss);
  for (const el of document.querySelectorAll("*")) {
    for (const name of el.getAttributeNames()) {
      const value = el.getAttribute(name);
      if (/^on/i.test(name)) found.push(`<${el.localName} ${name}="${value}">`);
      if (/^(href|src|action|formaction|xlink:href|data)$/i.test(name)
          && /^\\s*javascript:/i.test(value)) found.push(`<${el.localName} ${name}="${value}">`);
    }
    if (el.localName === "script" && /__xss/.test(el.textContent + el.getAttribute("src")))
      found.push("<script>" + el.textContent.slice(0, 60));
    if (el.localName === "img" && el.getAttribute("src") === "x") found.push("<img src=x>");
  }
  return found;
}"""


def inert(page) -> None:
    """Nothing of the payloads ran or became an element, on this page as it is now."""
    assert page.evaluate(INJECTED) == [], page.url


def shows(page, *texts: str) -> None:
    """Each text is rendered verbatim in something visible on the page (innerText ignores
    hidden elements and what is markup)."""
    body = page.locator("body")
    for text in texts:
        expect(body).to_contain_text(text, use_inner_text=True)


def titled(page, venue: str = VENUE) -> None:
    """The venue closes no <title>: the whole of it is in the document's title."""
    assert page.title().endswith(" – " + venue), page.title()


def card(page, sid: int):
    return page.locator(f'.k-service[data-service-id="{sid}"]')


# --- the screens ------------------------------------------------------------------------------


def test_start_page(hostile, open_page):
    page = open_page(hostile.url + "/", viewport=LANDSCAPE, ready="h1")
    expect(page.locator("h1")).to_have_text(VENUE)
    shows(page, VENUE)
    titled(page)
    inert(page)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_kiosk_and_its_ticket(hostile, open_page, lang):
    """The start screen and the confirmation, in German and (with the services' own English
    names and descriptions) in English."""
    names = {**SERVICES, **ENGLISH} if lang == "en" else SERVICES
    descriptions = {**DESCRIPTIONS, **ENGLISH_DESCRIPTIONS} if lang == "en" else DESCRIPTIONS
    page = open_page(hostile.url + "/kiosk/", viewport=PORTRAIT, ready=".k-service")
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    titled(page)
    for sid in (1, 2):  # the confirmation names the service
        if lang == "en":  # again each time: the kiosk is German for the next person
            page.locator(".k-lang-button[data-lang=en]").tap()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        for other, name in names.items():
            expect(card(page, other)).to_contain_text(name)
            if other in descriptions:
                expect(card(page, other)).to_contain_text(descriptions[other])
        shows(page, VENUE, *names.values(), *descriptions.values())
        inert(page)

        card(page, sid).tap()
        expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^[AP]\d{3}$"))
        expect(page.locator("#ticket-service")).to_have_text(names[sid])
        shows(page, names[sid])
        inert(page)
        page.locator("#ticket-done").tap()
        expect(page.locator("#screen-start")).to_be_visible()
        page.wait_for_timeout(900)  # past the kiosk's guard against a quick second tap
    if lang == "en":
        expect(card(page, 1)).not_to_contain_text(ENGLISH[1])  # German again


def test_join_on_a_phone_leads_to_the_status_page(hostile, open_page):
    page = open_page(hostile.url + "/join", viewport=PHONE, ready=".k-service")
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    titled(page)
    for sid, name in SERVICES.items():
        expect(card(page, sid)).to_contain_text(name)
    shows(page, VENUE, *SERVICES.values())
    inert(page)
    card(page, 3).click()
    page.wait_for_url("**/t/*")
    expect(page.locator("#service")).to_have_text(SERVICES[3])
    expect(page.locator("#venue")).to_have_text(VENUE)
    shows(page, VENUE, SERVICES[3])
    inert(page)


def test_phone_page_waiting_and_called(hostile, open_page, browser):
    ticket = hostile.issue(2)  # the name with both kinds of quotes, in a '…' attribute
    url = f"{hostile.url}/t/{ticket['token']}"

    # As the server renders it (no JavaScript to repair anything).
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(url)
        expect(plain.locator("#service")).to_have_text(SERVICES[2])
        expect(plain.locator("#venue")).to_have_text(VENUE)
        status = json.loads(plain.locator("body").get_attribute("data-status"))
        assert status["service_name"] == SERVICES[2]
        assert plain.locator("img[src=x], svg[onload], script:has-text('__xss')").count() == 0
    finally:
        context.close()

    page = open_page(url, viewport=PHONE, ready="#headline")
    expect(page.locator("#updated")).to_have_attribute("data-connection", "online")
    expect(page.locator("#service")).to_have_text(SERVICES[2])
    expect(page.locator("#venue")).to_have_text(VENUE)
    shows(page, VENUE, SERVICES[2])
    inert(page)

    caller = hostile.login("caller3", "secret-c3")
    called = caller.post(hostile.url + "/api/counters/3/call", json={"number": ticket["number"]})
    assert called.status_code == 200, called.text
    expect(page.locator("#called")).to_be_visible()
    expect(page.locator("#called-counter")).to_have_text(COUNTERS[3])
    shows(page, COUNTERS[3])
    inert(page)
    page.locator("#called-ok").click()
    expect(page.locator("#headline")).to_contain_text(COUNTERS[3])
    inert(page)
    assert caller.post(hostile.url + "/api/counters/3/finish", json={}).status_code == 200

    # An unknown ticket's page names the venue too.
    unknown = open_page(f"{hostile.url}/t/{'x' * 24}", viewport=PHONE)
    expect(unknown.locator(".p-venue")).to_have_text(VENUE)
    inert(unknown)


def test_wall_display_call_and_ticker(hostile, open_page):
    page = open_page(hostile.url + "/display/?spot_seconds=10", viewport=LANDSCAPE)
    quick_sounds(page)
    page.locator(".d-service").first.wait_for()
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    expect(page.locator("#ticker")).to_have_text(TICKER)
    titled(page)
    for name in SERVICES.values():
        expect(page.locator(".d-service-name", has_text=name)).to_have_count(1)
    shows(page, VENUE, TICKER, *SERVICES.values())
    inert(page)

    number = hostile.issue(3)["number"]
    caller = hostile.login("caller1", "secret-c1")
    called = caller.post(hostile.url + "/api/counters/1/call", json={"number": number})
    assert called.status_code == 200, called.text
    expect(page.locator("#spot-number")).to_have_text(number)
    expect(page.locator("#spotlight")).to_contain_text(COUNTERS[1])
    shows(page, COUNTERS[1])
    inert(page)
    row = page.locator("#current .d-call", has_text=number)
    expect(row).to_contain_text(COUNTERS[1])
    inert(page)
    # The server's voice speaks the name as an argument, never through a shell.
    voice = requests.get(
        hostile.url + "/display/announce.wav",
        params={"number": number, "counter": 1, "lang": "de"},
        timeout=15,
    )
    assert voice.status_code in (200, 503), voice.text


def test_counter_page_with_hostile_clerk_counter_and_services(hostile, open_page):
    for sid in SERVICES:  # one of each waiting, to be called or listed
        hostile.issue(sid)
    page = open_page(hostile.url + "/counter/", viewport=LAPTOP, ready="#screen-login")
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    titled(page)
    page.locator("#login-user").fill("frau")
    page.locator("#login-password").fill("secret-frau")
    page.locator("#login-password").press("Enter")
    expect(page.locator("#screen-pick")).to_be_visible()
    for name in COUNTERS.values():
        expect(page.locator(".c-counter-card", has_text=name)).to_have_count(1)
    expect(page.locator("#user-name")).to_have_text(CLERK_NAME)
    shows(page, VENUE, CLERK_NAME, *COUNTERS.values())
    inert(page)

    page.locator(".c-counter-card", has_text=COUNTERS[2]).click()
    expect(page.locator("#header-counter")).to_have_text(COUNTERS[2])
    expect(page.locator("#next-btn")).to_have_attribute("aria-disabled", "false")
    for name in SERVICES.values():  # the queue, grouped by service
        expect(page.locator(".c-group-name", has_text=name)).to_have_count(1)
    shows(page, COUNTERS[2], *SERVICES.values())
    inert(page)

    page.locator("#next-btn").click()
    expect(page.locator("#current-ticket")).to_be_visible()
    current = page.locator("#ticket-service").inner_text()
    assert current in SERVICES.values(), current
    expect(page.locator(".c-case-name", has_text=current).first).to_be_visible()
    inert(page)

    # Transfer: the dialog lists the other services by their names.
    page.locator("#act-transfer").click()
    dialog = page.locator("#dlg-choose")
    expect(dialog).to_be_visible()
    others = [name for name in SERVICES.values() if name != current]
    for name in others:
        expect(dialog.locator(".c-choice-name", has_text=name)).to_have_count(1)
    shows(page, *others)
    inert(page)
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(dialog).to_be_hidden()

    # The side panel: this counter's services, open/close for everybody.
    page.locator("#services-btn").click()
    panel = page.locator("#dlg-services")
    expect(panel).to_be_visible()
    expect(page.locator("#my-services-title")).to_contain_text(COUNTERS[2])
    for name in SERVICES.values():
        expect(panel.locator(".c-check-name", has_text=name)).to_have_count(1)
        expect(panel.locator(".c-open-row", has_text=name)).to_have_count(1)
    inert(page)
    page.locator("#services-close").click()
    page.locator("#act-finish").click()
    expect(page.locator("#last-outcome")).to_contain_text("abgeschlossen")
    inert(page)


# --- the admin page, tab by tab ---------------------------------------------------------------


def admin_page(open_page, server, path="/admin/"):
    page = open_page(server.url + path, viewport=LANDSCAPE, ready="#login-form")
    expect(page.locator("#venue-name")).to_have_text(VENUE)
    titled(page)
    page.locator("#login-user").fill("boss")
    page.locator("#login-password").fill("secret-boss")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.locator("#screen-work")).to_be_visible()
    return page


def check_overview(page):
    for name in SERVICES.values():
        expect(page.locator("#ov-queue tr", has_text=name)).to_have_count(1)
    for name in COUNTERS.values():
        expect(page.locator("#ov-counters tr", has_text=name)).to_have_count(1)
    expect(page.locator("#ov-counters tr", has_text=COUNTERS[2])).to_contain_text(CLERK_NAME)
    shows(page, *SERVICES.values(), *COUNTERS.values(), CLERK_NAME)
    # The virtual printer's tickets (with the hostile ticket text) as images that loaded.
    page.wait_for_function(
        "() => { const i = [...document.querySelectorAll('#ov-tickets-list img')];"
        " return i.length > 0 && i.every(x => x.complete && x.naturalWidth > 100); }"
    )


def check_appointments(page):
    page.locator("#ap-day").fill(DAY.isoformat())
    row = page.locator("#ap-list tr", has_text=APPOINTMENT_NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(SERVICES[1])
    shows(page, APPOINTMENT_NAME, SERVICES[1])
    for sid, name in SERVICES.items():
        prefix = "APMB"[sid - 1]
        expect(page.locator("#ap-service option", has_text=f"{prefix} · {name}")).to_have_count(1)


def check_services(page):
    for name in SERVICES.values():
        expect(page.locator("#sv-list tr", has_text=name)).to_have_count(1)
    shows(page, *SERVICES.values())
    page.get_by_role("button", name=f"{SERVICES[1]} bearbeiten").click()
    expect(page.locator("#sv-name")).to_have_value(SERVICES[1])
    expect(page.locator("#sv-description")).to_have_value(DESCRIPTIONS[1])
    expect(page.locator("#sv-name-en")).to_have_value(ENGLISH[1])
    expect(page.locator("#sv-description-en")).to_have_value(ENGLISH_DESCRIPTIONS[1])
    expect(page.locator("#sv-form-title")).to_contain_text(SERVICES[1])
    page.locator("#sv-save").click()  # saved unchanged: the notice names it
    expect(page.locator("#notice")).to_contain_text(SERVICES[1])


def check_counters(page):
    for name in COUNTERS.values():
        expect(page.locator("#ct-list tr", has_text=name)).to_have_count(1)
    shows(page, *COUNTERS.values())
    page.get_by_role("button", name=f"{COUNTERS[3]} bearbeiten").click()
    expect(page.locator("#ct-name")).to_have_value(COUNTERS[3])
    for name in SERVICES.values():
        expect(page.locator("#ct-services label", has_text=name)).to_have_count(1)


def check_users(page):
    row = page.locator("#us-list tr", has_text=CLERK_NAME)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(COUNTERS[2])  # the counter she holds
    shows(page, CLERK_NAME, COUNTERS[2])
    row.get_by_role("button", name="Passwort für frau neu setzen").click()
    expect(page.locator("#dlg-password")).to_be_visible()
    expect(page.locator("#pw-user")).to_have_text(f"frau ({CLERK_NAME})")


def check_venue(page):
    expect(page.locator("#vn-name")).to_have_value(VENUE)
    expect(page.locator("#vn-ticker")).to_have_value(TICKER)
    expect(page.locator("#vn-ticket-text")).to_have_value(TICKET_TEXT)
    row = page.locator("#ev-list tr", has_text=EVENT["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(EVENT["place"])
    shows(page, EVENT["name"], EVENT["place"])
    row.get_by_role("button", name=f"{EVENT['name']} bearbeiten").click()
    for field in ("name", "place", "address"):
        expect(page.locator(f"#ev-{field}")).to_have_value(EVENT[field])


def check_stats(page):
    for name in SERVICES.values():
        expect(page.locator("#st-services tr", has_text=name)).to_have_count(1)
    expect(page.locator("#st-event option", has_text=EVENT["name"])).to_have_count(1)
    expect(page.locator("#st-events tr", has_text=EVENT["name"])).to_have_count(1)
    shows(page, EVENT["name"], *SERVICES.values())
    # The charts are SVG documents with the names in them: malformed XML would not load.
    page.wait_for_function(
        "() => { const i = [...document.querySelectorAll('#st-result img[data-chart]')];"
        " return i.length === 4 && i.every(x => x.complete && x.naturalWidth > 0); }"
    )


def check_day(page):
    expect(page.locator("#day-close")).to_be_visible()


def check_site(page):
    text = page.locator("#sf-text")
    expect(text).to_have_value(re.compile(r"\[\[services\]\]"))
    site = tomllib.loads(text.input_value())
    assert site["venue"]["name"] == VENUE and site["venue"]["ticker"] == TICKER
    assert [s["name"] for s in site["services"]] == list(SERVICES.values())
    assert [c["name"] for c in site["counters"]] == list(COUNTERS.values())


TABS = [
    pytest.param("Überblick", check_overview, id="overview"),
    pytest.param("Termine", check_appointments, id="appointments"),
    pytest.param("Dienste", check_services, id="services"),
    pytest.param("Schalter", check_counters, id="counters"),
    pytest.param("Benutzer", check_users, id="users"),
    pytest.param("Einsatz & Öffnungszeiten", check_venue, id="event-venue"),
    pytest.param("Auswertung", check_stats, id="stats"),
    pytest.param("Tagesabschluss", check_day, id="day"),
    pytest.param("Standortdatei", check_site, id="site-file"),
]


@pytest.mark.parametrize(("tab", "check"), TABS)
def test_admin_tab(hostile, open_page, tab, check):
    page = admin_page(open_page, hostile)
    page.get_by_role("tab", name=tab, exact=True).click()
    expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
    check(page)
    inert(page)


def test_admin_stats_and_report(hostile, open_page):
    page = admin_page(open_page, hostile, "/admin/stats")
    expect(page.locator("#panel-stats")).to_be_visible()
    check_stats(page)
    inert(page)

    # The printable report (no scripts allowed at all by its CSP), and one event's report.
    event = page.locator("#st-event option", has_text=EVENT["name"]).get_attribute("value")
    today = page.locator("#st-from").input_value()
    report = page.context.new_page()  # not watched by the guard: its own watch
    csp = []
    report.on("console", lambda m: csp.append(m.text) if "Content" in m.text else None)
    report.goto(f"{hostile.url}/admin/report?from={today}&to={today}")
    assert report.title().endswith(" – " + VENUE), report.title()
    shows(report, VENUE, EVENT["name"], EVENT["place"], EVENT["address"], COUNTERS[2])
    for name in SERVICES.values():
        expect(report.locator("tr", has_text=name).first).to_be_visible()
        expect(report.locator("svg.chart text", has_text=name).first).to_be_attached()
    inert(report)

    report.goto(f"{hostile.url}/admin/report?from={today}&to={today}&event={event}")
    assert report.title().endswith(" – " + EVENT["name"]), report.title()
    expect(report.locator("h1")).to_have_text("Auswertung Pop-Up-Bürgerbüro: " + EVENT["name"])
    shows(report, EVENT["place"], EVENT["address"])
    inert(report)
    assert csp == []


def test_spreadsheet_export_keeps_names_as_text(hostile):
    """Not a screen, but where the same names are opened next: the statistics as .xlsx. A name
    that starts with "=" must arrive as text, not as a formula Excel would evaluate."""
    from openpyxl import load_workbook

    boss = hostile.login("boss", "secret-boss")
    r = boss.get(hostile.url + "/api/stats.xlsx")
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if c.data_type == "s"}
    assert {EVENT["name"], EVENT["place"], *SERVICES.values()} <= texts

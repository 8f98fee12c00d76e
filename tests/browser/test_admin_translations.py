"""The service form's translations in a real Chromium against a real server: the admin enters a
Turkish, an Arabic and a Leichte-Sprache name, saves, reopens the service and sees them; the
kiosk in Turkish shows the Turkish name.

Screenshot for review: test-output/admin-service-translations.png.
"""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import LANDSCAPE
from tests.browser.test_admin import log_in
from tests.conftest import site_with_counters

# The kiosk offers Turkish, Arabic and English: those come first in the form.
SITE = site_with_counters(2) + '\n[kiosk]\nlanguages = ["de", "tr", "ar", "en"]\n'
OFFERED = ["tr", "ar", "en"]
OTHERS = ["de-ls", "ru", "uk", "pl", "el", "ja"]
TURKISH = "Kimlik kartı"
ARABIC = "بطاقة الهوية"
EASY = "Ausweis machen lassen"


def open_service(page, name: str):
    page.get_by_role("tab", name="Dienste").click()
    page.get_by_role("button", name=f"{name} bearbeiten").click()
    expect(page.locator("#sv-name")).to_have_value(name)
    return page.locator("#sv-translations")


def names_of(server) -> dict:
    services = requests.get(server.url + "/api/services", timeout=5).json()
    return next(s for s in services if s["id"] == 1)["names"]


def test_admin_translates_a_service_name(make_server, open_page, output_dir):
    server = make_server(site=SITE)
    server.add_users([("boss", "secret-boss", "admin")])
    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    log_in(page)
    expect(page.locator("#screen-work")).to_be_visible()
    section = open_service(page, "Personalausweis")

    # Every language but German, the kiosk's first; each line closed, saying what it has.
    langs = section.locator("details.a-lang")
    assert [langs.nth(i).get_attribute("data-lang") for i in range(langs.count())] == [
        *OFFERED,
        *OTHERS,
    ]
    expect(section.locator(".a-lang-group")).to_have_text(
        ["Auf dem Kiosk angeboten", "Weitere Sprachen (auf dem Kiosk zurzeit nicht angeboten)"]
    )
    turkish = section.locator("#sv-lang-tr")
    expect(turkish.locator("summary")).to_have_text("Türkçe (Türkisch) nicht übersetzt")
    expect(section.locator("#sv-lang-de-ls summary")).to_contain_text("Leichte Sprache")
    expect(section.locator("#sv-lang-ar summary")).to_contain_text("العربية (Arabisch)")

    # Turkish by mouse: the labels name the language; the summary shows the name as typed.
    turkish.locator("summary").click()
    name_tr = section.get_by_label("Name – Türkçe (Türkisch)")
    expect(name_tr).to_be_visible()
    name_tr.fill(TURKISH)
    section.get_by_label("Beschreibung – Türkçe (Türkisch)").fill("Kimlik kartı başvurusu")
    expect(section.locator("#sv-lang-state-tr")).to_have_text(TURKISH)

    # Arabic: typed right to left.
    section.locator("#sv-lang-ar summary").click()
    name_ar = section.get_by_label("Name – العربية (Arabisch)")
    expect(name_ar).to_have_attribute("lang", "ar")
    assert name_ar.evaluate("el => getComputedStyle(el).direction") == "rtl"
    name_ar.fill(ARABIC)
    state_ar = section.locator("#sv-lang-state-ar")
    expect(state_ar).to_have_text(ARABIC)
    expect(state_ar).to_have_attribute("dir", "rtl")

    # Leichte Sprache by keyboard alone: focus its summary, open it with Enter, Tab to the name.
    section.locator("#sv-lang-de-ls summary").focus()
    page.keyboard.press("Enter")
    expect(section.locator("#sv-lang-de-ls")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(section.locator("#sv-name-de-ls")).to_be_focused()
    page.keyboard.type(EASY)
    expect(section.locator("#sv-lang-state-de-ls")).to_have_text(EASY)

    assert_accessible(page, "admin-service-translations")
    page.locator("#sv-form").screenshot(path=str(output_dir / "admin-service-translations.png"))

    page.locator("#sv-save").click()
    expect(page.locator("#notice")).to_contain_text("Personalausweis")
    assert names_of(server) == {"tr": TURKISH, "ar": ARABIC, "de-ls": EASY}

    # Reopened after a reload: the names come back from the server.
    page.reload()
    expect(page.locator("#screen-work")).to_be_visible()
    section = open_service(page, "Personalausweis")
    expect(section.locator("#sv-name-tr")).to_have_value(TURKISH)
    expect(section.locator("#sv-name-ar")).to_have_value(ARABIC)
    expect(section.locator("#sv-name-de-ls")).to_have_value(EASY)
    expect(section.locator("#sv-description-tr")).to_have_value("Kimlik kartı başvurusu")
    expect(section.locator("#sv-lang-state-tr")).to_have_text(TURKISH)
    expect(section.locator("#sv-lang-state-en")).to_have_text("nicht übersetzt")

    # Emptied, the Arabic name is gone (the Arabic kiosk shows the German one again).
    section.locator("#sv-lang-ar summary").click()
    section.locator("#sv-name-ar").fill("")
    expect(section.locator("#sv-lang-state-ar")).to_have_text("nicht übersetzt")
    page.locator("#sv-save").click()
    expect(page.locator("#notice")).to_contain_text("Personalausweis")
    assert names_of(server) == {"tr": TURKISH, "de-ls": EASY}

    # A name the server refuses (too long; a browser without maxlength): the German message,
    # and its language opened again with the cursor in it.
    open_service(page, "Personalausweis")
    japanese = section.locator("#sv-lang-ja")
    japanese.locator("summary").click()
    name_ja = section.locator("#sv-name-ja")
    name_ja.evaluate("el => el.removeAttribute('maxlength')")
    name_ja.fill("名" * 129)
    japanese.locator("summary").click()
    expect(name_ja).to_be_hidden()
    page.locator("#sv-save").click()
    expect(page.locator("#sv-error")).to_contain_text("Ein übersetzter Name wurde nicht angenommen")
    expect(name_ja).to_be_focused()
    assert names_of(server) == {"tr": TURKISH, "de-ls": EASY}

    # The kiosk in Turkish shows the Turkish name.
    kiosk = open_page(server.url + "/kiosk/?lang=tr", ready="#services .k-service")
    expect(kiosk.locator(".k-service", has_text=TURKISH)).to_have_count(1)
    expect(kiosk.locator(".k-service", has_text="Personalausweis")).to_have_count(0)

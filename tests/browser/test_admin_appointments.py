"""The admin's "Termine" tab in a real Chromium against a real server: a day's appointments,
booking one (its code shown large), a full slot refused in German, cancelling after a
confirmation, and importing a CSV file (a refused one lists its bad rows by line).

Screenshots for review go to test-output/admin-appointments*.png.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE
from tests.conftest import site_with_counters

SITE = (
    site_with_counters(2)
    + """
[opening]
hours = "09:00-16:00"

[appointments]
slot_minutes = 20
counters = 2
"""
)
# A day ahead: bookings for it need no clock tricks.
DAY = date.today() + timedelta(days=14)
DE = DAY.strftime("%d.%m.%Y")
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{6}$")


@pytest.fixture
def admin_server(server_pool):
    server = server_pool.take(SITE)
    server.add_users([("boss", "secret-boss", "admin")])
    yield server
    server.stop()


def open_tab(open_page, server):
    page = open_page(server.url + "/admin/", viewport=LANDSCAPE, ready="#login-form")
    page.locator("#login-user").fill("boss")
    page.locator("#login-password").fill("secret-boss")
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.locator("#screen-work")).to_be_visible()
    page.get_by_role("tab", name="Termine").click()
    expect(page.locator("#panel-appointments")).to_be_visible()
    return page


def show_day(page, day: date = DAY) -> None:
    page.locator("#ap-day").fill(day.isoformat())
    expect(page.locator("#ap-day-text")).to_contain_text(str(day.year))


def appointments(server, session) -> list[dict]:
    r = session.get(server.url + "/api/admin/appointments", params={"day": DAY.isoformat()})
    assert r.status_code == 200, r.text
    return r.json()["appointments"]


def test_book_a_full_slot_and_cancel(admin_server, open_page, output_dir):
    server = admin_server
    boss = server.login("boss", "secret-boss")
    url = server.url + "/api/admin/appointments"
    first = boss.post(url, json={"day": DAY.isoformat(), "slot": "09:20", "service": 2})
    assert first.status_code == 201, first.text

    page = open_tab(open_page, server)
    # Today (nothing booked), then the day ahead with its one booking.
    venue_today = datetime.now(ZoneInfo("Europe/Berlin")).date()  # not the machine's (UTC) day
    expect(page.locator("#ap-day")).to_have_value(venue_today.isoformat())
    expect(page.locator("#ap-empty")).to_be_visible()
    show_day(page)
    expect(page.locator("#ap-form-day")).to_have_value(DAY.isoformat())
    expect(page.locator("#ap-list tr")).to_have_count(1)
    row = page.locator("#ap-list tr").first
    expect(row).to_contain_text("09:20")
    expect(row).to_contain_text("Reisepass")
    expect(row).to_contain_text(first.json()["code"])
    expect(row).to_contain_text("gebucht")
    expect(page.locator("#ap-day-text")).to_contain_text("Zeitfenster zu 20 Minuten")

    # The time choice: the slot starts of 09:00-16:00 every 20 minutes, with how full they are.
    slots = page.locator("#ap-slot option")
    expect(slots).to_have_count(21)
    expect(slots.first).to_have_text("09:00 – frei")
    expect(slots.last).to_have_text("15:40 – frei")
    expect(page.locator("#ap-slot option[value='09:20']")).to_have_text("09:20 – 1 von 2 belegt")

    # Book one in the form: the code shows large, the list has it.
    form = page.locator("#ap-form")
    form.get_by_label("Uhrzeit").select_option("09:20")
    form.get_by_label("Dienst").select_option(label="A · Personalausweis")
    form.get_by_label("Name (freiwillig)").fill("Erika Mustermann")
    form.get_by_role("button", name="Termin buchen").click()
    booked = page.locator("#ap-booked")
    expect(booked).to_be_visible()
    expect(booked).to_contain_text(f"Gebucht: {DE}, 09:20 Uhr – Personalausweis")
    code = page.locator("#ap-booked-code").text_content()
    assert CODE.match(code), code
    expect(page.locator("#ap-list tr")).to_have_count(2)
    mine = page.locator(f"#ap-list tr[data-code='{code}']")
    expect(mine).to_contain_text("Erika Mustermann")
    expect(mine.locator(".a-code-cell")).to_have_text(code)
    expect(form.get_by_label("Name (freiwillig)")).to_have_value("")
    expect(page.locator("#ap-counts [data-key='booked'] dd")).to_have_text("2")
    expect(page.locator("#ap-slot option[value='09:20']")).to_have_text("09:20 – ausgebucht")
    stored = {a["code"]: a for a in appointments(server, boss)}
    assert stored[code]["slot"] == "09:20" and stored[code]["name"] == "Erika Mustermann"
    page.screenshot(path=str(output_dir / "admin-appointments.png"), full_page=True)

    # The slot holds two appointments at once: a third is refused with a German message.
    form.get_by_label("Uhrzeit").select_option("09:20")
    form.get_by_label("Dienst").select_option(label="M · Meldeangelegenheiten")
    form.get_by_role("button", name="Termin buchen").click()
    expect(page.locator("#ap-error")).to_have_text(
        f"Am {DE} um 09:20 Uhr ist kein Termin mehr frei. Bitte wählen Sie eine andere Uhrzeit."
    )
    expect(booked).to_be_hidden()
    expect(page.locator("#ap-list tr")).to_have_count(2)
    page.locator("#ap-form").screenshot(path=str(output_dir / "admin-appointments-full.png"))

    # Cancel after a confirmation; "Nicht stornieren" keeps it.
    cancel = mine.get_by_role("button", name=f"Termin 09:20 Uhr, Code {code} stornieren")
    cancel.click()
    dialog = page.locator("#dlg-cancel")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(code)
    expect(dialog).to_contain_text("Erika Mustermann")
    page.screenshot(path=str(output_dir / "admin-appointments-cancel.png"))
    dialog.get_by_role("button", name="Nicht stornieren").click()
    expect(dialog).to_be_hidden()
    assert {a["code"]: a for a in appointments(server, boss)}[code]["status"] == "booked"
    cancel.click()
    dialog.get_by_role("button", name="Ja, stornieren").click()
    expect(page.locator("#notice")).to_contain_text(
        f"Termin 09:20 Uhr (Buchungscode {code}) storniert."
    )
    expect(mine).to_contain_text("storniert")
    expect(mine.get_by_role("button")).to_have_count(0)
    expect(page.locator("#ap-counts [data-key='booked'] dd")).to_have_text("1")
    expect(page.locator("#ap-counts [data-key='cancelled'] dd")).to_have_text("1")
    expect(page.locator("#ap-slot option[value='09:20']")).to_have_text("09:20 – 1 von 2 belegt")
    assert {a["code"]: a for a in appointments(server, boss)}[code]["status"] == "cancelled"

    # Now the third fits.
    form.get_by_label("Uhrzeit").select_option("09:20")
    form.get_by_label("Dienst").select_option(label="M · Meldeangelegenheiten")
    form.get_by_role("button", name="Termin buchen").click()
    expect(booked).to_be_visible()
    expect(page.locator("#ap-error")).to_be_hidden()
    expect(page.locator("#ap-list tr")).to_have_count(3)
    page.screenshot(path=str(output_dir / "admin-appointments-after-cancel.png"), full_page=True)


def test_import_a_file_and_a_refused_one(admin_server, open_page, output_dir, tmp_path):
    server = admin_server
    page = open_tab(open_page, server)
    expect(page.locator("#ap-example")).to_contain_text("Datum;Uhrzeit;Dienst;Buchungscode;Name")

    # Without a file: a German hint, nothing sent.
    page.get_by_role("button", name="Importieren").click()
    expect(page.locator("#ap-import-error")).to_contain_text("CSV- oder Excel-Datei")

    good = tmp_path / "termine.csv"
    good.write_bytes(
        (
            "Datum;Uhrzeit;Dienst;Buchungscode;Name\n"
            f"{DE};09:00;Personalausweis;K7M2QX;Jürgen Groß\n"
            f"{DE};9.20;P;;\n"
            f"{DE};09:20;3;;\n"
        ).encode("cp1252")
    )
    page.locator("#ap-file").set_input_files(str(good))
    page.get_by_role("button", name="Importieren").click()
    expect(page.locator("#ap-import-result")).to_have_text(f"3 Termine übernommen ({DE}).")
    expect(page.locator("#ap-import-error")).to_be_hidden()
    # The list moves to the imported day.
    expect(page.locator("#ap-day")).to_have_value(DAY.isoformat())
    expect(page.locator("#ap-list tr")).to_have_count(3)
    expect(page.locator("#ap-list tr[data-code='K7M2QX']")).to_contain_text("Jürgen Groß")
    page.screenshot(path=str(output_dir / "admin-appointments-import.png"), full_page=True)

    bad = tmp_path / "falsch.csv"
    bad.write_text(
        "Datum;Uhrzeit;Dienst\n"
        f"{DE};10:00;A\n"  # fine, but not booked: the file has bad rows
        f"{DE};09:50;A\n"  # line 3: no slot start
        f"{DE};10:20;Führerschein\n"  # line 4: no such service
        f"{DE};09:20;A\n"  # line 5: 09:20 is full
        "gestern;10:00;A\n",  # line 6: no date
        encoding="utf-8",
    )
    page.locator("#ap-file").set_input_files(str(bad))
    expect(page.locator("#ap-import-result")).to_be_hidden()
    page.get_by_role("button", name="Importieren").click()
    expect(page.locator("#ap-import-error")).to_contain_text(
        "Nichts übernommen: 4 Zeilen lassen sich nicht buchen."
    )
    rows = page.locator("#ap-bad-rows tr")
    expect(rows).to_have_count(4)
    assert [rows.nth(i).get_attribute("data-line") for i in range(4)] == ["3", "4", "5", "6"]
    expect(rows.nth(0)).to_contain_text("09:50 Uhr ist kein Terminbeginn")
    expect(rows.nth(1)).to_contain_text("Unbekannter Dienst „Führerschein“")
    expect(rows.nth(2)).to_contain_text(f"{DE}, 09:20 Uhr ist ausgebucht")
    expect(rows.nth(3)).to_contain_text("„gestern“ ist kein Datum")
    expect(page.locator("#ap-list tr")).to_have_count(3)  # nothing of it saved
    page.locator("#ap-import-form").screenshot(
        path=str(output_dir / "admin-appointments-bad-rows.png")
    )
    boss = server.login("boss", "secret-boss")
    assert len(appointments(server, boss)) == 3

    # A file without the needed columns.
    headless = tmp_path / "kopf.csv"
    headless.write_text("Name;Zeit\nx;09:00\n", encoding="utf-8")
    page.locator("#ap-file").set_input_files(str(headless))
    page.get_by_role("button", name="Importieren").click()
    expect(page.locator("#ap-import-error")).to_contain_text("Spalten Datum, Uhrzeit und Dienst")
    expect(page.locator("#ap-bad-table")).to_be_hidden()

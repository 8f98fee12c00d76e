"""Admin: pop-up events, the site file (download, edit, apply, kept across a restart) and the
ticket's text, against a real server process."""

from __future__ import annotations

import re
import sqlite3

import requests

from tests.conftest import site_with_counters
from tests.integration.test_printing import printer  # noqa: F401 - fixture
from wartemarke.config import parse_site
from wartemarke.printers.decode import decode


def popup_of(server, number: str) -> int:
    with sqlite3.connect(server.data_dir / "wartemarke.sqlite3") as db:
        (popup,) = db.execute("SELECT popup_id FROM tickets WHERE number = ?", (number,)).fetchone()
        (logged,) = db.execute(
            "SELECT popup_id FROM events WHERE number = ? AND kind = 'issued'", (number,)
        ).fetchone()
    assert popup == logged
    return popup


def test_pop_up_events_and_the_tickets_that_belong_to_them(admin_server, boss):
    url = admin_server.url + "/api/admin/events"
    listing = boss.get(url).json()
    (first,) = listing["events"]  # a first start creates one, named after the venue
    assert first["name"] == "Pop-Up Bürgerbüro Test" and first["current"] is True
    assert listing["current"] == first["id"]
    assert popup_of(admin_server, admin_server.issue(1)["number"]) == first["id"]

    r = boss.post(
        url,
        json={
            "name": "Pop-Up Sommer 2026",
            "place": "Zentralbibliothek <KAP1>",
            "address": "Konrad-Adenauer-Platz 1, 40210 Düsseldorf",
            "district": "Stadtmitte",
            "first_day": "2026-07-06",
            "last_day": "2026-07-10",
        },
    )
    assert r.status_code == 201, r.text
    summer = r.json()
    assert summer["current"] is True and summer["district"] == "Stadtmitte"
    assert summer["place"] == "Zentralbibliothek <KAP1>"  # stored as given; escaped when shown
    assert len(summer["key"]) == 36  # a UUID: the same pop-up on every laptop's export
    assert popup_of(admin_server, admin_server.issue(1)["number"]) == summer["id"]

    # Back to the first one; editing a pop-up does not make it current.
    r = boss.put(f"{url}/{first['id']}", json={"current": True, "place": "Museum"})
    assert r.status_code == 200 and r.json()["current"] is True
    r = boss.put(f"{url}/{summer['id']}", json={"address": "KAP 1"})
    assert r.json()["current"] is False and r.json()["name"] == "Pop-Up Sommer 2026"
    assert popup_of(admin_server, admin_server.issue(2)["number"]) == first["id"]
    r = boss.put(f"{url}/{summer['id']}", json={"current": True})  # switching alone
    assert r.status_code == 200 and r.json()["current"] is True
    assert popup_of(admin_server, admin_server.issue(3)["number"]) == summer["id"]
    boss.put(f"{url}/{first['id']}", json={"current": True})
    listing = boss.get(url).json()
    assert [e["id"] for e in listing["events"]] == [summer["id"], first["id"]]  # newest first

    # Bad input: a clear 4xx, nothing changed.
    for body, status, field in (
        ({"place": "x"}, 400, "name"),
        ({"name": "X", "first_day": "2026-07-10", "last_day": "2026-07-01"}, 400, "last_day"),
        ({"name": "X", "district": "Paris"}, 400, "district"),
        ({"name": "X", "district": "outside"}, 400, "district"),
        ({"name": "X", "first_day": "10.07.2026"}, 400, "first_day"),
        ({"name": "X", "id": "no spaces allowed"}, 400, "id"),
        ({"name": "X", "id": summer["key"]}, 409, "id"),
        ({"name": "X", "current": "yes"}, 400, "current"),
    ):
        r = boss.post(url, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json()["field"] == field, body
    r = boss.put(f"{url}/{summer['id']}", json={"last_day": "2026-07-01"})
    assert r.status_code == 400  # before its first day
    assert boss.put(f"{url}/999", json={"current": True}).status_code == 404
    assert boss.put(f"{url}/{summer['id']}", json={}).status_code == 400
    assert len(boss.get(url).json()["events"]) == 2

    clerk = admin_server.login("clerk1", "secret-1")
    assert clerk.get(url).status_code == 403
    assert clerk.post(url, json={"name": "X"}).status_code == 403
    assert requests.get(url).status_code == 401


def test_site_file_download_edit_apply_and_restart(admin_server, boss):
    url = admin_server.url + "/api/admin/site"
    got = boss.get(url).json()
    assert got["path"] == str(admin_server.data_dir / "site.toml")
    site = parse_site(got["toml"])  # what is offered reads back
    assert [s.prefix for s in site.services] == ["A", "P", "M"]
    assert [c.name for c in site.counters] == ["Schalter 1", "Schalter 2"]
    assert site.event["name"] == "Pop-Up Bürgerbüro Test"
    download = boss.get(url + ".toml")
    assert download.headers["Content-Disposition"] == 'attachment; filename="site.toml"'
    assert parse_site(download.text).services == site.services

    edited = (
        got["toml"]
        .replace('name = "Personalausweis"', 'name = "Personalausweis & Kinderausweis"')
        .replace("ask_district = false", "ask_district = true")
        .replace(
            'languages = ["de", "de-ls", "en", "tr", "ar", "ru", "uk", "pl", "el", "ja"]',
            'languages = ["de", "uk", "en"]',
        )
        .replace('name = "Pop-Up Bürgerbüro Test"\nplace', 'name = "Pop-Up Sommer"\nplace')
    )
    edited = re.sub(r'(?m)^\[event\]\nid = ".*"$', '[event]\nid = "sommer-2026"', edited)
    edited += '\n[[services]]\nid = 9\nname = "Führerschein"\nprefix = "F"\nminutes = 10\n'
    r = boss.put(url, json={"toml": edited})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "applied": True,
        "saved": True,
        "path": got["path"],
        "error": None,
        "restart": [],
    }
    assert (admin_server.data_dir / "site.toml").read_text(encoding="utf-8") == edited
    assert (admin_server.data_dir / "site.toml.bak").is_file()

    def check():
        services = {s["id"]: s for s in requests.get(admin_server.url + "/api/services").json()}
        assert services[1]["name"] == "Personalausweis & Kinderausweis"
        assert services[9]["prefix"] == "F"
        kiosk = requests.get(admin_server.url + "/kiosk/").text
        assert 'data-ask-district="true"' in kiosk and 'data-languages="de,uk,en"' in kiosk
        events = boss.get(admin_server.url + "/api/admin/events").json()["events"]
        current = [e for e in events if e["current"]]
        assert [(e["key"], e["name"]) for e in current] == [("sommer-2026", "Pop-Up Sommer")]

    check()
    admin_server.stop()
    admin_server.start()  # the saved file is read at start: the same configuration
    boss = admin_server.login("boss", "secret-boss")
    check()

    # Refused: broken TOML, a clash with the database, a time zone needs a restart.
    r = boss.put(url, json={"toml": "[venue\nname = 1"})
    assert r.status_code == 400 and "TOML" in r.json()["message"]
    clash = '[[services]]\nid = 7\nname = "Doppelt"\nprefix = "A"\nminutes = 5\n'
    r = boss.put(url, json={"toml": clash})
    assert r.status_code == 409 and "prefix A" in r.json()["message"]
    r = boss.put(url, json={"toml": '[[counters]]\nid = 5\nname = "X"\nservices = [77]\n'})
    assert r.status_code == 400 and "77" in r.json()["message"]
    for body in ({}, {"toml": ""}, {"toml": 5}, {"toml": "x" * 50_001}):
        assert boss.put(url, json=body).status_code == 400
    r = boss.put(url, json={"toml": '[venue]\ntimezone = "Europe/London"\n'})
    assert r.status_code == 200 and r.json()["restart"] == ["Zeitzone"]
    clerk = admin_server.login("clerk1", "secret-1")
    assert clerk.get(url).status_code == 403
    assert clerk.put(url, json={"toml": "[venue]\n"}).status_code == 403


def test_ticket_text_is_printed(make_server, printer):  # noqa: F811 - fixture
    server = make_server(site=site_with_counters(1), extra=["--printer", printer.url])
    server.add_users([("boss", "secret-boss", "admin")])
    boss = server.login("boss", "secret-boss")
    text = "Bitte Ausweis und Meldebescheinigung bereithalten.\n\nFreies WLAN: Bibliothek"
    r = boss.put(server.url + "/api/admin/venue", json={"ticket_text": text})
    assert r.status_code == 200 and r.json()["ticket_text"] == text
    server.issue(1)
    job = decode(printer.wait_for_jobs(1)[0])
    assert "Ausweis und Meldebescheinigung" in job.text and "Freies WLAN" in job.text
    assert "Bitte warten Sie" not in job.text

    # Cleared: the default line again (in the ticket's language, German here).
    boss.put(server.url + "/api/admin/venue", json={"ticket_text": ""})
    server.issue(1)
    again = decode(printer.wait_for_jobs(2)[1]).text.replace("\n", " ")
    assert "Bitte warten Sie, bis Ihre Nummer aufgerufen wird." in again
    r = boss.put(server.url + "/api/admin/venue", json={"ticket_text": "x" * 301})
    assert r.status_code == 400


def test_service_names_in_other_languages(admin_server, boss):
    url = admin_server.url
    r = boss.put(
        url + "/api/admin/services/1",
        json={"names": {"en": "ID card", "tr": "Kimlik kartı"}, "descriptions": {"en": " "}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["names"] == {"en": "ID card", "tr": "Kimlik kartı"}
    assert r.json()["descriptions"] == {}  # an empty text means: as in German
    public = {s["id"]: s for s in requests.get(url + "/api/services").json()}
    assert public[1]["names"] == {"en": "ID card", "tr": "Kimlik kartı"}
    assert public[2]["names"] == {}
    ticket = admin_server.issue(1)
    status = requests.get(f"{url}/api/tickets/{ticket['token']}").json()
    assert status["service_name"] == "Personalausweis"
    assert status["service_names"]["en"] == "ID card"

    for bad in ({"de": "Ausweis"}, {"EN": "x"}, {"en": 5}, ["en"], {"en": "x" * 129}):
        r = boss.put(url + "/api/admin/services/1", json={"names": bad})
        assert r.status_code == 400 and r.json()["field"] == "names", bad

    # The site file carries them, and reads them back.
    text = boss.get(url + "/api/admin/site").json()["toml"]
    assert 'names = {en = "ID card", tr = "Kimlik kartı"}' in text
    (service,) = [s for s in parse_site(text).services if s.id == 1]
    assert service.names == {"en": "ID card", "tr": "Kimlik kartı"}
    edited = text.replace('tr = "Kimlik kartı"', 'tr = "Kimlik"')
    assert boss.put(url + "/api/admin/site", json={"toml": edited}).status_code == 200
    assert requests.get(url + "/api/services").json()[0]["names"]["tr"] == "Kimlik"


def test_service_names_in_every_visitor_language(admin_server, boss):
    """Every language of i18n.LANGUAGES but German takes a translation (Leichte Sprache's code
    "de-ls" too, written into the site file and read back at start); unknown codes are refused
    with a message naming them; an empty text removes one."""
    url = admin_server.url
    easy_name = "Ausweis machen lassen"
    names = {"tr": "Kimlik kartı", "ar": "بطاقة الهوية", "de-ls": easy_name}
    easy = "Hier bekommen Sie einen neuen Ausweis."
    r = boss.put(
        url + "/api/admin/services/1", json={"names": names, "descriptions": {"de-ls": easy}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["names"] == names and r.json()["descriptions"] == {"de-ls": easy}
    public = {s["id"]: s for s in requests.get(url + "/api/services").json()}
    assert public[1]["names"] == names and public[1]["descriptions"] == {"de-ls": easy}
    ticket = admin_server.issue(1)
    status = requests.get(f"{url}/api/tickets/{ticket['token']}").json()
    assert status["service_names"] == names

    for field, bad in (("names", "xx"), ("descriptions", "zz"), ("names", "de"), ("names", "fr")):
        r = boss.put(url + "/api/admin/services/1", json={field: {"tr": "x", bad: "x"}})
        assert r.status_code == 400, (field, bad)
        refusal = r.json()
        assert refusal["field"] == field and refusal["language"] == bad
        assert f"'{bad}' is not a language" in refusal["message"]
    r = boss.put(url + "/api/admin/services/1", json={"names": {"de-ls": "x" * 129}})
    assert r.status_code == 400 and r.json()["language"] == "de-ls"
    assert requests.get(url + "/api/services").json()[0]["names"] == names  # nothing changed

    # An empty (or blank) text removes that language: the screens show German again.
    r = boss.put(url + "/api/admin/services/1", json={"names": {**names, "ar": " "}})
    assert r.status_code == 200 and r.json()["names"] == {"tr": names["tr"], "de-ls": easy_name}
    status = requests.get(f"{url}/api/tickets/{ticket['token']}").json()
    assert status["service_names"] == {"tr": names["tr"], "de-ls": easy_name}

    # The site file: "de-ls" as a TOML key, read back alike, applied, kept across a restart.
    text = boss.get(url + "/api/admin/site").json()["toml"]
    assert f'names = {{tr = "Kimlik kartı", de-ls = "{easy_name}"}}' in text
    assert f'descriptions = {{de-ls = "{easy}"}}' in text
    (spec,) = [s for s in parse_site(text).services if s.id == 1]
    assert spec.names == {"tr": "Kimlik kartı", "de-ls": easy_name}
    assert spec.descriptions == {"de-ls": easy}
    edited = text.replace(f'de-ls = "{easy_name}"', 'de-ls = "Neuen Ausweis holen"')
    r = boss.put(url + "/api/admin/site", json={"toml": edited})
    assert r.status_code == 200 and r.json()["saved"] is True, r.text
    admin_server.stop()
    admin_server.start()  # reads the saved file with its de-ls keys
    public = requests.get(url + "/api/services").json()
    assert public[0]["names"] == {"tr": "Kimlik kartı", "de-ls": "Neuen Ausweis holen"}

    boss = admin_server.login("boss", "secret-boss")
    r = boss.put(url + "/api/admin/site", json={"toml": text.replace("de-ls = ", "xx = ", 1)})
    assert r.status_code == 400 and r.json()["field"] == "toml"
    assert "services #1: 'names': 'xx' is not a language" in r.json()["message"]


def test_a_priority_service_is_called_first_at_shared_counters(admin_server, boss):
    url = admin_server.url
    r = boss.put(url + "/api/admin/services/3", json={"priority": 1})
    assert r.status_code == 200 and r.json()["priority"] == 1
    for bad in (2, True, "1", None):
        r = boss.put(url + "/api/admin/services/3", json={"priority": bad})
        assert r.status_code == 400 and r.json()["field"] == "priority", bad
    first = admin_server.issue(1)  # A001 waits longer …
    quick = admin_server.issue(3)  # … but M001 goes first
    assert quick["position"] == 1
    clerk = admin_server.login("clerk1", "secret-1")
    called = clerk.post(url + "/api/counters/1/next").json()
    assert called["ticket"]["number"] == quick["number"]
    clerk.post(url + "/api/counters/1/finish")
    assert clerk.post(url + "/api/counters/1/next").json()["ticket"]["number"] == first["number"]

    text = boss.get(url + "/api/admin/site").json()["toml"]
    (spec,) = [s for s in parse_site(text).services if s.id == 3]
    assert spec.priority == 1
    bad = text.replace("priority = 1", "priority = 5")
    r = boss.put(url + "/api/admin/site", json={"toml": bad})
    assert r.status_code == 400 and "'priority' must be 0 or 1" in r.json()["message"]

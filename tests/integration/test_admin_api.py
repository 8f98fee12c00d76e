"""The admin API (/api/admin/…) against a real server process: roles, CSRF, services, counters,
accounts, venue and opening hours, the end of the day, and bad input."""

from __future__ import annotations

import requests

from tests.conftest import site_with_counters


def test_roles_and_csrf(admin_server, boss):
    url = admin_server.url + "/api/admin"
    assert requests.get(url + "/services").status_code == 401
    assert requests.post(url + "/services", json={}).status_code == 401
    clerk = admin_server.login("clerk1", "secret-1")
    for method, path in (
        ("GET", "/services"),
        ("POST", "/services"),
        ("GET", "/users"),
        ("PUT", "/venue"),
        ("POST", "/day/close"),
    ):
        r = clerk.request(method, url + path, json={"confirm": True})
        assert r.status_code == 403, (method, path)
        assert r.json()["error"] == "forbidden"
    no_csrf = requests.Session()
    no_csrf.cookies.update(boss.cookies)
    r = no_csrf.post(url + "/services", json={"name": "X", "prefix": "X", "minutes": 5})
    assert r.status_code == 403 and r.json()["error"] == "csrf"
    assert no_csrf.get(url + "/services").status_code == 200  # reading needs no token


def test_services_create_update_and_seen_publicly(admin_server, boss):
    url = admin_server.url
    r = boss.post(
        url + "/api/admin/services",
        json={"name": "Führungszeugnis", "prefix": "f", "minutes": 10, "description": "Antrag"},
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["prefix"] == "F" and created["id"] == 4 and created["enabled"] is True
    public = {s["id"]: s for s in requests.get(url + "/api/services").json()}
    assert public[4]["name"] == "Führungszeugnis" and public[4]["prefix"] == "F"
    assert admin_server.issue(4)["number"] == "F001"

    # The site file's services have sort 0, 1, 2; -> first (ties go by id).
    for sid, sort in ((1, 1), (2, 2), (3, 3)):
        assert boss.put(url + f"/api/admin/services/{sid}", json={"sort": sort}).ok
    r = boss.put(url + "/api/admin/services/4", json={"name": "Führungszeugnisse", "sort": 0})
    assert r.status_code == 200 and r.json()["name"] == "Führungszeugnisse"
    assert requests.get(url + "/api/services").json()[0]["name"] == "Führungszeugnisse"

    # A prefix used by another service is refused; so is bad input.
    r = boss.put(url + "/api/admin/services/4", json={"prefix": "A"})
    assert r.status_code == 409 and r.json()["field"] == "prefix"
    for bad in (
        {"name": "Y", "prefix": "ABCD", "minutes": 5},
        {"name": "Y", "prefix": "Ä1", "minutes": 5},
        {"name": "", "prefix": "Y", "minutes": 5},
        {"name": "Y", "prefix": "Y", "minutes": 0},
        {"name": "Y", "prefix": "Y", "minutes": "5"},
        {"name": "Y", "prefix": "Y", "minutes": 5, "enabled": "yes"},
        {"name": "Y", "prefix": "Y"},
    ):
        r = boss.post(url + "/api/admin/services", json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"] == "bad_request"
    assert boss.put(url + "/api/admin/services/99", json={"name": "Z"}).status_code == 404
    assert boss.put(url + "/api/admin/services/4", json={}).status_code == 400
    r = boss.post(url + "/api/admin/services", data="[1]", headers={"Content-Type": "x"})
    assert r.status_code == 400

    # Disabled: gone from the kiosk's list, still listed for the admin.
    boss.put(url + "/api/admin/services/4", json={"enabled": False})
    assert 4 not in {s["id"] for s in requests.get(url + "/api/services").json()}
    admin_list = {s["id"]: s for s in boss.get(url + "/api/admin/services").json()}
    assert admin_list[4]["enabled"] is False and len(admin_list) == 4


def test_counters_create_update(admin_server, boss):
    url = admin_server.url
    r = boss.post(url + "/api/admin/counters", json={"name": "Schalter 3", "services": [3, 1]})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": 3, "name": "Schalter 3", "enabled": True, "services": [1, 3]}
    public = {c["id"]: c for c in requests.get(url + "/api/counters").json()}
    assert public[3]["services"] == [1, 3]

    r = boss.put(url + "/api/admin/counters/3", json={"name": "Raum 3", "services": [2]})
    assert r.json()["services"] == [2]
    assert requests.get(url + "/api/counters").json()[2]["name"] == "Raum 3"
    assert boss.put(url + "/api/admin/counters/3", json={"services": [42]}).status_code == 404
    assert boss.put(url + "/api/admin/counters/3", json={"services": "1"}).status_code == 400
    assert boss.post(url + "/api/admin/counters", json={"name": "x"}).status_code == 400

    # Disabling a counter a clerk works at releases it; their called visitor waits again.
    clerk = admin_server.login("clerk1", "secret-1")
    ticket = admin_server.issue(2)
    assert clerk.post(url + "/api/counters/3/next").json()["ticket"]["number"] == ticket["number"]
    assert boss.put(url + "/api/admin/counters/3", json={"enabled": False}).status_code == 200
    assert 3 not in {c["id"] for c in requests.get(url + "/api/counters").json()}
    status = requests.get(url + f"/api/tickets/{ticket['token']}").json()
    assert status["status"] == "waiting"
    assert boss.get(url + "/api/admin/counters").json()[2]["held_by"] is None


def test_users(admin_server, boss):
    url = admin_server.url
    r = boss.post(
        url + "/api/admin/users",
        json={"username": "clerk9", "password": "geheim99", "role": "clerk", "name": "Frau Neu"},
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["name"] == "Frau Neu" and user["active"] is True
    listing = boss.get(url + "/api/admin/users").json()
    assert {u["username"] for u in listing} == {"clerk1", "boss", "clerk9"}
    assert all("password" not in key and "hash" not in key for u in listing for key in u)
    assert "geheim99" not in boss.get(url + "/api/admin/users").text

    new = admin_server.login("clerk9", "geheim99")
    assert new.get(url + "/api/me").json()["user"]["role"] == "clerk"
    assert new.post(url + "/api/counters/1/next").status_code == 200  # takes counter 1

    # Duplicate name, weak password, bad role.
    dup = {"username": "clerk9", "password": "geheim99", "role": "clerk"}
    assert boss.post(url + "/api/admin/users", json=dup).status_code == 409
    weak = {"username": "x1", "password": "123", "role": "clerk"}
    assert boss.post(url + "/api/admin/users", json=weak).status_code == 400
    bad_role = {"username": "x2", "password": "geheim99", "role": "root"}
    assert boss.post(url + "/api/admin/users", json=bad_role).status_code == 400
    assert boss.post(url + "/api/admin/users", json={"username": "a b"}).status_code == 400

    # Reset the password: the old one stops working.
    r = boss.post(url + f"/api/admin/users/{user['id']}/password", json={"password": "neu-pass"})
    assert r.status_code == 200
    bad = requests.post(url + "/api/login", json={"username": "clerk9", "password": "geheim99"})
    assert bad.status_code == 401
    admin_server.login("clerk9", "neu-pass")

    # Disable: the counter is released, the session and the login stop working.
    r = boss.put(url + f"/api/admin/users/{user['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert new.get(url + "/api/me").status_code == 401
    r = requests.post(url + "/api/login", json={"username": "clerk9", "password": "neu-pass"})
    assert r.status_code == 401
    counters = {c["id"]: c for c in boss.get(url + "/api/admin/counters").json()}
    assert counters[1]["held_by"] is None

    # The last active admin can be neither disabled nor demoted.
    boss_id = next(u["id"] for u in listing if u["username"] == "boss")
    r = boss.put(url + f"/api/admin/users/{boss_id}", json={"active": False})
    assert r.status_code == 409, r.text
    assert boss.put(url + f"/api/admin/users/{boss_id}", json={"role": "clerk"}).status_code == 409
    # With a second admin it works.
    r = boss.put(url + f"/api/admin/users/{user['id']}", json={"active": True, "role": "admin"})
    assert r.json()["role"] == "admin"
    assert boss.put(url + f"/api/admin/users/{boss_id}", json={"role": "clerk"}).status_code == 200
    assert boss.get(url + "/api/admin/users").status_code == 403  # no longer an admin


def test_venue_and_opening_hours(admin_server, boss):
    url = admin_server.url
    opening = {
        "hours": "00:00-24:00",
        "weekdays": {"sun": "10:00-12:00, 13:00-15:00"},
        "dates": [],
        "closing_margin_min": 15,
    }
    r = boss.put(
        url + "/api/admin/venue",
        json={"name": "Bürgerbüro im Rathaus", "ticker": "Willkommen!", "opening": opening},
    )
    assert r.status_code == 200, r.text
    saved = boss.get(url + "/api/admin/venue").json()
    assert saved["name"] == "Bürgerbüro im Rathaus" and saved["ticker"] == "Willkommen!"
    assert saved["opening"]["weekdays"] == {"sun": "10:00-12:00, 13:00-15:00"}
    assert (
        saved["opening"]["hours"] == "00:00-23:59" and saved["opening"]["closing_margin_min"] == 15
    )
    venue = requests.get(url + "/api/state").json()["venue"]
    assert venue["name"] == "Bürgerbüro im Rathaus" and venue["ticker"] == "Willkommen!"
    assert "Bürgerbüro im Rathaus" in requests.get(url + "/").text

    # A pop-up date in the past: closed now, and the kiosk says so.
    r = boss.put(url + "/api/admin/venue", json={"opening": {"dates": ["2020-01-01"]}})
    assert r.status_code == 200
    assert requests.get(url + "/api/state").json()["venue"]["open"] is False
    assert requests.post(url + "/api/tickets", json={"service": 1}).status_code == 409
    boss.put(url + "/api/admin/venue", json={"opening": {}})
    assert requests.get(url + "/api/state").json()["venue"]["open"] is True

    for bad in (
        {"opening": {"hours": "9-17"}},
        {"opening": {"hours": "17:00-09:00"}},
        {"opening": {"weekdays": {"mo": "09:00-12:00"}}},
        {"opening": {"weekdays": ["mon"]}},
        {"opening": {"dates": ["30.03.2026"]}},
        {"opening": {"closing_margin_min": -1}},
        {"opening": "always"},
        {"name": ""},
        {"name": 5},
        {},
    ):
        r = boss.put(url + "/api/admin/venue", json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["message"]


def test_end_of_day(admin_server, boss):
    url = admin_server.url
    clerk = admin_server.login("clerk1", "secret-1")
    waiting = admin_server.issue(1)
    serving = admin_server.issue(1)
    called = admin_server.issue(2)
    later = admin_server.issue(1)
    assert clerk.post(url + "/api/counters/1/call", json={"number": serving["number"]}).ok
    assert clerk.post(url + "/api/counters/1/start").ok
    assert clerk.post(url + "/api/counters/1/pause").ok  # paused with a visitor: still held
    admin_server.add_user("clerk2", "secret-2")
    clerk2 = admin_server.login("clerk2", "secret-2")
    assert clerk2.post(url + "/api/counters/2/call", json={"number": called["number"]}).ok

    r = boss.post(url + "/api/admin/day/close", json={})
    assert r.status_code == 400  # no confirmation
    r = boss.post(url + "/api/admin/day/close", json={"confirm": True})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["cancelled"] == 3 and result["finished"] == 1
    assert result["counters_released"] == 2

    def status(ticket):
        return requests.get(url + f"/api/tickets/{ticket['token']}").json()["status"]

    assert [status(t) for t in (waiting, serving, called, later)] == [
        "cancelled",
        "done",
        "cancelled",
        "cancelled",
    ]
    counters = boss.get(url + "/api/admin/counters").json()
    assert all(c["held_by"] is None and not c["paused"] for c in counters)
    assert all(s["waiting"] == 0 for s in requests.get(url + "/api/services").json())
    # Still the same day: numbering goes on.
    assert admin_server.issue(1)["number"] == "A004"
    # A second close ends only what came since.
    again = boss.post(url + "/api/admin/day/close", json={"confirm": True}).json()
    assert (again["cancelled"], again["finished"], again["counters_released"]) == (1, 0, 0)


# --- printer ----------------------------------------------------------------------------------
def raw_get(server, path: str, cookies=None) -> int:
    """GET a path exactly as written (requests would resolve ../ before sending it)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {}
    if cookies is not None:
        headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in cookies)
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 10.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_printer_test_page_and_virtual_tickets(admin_server, boss):
    url = admin_server.url
    folder = admin_server.data_dir / "tickets"
    before = set(folder.iterdir()) if folder.exists() else set()
    assert boss.get(url + "/api/admin/printer/tickets").json() == []

    r = boss.post(url + "/api/admin/printer/test", json={})
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["url"] == "virtual" and state["online"] is True and state["last_error"] is None
    new = set(folder.iterdir()) - before
    assert len(new) == 1 and next(iter(new)).name.endswith("_job.bin")
    assert boss.get(url + "/api/admin/printer/tickets").json() == []  # no PNG for a test page

    first, second = admin_server.issue(1), admin_server.issue(2)
    tickets = wait_for(
        lambda: (t := boss.get(url + "/api/admin/printer/tickets").json()) and len(t) == 2 and t
    )
    assert tickets, "the virtual printer did not store both tickets"
    assert [t["number"] for t in tickets] == [second["number"], first["number"]]  # newest first
    newest = tickets[0]
    assert newest["name"] == f"{newest['day']}_{second['number']}.png"
    assert newest["url"] == f"/admin/printer/tickets/{newest['name']}"
    image = boss.get(url + newest["url"])
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["Cache-Control"] == "no-store"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")

    # Only names the virtual printer writes; nothing outside tickets/.
    (admin_server.data_dir / "secret.png").write_bytes(b"\x89PNG secret")
    bin_name = newest["name"].replace(".png", ".bin")
    for path in (
        "/admin/printer/tickets/../secret.png",
        "/admin/printer/tickets/..%2fsecret.png",
        "/admin/printer/tickets/%2e%2e%2fsecret.png",
        "/admin/printer/tickets/%2e%2e",
        "/admin/printer/tickets/..",
        f"/admin/printer/tickets/{bin_name}",
        f"/admin/printer/tickets/{newest['name']}%00",
        f"/admin/printer/tickets/.{newest['name']}",
        "/admin/printer/tickets/2026-01-01_A999.png",
        "/admin/printer/tickets/%2fetc%2fpasswd",
    ):
        status = raw_get(admin_server, path, boss.cookies)
        assert status == 404, (path, status)

    # Admins only: anonymous 401, clerks 403 (API and image alike).
    clerk = admin_server.login("clerk1", "secret-1")
    assert requests.get(url + newest["url"]).status_code == 401
    assert clerk.get(url + newest["url"]).status_code == 403
    assert requests.get(url + "/api/admin/printer/tickets").status_code == 401
    assert clerk.get(url + "/api/admin/printer/tickets").status_code == 403
    assert requests.post(url + "/api/admin/printer/test", json={}).status_code == 401
    assert clerk.post(url + "/api/admin/printer/test", json={}).status_code == 403
    no_csrf = requests.Session()
    no_csrf.cookies.update(boss.cookies)
    r = no_csrf.post(url + "/api/admin/printer/test", json={})
    assert r.status_code == 403 and r.json()["error"] == "csrf"


def test_printer_test_page_unreachable_and_none(make_server):
    from tests.conftest import free_port

    url_tcp = f"tcp://127.0.0.1:{free_port()}?timeout=2"
    server = make_server(site=site_with_counters(1), extra=["--printer", url_tcp])
    server.add_users([("boss", "secret-boss", "admin")])
    boss = server.login("boss", "secret-boss")
    r = boss.post(server.url + "/api/admin/printer/test", json={})
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["error"] == "printer_unavailable" and "127.0.0.1" in body["message"]
    assert body["printer"]["online"] is False and body["printer"]["last_error"]
    assert boss.get(server.url + "/api/admin/printer/tickets").json() == []  # not virtual
    assert boss.get(server.url + "/admin/printer/tickets/2026-01-01_A001.png").status_code == 404

    none = make_server(site=site_with_counters(1), extra=["--printer", "none"])
    none.add_users([("boss", "secret-boss", "admin")])
    boss = none.login("boss", "secret-boss")
    r = boss.post(none.url + "/api/admin/printer/test", json={})
    assert r.status_code == 409 and r.json()["error"] == "no_printer"
    assert boss.get(none.url + "/api/admin/printer/tickets").json() == []

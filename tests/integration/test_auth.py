"""Login, CSRF, roles, throttling and counter ownership, against a real server."""

from __future__ import annotations

import time

import requests

from tests.conftest import site_with_counters

ACTIONS = ["next", "recall", "no-show", "finish", "transfer", "pause", "resume", "start", "requeue"]


def test_clerk_actions_need_login_and_csrf(server):
    server.issue(1)
    for action in ACTIONS:
        r = requests.post(f"{server.url}/api/counters/1/{action}", json={"service": 2})
        assert r.status_code in (401, 403), (action, r.status_code)
        assert r.json()["error"]

    session = requests.Session()
    r = session.post(server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"})
    assert r.status_code == 200
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    no_token = session.post(server.url + "/api/counters/1/next")
    assert no_token.status_code == 403 and no_token.json()["error"] == "csrf"
    bad = session.post(server.url + "/api/counters/1/next", headers={"X-CSRFToken": "forged"})
    assert bad.status_code == 403
    good = session.post(
        server.url + "/api/counters/1/next", headers={"X-CSRFToken": r.json()["csrf_token"]}
    )
    assert good.status_code == 200 and good.json()["ticket"]["number"] == "A001"


def test_bad_credentials_and_throttling(server):
    r = requests.post(server.url + "/api/login", json={"username": "clerk1", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"
    r = requests.post(server.url + "/api/login", json={"username": "ghost", "password": "nope"})
    assert r.status_code == 401
    codes = [
        requests.post(
            server.url + "/api/login", json={"username": "clerk1", "password": "x"}
        ).status_code
        for _ in range(12)
    ]
    assert 429 in codes
    assert codes[: codes.index(429)] == [401] * codes.index(429)
    # Throttled: even the right password is refused for now.
    r = requests.post(
        server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"}
    )
    assert r.status_code == 429 and r.json()["error"]


def test_a_counter_belongs_to_one_clerk(server):
    server.issue(1)
    server.issue(1)
    one = server.login("clerk1", "secret-1")
    two = server.login("clerk2", "secret-2")
    assert one.post(server.url + "/api/counters/1/next").status_code == 200
    taken = two.post(server.url + "/api/counters/1/next")
    assert taken.status_code == 409
    assert taken.json()["held_by"] == "clerk1"
    for action in ("recall", "finish", "pause"):
        assert two.post(f"{server.url}/api/counters/1/{action}").status_code == 409
    assert two.post(server.url + "/api/counters/2/next").json()["ticket"]["number"] == "A002"
    # After logging out, the counter is free again.
    assert one.post(server.url + "/api/logout").status_code == 200
    assert one.post(server.url + "/api/counters/1/next").status_code == 401
    assert requests.get(server.url + "/api/counters").json()[0]["staffed"] is False


def test_me_returns_a_fresh_csrf_token(server):
    session = server.login("clerk1", "secret-1")
    me = session.get(server.url + "/api/me").json()
    assert me["user"]["username"] == "clerk1" and me["csrf_token"]
    assert requests.get(server.url + "/api/me").status_code == 401


def test_visitor_tokens_are_unguessable(server):
    tokens = {server.issue(1)["token"] for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 22 for t in tokens)
    for probe in ("1", "A001", "../../etc/passwd", "x" * 30, "%00"):
        r = requests.get(f"{server.url}/api/tickets/{probe}")
        assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_a_kiosk_issuing_faster_than_a_person_is_slowed_down(make_server):
    site = site_with_counters(1) + "\n[kiosk]\nburst = 2\nseconds_per_ticket = 4\n"
    server = make_server(site=site)
    kiosk = requests.Session()
    kiosk.headers["X-Wartemarke-Device"] = "kiosk-entrance-01"
    url = server.url + "/api/tickets"
    started = time.monotonic()
    codes = [kiosk.post(url, json={"service": 1}).status_code for _ in range(2)]
    # Bounds with room for a busy machine: a held-back ticket would take 4 s.
    assert codes == [201, 201] and time.monotonic() - started < 3.0
    refused = kiosk.post(url, json={"service": 1})  # would need ~4 s: refused at once
    assert refused.status_code == 429 and refused.json()["retry_after"] >= 3
    time.sleep(1.5)
    held = time.monotonic()
    assert kiosk.post(url, json={"service": 1}).status_code == 201  # held back ~2.5 s
    assert 1.5 <= time.monotonic() - held < 5.0
    assert kiosk.post(url, json={"service": 1}).status_code == 429
    # Another kiosk, and integrations without a device id, are not affected.
    other = requests.post(url, json={"service": 1}, headers={"X-Wartemarke-Device": "kiosk-2nd-0"})
    assert other.status_code == 201
    assert requests.post(url, json={"service": 1}).status_code == 201


def test_by_default_an_integration_is_never_refused(make_server):
    server = make_server(site=site_with_counters(1))
    session = requests.Session()
    codes = {
        session.post(server.url + "/api/tickets", json={"service": 1 + i % 3}).status_code
        for i in range(250)  # more than any sensible per-minute limit would let through
    }
    assert codes == {201}


def test_integrations_are_limited_per_address(make_server):
    server = make_server(
        site=site_with_counters(1), env={"WARTEMARKE_TICKET_LIMIT": "5 per minute"}
    )
    codes = [
        requests.post(server.url + "/api/tickets", json={"service": 1}).status_code
        for _ in range(7)
    ]
    assert codes == [201] * 5 + [429] * 2


def test_a_new_password_ends_the_older_sessions(admin_server, boss):
    url = admin_server.url
    phone, desk = admin_server.login("clerk1", "secret-1"), admin_server.login("clerk1", "secret-1")
    assert phone.get(url + "/api/me").status_code == 200
    clerk_id = phone.get(url + "/api/me").json()["user"]["id"]
    r = boss.post(f"{url}/api/admin/users/{clerk_id}/password", json={"password": "fresh-pass"})
    assert r.status_code == 200
    for old in (phone, desk):  # e.g. a session left open on a lost tablet
        assert old.get(url + "/api/me").status_code == 401
    assert admin_server.login("clerk1", "fresh-pass").get(url + "/api/me").status_code == 200
    # An admin changing their own password stays logged in, with the new password only.
    boss_id = boss.get(url + "/api/me").json()["user"]["id"]
    r = boss.put(f"{url}/api/admin/users/{boss_id}", json={"password": "new-boss-pass"})
    assert r.status_code == 200
    assert boss.get(url + "/api/me").status_code == 200
    assert boss.get(url + "/api/admin/venue").status_code == 200
    bad = requests.post(url + "/api/login", json={"username": "boss", "password": "secret-boss"})
    assert bad.status_code == 401


def test_login_only_as_json_so_no_other_site_can_log_a_browser_in(server):
    # A cross-site HTML form can send text/plain or form data, never application/json.
    body = '{"username": "clerk1", "password": "secret-1"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        r = requests.post(server.url + "/api/login", data=body, headers=headers)
        assert r.status_code == 400 and "JSON" in r.json()["message"], content_type
        assert "Set-Cookie" not in r.headers
    assert server.login("clerk1", "secret-1").get(server.url + "/api/me").status_code == 200


def test_names_with_control_characters_are_refused(boss, admin_server):
    url = admin_server.url
    for name in ("Pass\x00port", "Ausweis\x1b[2J", "Melde\x07"):
        r = boss.put(url + "/api/admin/services/1", json={"name": name})
        assert r.status_code == 400 and r.json()["field"] == "name", name
    r = boss.put(url + "/api/admin/venue", json={"ticket_text": "Zeile 1\r\nZeile 2\tTab"})
    assert r.status_code == 200
    assert boss.get(url + "/api/admin/venue").json()["ticket_text"] == "Zeile 1\nZeile 2\tTab"

"""Who may do what, proven on every route of the real app (routes.py), plus the security headers
on every page and file, the cookies, the visitor tokens and the Socket.IO namespaces.

test_auth.py and test_admin_api.py have examples of each rule; here each rule is checked on all
routes, so a new route that forgets its decorator fails.
"""

from __future__ import annotations

import base64
import contextlib
import queue
import threading

import pytest
import requests
import socketio

from tests.conftest import site_with_counters
from tests.integration.routes import (
    ADMIN,
    BODIES,
    CHANGING,
    PUBLIC,
    QUERIES,
    STAFF,
    db_digest,
    inventory,
    routes,
)
from tests.integration.test_flow import Listener, Phone
from tests.integration.test_printing import wait_until


@pytest.fixture(scope="module")
def site(make_module_server):
    """One admin server (clerk1, boss) for the module, with a few tickets and a printed ticket
    image. The tests are refused, or put back what they change."""
    admin_server = make_module_server(site=site_with_counters(2), clerks=1)
    admin_server.add_users([("boss", "secret-boss", "admin")])
    boss = admin_server.login("boss", "secret-boss")
    tickets = [admin_server.issue(1) for _ in range(3)]
    images = wait_until(lambda: boss.get(admin_server.url + "/api/admin/printer/tickets").json())
    return admin_server, boss, tickets, images[0]["name"]


def values_for(tickets: list) -> dict:
    return {
        "token": tickets[0]["token"],
        "number": tickets[0]["number"],
        "counter_id": 1,
        "service_id": 1,
        "user_id": 1,
        "event_id": 1,
        "appointment_id": 1,
        "action": "next",
        "name": "hours",
        "filename": "x",
    }


def url_of(route, tickets, image="x.png") -> str:
    values = values_for(tickets)
    if route.rule == "/admin/printer/tickets/<name>":
        values["name"] = image
    query = "&".join(f"{k}={v}" for k, v in QUERIES.get(route.key, {}).items())
    return route.url(**values) + (f"?{query}" if query else "")


def body_of(route) -> dict:
    body = BODIES.get(route.key) or {}
    return {k: v for k, v in body.items() if v != "<site>"} | (
        {"toml": "[venue]\nname = 'x'\n"} if "toml" in body else {}
    )


def snapshot(server) -> tuple:
    return requests.get(server.url + "/api/state").json(), db_digest(server.data_dir)


def assert_refusal(r: requests.Response, status: int, error: str, where) -> None:
    assert r.status_code == status, (where, r.status_code, r.text[:300])
    if r.headers["Content-Type"].startswith("application/json"):
        assert r.json()["error"] == error, (where, r.text)
        assert r.json()["message"], where
    else:  # the admin's pages answer people in words
        assert r.headers["Content-Type"].startswith("text/plain"), where
        assert len(r.text.strip()) > 10, where


# --- the inventory ----------------------------------------------------------------------------


def test_every_route_is_classified():
    """A route nobody classified fails here: decide who may use it (routes.py) first."""
    found = {r.key for r in routes()}
    unclassified = sorted(k for k in found if k not in PUBLIC and k not in STAFF | ADMIN)
    assert not unclassified, f"classify these routes in tests/integration/routes.py: {unclassified}"
    assert not (set(PUBLIC) & (STAFF | ADMIN)) and not STAFF & ADMIN
    stale = sorted((set(PUBLIC) | STAFF | ADMIN | set(BODIES) | set(QUERIES)) - found)
    assert not stale, f"routes.py names routes the app no longer has: {stale}"
    changing = {r.key for r in routes() if r.method in CHANGING}
    assert changing <= set(BODIES), f"give a valid body in routes.BODIES: {changing - set(BODIES)}"
    assert len(inventory().static_urls()) >= 20


# --- the access matrix ------------------------------------------------------------------------


def test_anonymous_is_refused_on_every_staff_and_admin_route(site):
    server, _boss, tickets, image = site
    before = snapshot(server)
    anonymous = requests.Session()
    for route in routes():
        if route.access == "public":
            continue
        r = anonymous.request(
            route.method, server.url + url_of(route, tickets, image), json=body_of(route)
        )
        assert_refusal(r, 401, "login_required", route.key)
    assert snapshot(server) == before


def test_a_clerk_is_refused_on_every_admin_route(site):
    server, _boss, tickets, image = site
    clerk = server.login("clerk1", "secret-1")
    before = snapshot(server)
    for route in routes():
        if route.access != "admin":
            continue
        r = clerk.request(
            route.method, server.url + url_of(route, tickets, image), json=body_of(route)
        )
        assert_refusal(r, 403, "forbidden", route.key)
    assert snapshot(server) == before
    # …while the staff routes' reads are open to them.
    for route in routes():
        if route.access == "staff" and route.method == "GET":
            assert clerk.get(server.url + url_of(route, tickets)).status_code == 200, route.key


def test_every_change_needs_the_csrf_token(site):
    server, boss, tickets, image = site
    clerk = server.login("clerk1", "secret-1")
    # Another session's token is no good, nor is a real one with a changed signature.
    foreign = server.login("clerk1", "secret-1").headers["X-CSRFToken"]
    real = boss.headers["X-CSRFToken"]
    mangled = real[:-2] + ("yy" if real.endswith("xx") else "xx")
    before = snapshot(server)
    for route in routes():
        if route.access == "public" or route.method not in CHANGING:
            continue
        session = clerk if route.access == "staff" else boss
        url = server.url + url_of(route, tickets, image)
        for token in (None, "forged", "", mangled, foreign):
            r = session.request(
                route.method, url, json=body_of(route), headers={"X-CSRFToken": token}
            )
            assert_refusal(r, 403, "csrf", (route.key, token))
        # flask-wtf also reads a form field: a forged one there is refused the same way.
        r = session.request(
            route.method,
            url,
            data={"csrf_token": "forged"},
            files={"file": ("t.csv", b"x")},
            headers={"X-CSRFToken": None},
        )
        assert_refusal(r, 403, "csrf", (route.key, "form field"))
    assert snapshot(server) == before
    # Reads need no token.
    assert requests.Session().get(server.url + "/api/state").status_code == 200
    no_token = requests.Session()
    no_token.cookies.update(boss.cookies)
    assert no_token.get(server.url + "/api/admin/users").status_code == 200


def test_a_disabled_account_is_locked_out_at_once(site):
    """The old session, its live /staff socket and a new login all stop working."""
    server, boss, tickets, _image = site
    clerk = server.login("clerk1", "secret-1")
    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
    staff = Listener(server.url, "/staff", headers={"Cookie": cookie})
    try:
        staff.next("snapshot")
        assert clerk.post(server.url + "/api/counters/1/next").status_code == 200
        users = boss.get(server.url + "/api/admin/users").json()
        clerk_id = next(u["id"] for u in users if u["username"] == "clerk1")
        r = boss.put(f"{server.url}/api/admin/users/{clerk_id}", json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        assert_refusal(clerk.get(server.url + "/api/me"), 401, "login_required", "me")
        r = clerk.post(server.url + "/api/counters/1/finish")
        assert_refusal(r, 401, "login_required", "finish")
        # The live socket is dropped: it must not go on showing the day's tickets.
        wait_until(lambda: not staff.client.connected, timeout=10)
    finally:
        staff.close()
    assert not staff_connects(server, cookie)
    r = requests.post(
        server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"}
    )
    assert r.status_code == 401
    # Enabled again: the same password works again.
    assert boss.put(f"{server.url}/api/admin/users/{clerk_id}", json={"active": True}).ok
    assert server.login("clerk1", "secret-1").get(server.url + "/api/me").status_code == 200


# --- Socket.IO ---------------------------------------------------------------------------------


def staff_connects(server, cookie: str | None) -> bool:
    """Whether the staff namespace takes this cookie (connect() waits for its answer)."""
    client = socketio.Client(reconnection=False)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        client.connect(
            server.url,
            namespaces=["/staff"],
            transports=["websocket"],
            headers={"Cookie": cookie} if cookie is not None else {},
            wait_timeout=3,
        )
    result = client.connected and "/staff" in client.namespaces
    client.disconnect()
    return result


def test_staff_namespace_refuses_forged_and_foreign_cookies(site):
    server, _boss, _tickets, _image = site
    clerk = server.login("clerk1", "secret-1")
    real = clerk.cookies["session"]
    payload, _, signature = real.rpartition(".")
    for cookie in (
        None,
        "session=",
        "session=" + real[:-3] + "abc",  # signature broken
        "session=" + payload + "." + signature[::-1],
        "session=eyJfdXNlcl9pZCI6IjEifQ.Zz.xx",  # {"_user_id": "1"} unsigned
        "remember_token=1|" + "a" * 64,
        "session=" + "A" * 4000,
    ):
        assert not staff_connects(server, cookie), cookie
    assert staff_connects(server, f"session={real}")


def test_ticket_namespace_refuses_unknown_and_near_miss_tokens(site):
    server, _boss, tickets, _image = site
    token = tickets[0]["token"]
    flip = "A" if token[5] != "A" else "B"
    for auth in [
        None,
        {},
        {"token": None},
        {"token": 12345},
        {"token": [token]},
        {"token": {"$ne": ""}},
        {"token": token[:-1]},
        {"token": token + "x"},
        {"token": token[:5] + flip + token[6:]},
        {"token": token.swapcase()},
        {"token": token + "\x00"},
        {"token": " " + token},
        {"token": "%"},
    ]:
        client = socketio.Client(reconnection=False)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            client.connect(
                server.url,
                namespaces=["/ticket"],
                transports=["websocket"],
                auth=auth,
                wait_timeout=3,
            )
        assert "/ticket" not in client.namespaces, auth
        client.disconnect()
    phone = Phone(server.url, token)  # the real one still works
    try:
        assert phone.next("status")["number"] == tickets[0]["number"]
    finally:
        phone.close()


STAFF_LIKE_EVENTS = [
    "next",
    "call",
    "recall",
    "finish",
    "no-show",
    "transfer",
    "pause",
    "release",
    "counters",
    "ticket",
    "queue",
    "snapshot",
    "close_day",
    "login",
    "devices",
    "printer",
]


def test_display_and_phone_clients_cannot_act_as_staff(site):
    server, _boss, tickets, _image = site
    watcher = Listener(server.url)  # a second wall display: must see no call
    watcher.next("snapshot")
    wall = socketio.Client(reconnection=False)
    wall.connect(server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=5)
    phone = Phone(server.url, tickets[1]["token"])
    phone.next("status")
    leaked: list = []
    for event in ("ticket", "counters", "printer", "devices"):
        wall.on(event, lambda data, e=event: leaked.append((e, data)), namespace="/display")
    before = snapshot(server)
    try:
        for event in STAFF_LIKE_EVENTS:
            for payload in ({"counter": 1}, {"counter": 1, "number": tickets[0]["number"]}, 1):
                wall.emit(event, payload, namespace="/display")
                phone.client.emit(event, payload, namespace="/ticket")
        # Staff's namespace without connecting to it: the server drops such packets.
        wall.eio.send('2/staff,["snapshot",{}]')
        wall.emit("display_status", {"sound": "blocked"}, namespace="/display")  # no device
        # A round trip on each, so everything sent above has been handled.
        got = threading.Event()
        wall.on("snapshot", lambda _d: got.set(), namespace="/display")
        wall.emit("snapshot", None, namespace="/display")
        assert got.wait(5)
        phone.client.emit("snapshot", None, namespace="/ticket")
        assert phone.next("status")["status"] == "waiting"
        assert snapshot(server) == before
        assert not leaked
        with pytest.raises(queue.Empty):  # no call was made
            watcher.next("call", timeout=0.5)
        assert "Traceback" not in server.log()
    finally:
        watcher.close()
        phone.close()
        wall.disconnect()


# --- cookies, headers, tokens -------------------------------------------------------------------


def test_every_cookie_is_httponly_and_samesite(site):
    server, _boss, tickets, _image = site
    anonymous = requests.Session()
    public: list[str] = []
    for route in routes():
        if route.method == "GET" and route.access == "public" and not route.static:
            public += set_cookies(anonymous.get(server.url + url_of(route, tickets)))
    # A visitor who only looks at screens gets no cookie at all ...
    assert public == []
    # ... unless choosing a language with ?lang=: remembered, and nothing else in it.
    chosen = set_cookies(anonymous.get(server.url + "/kiosk/?lang=tr"))
    assert len(chosen) == 1 and chosen[0].startswith("wartemarke_lang=tr;")
    assert "HttpOnly" in chosen[0] and "SameSite=Lax" in chosen[0]
    seen = set_cookies(
        requests.post(server.url + "/api/login", json={"username": "clerk1", "password": "x"})
    )
    clerk = requests.Session()
    r = clerk.post(server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"})
    seen += set_cookies(r)
    clerk.headers["X-CSRFToken"] = r.json()["csrf_token"]
    for path in ("/api/me", "/api/queue"):
        seen += set_cookies(clerk.get(server.url + path))
    seen += set_cookies(clerk.post(server.url + "/api/counters/1/next"))
    seen += set_cookies(clerk.post(server.url + "/api/logout"))
    assert any(c.lower().startswith("session=") for c in seen), seen
    for cookie in seen:
        attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
        assert "httponly" in attributes, cookie
        assert attributes.get("samesite", "").lower() in ("samesite=lax", "samesite=strict"), cookie


def set_cookies(r: requests.Response) -> list[str]:
    return r.raw.headers.getlist("Set-Cookie")


def csp_of(r: requests.Response) -> dict[str, str]:
    policy = r.headers.get("Content-Security-Policy", "")
    return {d.strip().split()[0]: d.strip() for d in policy.split(";") if d.strip()}


def assert_secure_headers(r: requests.Response, where) -> None:
    h = r.headers
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") in ("no-referrer", "same-origin"), where
    csp = csp_of(r)
    assert "frame-ancestors" in csp, (where, csp)
    scripts = csp.get("script-src", csp.get("default-src", ""))
    assert scripts, (where, csp)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (where, csp)
    if r.url.split("/", 3)[3].startswith("api/"):
        assert "no-store" in h.get("Cache-Control", ""), where


def test_security_headers_on_every_page_file_and_answer(site):
    server, boss, tickets, image = site
    anonymous = requests.Session()
    checked = 0
    for route in routes():
        if route.method != "GET" or route.static:
            continue
        session = anonymous if route.access == "public" else boss
        r = session.get(server.url + url_of(route, tickets, image))
        assert r.status_code in (200, 503), (route.key, r.status_code, r.text[:200])
        assert_secure_headers(r, route.key)
        checked += 1
        if route.access != "public":  # the refusal carries them too
            assert_secure_headers(
                anonymous.get(server.url + url_of(route, tickets, image)), route.key
            )
    for url in inventory().static_urls():
        r = anonymous.get(server.url + url)
        assert r.status_code == 200, url
        assert_secure_headers(r, url)
        checked += 1
    for path in ("/nothing", "/api/nothing", "/t/unknown-token-00000000", "/kiosk/static/nope.js"):
        assert_secure_headers(anonymous.get(server.url + path), path)
    # The changing API answers, successful or not, are never cached either.
    clerk = server.login("clerk1", "secret-1")
    for r in (
        clerk.post(server.url + "/api/counters/1/pause"),
        anonymous.post(server.url + "/api/tickets", json={"service": 1}),
        anonymous.post(server.url + "/api/tickets", json={"service": 99}),
        anonymous.post(server.url + "/api/login", json={"username": "x", "password": "y"}),
    ):
        assert_secure_headers(r, r.request.path_url)
    assert checked > 40


def test_visitor_tokens_are_long_random_and_not_enumerable(site):
    server, _boss, tickets, _image = site
    tokens = [t["token"] for t in tickets] + [server.issue(2)["token"] for _ in range(20)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128, token
    # No shared structure: every position takes many values across the tokens.
    assert all(len({t[i] for t in tokens}) > 5 for i in range(len(tokens[0])))
    token = tokens[0]
    flip = "A" if token[3] != "A" else "B"
    near = [
        token[:-1],
        token[:16],
        token + "A",
        token[:3] + flip + token[4:],
        token.swapcase(),
        token.upper(),
        token[::-1],
        "A" * len(token),
        "x" * 64,
    ]
    client = requests.Session()
    answers: dict[str, set] = {}
    for probe in near:
        for kind, method, path, body in (
            ("status", "GET", f"/api/tickets/{probe}", None),
            ("qr", "GET", f"/api/tickets/{probe}/qr.svg", None),
            ("page", "GET", f"/t/{probe}", None),
            ("cancel", "POST", f"/api/tickets/{probe}/cancel", None),
            ("district", "POST", f"/api/tickets/{probe}/district", {"district": "3"}),
            ("feedback", "POST", f"/api/tickets/{probe}/feedback", {"rating": 3}),
        ):
            r = client.request(method, server.url + path, json=body)
            assert r.status_code == 404, (kind, probe, r.status_code)
            answers.setdefault(kind, set()).add(r.text)
    # Nothing to tell one unknown token from another (nor from a malformed one).
    assert all(len(bodies) == 1 for bodies in answers.values()), answers
    assert client.get(server.url + f"/api/tickets/{token}").status_code == 200


def test_a_report_or_chart_cannot_be_framed_elsewhere(site):
    """The admin's own pages with their own policy keep frame-ancestors."""
    server, boss, _tickets, _image = site
    for path in ("/admin/report", "/admin/stats/chart/hours.svg"):
        r = boss.get(server.url + path)
        assert r.status_code == 200
        csp = csp_of(r)
        assert csp.get("frame-ancestors") in ("frame-ancestors 'self'", "frame-ancestors 'none'")
        assert csp.get("default-src") == "default-src 'none'"

"""Hostile input on every Socket.IO namespace and event, against a real server process.

Real python-socketio clients emit hostile payloads on every event the server handles (read
from the app, routes.inventory().events) and connect with hostile auth payloads; a plain
websocket sends malformed Engine.IO/Socket.IO packets; plain HTTP sends malformed polling
requests to /socket.io/. Meanwhile a wall display must keep receiving calls, nothing may
change, and the log must stay free of tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import queue
import time

import pytest
import requests
import socketio
import websocket

from tests.conftest import site_with_counters
from tests.integration.routes import db_digest, inventory
from tests.integration.test_flow import Listener, Phone

# Who may connect where; a handler in a namespace not listed here fails the first test.
NAMESPACES = {
    "/display": "anyone (wall screens, kiosks, other city systems)",
    "/ticket": "a phone with its ticket's token",
    "/staff": "clerks and admins (session cookie)",
}
EVENTS = {
    ("/display", "connect"),
    ("/display", "disconnect"),
    ("/display", "display_status"),
    ("/display", "snapshot"),
    ("/ticket", "connect"),
    ("/ticket", "disconnect"),
    ("/ticket", "snapshot"),
    ("/staff", "connect"),
    ("/staff", "disconnect"),
    ("/staff", "snapshot"),
}

PAYLOADS: list = [
    None,
    0,
    -1,
    2**63,
    10**300,
    1.5,
    float("inf"),
    True,
    "",
    "x" * 200_000,
    "\u202e\u200b😀\ud800",
    "<script>alert(1)</script>",
    [],
    [None, 1, "a", [], {}],
    list(range(5000)),
    {},
    {"sound": None},
    {"sound": "blocked", "speech": ["server"]},
    {"sound": ["ok"], "speech": {"a": 1}},
    {"sound": "x" * 10_000},
    {"token": "x" * 64},
    {"device": "lobby-1", "kind": "staff"},
    {"a": {"b": {"c": {"d": [{"e": None}] * 50}}}},
    json.loads("[" * 400 + "]" * 400),  # deep, but within the client's own encoder
    {str(i): i for i in range(2000)},
    b"\x00\xff" * 1000,  # binary: an attachment packet
    (1, "two", {"three": 3}),  # several arguments
    ("snapshot", b"\x01", None),
]

AUTHS: list = [
    None,
    "string auth",
    12345,
    [1, 2, 3],
    {},
    {"token": None},
    {"token": 5},
    {"token": ["a"] * 10},
    {"token": "x" * 100_000},
    {"token": "\ud800" * 20},
    {"token": "../../../../etc/passwd_xxxx"},
    {"device": None, "kind": None},
    {"device": "x" * 65, "kind": "display"},
    {"device": "ok-device-1", "kind": "toaster"},
    {"device": "ok-device-2", "kind": ["display"]},
    {"device": {"$gt": ""}},
    {"device": "\u202eevil-device", "kind": "kiosk"},
    {"a": {"b": {"c": [None] * 1000}}},
    {"x" * 1000: "y" * 100_000},
]

# Raw Engine.IO/Socket.IO text frames after a valid "40/display," connect.
RAW_FRAMES: list = [
    "",
    "x",
    "9",
    "4",
    "49",
    "4x/display,",
    "40/nope,",
    "40/staff,",  # no cookie: refused
    "40/ticket,{}",
    '40/ticket,{"token":"' + "A" * 24 + '"}',
    "40/display,not json",
    "42/display,",
    "42/display,[",
    "42/display,{}",
    '42/display,"snapshot"',
    "42/display,[123]",
    "42/display,[null]",
    '42/display,["connect"]',
    '42/display,["disconnect", {}]',
    '42/display,["snapshot"',
    '42/display,["display_status",' + "[" * 5000 + "]" * 5000 + "]",
    "42/display," + "[" * 100_000,
    '42/display,["snapshot",' + '{"a":' * 3000 + "1" + "}" * 3000 + "]",
    '42/display,["display_status",{"sound":"blocked"}]',  # no device: ignored
    '42/staff,["snapshot"]',  # not connected there
    "421/display,[]",
    '4299999999999999999999999/display,["snapshot"]',  # an ack id past any integer
    "43/display,1[]",
    "43/display,[]",
    "44/display,{}",
    '451-/display,["snapshot",{"_placeholder":true,"num":0}]',  # attachment never sent
    '452-/display,["snapshot",{"_placeholder":true,"num":7}]',
    '45x-/display,["snapshot"]',
    "46/display,[]",
    "41/nope,",
    '42/display,["' + "e" * 100_000 + '"]',
    "2",  # a ping from the client: servers do not answer those in EIO 4
    "3",  # an unsolicited pong
    "2probe",
    "5",
    "6",
    "1",  # close
]


def test_every_event_is_known():
    """A new namespace or event shows up here: add it above, fuzz it, decide who may use it."""
    assert set(inventory().events) == EVENTS
    assert {ns for ns, _ in inventory().events} == set(NAMESPACES)


@pytest.fixture(scope="module")
def server(make_module_server):
    """One server for the module: nothing sent here may change it, and each check of the
    server's health adds only its own ticket and call."""
    return make_module_server(site=site_with_counters(2), clerks=2)


@pytest.fixture
def live(server):
    """The server, a logged-in clerk and a wall display that must keep receiving calls."""
    clerk = server.login("clerk1", "secret-1")
    watcher = Listener(server.url)
    watcher.next("snapshot")
    yield server, clerk, watcher
    watcher.close()


def still_serving(server, clerk, watcher, number_of_calls: list) -> None:
    """The watcher sees a new call, health is fine, and the log has no traceback."""
    server.issue(1)
    r = clerk.post(server.url + "/api/counters/1/next")
    assert r.status_code == 200, r.text
    called = r.json()["ticket"]["number"]
    deadline = time.monotonic() + 10
    while True:
        call = watcher.next("call", timeout=max(0.1, deadline - time.monotonic()))
        if call["number"] == called:
            break
    number_of_calls.append(call["number"])
    assert requests.get(server.url + "/api/health", timeout=5).json()["ok"] is True
    assert "Traceback" not in server.log(), server.log()[-3000:]


def state_of(server) -> tuple:
    return requests.get(server.url + "/api/state").json(), db_digest(server.data_dir)


def cookie_of(session: requests.Session) -> str:
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def round_trip(client: socketio.Client, namespace: str, answer: str, timeout: float = 10):
    """Emit "snapshot" and wait for its answer: everything emitted before has been handled."""
    got: queue.Queue = queue.Queue()
    client.on(answer, got.put, namespace=namespace)
    client.emit("snapshot", namespace=namespace)
    return got.get(timeout=timeout)


def test_hostile_payloads_on_every_event(live):
    server, clerk, watcher = live
    calls: list = []
    ticket = server.issue(2)
    display = socketio.Client(reconnection=False)
    display.connect(
        server.url,
        namespaces=["/display"],
        transports=["websocket"],
        auth={"device": "fuzz-wall-1", "kind": "display"},
        wait_timeout=5,
    )
    phone = Phone(server.url, ticket["token"])
    phone.next("status")
    staff = Listener(server.url, "/staff", headers={"Cookie": cookie_of(clerk)})
    staff.next("snapshot")
    clients = {"/display": display, "/ticket": phone.client, "/staff": staff.client}
    answers = {"/display": "snapshot", "/ticket": "status", "/staff": "snapshot"}
    before = state_of(server)
    try:
        for namespace, event in sorted(EVENTS):
            if event in ("connect", "disconnect"):
                continue  # reserved names; hostile connects are the next test
            client = clients[namespace]
            for payload in PAYLOADS:  # a tuple is sent as several arguments
                client.emit(event, payload, namespace=namespace)
            # Also events the server never registered, on every namespace.
            for stray in ("next", "finish", "call", "message", "x" * 1000, "\ud800"):
                client.emit(stray, {"counter": 1}, namespace=namespace)
            assert round_trip(client, namespace, answers[namespace]), (namespace, event)
        assert state_of(server) == before
        assert all(client.connected for client in clients.values())
        # The staff's list of screens took only the valid reports.
        devices = round_trip(staff.client, "/staff", "snapshot")["devices"]
        assert [d["id"] for d in devices] == ["fuzz-wall-1"]
        assert devices[0]["kind"] == "display" and devices[0]["sound"] == "blocked"
        assert devices[0]["speech"] is None
        still_serving(server, clerk, watcher, calls)
    finally:
        display.disconnect()
        phone.close()
        staff.close()
    assert calls


def test_hostile_auth_on_connect(live):
    server, clerk, watcher = live
    calls: list = []
    before = state_of(server)
    for namespace in (*NAMESPACES, "/", "/nope", "/staff/../display"):
        for auth in AUTHS:
            client = socketio.Client(reconnection=False)
            with contextlib.suppress(socketio.exceptions.ConnectionError):
                client.connect(
                    server.url,
                    namespaces=[namespace],
                    transports=["websocket"],
                    auth=auth,
                    wait_timeout=3,
                )
            joined = namespace in client.namespaces
            client.disconnect()
            if namespace in ("/ticket", "/staff"):
                assert not joined, (namespace, auth)
    # Hostile cookies and headers on the staff namespace.
    for headers in (
        {"Cookie": "session=" + "x" * 4000},
        {"Cookie": "session=\x00\x01"},
        {"Cookie": cookie_of(clerk) + "; session=forged"},
        {"Origin": "http://evil.example"},
    ):
        client = socketio.Client(reconnection=False)
        with contextlib.suppress(socketio.exceptions.ConnectionError):
            client.connect(
                server.url,
                namespaces=["/staff"],
                transports=["websocket"],
                headers=headers,
                wait_timeout=3,
            )
        client.disconnect()
    assert state_of(server) == before
    still_serving(server, clerk, watcher, calls)


def test_screens_cannot_flood_the_staff_list(live):
    """Any client may name itself a screen: the staff's list stays bounded, and a real screen
    that is connected is never pushed out of it."""
    from wartemarke.devices import MAX_DEVICES

    server, clerk, watcher = live
    calls: list = []
    wall = socketio.Client(reconnection=False)
    wall.connect(
        server.url,
        namespaces=["/display"],
        transports=["websocket"],
        auth={"device": "real-lobby-wall", "kind": "display"},
        wait_timeout=5,
    )
    try:
        for i in range(MAX_DEVICES + 30):
            ws = open_display_as(server, f"fake-screen-{i:04d}")
            ws.close(timeout=1)
        staff = Listener(server.url, "/staff", headers={"Cookie": cookie_of(clerk)})
        try:
            devices = staff.next("snapshot")["devices"]
        finally:
            staff.close()
        assert len(devices) <= MAX_DEVICES
        assert "real-lobby-wall" in {d["id"] for d in devices}
        assert f"fake-screen-{MAX_DEVICES + 29:04d}" in {d["id"] for d in devices}
        still_serving(server, clerk, watcher, calls)
    finally:
        wall.disconnect()


def open_display_as(server, device: str) -> websocket.WebSocket:
    """A raw /display connection naming itself ``device``, past the namespace's ack."""
    ws = websocket.create_connection(ws_url(server), timeout=5)
    assert ws.recv().startswith("0{")
    ws.send("40/display," + json.dumps({"device": device, "kind": "display"}))
    while not ws.recv().startswith("40/display,{"):
        pass
    return ws


def ws_url(server) -> str:
    return f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket"


def open_display(server) -> websocket.WebSocket:
    ws = websocket.create_connection(ws_url(server), timeout=5)
    assert ws.recv().startswith("0{")
    ws.send("40/display,")
    return ws


def test_raw_malformed_packets(live):
    """Frames no client library would send, each on a fresh connection (the server may close
    a connection it cannot parse; it must not fall over)."""
    server, clerk, watcher = live
    calls: list = []
    before = state_of(server)
    for frame in RAW_FRAMES:
        ws = open_display(server)
        try:
            ws.send(frame)
            ws.send('42/display,["snapshot"]')  # still served, or the connection closed
            with contextlib.suppress(websocket.WebSocketException, OSError):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    message = ws.recv()
                    if message == "2":
                        ws.send("3")
                    if message.startswith('42/display,["snapshot"'):
                        break
        finally:
            with contextlib.suppress(Exception):
                ws.close(timeout=1)
    # Binary frames, and a text frame over the server's 1 MB message limit.
    for payload in (
        b"\x00\x01\x02",
        b"\xff" * 100,
        b"4" + b"\x00" * 10,
        "42/display," + "[" + "1," * 600_000 + "1]",
    ):
        ws = open_display(server)
        with contextlib.suppress(websocket.WebSocketException, OSError):
            if isinstance(payload, bytes):
                ws.send_binary(payload)
            else:
                ws.send(payload)
            ws.send('42/display,["snapshot"]')
            ws.recv()
        with contextlib.suppress(Exception):
            ws.close(timeout=1)
    # A websocket that never says anything, and one that speaks no Engine.IO at all.
    silent = websocket.create_connection(ws_url(server), timeout=5)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=3&transport=websocket", timeout=5
        )
    assert refused.value.status_code == 400
    try:
        assert state_of(server) == before
        still_serving(server, clerk, watcher, calls)
    finally:
        silent.close(timeout=1)


def open_polling(base: str) -> str:
    opened = requests.get(base, params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert opened.status_code == 200
    return json.loads(opened.text[1:])["sid"]


def test_malformed_polling_requests(live):
    """Our screens only use websockets, but Engine.IO also serves long-polling: refused
    requests there must be answered (within the timeout, not hang), and logged in one line."""
    server, clerk, watcher = live
    calls: list = []
    base = server.url + "/socket.io/"
    before = state_of(server)
    session = requests.Session()
    sid = "<fresh>"  # a new polling session per request that may end it
    probes = [
        ("GET", "", {}, None),
        ("GET", "?EIO=3&transport=polling", {}, None),
        ("GET", "?EIO=99&transport=polling", {}, None),
        ("GET", "?EIO=4&transport=carrier-pigeon", {}, None),
        ("GET", "?EIO=4&transport=polling&sid=unknown", {}, None),
        ("GET", "?EIO=4&transport=polling&sid=" + "x" * 5000, {}, None),
        ("GET", "?EIO=4&transport=polling&sid=%00%ff", {}, None),
        ("GET", "?EIO=4&transport=polling&j=0", {}, None),
        ("GET", "?EIO=4&transport=polling&b64=1", {}, None),
        ("GET", "?EIO=4&transport=websocket", {}, None),  # no upgrade headers
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"garbage"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"\x00\xff\xfe"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b""),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, "4" + "\x1e" * 1000),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, "40/display,\x1e42/display,["),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, "b" + "!" * 100),
        # Packet types only servers send, and a body over the 1 MB limit: these once hung.
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"0"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"2"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"6"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"9"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"4x\x1e9"),
        ("POST", f"?EIO=4&transport=polling&sid={sid}", {}, b"x" * 1_100_000),
        ("POST", "?EIO=4&transport=polling&sid=unknown", {}, b"40/display,"),
        ("POST", "?EIO=4&transport=polling", {}, b"40"),
        ("PUT", "?EIO=4&transport=polling", {}, b"x"),
        ("DELETE", f"?EIO=4&transport=polling&sid={sid}", {}, None),
        ("OPTIONS", "?EIO=4&transport=polling", {"Origin": "http://evil.example"}, None),
        ("GET", "?EIO=4&transport=polling", {"Origin": "http://evil.example"}, None),
        ("GET", "?EIO=4&transport=polling", {"Accept-Encoding": "gzip;q=" + "9" * 500}, None),
    ]
    for method, query, headers, body in probes:
        if "<fresh>" in query:
            query = query.replace("<fresh>", open_polling(base))
        try:
            r = session.request(method, base + query, headers=headers, data=body, timeout=15)
        except requests.RequestException as exc:
            raise AssertionError((method, query[:80], repr(body)[:40], exc)) from None
        assert r.status_code < 500, (method, query, r.status_code, r.text[:300])
        assert "Traceback" not in r.text
        # Cross-origin pages get no CORS grant to read the stream.
        assert r.headers.get("Access-Control-Allow-Origin") in (None, server.url), r.headers
    assert state_of(server) == before
    still_serving(server, clerk, watcher, calls)

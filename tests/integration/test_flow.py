"""The core flow through the public API and over Socket.IO, against a real server process."""

from __future__ import annotations

import contextlib
import queue
import threading

import socketio


class Listener:
    """A real Socket.IO client on one namespace that records every event it receives."""

    def __init__(
        self, url: str, namespace: str = "/display", headers: dict | None = None, **options
    ):
        """``options`` go to socketio.Client, e.g. ``http_session`` (HTTPS: its ``verify``)."""
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False, **options)
        self.namespace = namespace
        for name in ("snapshot", "call", "queue", "ticket", "counters", "printer"):
            self.client.on(name, self._recorder(name), namespace=namespace)
        self.client.connect(
            url,
            namespaces=[namespace],
            transports=["websocket"],
            headers=headers or {},
            wait_timeout=10,
        )

    def _recorder(self, name):
        def record(data):
            self.events.put((name, data))

        return record

    def next(self, name: str, timeout: float = 5.0):
        while True:
            got, data = self.events.get(timeout=timeout)
            if got == name:
                return data

    def close(self):
        self.client.disconnect()


def test_issue_login_next_finish_state(server):
    display = Listener(server.url)
    try:
        snapshot = display.next("snapshot")
        assert {s["prefix"] for s in snapshot["services"]} == {"A", "P", "M"}
        seq0 = snapshot["seq"]
        listed = server.client().get(server.url + "/api/services").json()
        assert [s["id"] for s in listed] == [1, 2, 3]
        assert {"id", "name", "prefix", "waiting", "estimated_wait_min", "open"} <= set(listed[0])
        counters = server.client().get(server.url + "/api/counters").json()
        assert counters[0]["services"] == [1, 2, 3] and counters[0]["name"] == "Schalter 1"

        first = server.issue(1)
        second = server.issue(1)
        assert (first["number"], second["number"]) == ("A001", "A002")
        assert (first["position"], second["position"]) == (1, 2)
        assert first["status_url"].endswith("/t/" + first["token"])
        assert len(first["token"]) >= 22
        queued = display.next("queue")
        assert queued["seq"] > seq0

        clerk = server.login("clerk1", "secret-1")
        r = clerk.post(server.url + "/api/counters/1/next")
        assert r.status_code == 200, r.text
        assert r.json()["ticket"]["number"] == "A001"
        call = display.next("call")
        assert call["number"] == "A001"
        assert call["counter"] == 1 and call["counter_name"] == "Schalter 1"
        assert call["seq"] > queued["seq"]

        status = server.client().get(server.url + "/api/tickets/" + first["token"]).json()
        assert status["status"] == "called" and status["counter"] == 1
        waiting = server.client().get(server.url + "/api/tickets/" + second["token"]).json()
        assert waiting["status"] == "waiting" and waiting["position"] == 1

        r = clerk.post(server.url + "/api/counters/1/recall")
        assert r.status_code == 200
        recall = display.next("call")
        assert recall["number"] == "A001" and recall["recall"] is True

        r = clerk.post(server.url + "/api/counters/1/finish")
        assert r.json()["ticket"]["status"] == "done"
        done = server.client().get(server.url + "/api/tickets/" + first["token"]).json()
        assert done["status"] == "done"

        state = server.client().get(server.url + "/api/state").json()
        assert state["calls"][0]["number"] == "A001"
        assert state["calls"][0]["counter_name"] == "Schalter 1"
        a = next(s for s in state["services"] if s["prefix"] == "A")
        assert a["waiting"] == 1
        assert state["seq"] >= recall["seq"]

        # "next" while a ticket is open finishes it; the second ticket comes next.
        nxt = clerk.post(server.url + "/api/counters/1/next").json()["ticket"]
        assert nxt["number"] == "A002"
        nxt = clerk.post(server.url + "/api/counters/1/next").json()
        assert nxt["ticket"] is None
        second_done = server.client().get(server.url + "/api/tickets/" + second["token"]).json()
        assert second_done["status"] == "done"
    finally:
        display.close()


def test_seq_strictly_increases_and_snapshot_on_reconnect(server):
    display = Listener(server.url)
    try:
        seqs = [display.next("snapshot")["seq"]]
        for _ in range(5):
            server.issue(2)
            seqs.append(display.next("queue")["seq"])
        assert seqs == list(range(seqs[0], seqs[0] + 6))
    finally:
        display.close()
    # Three more changes while disconnected; a reconnect starts with a complete snapshot.
    for _ in range(3):
        server.issue(3)
    again = Listener(server.url)
    try:
        snap = again.next("snapshot")
        assert snap["seq"] == seqs[-1] + 3
        m = next(s for s in snap["services"] if s["prefix"] == "M")
        assert m["waiting"] == 3
    finally:
        again.close()


def test_counter_actions_cover_the_state_machine(server):
    clerk = server.login("clerk1", "secret-1")
    base = server.url + "/api/counters/1/"
    t1, t2 = server.issue(1), server.issue(2)

    assert clerk.post(base + "next").json()["ticket"]["number"] == t1["number"]
    assert clerk.post(base + "start").json()["ticket"]["status"] == "serving"
    moved = clerk.post(base + "transfer", json={"service": 3}).json()["ticket"]
    assert moved["status"] == "waiting" and moved["service"] == 3
    # The transferred visitor keeps their place: ahead of anyone who came later for service 3.
    t3 = server.issue(3)
    assert clerk.post(base + "next").json()["ticket"]["number"] == t1["number"]
    assert clerk.post(base + "no-show").json()["ticket"]["status"] == "no_show"
    assert clerk.post(base + "finish").status_code == 409  # nothing open any more
    assert clerk.post(base + "next").json()["ticket"]["number"] == t2["number"]
    back = clerk.post(base + "requeue").json()["ticket"]
    assert back["status"] == "waiting"
    assert clerk.post(base + "pause").json()["counter"]["paused"] is True
    assert clerk.post(base + "resume").json()["counter"]["paused"] is False
    assert (
        clerk.post(base + "call", json={"number": t3["number"]}).json()["ticket"]["number"]
        == (t3["number"])
    )
    assert clerk.post(base + "next").json()["ticket"]["number"] == t2["number"]
    assert clerk.post(base + "release").status_code == 200
    statuses = [
        server.client().get(server.url + "/api/tickets/" + t["token"]).json()["status"]
        for t in (t1, t2, t3)
    ]
    assert statuses == ["no_show", "waiting", "done"]


def test_visitor_can_give_up_their_place(server):
    a, b = server.issue(1), server.issue(1)
    r = server.client().post(server.url + f"/api/tickets/{a['token']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert server.client().get(server.url + "/api/tickets/" + b["token"]).json()["position"] == 1
    again = server.client().post(server.url + f"/api/tickets/{a['token']}/cancel")
    assert again.status_code == 409


def test_staff_namespace_requires_the_session(server):
    refused = socketio.Client(reconnection=False)
    connected = threading.Event()
    refused.on("connect", connected.set, namespace="/staff")
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        refused.connect(server.url, namespaces=["/staff"], transports=["websocket"], wait_timeout=2)
    assert not connected.is_set()
    refused.disconnect()

    clerk = server.login("clerk1", "secret-1")
    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
    staff = Listener(server.url, "/staff", headers={"Cookie": cookie})
    try:
        snap = staff.next("snapshot")
        assert [c["id"] for c in snap["counters"]] == [1, 2]
        ticket = server.issue(1)
        clerk.post(server.url + "/api/counters/2/next")
        issued = staff.next("ticket")
        assert issued["number"] == ticket["number"] and issued["status"] == "waiting"
        changed = staff.next("ticket")
        assert changed["number"] == ticket["number"] and changed["status"] == "called"
    finally:
        staff.close()


class Phone(Listener):
    """A visitor's phone page: the /ticket namespace, authenticated by the ticket's token."""

    def __init__(self, url: str, token: str):
        self.events: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("status", self._recorder("status"), namespace="/ticket")
        self.client.connect(
            url,
            namespaces=["/ticket"],
            transports=["websocket"],
            auth={"token": token},
            wait_timeout=10,
        )


def test_phone_follows_its_own_ticket_only(server):
    first, second = server.issue(1), server.issue(1)
    phone = Phone(server.url, second["token"])
    try:
        status = phone.next("status")
        assert status["number"] == second["number"] and status["position"] == 2
        assert "token" not in status
        clerk = server.login("clerk1", "secret-1")
        clerk.post(server.url + "/api/counters/1/next")  # calls the first ticket
        moved = phone.next("status")
        assert moved["position"] == 1 and moved["status"] == "waiting"
        clerk.post(server.url + "/api/counters/1/next")  # now the phone's own ticket
        called = phone.next("status")
        while called["status"] != "called":
            called = phone.next("status")
        assert called["counter_name"] == "Schalter 1"
        assert called["number"] == second["number"]
    finally:
        phone.close()
    assert first["number"] != second["number"]
    refused = socketio.Client(reconnection=False)
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        refused.connect(
            server.url,
            namespaces=["/ticket"],
            transports=["websocket"],
            auth={"token": "x" * 24},
            wait_timeout=5,
        )
    assert not refused.connected or "/ticket" not in refused.namespaces
    refused.disconnect()


def test_screens_report_in_and_staff_see_them(server):
    clerk = server.login("clerk1", "secret-1")
    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
    staff = Listener(server.url, "/staff", headers={"Cookie": cookie})
    wall = socketio.Client(reconnection=False)
    try:
        assert staff.next("snapshot")["devices"] == []
        staff.client.on("devices", staff._recorder("devices"), namespace="/staff")
        wall.connect(
            server.url,
            namespaces=["/display"],
            transports=["websocket"],
            auth={"device": "lobby-wall-1", "kind": "display"},
            wait_timeout=5,
        )
        seen = staff.next("devices")["devices"]
        assert seen[0]["id"] == "lobby-wall-1" and seen[0]["connected"] is True
        wall.emit("display_status", {"sound": "blocked"}, namespace="/display")
        assert staff.next("devices")["devices"][0]["sound"] == "blocked"
        wall.disconnect()
        gone = staff.next("devices")["devices"][0]
        assert gone["connected"] is False and gone["last_seen"] > 0
    finally:
        staff.close()

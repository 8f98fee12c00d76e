"""Beyond one process: several server processes share one PostgreSQL database and one Redis
(Flask-SocketIO's message queue), as deploy/scale-out/README.md sets them up.

Every process here is a real one (``wartemarke serve``, or gunicorn with one gevent worker
running ``wartemarke.wsgi:app``) on its own port of 127.0.0.1; all of a test's processes share
one data dir (one secret key: a clerk's session is valid on each), one database and one private
redis-server; the screens are real python-socketio clients.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import ROOT, Server, free_port, site_with_counters
from tests.integration import test_fuzz_sockets as fuzz
from tests.integration.test_concurrency import hammer, issue_many
from tests.integration.test_flow import Listener, Phone
from tests.integration.test_printing import wait_until
from wartemarke.printers.decode import decode
from wartemarke.printers.virtual_tcp import VirtualPrinter

NGINX_EXAMPLE = ROOT / "deploy" / "scale-out" / "nginx.conf"


@dataclass
class Gunicorn(Server):
    """The same server run by gunicorn with one gevent worker, as the scale-out guide runs it.
    Settings come from the environment (WARTEMARKE_*), as for the systemd unit or a container."""

    conf: Path | None = None

    def start(self, timeout: float = 30.0) -> Gunicorn:
        self.log_path = self.data_dir / f"gunicorn-{self.port}.log"
        # fmt: off
        command = [
            sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
            "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "--log-level", "warning",
            # Websockets never end by themselves: do not wait 30 s for them at a stop.
            "--graceful-timeout", "3",
        ]
        # fmt: on
        if self.conf is not None:
            command += ["--config", str(self.conf)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*command, "wartemarke.wsgi:app"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={
                    **os.environ,
                    "WARTEMARKE_LOG_LEVEL": "WARNING",
                    "WARTEMARKE_DATA_DIR": str(self.data_dir),
                    **self.env,
                },
            )
        self.wait_ready(timeout)
        return self


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_url):
    """Factory: ``cluster(kinds=(Server, Server), counters=2, clerks=2, env={})`` starts one
    process per kind (in turn: the first creates the schema) on one data dir, database and
    Redis; returns them in that order."""
    started: list[Server] = []
    data = tmp_path / "data"
    data.mkdir()

    def start(kinds=(Server, Server), counters: int = 2, clerks: int = 2, env=None):
        (data / "site.toml").write_text(site_with_counters(counters), encoding="utf-8")
        shared = {
            "WARTEMARKE_DATABASE": postgres_url,
            "WARTEMARKE_MESSAGE_QUEUE": redis_url,
            "WARTEMARKE_CONFIG": str(data / "site.toml"),
            **(env or {}),
        }
        servers = []
        for kind in kinds:
            server = kind(data, env=shared)
            if not servers:
                server.add_users(
                    [(f"clerk{i}", f"secret-{i}", "clerk") for i in range(1, clerks + 1)]
                )
            started.append(server)
            servers.append(server.start())
        return servers

    yield start
    for server in started:  # all at once: a gunicorn master takes a few seconds to stop
        if server.proc is not None and server.proc.poll() is None:
            server.proc.terminate()
    for server in started:
        server.stop()


def cookie_of(session: requests.Session) -> str:
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def calls_until(listener: Listener, numbers: set[str], timeout: float = 10.0) -> list[str]:
    """The numbers of every ``call`` the listener receives until it has seen all of ``numbers``."""
    seen: list[str] = []
    while not numbers <= set(seen):
        seen.append(listener.next("call", timeout=timeout)["number"])
    return seen


def test_a_call_reaches_the_screens_of_every_process_once(cluster):
    a, b = cluster()
    first, second = a.issue(1), a.issue(1)  # both issued on A
    displays = [Listener(a.url), Listener(b.url)]
    phone = Phone(b.url, first["token"])  # the visitor's phone happens to reach process B
    try:
        for display in displays:
            display.next("snapshot")
        assert phone.next("status")["number"] == first["number"]

        clerk_a = a.login("clerk1", "secret-1")
        r = clerk_a.post(a.url + "/api/counters/1/next")
        assert r.json()["ticket"]["number"] == first["number"], r.text
        called = phone.next("status")
        while called["status"] != "called":
            called = phone.next("status")
        assert called["number"] == first["number"] and called["counter"] == 1

        # One secret key in the shared data dir: A's session is valid on B as well.
        same_clerk = requests.Session()
        same_clerk.cookies.update(clerk_a.cookies)
        assert same_clerk.get(b.url + "/api/me").json()["user"]["username"] == "clerk1"
        # A call on B reaches A's display (and B's).
        clerk_b = b.login("clerk2", "secret-2")
        r = clerk_b.post(b.url + "/api/counters/2/next")
        assert r.json()["ticket"]["number"] == second["number"], r.text
        for display in displays:
            # In order, and the first call exactly once (the second one follows it).
            assert calls_until(display, {second["number"]}) == [first["number"], second["number"]]
    finally:
        for client in (*displays, phone):
            client.close()


def test_next_pressed_on_both_processes_at_once_hands_out_each_ticket_once(cluster):
    a, b = cluster(counters=4, clerks=4)
    issued = issue_many(a.url, 30) + issue_many(b.url, 30)
    numbers = [t["number"] for t in issued]
    assert len(set(numbers)) == 60, "a number was handed out twice"
    displays = [Listener(a.url), Listener(b.url)]
    try:
        for display in displays:
            display.next("snapshot")
        clerks = [
            (server.login(f"clerk{i}", f"secret-{i}"), server.url, i)
            for i, server in zip(range(1, 5), [a, b, a, b], strict=True)
        ]
        calls = hammer(clerks)
        assert Counter(calls).most_common(1)[0][1] == 1
        assert sorted(calls) == sorted(numbers)
        # One more call from each process: through Redis it arrives after everything published
        # before it, so once both are in, every display has had every call.
        late = [a.issue(1), b.issue(1)]
        for server, ticket, (session, _, counter) in zip((a, b), late, clerks[:2], strict=True):
            r = session.post(f"{server.url}/api/counters/{counter}/next")
            assert r.json()["ticket"]["number"] == ticket["number"], r.text
        for display in displays:
            seen = calls_until(display, {t["number"] for t in late})
            assert Counter(seen).most_common(1)[0][1] == 1, "a display got a call twice"
            assert sorted(seen) == sorted(calls + [t["number"] for t in late])
    finally:
        for display in displays:
            display.close()


def test_disabling_an_account_on_one_process_closes_its_screens_on_every_process(cluster):
    a, b = cluster()
    a.add_users([("boss", "secret-boss", "admin")])
    clerk = a.login("clerk1", "secret-1")
    other = a.login("clerk2", "secret-2")
    on_a = Listener(a.url, "/staff", headers={"Cookie": cookie_of(clerk)})
    on_b = Listener(b.url, "/staff", headers={"Cookie": cookie_of(clerk)})
    bystander = Listener(b.url, "/staff", headers={"Cookie": cookie_of(other)})
    try:
        for staff in (on_a, on_b, bystander):
            staff.next("snapshot")
        boss = a.login("boss", "secret-boss")
        users = boss.get(a.url + "/api/admin/users").json()
        clerk_id = next(u["id"] for u in users if u["username"] == "clerk1")
        r = boss.put(f"{a.url}/api/admin/users/{clerk_id}", json={"active": False})
        assert r.status_code == 200, r.text
        wait_until(lambda: not on_a.client.connected and not on_b.client.connected)
        # Another account's screen on B stays, and stays live.
        assert bystander.client.connected
        ticket = a.issue(2)
        assert bystander.next("ticket")["number"] == ticket["number"]
    finally:
        for staff in (on_a, on_b, bystander):
            staff.close()


# A gunicorn config file that reports, from inside the real processes, what runs where: the
# master (is the app loaded there?) and each worker (which background greenlets are alive).
PROBE = """
import json
import os
import sys


def _write(name, data):
    path = os.path.join(os.environ["SCALE_PROBE_DIR"], name)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)


def when_ready(server):
    _write(f"master-{os.getpid()}.json", {"app_loaded": "wartemarke.app" in sys.modules})


def pre_request(worker, req):
    if req.path != "/api/health" or req.query != "probe":
        return
    import gc

    import gevent

    runs = [
        getattr(getattr(g, "_run", None), "__qualname__", "?")
        for g in gc.get_objects()
        if isinstance(g, gevent.Greenlet) and not g.dead
    ]
    _write(f"worker-{os.getpid()}.json", {"ppid": os.getppid(), "greenlets": runs})
"""

BACKGROUND = {
    "Spooler._run": "the print spooler",
    "start.<locals>.loop": "housekeeping",
    "PubSubManager._thread": "the message queue's listener",
    "Hub._listen_for_drops.<locals>.listen": "the logout channel's listener",
}


def test_gunicorn_gevent_workers_serve_websockets_and_print_each_ticket_once(cluster, tmp_path):
    # The known pitfall: with gevent-websocket installed, python-engineio expects its
    # wsgi.websocket, which gunicorn's plain gevent worker does not provide.
    assert importlib.util.find_spec("geventwebsocket") is None
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    conf = tmp_path / "probe_conf.py"
    conf.write_text(PROBE, encoding="utf-8")
    kind = functools.partial(Gunicorn, conf=conf)
    with VirtualPrinter() as printer:
        a, b = cluster(
            kinds=(kind, kind),
            env={"WARTEMARKE_PRINTER": printer.url, "SCALE_PROBE_DIR": str(probe_dir)},
        )
        display = Listener(b.url)  # websocket only
        display_a = Listener(a.url)
        upgrading = socketio.Client(reconnection=False)  # as a browser: polling, then upgrade
        try:
            assert display.client.transport() == "websocket"
            display.next("snapshot")
            upgrading.connect(b.url, namespaces=["/display"], wait_timeout=10)
            wait_until(lambda: upgrading.transport() == "websocket")
            calls: list[dict] = []
            upgrading.on("call", calls.append, namespace="/display")

            issued = [(a if i % 2 else b).issue(1 + i % 3) for i in range(10)]
            clerk = a.login("clerk1", "secret-1")
            number = clerk.post(a.url + "/api/counters/1/next").json()["ticket"]["number"]
            assert display.next("call")["number"] == number
            assert display_a.next("call")["number"] == number
            wait_until(lambda: [c["number"] for c in calls] == [number])
            assert upgrading.transport() == "websocket"

            # Both processes' spoolers print to the one printer: every ticket exactly once.
            # Two more tickets, one per process, after all others: once they are out, every
            # spooler has passed the earlier jobs.
            issued += [a.issue(1), b.issue(1)]
            jobs = printer.wait_for_jobs(len(issued), timeout=30)
            wait_until(lambda: len(printer.jobs) >= len(issued))
            printed = [
                next(t["number"] for t in issued if t["number"] in decode(job).text)
                for job in printer.jobs
            ]
            assert len(jobs) >= len(issued)
            assert Counter(printed) == Counter(t["number"] for t in issued)
        finally:
            display.close()
            display_a.close()
            upgrading.disconnect()

    # Each worker runs each background task exactly once; no master loaded the app.
    for server in (a, b):
        assert requests.get(server.url + "/api/health?probe", timeout=10).ok
    masters = {server.proc.pid for server in (a, b)}
    assert sorted(p.name for p in probe_dir.glob("master-*.json")) == sorted(
        f"master-{pid}.json" for pid in masters
    )
    for path in probe_dir.glob("master-*.json"):
        assert json.loads(path.read_text()) == {"app_loaded": False}
    workers = [json.loads(p.read_text()) for p in probe_dir.glob("worker-*.json")]
    assert sorted(w["ppid"] for w in workers) == sorted(masters)
    for worker in workers:
        running = Counter(worker["greenlets"])
        assert {name: running[name] for name in BACKGROUND} == dict.fromkeys(BACKGROUND, 1)


@pytest.fixture
def gunicorn_live(tmp_path):
    """As test_fuzz_sockets' ``live``, on one gunicorn process (SQLite, no message queue)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "site.toml").write_text(site_with_counters(2), encoding="utf-8")
    server = Gunicorn(data, env={"WARTEMARKE_CONFIG": str(data / "site.toml")})
    server.add_users([("clerk1", "secret-1", "clerk")])
    server.start()
    watcher = None
    try:
        clerk = server.login("clerk1", "secret-1")
        watcher = Listener(server.url)
        watcher.next("snapshot")
        yield server, clerk, watcher
    finally:
        if watcher is not None:
            watcher.close()
        server.stop()


@pytest.mark.parametrize(
    "attack", [fuzz.test_raw_malformed_packets, fuzz.test_malformed_polling_requests]
)
def test_malformed_socket_traffic_under_gunicorn(gunicorn_live, attack):
    """The socket fuzz tests, against gunicorn's worker instead of wartemarke.server: refused
    handshakes and undecodable frames leave no traceback and the server serving."""
    attack(gunicorn_live)


@pytest.mark.parametrize("mode", [["--preload", "-k", "gevent"], ["-k", "sync"]])
def test_gunicorn_without_the_gevent_worker_is_refused_with_a_reason(mode, tmp_path):
    """Loaded in the master (--preload) the greenlets would not survive the fork; a sync worker
    cannot hold hundreds of websockets: gunicorn stops and says what to run instead."""
    command = [sys.executable, "-m", "gunicorn", *mode, "-w", "1", "--no-control-socket"]
    refused = subprocess.run(
        [*command, "--bind", f"127.0.0.1:{free_port()}", "wartemarke.wsgi:app"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WARTEMARKE_DATA_DIR": str(tmp_path / "data")},
    )
    assert refused.returncode != 0
    assert "wartemarke.wsgi needs gunicorn's gevent worker, without --preload" in refused.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was set up


def failed_logins(url: str, forwarded_for: list[str]) -> list[int]:
    """Status codes of wrong logins, each claiming the given X-Forwarded-For."""
    return [
        requests.post(
            url + "/api/login",
            json={"username": "nobody", "password": "wrong-password"},
            headers={"X-Forwarded-For": address},
            timeout=10,
        ).status_code
        for address in forwarded_for
    ]


def test_the_login_limit_trusts_x_forwarded_for_only_behind_a_proxy(make_server):
    limit = {"WARTEMARKE_LOGIN_LIMIT": "3 per minute"}
    # Documentation addresses (TEST-NET-2): only header text, never contacted.
    spoofed = [f"198.51.100.{i}" for i in range(1, 5)]
    direct = make_server(env=limit)
    # No proxy configured: the header is the client's own word and ignored; changing it on
    # every attempt does not escape the limit.
    assert failed_logins(direct.url, spoofed) == [401, 401, 401, 429]
    proxied = make_server(env={**limit, "WARTEMARKE_PROXY_HOPS": "1"})
    # Behind a proxy, which sets the header: each device is counted for itself.
    assert failed_logins(proxied.url, spoofed) == [401] * 4
    assert failed_logins(proxied.url, ["198.51.100.9"] * 4) == [401, 401, 401, 429]
    # An unusable value is refused at start, not taken for 0.
    bad = subprocess.run(
        [sys.executable, "-m", "wartemarke", "serve", "--proxy-hops", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WARTEMARKE_DATA_DIR": str(direct.data_dir)},
    )
    assert bad.returncode == 2 and "--proxy-hops" in bad.stderr, bad.stderr


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        if os.environ.get("WARTEMARKE_REQUIRE_NGINX"):
            pytest.fail("nginx is required here but not installed")
        pytest.skip("nginx is not installed (Debian package nginx)")
    return found


def adapted_nginx_conf(tmp: Path, port: int, upstreams: list[int]) -> Path:
    """deploy/scale-out/nginx.conf as it is, but for loopback ports and a private prefix."""
    text = NGINX_EXAMPLE.read_text(encoding="utf-8")
    for name, upstream in zip(("wartemarke-a:8080", "wartemarke-b:8080"), upstreams, strict=True):
        assert name in text
        text = text.replace(name, f"127.0.0.1:{upstream}")
    assert "listen 80 " in text and "access_log /var/log/nginx/access.log;" in text
    text = text.replace("listen 80 ", f"listen 127.0.0.1:{port} ")
    temp = "".join(
        f"    {kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = text.replace(
        "access_log /var/log/nginx/access.log;", f"access_log {tmp / 'access.log'};\n{temp}"
    )
    conf = tmp / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def test_the_example_nginx_config_in_front_of_two_processes(cluster, tmp_path):
    nginx = nginx_binary()
    a, b = cluster(env={"WARTEMARKE_PROXY_HOPS": "1", "WARTEMARKE_LOGIN_LIMIT": "3 per minute"})
    tmp = tmp_path / "nginx"
    tmp.mkdir()
    port = free_port()
    conf = adapted_nginx_conf(tmp, port, [a.port, b.port])
    main = f"pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};"
    if os.geteuid() == 0:
        main += " user root;"  # workers may then use the temp dirs under pytest's tmp dir
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp), "-c", str(conf), "-g", main],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-g", f"daemon off; {main}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    clients: list = []
    try:

        def up() -> bool:
            assert proc.poll() is None, (tmp / "error.log").read_text(errors="replace")
            try:
                return requests.get(url + "/api/health", timeout=2).ok
            except requests.RequestException:
                return False

        wait_until(up, timeout=20)
        # Through nginx: a websocket client (its Origin must match the Host nginx passes on)
        # and a long-polling one; directly: a display on each process.
        through = Listener(url)
        clients.append(through)
        polling = socketio.Client(reconnection=False)
        polled: list[dict] = []
        polling.on("call", polled.append, namespace="/display")
        polling.connect(url, namespaces=["/display"], transports=["polling"], wait_timeout=10)
        clients.append(polling)
        direct = [Listener(a.url), Listener(b.url)]
        clients += direct
        for listener in (through, *direct):
            listener.next("snapshot")

        ticket = requests.post(url + "/api/tickets", json={"service": 1}, timeout=10).json()
        clerk = requests.Session()
        r = clerk.post(url + "/api/login", json={"username": "clerk1", "password": "secret-1"})
        assert r.status_code == 200, r.text
        clerk.headers["X-CSRFToken"] = r.json()["csrf_token"]
        r = clerk.post(url + "/api/counters/1/next")
        assert r.json()["ticket"]["number"] == ticket["number"], r.text
        for listener in (through, *direct):
            assert listener.next("call")["number"] == ticket["number"]
        wait_until(lambda: [c["number"] for c in polled] == [ticket["number"]])
        assert polling.transport() == "polling"

        # nginx replaces whatever X-Forwarded-For a client sends: spoofing gets nobody past
        # the login limit, although the servers trust the header (WARTEMARKE_PROXY_HOPS=1).
        spoofed = [f"198.51.100.{i}" for i in range(1, 5)]
        assert failed_logins(url, spoofed) == [401, 401, 401, 429]
    finally:
        for client in clients:
            client.close() if isinstance(client, Listener) else client.disconnect()
        proc.terminate()
        proc.wait(10)


def test_a_process_can_go_while_the_other_serves_on(cluster):
    """One process stops (an update, a crash): the other serves on, and once it is back, its
    changes reach the screens of the other again."""
    a, b = cluster()
    display = Listener(b.url)
    try:
        display.next("snapshot")
        a.kill()
        ticket = b.issue(1)
        clerk = b.login("clerk1", "secret-1")
        r = clerk.post(b.url + "/api/counters/1/next")
        assert r.json()["ticket"]["number"] == ticket["number"], r.text
        assert display.next("call")["number"] == ticket["number"]
        a.start()
        again = a.issue(1)
        assert again["number"] != ticket["number"]
        r = a.login("clerk2", "secret-2").post(a.url + "/api/counters/2/next")
        assert r.json()["ticket"]["number"] == again["number"], r.text
        assert display.next("call")["number"] == again["number"]
    finally:
        display.close()

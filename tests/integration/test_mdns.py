"""mDNS for real: a server process announces itself in a private LAN of two network namespaces
(a veth pair, 10.213.0.1 the server's laptop, 10.213.0.2 a tablet), and a zeroconf client in the
tablet's namespace finds it: the ``_http._tcp`` service "Wartemarke (<venue>)" with the port and
address, ``wartemarke.local`` resolved to the server's address, which then answers HTTP. Also:
a name taken by another host (wartemarke-2.local), goodbye packets on SIGTERM and after a
SIGKILL, off with --no-mdns/WARTEMARKE_MDNS=0 and on 127.0.0.1, and a port 5353 held by another
program (a warning; the server serves on).

Nothing leaves the namespaces: multicast goes over the veth pair only. Needs root and iproute2
(``ip netns``); skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SITE_TOML, Server

VENUE = "Pop-Up Bürgerbüro Bilk"
SITE = SITE_TOML.replace("Pop-Up Bürgerbüro Test", VENUE)
SERVER_IP, TABLET_IP = "10.213.0.1", "10.213.0.2"
PORT = 8080  # the namespace is private: the port every laptop would use
SERVICE = f"Wartemarke ({VENUE})._http._tcp.local."
_names = itertools.count()

# The tablet: a zeroconf client (and HTTP client) run in the tablet's namespace. One JSON
# argument; prints one JSON line per finding.
PROBE = r"""
import json, sys, time
import requests
from zeroconf import AddressResolver, IPVersion, ServiceBrowser, ServiceInfo, Zeroconf

args = json.loads(sys.argv[1])
base = f"http://{args['server']}:{args['port']}"
deadline = time.monotonic() + 40

def emit(**message):
    print(json.dumps(message), flush=True)

def wait_health(url):
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/health", timeout=2).ok:
                return True
        except requests.RequestException:
            time.sleep(0.1)
    return False

zc = Zeroconf(interfaces=[args["me"]], ip_version=IPVersion.V4Only)
if args["mode"] == "rival":
    # Another machine on the LAN that calls itself wartemarke.local.
    zc.register_service(ServiceInfo(
        "_workstation._tcp.local.", "rival._workstation._tcp.local.", port=9,
        addresses=[__import__("socket").inet_aton(args["me"])], server="wartemarke.local."))
    emit(rival="ready")
    sys.stdin.read()
    zc.close()
    sys.exit(0)

class Listener:
    def add_service(self, zc, type_, name):
        emit(event="add", name=name)
    def remove_service(self, zc, type_, name):
        emit(event="remove", name=name)
    def update_service(self, zc, type_, name):
        pass

if args["mode"] == "watch":
    ServiceBrowser(zc, "_http._tcp.local.", Listener())
    sys.stdin.read()
    zc.close()
    sys.exit(0)

# mode "find": what a tablet learns without typing an address.
emit(healthy=wait_health(base))
info = None
while args["service"] and info is None and time.monotonic() < deadline:
    info = zc.get_service_info("_http._tcp.local.", args["service"], timeout=3000)
if info is not None:
    emit(service={"port": info.port, "addresses": info.parsed_addresses(),
                  "server": info.server, "properties": {
                      k.decode(): v.decode() for k, v in info.properties.items()}})
for host in args["hosts"]:
    resolver = AddressResolver(host + ".")
    found = resolver.parsed_addresses() if resolver.request(zc, 3000) else []
    try:  # the server is up by now: one request tells whether this address reaches it
        url = f"http://{found[0]}:{args['port']}/api/health"
        answered = bool(found) and requests.get(url, timeout=3).ok
    except (IndexError, requests.RequestException):
        answered = False
    emit(resolved={"host": host, "addresses": found, "http": answered})
zc.close()
session = requests.Session()
r = session.post(base + "/api/login", json={"username": "boss", "password": "secret-boss"})
session.headers["X-CSRFToken"] = r.json()["csrf_token"]
while True:  # the server learns its name from the announcing child a moment later
    urls = session.get(base + "/api/admin/devices/urls", timeout=5).json()
    if urls["mdns"]["state"] != "starting" or time.monotonic() > deadline:
        break
    time.sleep(0.2)
emit(urls=urls)
"""


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=check)


class Lan:
    """Two network namespaces joined by a veth pair: the laptop and a tablet."""

    def __init__(self) -> None:
        tag = f"{os.getpid() % 100000}{next(_names)}"
        self.server_ns, self.tablet_ns = f"wm-{tag}-laptop", f"wm-{tag}-tablet"
        self.veth = (f"wm{tag}a", f"wm{tag}b")  # at most 15 characters
        self.procs: list[subprocess.Popen] = []

    def up(self) -> Lan:
        _run("ip", "netns", "add", self.server_ns)
        _run("ip", "netns", "add", self.tablet_ns)
        _run("ip", "link", "add", self.veth[0], "type", "veth", "peer", "name", self.veth[1])
        for ns, dev, ip in (
            (self.server_ns, self.veth[0], SERVER_IP),
            (self.tablet_ns, self.veth[1], TABLET_IP),
        ):
            _run("ip", "link", "set", dev, "netns", ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            _run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            _run("ip", "-n", ns, "link", "set", dev, "up")
        return self

    def down(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                if proc.stdin:
                    proc.stdin.close()
        for ns in (self.server_ns, self.tablet_ns):
            for pid in self.pids(ns):  # only ours: nothing else lives in these namespaces
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        for ns in (self.server_ns, self.tablet_ns):
            _run("ip", "netns", "del", ns, check=False)  # takes the veth pair with it

    def pids(self, ns: str) -> list[int]:
        out = _run("ip", "netns", "pids", ns, check=False).stdout
        return [int(p) for p in out.split()]

    def popen(self, ns: str, command: list[str], **options) -> subprocess.Popen:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *command], cwd=ROOT, **options)
        self.procs.append(proc)
        return proc

    def probe(self, mode: str, **args) -> subprocess.Popen:
        payload = {"mode": mode, "server": SERVER_IP, "me": TABLET_IP, "port": PORT, **args}
        return self.popen(
            self.tablet_ns,
            [sys.executable, "-c", PROBE, json.dumps(payload)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 ('ip') is not installed"
    return None


@pytest.fixture
def lan():
    reason = _unavailable()
    if reason:
        pytest.skip(f"mDNS test skipped: {reason}")
    net = Lan()
    try:
        net.up()
    except subprocess.CalledProcessError as exc:
        net.down()
        pytest.skip(f"mDNS test skipped: cannot make network namespaces: {exc.stderr.strip()}")
    yield net
    net.down()


class LaptopServer:
    """``wartemarke serve`` in the laptop's namespace, with an admin account."""

    def __init__(self, net: Lan, data_dir: Path) -> None:
        self.net, self.data_dir = net, data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "site.toml").write_text(SITE, encoding="utf-8")
        Server(data_dir).add_users([("boss", "secret-boss", "admin")])
        self.log_path = data_dir / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *extra: str, env: dict | None = None) -> LaptopServer:
        command = [sys.executable, "-m", "wartemarke", "serve", "--host", "0.0.0.0"]
        command += ["--port", str(PORT), "--data-dir", str(self.data_dir)]
        command += ["--config", str(self.data_dir / "site.toml"), *extra]
        env = {**os.environ, "WARTEMARKE_LOG_LEVEL": "INFO", "WARTEMARKE_MDNS": "1", **(env or {})}
        with self.log_path.open("ab") as log:  # the child keeps its own copy
            self.proc = self.net.popen(
                self.net.server_ns, command, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert self.proc.poll() is None, f"server exited {self.proc.returncode}:\n{self.log()}"
            assert time.monotonic() < deadline, f"no '{text}' in the log:\n{self.log()}"
            time.sleep(0.1)


def lines(proc: subprocess.Popen) -> queue.Queue:
    """The probe's JSON lines, as they come."""
    found: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            found.put(json.loads(line))
        found.put(None)

    threading.Thread(target=read, daemon=True).start()
    return found


def expect(found: queue.Queue, key: str, timeout: float = 40, **match) -> dict:
    """The next line with ``key`` (and the given values), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {key} {match} from the probe"
        message = found.get(timeout=left)
        assert message is not None, f"the probe ended before {key} {match}"
        if key in message and all(message.get(k) == v for k, v in match.items()):
            return message


def find(net: Lan, server: LaptopServer, hosts=("wartemarke.local",), service=SERVICE) -> dict:
    """Everything the tablet's probe found, by kind (``service``: the one to look up)."""
    probe = net.probe("find", service=service, hosts=list(hosts))
    out, _ = probe.communicate(timeout=90)
    found: dict = {"resolved": {}}
    for message in map(json.loads, out.splitlines()):
        if "resolved" in message:
            found["resolved"][message["resolved"]["host"]] = message["resolved"]
        else:
            found.update(message)
    assert found.get("healthy"), f"the server did not answer:\n{server.log()}"
    return found


def wait_pids(net: Lan, ns: str, expected: list[int], timeout: float = 15) -> None:
    """Until exactly these processes run in the namespace (none: all ended)."""
    deadline = time.monotonic() + timeout
    while sorted(net.pids(ns)) != sorted(expected):
        assert time.monotonic() < deadline, f"in {ns}: {net.pids(ns)}, expected {expected}"
        time.sleep(0.1)


def test_a_tablet_finds_the_server_by_name_and_service_and_sigterm_says_goodbye(lan, tmp_path):
    server = LaptopServer(lan, tmp_path / "data").start()
    found = find(lan, server)

    service = found.get("service")
    assert service, f"no service {SERVICE} found:\n{server.log()}"
    assert service["port"] == PORT
    assert service["addresses"] == [SERVER_IP]
    assert service["server"] == "wartemarke.local."
    assert service["properties"] == {"path": "/"}
    resolved = found["resolved"]["wartemarke.local"]
    assert resolved["addresses"] == [SERVER_IP] and resolved["http"]
    assert "devices find the server as http://wartemarke.local:8080/" in server.log()

    # The admin's device page lists the LAN address and the name, each screen's URL beneath.
    urls = found["urls"]
    assert urls["mdns"] == {"state": "on", "host": "wartemarke.local"}
    assert urls["problem"] is None
    assert [(b["kind"], b["url"]) for b in urls["bases"]] == [
        ("lan", f"http://{SERVER_IP}:{PORT}"),
        ("mdns", f"http://wartemarke.local:{PORT}"),
    ]
    assert [d["url"] for d in urls["bases"][1]["devices"]] == [
        f"http://wartemarke.local:{PORT}{path}" for path in ("/kiosk/", "/counter/", "/display/")
    ] + [f"http://wartemarke.local:{PORT}/join"]

    # SIGTERM: the server stops, its announcer unregisters (browsers see the service go) and
    # nothing is left running in the laptop's namespace.
    watch = lan.probe("watch")
    seen = lines(watch)
    expect(seen, "event", event="add", name=SERVICE)
    server.proc.terminate()
    assert server.proc.wait(15) == 0, server.log()
    expect(seen, "event", event="remove", name=SERVICE, timeout=10)
    wait_pids(lan, lan.server_ns, [])


def test_a_name_taken_by_another_host_gives_wartemarke_2(lan, tmp_path):
    rival = lan.probe("rival")
    expect(lines(rival), "rival")
    server = LaptopServer(lan, tmp_path / "data").start()
    found = find(lan, server, hosts=("wartemarke.local", "wartemarke-2.local"))

    assert found["resolved"]["wartemarke.local"]["addresses"] == [TABLET_IP]  # the rival's
    resolved = found["resolved"]["wartemarke-2.local"]
    assert resolved["addresses"] == [SERVER_IP] and resolved["http"]
    assert found["service"]["server"] == "wartemarke-2.local."
    assert found["urls"]["mdns"] == {"state": "on", "host": "wartemarke-2.local"}
    assert found["urls"]["bases"][-1]["url"] == f"http://wartemarke-2.local:{PORT}"
    log = server.log()
    assert f"WARNING wartemarke.mdns: mDNS: wartemarke.local is taken by {TABLET_IP}" in log
    assert "announced as wartemarke-2.local" in log


def test_after_a_sigkill_of_the_server_the_announcement_ends_too(lan, tmp_path):
    server = LaptopServer(lan, tmp_path / "data").start()
    watch = lan.probe("watch")
    seen = lines(watch)
    expect(seen, "event", event="add", name=SERVICE)
    server.proc.kill()  # no shutdown code runs: the child sees its stdin close
    server.proc.wait(10)
    expect(seen, "event", event="remove", name=SERVICE, timeout=10)
    wait_pids(lan, lan.server_ns, [])


@pytest.mark.parametrize(
    "extra, env, state, problem",
    [
        (["--no-mdns"], {}, "off", None),
        ([], {"WARTEMARKE_MDNS": "0"}, "off", None),
        (["--host", "127.0.0.1"], {}, "off", "loopback"),
    ],
    ids=["no-mdns", "env-0", "loopback"],
)
def test_off_announces_nothing(lan, tmp_path, extra, env, state, problem):
    server = LaptopServer(lan, tmp_path / "data").start(*extra, env=env)
    server.wait_log("Wartemarke serving on")
    server.wait_log("mDNS off")
    # The server alone in its namespace: no announcing child was started.
    assert lan.pids(lan.server_ns) == [server.proc.pid]
    if problem == "loopback":
        assert "mDNS off: the server listens on 127.0.0.1 only" in server.log()
        return
    urls = find(lan, server, hosts=(), service=None)["urls"]
    assert urls["mdns"] == {"state": state, "host": None}
    assert urls["problem"] is problem
    assert [b["kind"] for b in urls["bases"]] == ["lan"]


def test_a_busy_mdns_port_is_a_warning_and_the_server_serves_on(lan, tmp_path):
    # Another mDNS stack holding UDP 5353 exclusively (as avahi with disallow-other-stacks).
    holder = lan.popen(
        lan.server_ns,
        [
            sys.executable,
            "-c",
            "import socket,sys; s=socket.socket(2,2); s.bind(('',5353));"
            "print('bound',flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "bound"
    server = LaptopServer(lan, tmp_path / "data").start()
    server.wait_log("WARNING wartemarke.mdns: mDNS: cannot announce on 10.213.0.1")
    urls = find(lan, server, hosts=(), service=None)["urls"]
    assert urls["mdns"] == {"state": "failed", "host": None}
    assert [b["url"] for b in urls["bases"]] == [f"http://{SERVER_IP}:{PORT}"]
    assert server.proc.poll() is None
    wait_pids(lan, lan.server_ns, [server.proc.pid, holder.pid])  # the announcer gave up
